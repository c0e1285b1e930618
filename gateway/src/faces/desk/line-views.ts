// The desk's view of a user's line appearances: the directory's records (core/directory.ts)
// turned into the UI's LineAppearanceView, with why a line cannot be controlled — a stable code
// the UI words for people, the administrator's detail (device, setting) beside it, never in the
// text a user reads (docs/ui.md §8).
import type {
  DeskAccessView,
  LineAppearanceView,
  LineUnavailableView,
} from '../../../../common/src/api/views.js';
import type { Directory, DirectoryUser, LineRecord } from '../../core/directory.js';

/** The plain sentence for each code (kept in notControllableReason for older UIs). */
export const LINE_UNAVAILABLE_WORDS: Readonly<Record<LineUnavailableView['code'], string>> = {
  notLicensed: 'You have no licence to control phones from Deskline: ask your administrator to assign one',
  ctiControlDisallowed: 'Your administrator has not allowed this phone to be controlled from a computer',
};

/** The view a UI shows for each of the user's appearances, with why one cannot be controlled. */
export function lineAppearanceViews(
  directory: Directory,
  user: DirectoryUser,
  lineUriOf: (line: LineRecord) => string,
): LineAppearanceView[] {
  return directory.appearancesOfUser(user).map((a) => {
    const others = a.line.appearances
      .filter((o) => o.device.name !== a.device.name)
      .map((o) => o.device.name);
    const view: LineAppearanceView = {
      id: a.id,
      deviceName: a.device.name,
      deviceModel: a.device.model,
      deviceDescription: a.device.description,
      dn: a.line.dn,
      partition: a.line.partition,
      lineUri: lineUriOf(a.line),
      label: a.label,
      shared: others.length > 0,
      sharedWith: others,
      controllable: a.device.ctiAllowed,
    };
    const unavailable: LineUnavailableView | undefined =
      user.licence === null
        ? {
            code: 'notLicensed',
            detail: `user ${user.id} has no IM and Presence licence (UCL or CUWL): remote call control is refused`,
          }
        : !a.device.ctiAllowed
          ? {
              code: 'ctiControlDisallowed',
              detail: `"Allow Control of Device from CTI" is off on ${a.device.name}`,
            }
          : undefined;
    if (unavailable !== undefined) {
      view.controllable = false;
      view.unavailable = unavailable;
      view.notControllableReason = LINE_UNAVAILABLE_WORDS[unavailable.code];
    }
    return view;
  });
}

/** Why the user has no line to control at all, or undefined when one can be. */
export function deskAccess(
  directory: Directory,
  userId: string,
  user: DirectoryUser | undefined,
  lines: readonly LineAppearanceView[],
): DeskAccessView | undefined {
  if (directory.loadedAt === 0)
    return {
      code: 'directoryNotLoaded',
      detail: 'the user directory has not been loaded from any CTI Manager yet',
    };
  if (user === undefined)
    return { code: 'unknownUser', detail: `no user ${JSON.stringify(userId)} in the directory` };
  if (user.licence === null)
    return { code: 'notLicensed', detail: `user ${user.id} has no IM and Presence licence (UCL or CUWL)` };
  if (lines.length === 0)
    return {
      code: 'noLines',
      detail: `no line appearances on the devices ${user.id} controls (${user.controlledDevices.join(', ') || 'none'})`,
    };
  if (!lines.some((l) => l.controllable))
    return {
      code: 'ctiControlDisallowed',
      detail: `"Allow Control of Device from CTI" is off on ${[...new Set(lines.map((l) => l.deviceName))].join(', ')}`,
    };
  return undefined;
}
