// The tray menu as a pure function of state: a model of items with actions as data, tested
// without Electron, then turned into a Menu template by toMenuTemplate(). Disabled items say
// why (macOS shows it as the item's tooltip/sublabel; elsewhere the label carries it where it
// matters).
import type { MenuItemConstructorOptions } from 'electron';
import type { CallView, DeskStateView, FavouriteView } from '../../common/src/api/views.js';
import { callLine, isLive, lineName, partyName } from './tray-icon.js';
import type { UpdateStatus } from './updates.js';

export type Screen = 'dial' | 'calls' | 'lines' | 'health' | 'settings' | 'history';

/** What a menu item does when clicked: data, dispatched by actions.ts. */
export type TrayAction =
  | { type: 'show' }
  | { type: 'navigate'; screen: Screen }
  | { type: 'dial'; number: string }
  | { type: 'dialClipboard' }
  | { type: 'answer'; callId: string }
  | { type: 'decline'; callId: string }
  | { type: 'hold'; callId: string }
  | { type: 'retrieve'; callId: string }
  | { type: 'hangup'; callId: string }
  | { type: 'transfer'; callId: string; to: string }
  | { type: 'conference'; heldCallId: string; activeCallId: string }
  | { type: 'checkForUpdates' }
  | { type: 'downloadUpdate' }
  | { type: 'installUpdate' }
  | { type: 'quit' };

export interface MenuItemModel {
  id: string;
  kind: 'action' | 'header' | 'separator' | 'submenu';
  label: string;
  enabled: boolean;
  /** Why the item is disabled. */
  reason?: string;
  action?: TrayAction;
  submenu?: MenuItemModel[];
}

export interface TrayMenuInput {
  /** Null before the engine's first state. */
  desk: DeskStateView | null;
  favourites: readonly FavouriteView[];
  recentNumbers: readonly string[];
  /** Missed calls not yet seen in History. */
  missed?: number;
  /** The updater's state, and why a restart to update must wait (a call in progress). */
  update?: UpdateStatus & { restartBlocker?: string };
}

const separator = (id: string): MenuItemModel => ({ id, kind: 'separator', label: '', enabled: true });
const header = (id: string, label: string): MenuItemModel => ({ id, kind: 'header', label, enabled: false });

function item(id: string, label: string, action: TrayAction, reason?: string): MenuItemModel {
  return reason === undefined
    ? { id, kind: 'action', label, enabled: true, action }
    : { id, kind: 'action', label, enabled: false, reason, action };
}

/** An item for a call action, enabled as the engine's CallView.actions says. */
function callItem(
  call: CallView,
  id: string,
  label: string,
  availability: keyof CallView['actions'],
  action: TrayAction,
): MenuItemModel {
  const available = call.actions[availability];
  return item(
    `call:${call.callId}:${id}`,
    label,
    action,
    available?.enabled === true ? undefined : (available?.reason ?? 'not available now'),
  );
}

/** Why nothing can be dialled now; undefined when dialling is possible. */
export function dialBlocker(desk: DeskStateView | null): string | undefined {
  if (desk === null) return 'Deskline is starting';
  if (desk.cti.overall === 'down') return 'CTI is down';
  if (desk.selectedLineId === null) return 'Choose a line first';
  switch (desk.session.state) {
    case 'active':
    case 'recovering':
      return undefined;
    case 'noLine':
      return 'Choose a line first';
    case 'starting':
      return 'The line is starting';
    case 'failed':
      return desk.session.reason ?? 'The line is not available';
    default: {
      const never: never = desk.session.state;
      throw new Error(`unexpected session state ${String(never)}`);
    }
  }
}

