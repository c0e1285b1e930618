// What the tray menu, notifications, dial links and the global shortcut do, over small
// ports (the desk API, the UI, the clipboard) so it is tested without Electron. Nothing here
// throws: a refused action becomes a notice the user sees, with the engine's error code.
import type { MethodHandlers } from '../../common/src/api/contract.js';
import type { DeskStateView, NoticeView } from '../../common/src/api/views.js';
import { ErrorCode, type Logger } from '../../gateway/src/index.js';
import { parseDialText, type DialTarget } from './links.js';
import { dialBlocker, type Screen, type TrayAction } from './tray-menu.js';

export type DeskCommands = Pick<
  MethodHandlers,
  | 'desk.makeCall'
  | 'desk.answer'
  | 'desk.hangup'
  | 'desk.hold'
  | 'desk.retrieve'
  | 'desk.singleStepTransfer'
  | 'desk.conference'
>;

export interface ActionDeps {
  /** The desk API, once the engine runs. */
  desk(): DeskCommands | undefined;
  state(): DeskStateView | null;
  /** Shows the popup as it was. */
  show(): void;
  /** Shows the popup on a screen (and tells the UI, with a number to put in the dial field). */
  navigate(screen: Screen, number?: string): void;
  notice(level: NoticeView['level'], message: string, code?: string): void;
  readClipboard(): Promise<string>;
  /** The text selected in any app (the Linux primary selection); '' where there is none. */
  readSelection(): Promise<string>;
  quit(): void;
  /** The updater (main's UpdateController); absent where updates are not wired. */
  updates?: {
    check(): void;
    download(): void;
    /** Why the restart cannot happen now, or undefined when it is under way. */
    install(): string | undefined;
  };
  logger: Logger;
}

export interface Actions {
  dispatch(action: TrayAction): Promise<void>;
  /** Dials a parsed link or text; `show` opens the popup on the calls screen once dialled.
   *  True when the call was placed (else the user was told why). */
  dial(target: DialTarget, options?: { show?: boolean }): Promise<boolean>;
  /** The optional dial shortcut: dial the selected number, else the copied one. */
  dialSelectionOrClipboard(): Promise<void>;
}

const describe = (error: unknown): { code: string; message: string } =>
  error instanceof Error && typeof (error as { code?: unknown }).code === 'string'
    ? { code: (error as Error & { code: string }).code, message: error.message }
    : { code: ErrorCode.Internal, message: error instanceof Error ? error.message : String(error) };

export function createActions(deps: ActionDeps): Actions {
  /** A clipboard that cannot be read (locked, not text) holds nothing to dial. */
  async function readSafely(read: () => Promise<string>): Promise<string> {
    try {
      return await read();
    } catch (error) {
      deps.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'clipboard unreadable',
      );
      return '';
    }
  }

  /** Runs a desk command, turning a refusal into a notice. */
  async function run(what: string, command: (desk: DeskCommands) => unknown): Promise<boolean> {
    const desk = deps.desk();
    if (desk === undefined) {
      deps.notice('warning', `${what}: Deskline is still starting`, ErrorCode.InvalidState);
      return false;
    }
    try {
      await command(desk);
      return true;
    } catch (error) {
      const { code, message } = describe(error);
      deps.logger.warn({ action: what, code }, 'action refused');
      deps.notice('error', `${what}: ${message}`, code);
      return false;
    }
  }

  async function dial(target: DialTarget, options: { show?: boolean } = {}): Promise<boolean> {
    const blocker = dialBlocker(deps.state());
    if (blocker !== undefined) {
      // Keep the number: the dial screen shows it, ready once a line is chosen.
      deps.navigate('dial', target.number);
      deps.notice('warning', `Cannot dial ${target.number} yet: ${blocker}`, ErrorCode.InvalidState);
      return false;
    }
    const dialled = await run(`Dial ${target.number}`, (desk) =>
      desk['desk.makeCall']({ number: target.number }),
    );
    if (!dialled) return false;
    if (target.extension !== undefined)
      deps.notice('info', `Extension ${target.extension}: send it with the keypad once the call is answered`);
    if (options.show === true) deps.navigate('calls');
    return true;
  }

  async function dialText(text: string, source: string): Promise<boolean> {
    const parsed = parseDialText(text);
    if (!parsed.ok) return false;
    deps.logger.info({ source }, 'dialling from text');
    await dial(parsed.value, { show: true });
    return true;
  }

  async function dispatch(action: TrayAction): Promise<void> {
    switch (action.type) {
      case 'show':
        deps.show();
        return;
      case 'navigate':
        deps.navigate(action.screen);
        return;
      case 'dial': {
        const parsed = parseDialText(action.number);
        if (parsed.ok) await dial(parsed.value);
        else deps.notice('error', parsed.error.message, parsed.error.code);
        return;
      }
      case 'dialClipboard': {
        const text = await readSafely(deps.readClipboard);
        const parsed = parseDialText(text);
        if (parsed.ok) await dial(parsed.value, { show: true });
        else
          deps.notice(
            'warning',
            `The clipboard holds no number to dial: ${parsed.error.message}`,
            parsed.error.code,
          );
        return;
      }
      case 'answer':
        await run('Answer', (desk) => desk['desk.answer']({ callId: action.callId }));
        return;
      case 'decline':
        // ECMA-269 §17.1.8: ClearConnection of a ringing connection rejects the call.
        await run('Decline', (desk) => desk['desk.hangup']({ callId: action.callId }));
        return;
      case 'hold':
        await run('Hold', (desk) => desk['desk.hold']({ callId: action.callId }));
        return;
      case 'retrieve':
        await run('Resume', (desk) => desk['desk.retrieve']({ callId: action.callId }));
        return;
      case 'hangup':
        await run('Hang up', (desk) => desk['desk.hangup']({ callId: action.callId }));
        return;
      case 'transfer':
        await run(`Transfer to ${action.to}`, (desk) =>
          desk['desk.singleStepTransfer']({ callId: action.callId, to: action.to }),
        );
        return;
      case 'conference':
        await run('Conference', (desk) =>
          desk['desk.conference']({ heldCallId: action.heldCallId, activeCallId: action.activeCallId }),
        );
        return;
      case 'checkForUpdates':
        deps.updates?.check();
        return;
      case 'downloadUpdate':
        deps.updates?.download();
        return;
      case 'installUpdate': {
        const blocker = deps.updates?.install();
        if (blocker !== undefined) deps.notice('warning', `Not restarted: ${blocker}`);
        return;
      }
      case 'quit':
        deps.quit();
        return;
      default: {
        const never: never = action;
        deps.logger.error({ action: JSON.stringify(never) }, 'unknown tray action');
      }
    }
  }

  async function dialSelectionOrClipboard(): Promise<void> {
    if (await dialText(await readSafely(deps.readSelection), 'selection')) return;
    if (await dialText(await readSafely(deps.readClipboard), 'clipboard')) return;
    deps.navigate('dial');
    deps.notice('warning', 'No phone number is selected or copied: type one to dial');
  }

  return { dispatch, dial, dialSelectionOrClipboard };
}
