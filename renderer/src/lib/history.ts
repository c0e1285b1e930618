// What the UI derives from the call history: the missed-call badge on the History tab (missed
// calls newer than the last one the user has seen on the History screen; "seen" is kept in this
// window's storage, the contract has no field for it yet: docs/ui.md §4), and what Redial
// calls. Pure apart from the two storage helpers.
import type { HistoryEntryView } from '../../../common/src/api/views.js';

export const SEEN_KEY = 'deskline.history.missedSeenAt';

/** How many missed calls started after `seenAt`. */
export const unseenMissed = (history: readonly HistoryEntryView[] | null, seenAt: number): number =>
  (history ?? []).filter((e) => e.outcome === 'missed' && e.startedAt > seenAt).length;

/** The start of the newest missed call (0 when none): what "seen" moves to. */
export const newestMissedAt = (history: readonly HistoryEntryView[] | null): number =>
  (history ?? []).reduce((max, e) => (e.outcome === 'missed' && e.startedAt > max ? e.startedAt : max), 0);

/** Storage may be unavailable (a locked-down profile): the badge then lasts for the session. */
export function readSeenAt(storage: Pick<Storage, 'getItem'> | undefined): number {
  try {
    const value = Number(storage?.getItem(SEEN_KEY) ?? '0');
    return Number.isFinite(value) && value > 0 ? value : 0;
  } catch {
    return 0;
  }
}

export function writeSeenAt(storage: Pick<Storage, 'setItem'> | undefined, seenAt: number): void {
  try {
    storage?.setItem(SEEN_KEY, String(seenAt));
  } catch {
    // Not kept: the badge comes back after a restart, which is the safe side.
  }
}

/** The call Redial repeats: the newest call the user placed. */
export function lastDialled(history: readonly HistoryEntryView[] | null): HistoryEntryView | undefined {
  let newest: HistoryEntryView | undefined;
  for (const entry of history ?? [])
    if (entry.direction === 'outbound' && (newest === undefined || entry.startedAt > newest.startedAt))
      newest = entry;
  return newest;
}
