// The cards of the Calls screen: one call, a consultation pair, and the ringing card.
// Every action's availability comes from the engine (CallView.actions); the UI never decides
// on its own whether Hold or Transfer is allowed — except that nothing is offered while the
// link to the phone system is down (controlBlocked), whatever the last snapshot said.
// After each action focus goes somewhere sensible (docs/ui.md §3): the card of the call the
// action leaves you on, the next card, or the screen's heading — never the page body.
import { useId, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { ActionAvailability, CallView } from '../../../common/src/api/views.js';
import { useDeskContext, wantsCall } from '../app/desk-context.js';
import { dialable, useNormalizedNumber } from '../app/use-number.js';
import {
  ACTION_LABEL,
  ACTION_VERB,
  availability,
  conferenceSize,
  failureReason,
  lineCaption,
  mergePartner,
  nameOf,
  partyName,
  STATE_LABEL,
} from '../lib/call-model.js';
import { formatDuration } from '../lib/format.js';
import { formatNumber, numberTitle } from '../lib/phone.js';
import { ActionButton, ActionGroup } from './ActionButton.js';
import { Icon } from './Icon.js';
import { Keypad } from './Keypad.js';
import { NumberField } from './NumberField.js';

type Panel = 'none' | 'transfer' | 'keypad';

/** A closed panel hands focus back to the button that opened it (it stays in the card). */
function focusToggle(container: HTMLElement | null, action: string): void {
  container?.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)?.focus();
}

/** Takes focus when a focus request names one of `callIds` (after dialling, answering...). */
function useCallFocus(ref: RefObject<HTMLElement | null>, callIds: readonly string[]): void {
  const { nav } = useDeskContext();
  const { focusRequest, claimFocus } = nav;
  const key = callIds.join(' ');
  // Layout effect: focus moves in the same commit that shows the card, before the focus
  // rescue (App) could send it to the heading.
  useLayoutEffect(() => {
    if (focusRequest !== null && wantsCall(focusRequest, key.split(' ')) && claimFocus(focusRequest.seq))
      ref.current?.focus();
  }, [focusRequest, claimFocus, key, ref]);
}

/** Transfer opens a panel offering both kinds; it is available when either is. */
function transferAvailability(call: CallView, blocked: string | undefined): ActionAvailability {
  const single = availability(call, 'singleStepTransfer', blocked);
  const consult = availability(call, 'consult', blocked);
  if (single.enabled || consult.enabled) return { enabled: true };
  return { enabled: false, reason: single.reason ?? consult.reason ?? 'Transfer is not available now' };
}

function CallTimer({ call, now }: { call: CallView; now: number }) {
  if (call.connectedAt === undefined || (call.state !== 'connected' && call.state !== 'held')) return null;
  return (
    <span className="call-timer" aria-label={`Duration ${formatDuration(now - call.connectedAt)}`}>
      {formatDuration(now - call.connectedAt)}
    </span>
  );
}

/** Which of the user's lines the call is on (shown when there are several). */
function LineCaption({ call }: { call: CallView }) {
  const { state } = useDeskContext();
  const caption = lineCaption(state.lines, call.lineId);
  return caption === undefined ? null : (
    <span className="call-line" data-line-id={call.lineId}>
      {caption}
    </span>
  );
}

function CallHeading({ call, now }: { call: CallView; now: number }) {
  const name = partyName(call);
  const conference = call.conference && call.parties.length >= 2;
  const hasDisplay = call.remote.display !== undefined && call.remote.display.trim() !== '';
  const showNumber = !conference && hasDisplay && call.remote.number !== '';
  const reason = failureReason(call);
  return (
    <div className="call-head">
      <Icon
        name={conference ? 'merge' : call.direction === 'inbound' ? 'phoneIn' : 'phoneOut'}
        className="call-dir"
      />
      <div className="call-who">
        {/* A conference lists its parties below: the title says what it is (the article's
            accessible name still names everyone in it). */}
        <span
          className="call-name"
          title={conference ? name : hasDisplay ? name : (numberTitle(call.remote.number) ?? name)}
        >
          {conference ? 'Conference' : name}
        </span>
        {conference ? <span className="call-number">{conferenceSize(call)} people</span> : null}
        {showNumber ? (
          <span className="call-number" title={numberTitle(call.remote.number)}>
            {formatNumber(call.remote.number)}
          </span>
        ) : null}
        {reason === undefined ? null : <span className="call-reason">{reason}</span>}
        <LineCaption call={call} />
      </div>
      <div className="call-status">
        <span className="call-state" data-state={call.state}>
          {STATE_LABEL[call.state]}
        </span>
        <CallTimer call={call} now={now} />
      </div>
    </div>
  );
}

