// History: calls kept across restarts (the host stores them), newest first, by day. Call
// back dials in one click; numbers are shown for people (E.164 in the tooltip). Opening this
// screen clears the missed-call badge on its tab (App).
import { useState } from 'react';
import type { HistoryEntryView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { useNow } from '../app/use-desk.js';
import { ActionButton } from '../components/ActionButton.js';
import { Icon } from '../components/Icon.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { formatClock, formatDay, formatDuration } from '../lib/format.js';
import { dialBlocked } from '../lib/call-model.js';
import { formatNumber, numberTitle } from '../lib/phone.js';

const OUTCOME_LABEL: Readonly<Record<HistoryEntryView['outcome'], string>> = {
  answered: 'Answered',
  missed: 'Missed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  declined: 'Declined',
};

type Filter = 'all' | 'missed';

export function HistoryScreen() {
  const { history, run, nav, state } = useDeskContext();
  const callBackReason = dialBlocked(state);
  const callBack = async (number: string): Promise<void> => {
    const result = await run((a) => a.desk.makeCall({ number }), 'call back');
    if (result.ok) nav.go('calls', { focus: { calls: [result.value.callId] } });
  };
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
                nav.focus('heading');
                void run((a) => a.app.clearHistory({}), 'clear the history');
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
      {callBackReason === undefined || (history ?? []).length === 0 ? null : (
        <p className="why">Call back: {callBackReason}</p>
      )}
      {history === null ? <p className="muted">Loading…</p> : null}
      {history !== null && entries.length === 0 ? (
        <p className="empty">{filter === 'missed' ? 'No missed calls.' : 'No calls yet.'}</p>
      ) : null}
      {days.map(({ day, items }) => (
        <section key={day} className="history-day" aria-label={day}>
          <h2>{day}</h2>
          <ul className="history-list">
            {items.map((entry) => {
              const named = entry.display?.trim();
              const who = named || formatNumber(entry.number);
              return (
                <li key={entry.id} className="history-item" data-outcome={entry.outcome}>
                  <Icon
                    name={entry.direction === 'inbound' ? 'phoneIn' : 'phoneOut'}
                    className="history-dir"
                  />
                  <div className="history-who">
                    <span className="history-name" title={named ? undefined : numberTitle(entry.number)}>
                      {who}
                    </span>
                    <span className="history-meta">
                      {formatClock(entry.startedAt)} ·{' '}
                      <span className="history-outcome">{OUTCOME_LABEL[entry.outcome]}</span>
                      {entry.outcome === 'answered' ? ` · ${formatDuration(entry.durationMs)}` : ''}
                      {named ? (
                        <>
                          {' · '}
                          <span title={numberTitle(entry.number)}>{formatNumber(entry.number)}</span>
                        </>
                      ) : null}
                    </span>
                  </div>
                  <ActionButton
                    label="Call back"
                    hiddenSuffix={who}
                    action="call-back"
                    icon="phone"
                    className="call-back"
                    availability={
                      callBackReason === undefined ? undefined : { enabled: false, reason: callBackReason }
                    }
                    onPress={() => callBack(entry.number)}
                  />
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </section>
  );
}
