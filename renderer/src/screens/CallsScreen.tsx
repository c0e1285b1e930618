// Calls: the active calls with their actions, and the phone's features (DND, forwarding).
import { useState } from 'react';
import type { ForwardingType, ForwardingView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { useNow } from '../app/use-desk.js';
import { dialable, useNormalizedNumber } from '../app/use-number.js';
import { CallCard, ConsultationCard } from '../components/CallCards.js';
import { ActionButton, ActionGroup } from '../components/ActionButton.js';
import { Icon } from '../components/Icon.js';
import { NoAccess } from '../components/NoAccess.js';
import { NumberField } from '../components/NumberField.js';
import { ScreenHeading } from '../components/ScreenHeading.js';
import { Switch } from '../components/Switch.js';
import { layoutCalls } from '../lib/call-model.js';
import { formatNumber } from '../lib/phone.js';
import { plainSessionReason } from '../lib/plain.js';
import { dialBlocked } from '../lib/call-model.js';

const FORWARDING_LABEL: Readonly<Record<ForwardingType, string>> = {
  forwardImmediate: 'Forward all calls',
  forwardBusy: 'Forward when busy',
  forwardNoAns: 'Forward when unanswered',
};
const FORWARDING_TYPES: readonly ForwardingType[] = ['forwardImmediate', 'forwardBusy', 'forwardNoAns'];

/**
 * One forwarding type: a switch and its number. The number stays in the box when forwarding
 * is turned off (the engine then reports no destination), so turning it back on is one click;
 * while forwarding is on, a new number and Enter move it there.
 */
function ForwardingRow({ type, view }: { type: ForwardingType; view: ForwardingView | undefined }) {
  const { api, run, controlBlocked } = useDeskContext();
  const on = view?.on ?? false;
  const [to, setTo] = useState(view?.to ?? '');
  const [reported, setReported] = useState(view?.to);
  // The engine reported a (new) destination: show it. Its absence (forwarding off) keeps ours.
  if (view?.to !== undefined && view.to !== reported) {
    setReported(view.to);
    setTo(view.to);
  }
  const [error, setError] = useState<string | undefined>();
  const number = useNormalizedNumber(api, to);
  const apply = async (next: boolean): Promise<void> => {
    if (next && to.trim() === '') {
      setError('Enter a number to forward to');
      return;
    }
    setError(undefined);
    await run(
      (a) =>
        next
          ? a.desk.setForwarding({ type, on: true, to: dialable(to, number) })
          : a.desk.setForwarding({ type, on: false }),
      'change forwarding',
    );
  };
  return (
    <div className="forward-row" data-state={on ? 'on' : 'off'}>
      <Switch
        label={FORWARDING_LABEL[type]}
        checked={on}
        onChange={(next) => void apply(next)}
        description={on && view?.to ? `To ${formatNumber(view.to)}` : undefined}
        disabledReason={controlBlocked}
      />
      <NumberField
        label={`${FORWARDING_LABEL[type]} to`}
        labelHidden
        placeholder="Number"
        value={to}
        onChange={(value) => {
          setTo(value);
          setError(undefined);
        }}
        view={number}
        error={error}
        onEnter={() => void apply(true)}
      />
    </div>
  );
}

function FeaturesPanel() {
  const { state, run, controlBlocked } = useDeskContext();
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
            onChange={(on) => void run((a) => a.desk.setDoNotDisturb({ on }), 'change Do not disturb')}
            description="Calls to this line do not ring"
            disabledReason={controlBlocked}
          />
          {FORWARDING_TYPES.map((type) => (
            <ForwardingRow key={type} type={type} view={byType.get(type)} />
          ))}
        </>
      ) : (
        <p className="muted">Forwarding and Do not disturb are available once a line is active.</p>
      )}
    </section>
  );
}

/** Demo mode: the built-in phone system rings the line, so a newcomer sees a call come in. */
function RingMyPhone() {
  const { state, hostInfo, run, notify } = useDeskContext();
  if (hostInfo?.demo !== true) return null;
  const blocked = dialBlocked(state);
  return (
    <section className="demo-panel" aria-labelledby="demo-heading">
      <h2 id="demo-heading">Try it</h2>
      <p className="hint">Demo mode: the built-in phone system can call you.</p>
      <ActionGroup label="Demo" className="demo-actions">
        <ActionButton
          label="Ring my phone"
          action="ring-my-phone"
          icon="phoneIn"
          availability={blocked === undefined ? undefined : { enabled: false, reason: blocked }}
          onPress={async () => {
            const result = await run((a) => a.app.ringMyPhone({}), 'ring your phone');
            if (result.ok) notify('info', 'Your phone is ringing: a call from outside.');
          }}
        />
      </ActionGroup>
    </section>
  );
}

export function CallsScreen() {
  const { state, nav } = useDeskContext();
  const { groups, ringing } = layoutCalls(state.calls);
  const ticking = state.calls.some((c) => c.state === 'connected' || c.state === 'held');
  const now = useNow(ticking);
  const session = state.session;
  const reason = plainSessionReason(session);
  return (
    <section className="screen" aria-labelledby="screen-heading">
      <ScreenHeading>Calls</ScreenHeading>
      {state.access !== undefined ? <NoAccess access={state.access} /> : null}
      {session.state === 'noLine' && state.access === undefined ? (
        <div className="callout">
          <p>Choose the line you dial from: calls on all your lines then show here.</p>
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
          <p>
            <Icon name="alert" />{' '}
            {session.state === 'failed' ? 'This line cannot be controlled now' : 'Reconnecting to your line…'}
          </p>
          {reason === undefined ? null : (
            <p className="callout-detail" title={reason.detail}>
              {reason.text}
            </p>
          )}
        </div>
      ) : null}
      {groups.length === 0 ? (
        // A ringing call is shown above every screen: "No calls" under it would be wrong.
        session.state === 'active' && ringing.length === 0 ? (
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
      {state.access === undefined ? <FeaturesPanel /> : null}
      <RingMyPhone />
    </section>
  );
}
