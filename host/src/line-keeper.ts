// First start at the user's line (docs/ui.md §2 Lines), for every host: the line the user
// chose to dial from is remembered (SettingsStore, per user), and when the desk starts with no
// line chosen it is chosen again — the only line the user may control, else the one chosen
// last time; with several lines and none remembered the UI shows the picker, and with none the
// UI's one screen saying why (DeskStateView.access). Fed with every desk.state snapshot, so it
// works the same in front of the engine in-process (browser shell) and behind IPC (Electron).
import type { DeskStateView } from '../../common/src/api/views.js';
import { wrapError, type Logger } from '../../gateway/src/index.js';
import type { SettingsStore } from './stores/settings-store.js';

export type StartLine =
  | { kind: 'choose'; lineId: string; why: 'onlyLine' | 'remembered' }
  /** Several lines, none remembered (or the remembered one is gone): the user picks. */
  | { kind: 'picker' }
  /** No line can be controlled (the state's `access` says why). */
  | { kind: 'none' }
  /** The directory has not arrived yet: decide later. */
  | { kind: 'wait' };

/** Which line to start at, from a snapshot with no line chosen. Pure. */
export function startLineFor(
  state: Pick<DeskStateView, 'lines' | 'access' | 'user'>,
  remembered: string | undefined,
): StartLine {
  if (state.access?.code === 'directoryNotLoaded') return { kind: 'wait' };
  const controllable = state.lines.filter((l) => l.controllable);
  if (state.user === null || controllable.length === 0) return { kind: 'none' };
  const only = controllable.length === 1 ? controllable[0] : undefined;
  if (only !== undefined) return { kind: 'choose', lineId: only.id, why: 'onlyLine' };
  if (remembered !== undefined && controllable.some((l) => l.id === remembered))
    return { kind: 'choose', lineId: remembered, why: 'remembered' };
  return { kind: 'picker' };
}

export interface LineKeeperOptions {
  userId: string;
  settings: Pick<SettingsStore, 'rememberedLine' | 'rememberLine'>;
  /** desk.selectLine of the user's desk. */
  selectLine: (lineId: string) => Promise<unknown>;
  logger: Logger;
}

export class LineKeeper {
  /** A start decision was made for the desk attached now. */
  private decided = false;
  private readonly log: Logger;

  constructor(private readonly options: LineKeeperOptions) {
    this.log = options.logger.child({ component: 'line-keeper' });
  }

  /** One desk.state snapshot: remembers a line that is up, chooses one at start. */
  observe(state: DeskStateView): void {
    const { settings, userId } = this.options;
    if (state.selectedLineId !== null) {
      this.decided = true;
      if (state.session.state === 'active' && settings.rememberedLine(userId) !== state.selectedLineId)
        void settings.rememberLine(userId, state.selectedLineId).then((saved) => {
          if (!saved.ok) this.log.warn({ error: saved.error.message }, 'chosen line not remembered');
        });
      return;
    }
    if (this.decided || state.session.state !== 'noLine') return;
    const start = startLineFor(state, settings.rememberedLine(userId));
    if (start.kind === 'wait') return;
    this.decided = true;
    if (start.kind !== 'choose') {
      this.log.info({ start: start.kind }, 'no line chosen at start');
      return;
    }
    this.log.info({ line: start.lineId, why: start.why }, 'starting at the line');
    this.options.selectLine(start.lineId).catch((cause: unknown) => {
      // The desk says why in its state (failed, or recovering until the phone system is back).
      this.log.warn({ line: start.lineId, error: wrapError(cause).message }, 'could not start at the line');
    });
  }

  /** A new desk was attached (the engine restarted): decide again from its first snapshot. */
  reset(): void {
    this.decided = false;
  }
}
