// History: calls kept across restarts (the host stores them), newest first, by day.
import { useState } from 'react';
import type { HistoryEntryView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { useNow } from '../app/use-desk.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClock, formatDay, formatDuration } from '../lib/format.js';

const OUTCOME_LABEL: Readonly<Record<HistoryEntryView['outcome'], string>> = {
  answered: 'Answered',
  missed: 'Missed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

type Filter = 'all' | 'missed';

export function HistoryScreen() {
  const { history, run, nav } = useDeskContext();
  const [filter, setFilter] = useState<Filter>('all');
  const [confirming, setConfirming] = useState(false);
  // Day labels ("Today") only need to be right to the minute.
  const now = useNow(true, 60_000);
  const entries = (history ?? []).filter((e) => filter === 'all' || e.outcome === 'missed');
  const days: Array<{ day: string; items: HistoryEntryView[] }> = [];
  for (const entry of [...entries].sort((a, b) => b.startedAt - a.startedAt)) {
    const day = formatDay(entry.startedAt, now);
    const last = days[days.length - 1];
    if (last !== undefined && last.day === day) last.items.push(entry);
    else days.push({ day, items: [entry] });
  }
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>History</ScreenHeading>
      <div className="toolbar">
        <div role="group" aria-label="Show" className="segmented">
          {(['all', 'missed'] as const).map((f) => (
            <button key={f} type="button" aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f === 'all' ? 'All' : 'Missed'}
            </button>
          ))}
        </div>
        {(history ?? []).length === 0 ? null : confirming ? (
          <span className="confirm">
            <button
              type="button"
              className="btn btn-danger"
              onClick={() => {
                setConfirming(false);
                void run((a) => a.app.clearHistory({}));
              }}
            >
              Confirm clear
            </button>
            <button type="button" className="btn btn-quiet" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button type="button" className="btn btn-quiet" onClick={() => setConfirming(true)}>
            <Icon name="trash" />
            <span>Clear history</span>
          </button>
        )}
      </div>
      {history === null ? <p className="muted">Loading…</p> : null}
      {history !== null && entries.length === 0 ? (
        <p className="empty">{filter === 'missed' ? 'No missed calls.' : 'No calls yet.'}</p>
      ) : null}
      {days.map(({ day, items }) => (
        <section key={day} className="history-day" aria-label={day}>
          <h2>{day}</h2>
          <ul className="history-list">
            {items.map((entry) => {
              const who = entry.display?.trim() || entry.number;
              return (
                <li key={entry.id} className="history-item" data-outcome={entry.outcome}>
                  <Icon
                    name={entry.direction === 'inbound' ? 'phoneIn' : 'phoneOut'}
                    className="history-dir"
                  />
                  <div className="history-who">
                    <span className="history-name">{who}</span>
                    <span className="history-meta">
                      {formatClock(entry.startedAt)} · {OUTCOME_LABEL[entry.outcome]}
                      {entry.outcome === 'answered' ? ` · ${formatDuration(entry.durationMs)}` : ''}
                      {who === entry.number ? '' : ` · ${entry.number}`}
                    </span>
                  </div>
                  <button
                    type="button"
                    className="btn btn-quiet"
                    aria-label={`Call back ${who}`}
                    onClick={() => nav.go('dial', { number: entry.number, focus: 'dial' })}
                  >
                    <Icon name="phone" />
                  </button>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </section>
  );
}