/** While the link to the phone system is down, each call card says so (its buttons are off). */
function BlockedNote({ reason }: { reason: string | undefined }) {
  if (reason === undefined) return null;
  return (
    <p className="call-blocked">
      <Icon name="alert" />
      <span>{reason}</span>
    </p>
  );
}

function TransferPanel({
  call,
  id,
  onClose,
  onDone,
}: {
  call: CallView;
  id: string;
  onClose: () => void;
  /** The panel's action succeeded; it closes without handing focus back. */
  onDone: () => void;
}) {
  const { api, run, nav, notify, controlBlocked } = useDeskContext();
  const [to, setTo] = useState('');
  const view = useNormalizedNumber(api, to);
  const [error, setError] = useState<string | undefined>();
  const name = partyName(call);
  const go = async (kind: 'singleStepTransfer' | 'consult'): Promise<void> => {
    if (to.trim() === '') {
      setError('Enter the number to transfer to');
      return;
    }
    const can = availability(call, kind, controlBlocked);
    if (!can.enabled) {
      setError(can.reason);
      return;
    }
    const number = dialable(to, view);
    if (kind === 'singleStepTransfer') {
      const refocus = nav.focusAfterEnd([call.callId]);
      const result = await run(
        (a) => a.desk.singleStepTransfer({ callId: call.callId, to: number }),
        'transfer the call',
      );
      if (!result.ok) return;
      onDone();
      // The transfer confirmation: the call leaves the screen, so say where it went.
      notify('info', `Transferred ${name} to ${formatNumber(number)}.`);
      if (nav.screen !== 'calls') nav.go('calls');
      refocus();
    } else {
      const result = await run((a) => a.desk.consult({ callId: call.callId, to: number }), 'consult');
      if (!result.ok) return;
      onDone();
      if (nav.screen !== 'calls') nav.go('calls');
      nav.focus({ calls: [result.value.callId, call.callId] });
    }
  };
  return (
    <div className="panel" id={id} role="group" aria-label={`Transfer call with ${name}`}>
      <NumberField
        label="Transfer to"
        value={to}
        onChange={(value) => {
          setTo(value);
          setError(undefined);
        }}
        view={view}
        error={error}
        onEnter={() => void go('singleStepTransfer')}
        onEscape={onClose}
        autoFocus
      />
      <ActionGroup label="Transfer" className="panel-actions">
        <ActionButton
          label={ACTION_LABEL.singleStepTransfer}
          action="singleStepTransfer"
          variant="primary"
          icon="transfer"
          availability={availability(call, 'singleStepTransfer', controlBlocked)}
          onPress={() => go('singleStepTransfer')}
        />
        <ActionButton
          label={ACTION_LABEL.consult}
          action="consult"
          icon="phoneOut"
          availability={availability(call, 'consult', controlBlocked)}
          onPress={() => go('consult')}
        />
        <ActionButton label="Cancel" variant="quiet" onPress={onClose} />
      </ActionGroup>
    </div>
  );
}

function DtmfPanel({ call, id }: { call: CallView; id: string }) {
  const { run, controlBlocked } = useDeskContext();
  const [sent, setSent] = useState('');
  const digits = availability(call, 'digits', controlBlocked);
  const send = (key: string): void => {
    setSent((s) => (s + key).slice(-24));
    void run((a) => a.desk.digits({ callId: call.callId, digits: key }), ACTION_VERB.digits);
  };
  return (
    <div className="panel" id={id}>
      <p className="dtmf-sent" aria-live="polite">
        {sent === '' ? 'Tones are sent as you press keys' : `Sent ${sent}`}
      </p>
      <Keypad
        label={`Keypad for ${partyName(call)}`}
        onKey={send}
        disabledReason={digits.enabled ? undefined : digits.reason}
      />
    </div>
  );
}

/** "Send to…": a ringing call goes to another number without being answered (ECMA-269
 *  §17.1.9 DeflectCall, a word nobody uses). */
