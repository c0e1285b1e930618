// Calls: the active calls with their actions, and the phone's features (DND, forwarding).
import { useState } from 'react';
import type { ForwardingType, ForwardingView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { useNow } from '../app/use-desk.js';
import { dialable, useNormalizedNumber } from '../app/use-number.js';
import { CallCard, ConsultationCard } from '../components/CallCards.js';
import { NumberField } from '../components/NumberField.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { Switch } from '../components/Switch.js';
import { layoutCalls } from '../lib/call-model.js';

const FORWARDING_LABEL: Readonly<Record<ForwardingType, string>> = {
  forwardImmediate: 'Forward all calls',
  forwardBusy: 'Forward when busy',
  forwardNoAns: 'Forward when unanswered',
};
const FORWARDING_TYPES: readonly ForwardingType[] = ['forwardImmediate', 'forwardBusy', 'forwardNoAns'];

function ForwardingRow({ type, view }: { type: ForwardingType; view: ForwardingView | undefined }) {
  const { api, run } = useDeskContext();
  const on = view?.on ?? false;
  const [to, setTo] = useState(view?.to ?? '');
  const [error, setError] = useState<string | undefined>();
  const number = useNormalizedNumber(api, to);
  const toggle = async (next: boolean): Promise<void> => {
    if (next && to.trim() === '') {
      setError('Enter a number to forward to');
      return;
    }
    setError(undefined);
    await run((a) =>
      next
        ? a.desk.setForwarding({ type, on: true, to: dialable(to, number) })
        : a.desk.setForwarding({ type, on: false }),
    );
  };
  return (
    <div className="forward-row" data-state={on ? 'on' : 'off'}>
      <Switch
        label={FORWARDING_LABEL[type]}
        checked={on}
        onChange={(next) => void toggle(next)}
        description={on && view?.to ? `To ${view.to}` : undefined}
      />
      {on ? null : (
        <NumberField
          label={`${FORWARDING_LABEL[type]} to`}
          labelHidden
          placeholder="to number"
          value={to}
          onChange={(value) => {
            setTo(value);
            setError(undefined);
          }}
          view={number}
          error={error}
          onEnter={() => void toggle(true)}
        />
      )}
    </div>
  );
}

function FeaturesPanel() {
  const { state, run } = useDeskContext();
  const active = state.session.state === 'active';
  const byType = new Map(state.features.forwarding.map((f) => [f.type, f]));
  return (
    <section className="features" aria-labelledby="features-heading">
      <h2 id="features-heading">Your phone</h2>
      {active ? (
        <>
          <Switch
            label="Do not disturb"
            checked={state.features.doNotDisturb}
            onChange={(on) => void run((a) => a.desk.setDoNotDisturb({ on }))}
            description="Calls to this line are not presented"
          />
          {FORWARDING_TYPES.map((type) => (
            <ForwardingRow
              key={`${type}:${byType.get(type)?.to ?? ''}`}
              type={type}
              view={byType.get(type)}
            />
          ))}
        </>
      ) : (
        <p className="muted">Forwarding and Do not disturb are available once a line is active.</p>
      )}
    </section>
  );
}

export function CallsScreen() {
  const { state, nav } = useDeskContext();
  const { groups } = layoutCalls(state.calls);
  const ticking = state.calls.some((c) => c.state === 'connected' || c.state === 'held');
  const now = useNow(ticking);
  const session = state.session;
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Calls</ScreenHeading>
      {session.state === 'noLine' ? (
        <div className="callout">
          <p>Choose the phone line you want to control.</p>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => nav.go('lines', { focus: 'heading' })}
          >
            Choose a line
          </button>
        </div>
      ) : null}
      {session.state === 'failed' || session.state === 'recovering' ? (
        <div className="callout callout-warn" role="status">
          <p>{session.state === 'failed' ? 'The line cannot be controlled' : 'Reconnecting to the line…'}</p>
          {session.reason === undefined ? null : <p className="muted">{session.reason}</p>}
        </div>
      ) : null}
      {groups.length === 0 ? (
        session.state === 'active' ? (
          <p className="empty">
            No calls. Press <kbd>/</kbd> to dial.
          </p>
        ) : null
      ) : (
        <div className="call-list">
          {groups.map((group) =>
            group.kind === 'single' ? (
              <CallCard key={group.call.callId} call={group.call} now={now} />
            ) : (
              <ConsultationCard
                key={`${group.original.callId}+${group.consultation.callId}`}
                original={group.original}
                consultation={group.consultation}
                held={group.held}
                active={group.active}
                now={now}
              />
            ),
          )}
        </div>
      )}
      <FeaturesPanel />
    </section>
  );
}
