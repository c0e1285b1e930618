// The desk's view of a user's line appearances: the directory's records (core/directory.ts)
// turned into the UI's LineAppearanceView, with why a line cannot be controlled.
import type { LineAppearanceView } from '../../../../common/src/api/views.js';
import type { Directory, DirectoryUser, LineRecord } from '../../core/directory.js';

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
    if (!a.device.ctiAllowed)
      view.notControllableReason = `CTI control is not allowed on ${a.device.name} (ask your administrator to enable "Allow Control of Device from CTI")`;
    return view;
  });
}