function callSection(
  desk: DeskStateView,
  call: CallView,
  calls: readonly CallView[],
  favourites: readonly FavouriteView[],
): MenuItemModel[] {
  // With several lines, each call says which one it is on.
  const line = desk.lines.length > 1 ? callLine(desk, call) : undefined;
  const who = `${partyName(call)}${line === undefined ? '' : ` on ${line.dn}`}`;
  if (call.state === 'ringing') {
    return [
      header(`call:${call.callId}:header`, `Incoming call from ${who}`),
      callItem(call, 'answer', 'Answer', 'answer', { type: 'answer', callId: call.callId }),
      // ECMA-269 §17.1.8 ClearConnection on an alerting connection rejects the call.
      callItem(call, 'decline', 'Decline', 'decline', { type: 'decline', callId: call.callId }),
    ];
  }
  const title =
    call.state === 'held'
      ? `On hold: ${who}`
      : call.state === 'connected'
        ? `${call.conference ? 'Conference' : 'On call'} with ${who}`
        : `Calling ${who}…`;
  const out: MenuItemModel[] = [header(`call:${call.callId}:header`, title)];
  if (call.state === 'held')
    out.push(callItem(call, 'retrieve', 'Resume', 'retrieve', { type: 'retrieve', callId: call.callId }));
  else out.push(callItem(call, 'hold', 'Hold', 'hold', { type: 'hold', callId: call.callId }));

  const transferAvailable = call.actions.singleStepTransfer;
  const transferReason =
    transferAvailable?.enabled === true ? undefined : (transferAvailable?.reason ?? 'not available now');
  const targets: MenuItemModel[] = favourites.map((favourite, index) =>
    item(
      `call:${call.callId}:transfer:${index}`,
      `${favourite.name} (${favourite.number})`,
      { type: 'transfer', callId: call.callId, to: favourite.number },
      transferReason,
    ),
  );
  if (targets.length > 0) targets.push(separator(`call:${call.callId}:transfer:sep`));
  targets.push(
    item(
      `call:${call.callId}:transfer:number`,
      'A number…',
      { type: 'navigate', screen: 'calls' },
      transferReason,
    ),
  );
  out.push({
    id: `call:${call.callId}:transfer`,
    kind: 'submenu',
    label: 'Transfer to…',
    enabled: transferReason === undefined,
    ...(transferReason === undefined ? {} : { reason: transferReason }),
    submenu: targets,
  });

  // Conference joins the held call and the active one (ECMA-269 §17.1.6 ConferenceCall).
  if (call.state === 'connected') {
    const held = calls.find((other) => other.callId !== call.callId && other.state === 'held');
    if (held !== undefined) {
      out.push(
        callItem(call, 'conference', `Conference with ${partyName(held)}`, 'conference', {
          type: 'conference',
          heldCallId: held.callId,
          activeCallId: call.callId,
        }),
      );
    } else {
      out.push(
        item(
          `call:${call.callId}:conference`,
          'Conference',
          { type: 'navigate', screen: 'calls' },
          'Hold this call and call another party first',
        ),
      );
    }
  }
  out.push(callItem(call, 'hangup', 'Hang up', 'hangup', { type: 'hangup', callId: call.callId }));
  return out;
}