function SendToPanel({ call, id, onClose }: { call: CallView; id: string; onClose: () => void }) {
  const { api, run, notify, controlBlocked } = useDeskContext();
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | undefined>();
  const view = useNormalizedNumber(api, to);
  const name = partyName(call);
  const go = async (): Promise<void> => {
    if (to.trim() === '') {
      setError('Enter the number to send the call to');
      return;
    }
    const number = dialable(to, view);
    const result = await run((a) => a.desk.deflect({ callId: call.callId, to: number }), ACTION_VERB.deflect);
    // The ringing card goes away with the call; focus then returns to the heading.
    if (result.ok) notify('info', `Sent the call from ${name} to ${formatNumber(number)}.`);
  };
  return (
    <div className="panel" id={id} role="group" aria-label={`Send the call from ${name} to another number`}>
      <NumberField
        label="Send to"
        value={to}
        onChange={(value) => {
          setTo(value);
          setError(undefined);
        }}
        view={view}
        error={error}
        onEnter={() => void go()}
        onEscape={onClose}
        autoFocus
      />
      <ActionGroup label="Send the call" className="panel-actions">
        <ActionButton
          label="Send call"
          action="deflect"
          variant="primary"
          icon="forward"
          availability={availability(call, 'deflect', controlBlocked)}
          onPress={go}
        />
        <ActionButton label="Cancel" variant="quiet" onPress={onClose} />
      </ActionGroup>
    </div>
  );
}

/** Who is on a conference call, each with Remove (ClearConnection of that party: only the
 *  person who set the conference up may, docs/robustness.md §5). */
