// What the UI derives from the call history: the missed-call badge on the History tab (missed
// calls newer than the last one the user has seen on the History screen; "seen" is the host's,
// app.getMissedCalls / app.markMissedSeen, so the tray and every window agree: docs/ui.md §4),
// and what Redial calls. Pure.
import type { HistoryEntryView } from '../../../common/src/api/views.js';

/** How many missed calls started after `seenAt`. */
export const unseenMissed = (history: readonly HistoryEntryView[] | null, seenAt: number): number =>
  (history ?? []).filter((e) => e.outcome === 'missed' && e.startedAt > seenAt).length;

/** The start of the newest missed call (0 when none): what "seen" moves to. */
export const newestMissedAt = (history: readonly HistoryEntryView[] | null): number =>
  (history ?? []).reduce((max, e) => (e.outcome === 'missed' && e.startedAt > max ? e.startedAt : max), 0);

/** The call Redial repeats: the newest call the user placed. */
export function lastDialled(history: readonly HistoryEntryView[] | null): HistoryEntryView | undefined {
  let newest: HistoryEntryView | undefined;
  for (const entry of history ?? [])
    if (entry.direction === 'outbound' && (newest === undefined || entry.startedAt > newest.startedAt))
      newest = entry;
  return newest;
}