export function buildTrayMenu(input: TrayMenuInput): MenuItemModel[] {
  const { desk } = input;
  const menu: MenuItemModel[] = [];

  // Linux trays (AppIndicator) send no click: the menu is the only way to open the popup.
  menu.push(item('show', 'Open Deskline', { type: 'show' }));
  menu.push(separator('sep:show'));
  const line = desk?.lines.find((candidate) => candidate.id === desk.selectedLineId);
  menu.push(
    header(
      'line',
      line === undefined
        ? 'No line chosen'
        : `Line ${lineName(line)} — ${line.deviceDescription || line.deviceName}`,
    ),
  );
  menu.push(
    item(
      'line:change',
      line === undefined ? 'Choose a line…' : 'Change line…',
      { type: 'navigate', screen: 'lines' },
      desk === null ? 'Deskline is starting' : undefined,
    ),
  );
  menu.push(separator('sep:line'));

  // Ringing calls first (they need an answer now), then the others in the engine's order.
  const calls = (desk?.calls ?? []).filter(isLive);
  const ordered = [
    ...calls.filter((call) => call.state === 'ringing'),
    ...calls.filter((call) => call.state !== 'ringing'),
  ];
  for (const call of ordered) {
    if (desk !== null) menu.push(...callSection(desk, call, calls, input.favourites));
    menu.push(separator(`sep:call:${call.callId}`));
  }

  const blocker = dialBlocker(desk);
  menu.push(item('dial', 'Dial…', { type: 'navigate', screen: 'dial' }, blocker));
  const recents = input.recentNumbers.map((number, index) =>
    item(`recent:${index}`, number, { type: 'dial', number }, blocker),
  );
  menu.push(
    recents.length === 0
      ? {
          id: 'recent',
          kind: 'submenu',
          label: 'Recent',
          enabled: false,
          reason: 'No recent calls',
          submenu: [],
        }
      : { id: 'recent', kind: 'submenu', label: 'Recent', enabled: true, submenu: recents },
  );
  const favourites = input.favourites.map((favourite, index) =>
    item(
      `favourite:${index}`,
      `${favourite.name} (${favourite.number})`,
      { type: 'dial', number: favourite.number },
      blocker,
    ),
  );
  menu.push(
    favourites.length === 0
      ? {
          id: 'favourites',
          kind: 'submenu',
          label: 'Favourites',
          enabled: false,
          reason: 'No favourites yet: add them in Settings',
          submenu: [],
        }
      : { id: 'favourites', kind: 'submenu', label: 'Favourites', enabled: true, submenu: favourites },
  );
  // The clipboard is read when the item is clicked (Linux trays cannot refresh a menu on open).
  menu.push(item('dial:clipboard', 'Dial number from clipboard', { type: 'dialClipboard' }, blocker));
  menu.push(separator('sep:dial'));

  const cti = desk?.cti.overall;
  menu.push(
    item('health', cti === undefined ? 'CTI status…' : `CTI status: ${cti}…`, {
      type: 'navigate',
      screen: 'health',
    }),
  );
  const missed = input.missed ?? 0;
  menu.push(
    item(
      'history',
      missed === 0
        ? 'Call history…'
        : `Call history — ${missed === 1 ? '1 missed call' : `${missed} missed calls`}…`,
      { type: 'navigate', screen: 'history' },
    ),
  );
  menu.push(item('settings', 'Settings…', { type: 'navigate', screen: 'settings' }));
  const update = updateItem(input.update);
  if (update !== undefined) menu.push(update);
  menu.push(separator('sep:quit'));
  menu.push(item('quit', 'Quit Deskline', { type: 'quit' }));
  return menu;
}

/** The update entry: what the updater is doing, and the one thing the user can do about it. */
function updateItem(update: TrayMenuInput['update']): MenuItemModel | undefined {
  if (update === undefined) return undefined;
  switch (update.state) {
    case 'disabled':
      return undefined;
    case 'idle':
    case 'failed':
      return item('update', 'Check for updates', { type: 'checkForUpdates' });
    case 'checking':
      return item('update', 'Checking for updates…', { type: 'checkForUpdates' }, 'Checking now');
    case 'available':
      return item('update', `Download Deskline ${update.version ?? ''}`.trim(), { type: 'downloadUpdate' });
    case 'downloading':
      return item(
        'update',
        `Downloading Deskline ${update.version ?? ''}… ${update.percent ?? 0} %`,
        { type: 'installUpdate' },
        'It installs when the download is complete',
      );
    case 'downloaded':
      return item(
        'update',
        `Restart to update to ${update.version ?? 'the new version'}`,
        { type: 'installUpdate' },
        update.restartBlocker,
      );
    default: {
      const never: never = update.state;
      throw new Error(`unexpected update state ${String(never)}`);
    }
  }
}

/** The Electron Menu template of a model; clicks dispatch the item's action. */
export function toMenuTemplate(
  model: readonly MenuItemModel[],
  dispatch: (action: TrayAction) => void,
): MenuItemConstructorOptions[] {
  return model.map((entry): MenuItemConstructorOptions => {
    switch (entry.kind) {
      case 'separator':
        return { id: entry.id, type: 'separator' };
      case 'header':
        return { id: entry.id, label: entry.label, enabled: false };
      case 'submenu':
        return {
          id: entry.id,
          label: entry.label,
          enabled: entry.enabled,
          ...(entry.reason === undefined ? {} : { toolTip: entry.reason, sublabel: entry.reason }),
          submenu: toMenuTemplate(entry.submenu ?? [], dispatch),
        };
      case 'action': {
        const action = entry.action;
        return {
          id: entry.id,
          label: entry.label,
          enabled: entry.enabled,
          ...(entry.reason === undefined ? {} : { toolTip: entry.reason, sublabel: entry.reason }),
          ...(action === undefined ? {} : { click: () => dispatch(action) }),
        };
      }
      default: {
        const never: never = entry.kind;
        throw new Error(`unexpected menu item kind ${String(never)}`);
      }
    }
  });
}