function Roster({ call }: { call: CallView }) {
  const { run, notify, nav, controlBlocked } = useDeskContext();
  return (
    <ul className="parties" aria-label="Conference parties">
      {call.parties.map((party, index) => {
        const name = nameOf(party);
        const partyId = party.id;
        return (
          <li key={partyId ?? `${party.number}:${index}`} data-state={party.state}>
            <span
              className="party-name"
              title={party.display === undefined ? numberTitle(party.number) : formatNumber(party.number)}
            >
              {name}
            </span>
            <span className="party-state">{STATE_LABEL[party.state]}</span>
            {party.drop === undefined || partyId === undefined ? null : (
              <ActionButton
                label="Remove"
                hiddenSuffix={name}
                action="drop-party"
                variant="quiet"
                icon="close"
                className="party-drop"
                availability={
                  controlBlocked === undefined ? party.drop : { enabled: false, reason: controlBlocked }
                }
                onPress={async () => {
                  const result = await run(
                    (a) => a.desk.dropParty({ callId: call.callId, partyId }),
                    `remove ${name} from the conference`,
                  );
                  if (!result.ok) return;
                  notify('info', `Removed ${name} from the conference.`);
                  // The row leaves with the party: focus stays on the call.
                  nav.focus({ calls: [call.callId] });
                }}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}

export function CallCard({ call, now }: { call: CallView; now: number }) {
  const { run, nav, controlBlocked, state } = useDeskContext();
  const partner = mergePartner(call, state.calls);
  const [panel, setPanel] = useState<Panel>('none');
  const panelId = useId();
  const cardRef = useRef<HTMLElement>(null);
  useCallFocus(cardRef, [call.callId]);
  const name = partyName(call);
  const holdAction = call.state === 'held' ? 'retrieve' : 'hold';
  const ended = call.state === 'failed' || call.state === 'cleared';
  const toggle = (next: Panel) => () => setPanel((current) => (current === next ? 'none' : next));
  const can = (action: Parameters<typeof availability>[1]) => availability(call, action, controlBlocked);
  const hangUp = async (): Promise<void> => {
    const refocus = nav.focusAfterEnd([call.callId]);
    const result = await run(
      (a) => a.desk.hangup({ callId: call.callId }),
      ended ? 'dismiss the call' : 'hang up',
    );
    if (result.ok) refocus();
  };
  return (
    <article
      ref={cardRef}
      tabIndex={-1}
      className="card call-card"
      data-state={call.state}
      data-call-id={call.callId}
      data-blocked={controlBlocked === undefined ? undefined : 'true'}
      aria-label={`Call with ${name}`}
    >
      <CallHeading call={call} now={now} />
      {call.conference && call.parties.length > 0 ? <Roster call={call} /> : null}
      {ended ? null : <BlockedNote reason={controlBlocked} />}
      <ActionGroup
        label={`Actions for call with ${name}`}
        className={ended ? 'actions' : 'actions actions-call'}
        resetKey={`${call.state}:${controlBlocked ?? ''}`}
      >
        {ended ? null : (
          <>
            <ActionButton
              label={holdAction === 'hold' ? ACTION_LABEL.hold : ACTION_LABEL.retrieve}
              action={holdAction}
              icon={holdAction === 'hold' ? 'pause' : 'play'}
              availability={can(holdAction)}
              onPress={() =>
                run(
                  (a) =>
                    holdAction === 'hold'
                      ? a.desk.hold({ callId: call.callId })
                      : a.desk.retrieve({ callId: call.callId }),
                  ACTION_VERB[holdAction],
                )
              }
            />
            <ActionButton
              label="Transfer"
              action="transfer-panel"
              icon="transfer"
              availability={transferAvailability(call, controlBlocked)}
              expanded={panel === 'transfer'}
              controls={panel === 'transfer' ? panelId : undefined}
              onPress={toggle('transfer')}
            />
            <ActionButton
              label={ACTION_LABEL.digits}
              action="digits"
              icon="keypad"
              availability={can('digits')}
              expanded={panel === 'keypad'}
              controls={panel === 'keypad' ? panelId : undefined}
              onPress={toggle('keypad')}
            />
            {partner !== undefined && call.state === 'connected' ? (
              <ActionButton
                label="Merge"
                hiddenSuffix={`with ${partyName(partner)}`}
                action="merge"
                icon="merge"
                title={`Join ${name} and ${partyName(partner)} in one conference`}
                availability={can('conference')}
                onPress={async () => {
                  // ECMA-269 §17.1.4 ConferenceCall: the held call joins the active one.
                  const result = await run(
                    (a) => a.desk.conference({ heldCallId: partner.callId, activeCallId: call.callId }),
                    'merge the calls',
                  );
                  if (result.ok) nav.focus({ calls: [call.callId, partner.callId] });
                }}
              />
            ) : null}
          </>
        )}
        <ActionButton
          label={ended ? 'Dismiss' : ACTION_LABEL.hangup}
          action="hangup"
          variant="danger"
          icon="hangup"
          // A call that already ended is only dismissed from the screen: nothing to refuse.
          availability={ended ? availability(call, 'hangup') : can('hangup')}
          onPress={hangUp}
        />
      </ActionGroup>
      {panel === 'transfer' ? (
        <TransferPanel
          call={call}
          id={panelId}
          onClose={() => {
            setPanel('none');
            focusToggle(cardRef.current, 'transfer-panel');
          }}
          onDone={() => setPanel('none')}
        />
      ) : null}
      {panel === 'keypad' ? <DtmfPanel call={call} id={panelId} /> : null}
    </article>
  );
}

export function ConsultationCard({
  original,
  consultation,
  held,
  active,
  now,
}: {
  original: CallView;
  consultation: CallView;
  held: CallView;
  active: CallView;
  now: number;
}) {
  const { run, nav, notify, controlBlocked } = useDeskContext();
  const [keypad, setKeypad] = useState(false);
  const panelId = useId();
  const cardRef = useRef<HTMLElement>(null);
  useCallFocus(cardRef, [original.callId, consultation.callId]);
  const pair = { heldCallId: held.callId, activeCallId: active.callId };
  // The joint actions (ECMA-269 §17.1.13 TransferCall, §17.1.4 ConferenceCall, §17.1.1
  // AlternateCall, §17.1.11 ReconnectCall) are read from the consultation call.
  const act = (action: 'transfer' | 'conference' | 'alternate' | 'reconnect') =>
    availability(consultation, action, controlBlocked);
  const heldName = partyName(held);
  const activeName = partyName(active);
  return (
    <article
      ref={cardRef}
      tabIndex={-1}
      className="card call-card consult-card"
      data-state="consultation"
      data-call-id={consultation.callId}
      data-blocked={controlBlocked === undefined ? undefined : 'true'}
      aria-label={`Consultation with ${partyName(consultation)}, ${partyName(original)} waiting`}
    >
      <p className="consult-title">Consultation</p>
      {[held, active].map((call) => (
        <div key={call.callId} className="pair-row" data-state={call.state} data-call-id={call.callId}>
          <CallHeading call={call} now={now} />
        </div>
      ))}
      <BlockedNote reason={controlBlocked} />
      <ActionGroup
        label="Consultation actions"
        resetKey={`${held.callId}:${active.state}:${controlBlocked ?? ''}`}
      >
        <ActionButton
          label={ACTION_LABEL.transfer}
          action="transfer"
          variant="primary"
          icon="transfer"
          availability={act('transfer')}
          onPress={async () => {
            const refocus = nav.focusAfterEnd([held.callId, active.callId]);
            const result = await run((a) => a.desk.transfer(pair), ACTION_VERB.transfer);
            if (!result.ok) return;
            notify('info', `Transferred: ${heldName} and ${activeName} are now talking to each other.`);
            refocus();
          }}
        />
        <ActionButton
          label={ACTION_LABEL.conference}
          action="conference"
          icon="merge"
          availability={act('conference')}
          onPress={async () => {
            const result = await run((a) => a.desk.conference(pair), ACTION_VERB.conference);
            if (result.ok) nav.focus({ calls: [held.callId, active.callId] });
          }}
        />
        <ActionButton
          label={ACTION_LABEL.alternate}
          action="alternate"
          icon="swap"
          title={`Talk to ${heldName}; ${activeName} waits`}
          availability={act('alternate')}
          onPress={() => run((a) => a.desk.alternate(pair), ACTION_VERB.alternate)}
        />
        <ActionButton
          label={`${ACTION_LABEL.reconnect} ${heldName}`}
          action="reconnect"
          icon="undo"
          title={`End the call with ${activeName} and go back to ${heldName}`}
          availability={act('reconnect')}
          onPress={async () => {
            const result = await run((a) => a.desk.reconnect(pair), ACTION_VERB.reconnect);
            if (result.ok) nav.focus({ calls: [held.callId] });
          }}
        />
        <ActionButton
          label={ACTION_LABEL.digits}
          action="digits"
          icon="keypad"
          availability={availability(active, 'digits', controlBlocked)}
          expanded={keypad}
          controls={keypad ? panelId : undefined}
          onPress={() => setKeypad((k) => !k)}
        />
      </ActionGroup>
      {keypad ? <DtmfPanel call={active} id={panelId} /> : null}
    </article>
  );
}

export function RingingCard({ call }: { call: CallView }) {
  const { run, nav, controlBlocked } = useDeskContext();
  const [sendTo, setSendTo] = useState(false);
  const panelId = useId();
  const cardRef = useRef<HTMLElement>(null);
  const name = partyName(call);
  const showNumber = call.remote.display !== undefined && call.remote.display.trim() !== '';
  return (
    <section
      ref={cardRef}
      className="ringing-card"
      data-state="ringing"
      data-call-id={call.callId}
      data-blocked={controlBlocked === undefined ? undefined : 'true'}
      aria-label={`Incoming call from ${name}`}
    >
      <div className="ringing-head">
        <span className="ringing-pulse" aria-hidden="true">
          <Icon name="phoneIn" />
        </span>
        <div className="call-who">
          <span className="ringing-label">Incoming call</span>
          <span className="ringing-name" title={showNumber ? undefined : numberTitle(call.remote.number)}>
            {name}
          </span>
          {showNumber ? (
            <span className="call-number" title={numberTitle(call.remote.number)}>
              {formatNumber(call.remote.number)}
            </span>
          ) : null}
          <LineCaption call={call} />
        </div>
      </div>
      <BlockedNote reason={controlBlocked} />
      <ActionGroup label={`Answer or decline call from ${name}`} resetKey={controlBlocked ?? ''}>
        <ActionButton
          label={ACTION_LABEL.answer}
          action="answer"
          variant="good"
          icon="phone"
          availability={availability(call, 'answer', controlBlocked)}
          onPress={async () => {
            const result = await run((a) => a.desk.answer({ callId: call.callId }), ACTION_VERB.answer);
            if (result.ok) nav.go('calls', { focus: { calls: [call.callId] } });
          }}
        />
        <ActionButton
          label={ACTION_LABEL.decline}
          action="decline"
          variant="danger"
          icon="hangup"
          availability={availability(call, 'decline', controlBlocked)}
          // Declining an alerting call is ClearConnection on our own connection
          // (ECMA-269 §17.1.8): the contract carries it as desk.hangup.
          onPress={() => run((a) => a.desk.hangup({ callId: call.callId }), ACTION_VERB.decline)}
        />
        <ActionButton
          label={ACTION_LABEL.deflect}
          action="deflect-panel"
          icon="forward"
          availability={availability(call, 'deflect', controlBlocked)}
          expanded={sendTo}
          controls={sendTo ? panelId : undefined}
          onPress={() => setSendTo((d) => !d)}
        />
      </ActionGroup>
      {sendTo ? (
        <SendToPanel
          call={call}
          id={panelId}
          onClose={() => {
            setSendTo(false);
            focusToggle(cardRef.current, 'deflect-panel');
          }}
        />
      ) : null}
    </section>
  );
}
