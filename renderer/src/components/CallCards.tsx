// The cards of the Calls screen: one call, a consultation pair, and the ringing card.
// Every action's availability comes from the engine (CallView.actions); the UI never
// decides on its own whether Hold or Transfer is allowed.
import { useId, useRef, useState } from 'react';
import type { ActionAvailability, CallView } from '../../../common/src/api/views.js';
import { useDeskContext } from '../app/desk-context.js';
import { dialable, useNormalizedNumber } from '../app/use-number.js';
import { availability, conferenceSize, failureReason, partyName, STATE_LABEL } from '../lib/call-model.js';
import { formatDuration } from '../lib/format.js';
import { ActionButton } from './ActionButton.js';
import { Icon } from './Icon.js';
import { Keypad } from './Keypad.js';
import { NumberField } from './NumberField.js';

type Panel = 'none' | 'transfer' | 'keypad' | 'deflect';

/** A closed panel hands focus back to the button that opened it (it stays in the card). */
function focusToggle(container: HTMLElement | null, action: string): void {
  container?.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)?.focus();
}

/** Transfer opens a panel offering both kinds; it is available when either is. */
function transferAvailability(call: CallView): ActionAvailability {
  const single = availability(call, 'singleStepTransfer');
  const consult = availability(call, 'consult');
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

function CallHeading({ call, now }: { call: CallView; now: number }) {
  const name = partyName(call);
  const conference = call.conference && call.parties.length >= 2;
  const showNumber =
    !conference &&
    call.remote.display !== undefined &&
    call.remote.display.trim() !== '' &&
    call.remote.number !== '';
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
        <span className="call-name" title={name}>
          {conference ? 'Conference' : name}
        </span>
        {conference ? <span className="call-number">{conferenceSize(call)} people</span> : null}
        {showNumber ? <span className="call-number">{call.remote.number}</span> : null}
        {reason === undefined ? null : <span className="call-reason">{reason}</span>}
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

function TransferPanel({ call, id, onClose }: { call: CallView; id: string; onClose: () => void }) {
  const { api, run, nav } = useDeskContext();
  const [to, setTo] = useState('');
  const view = useNormalizedNumber(api, to);
  const [error, setError] = useState<string | undefined>();
  const go = async (kind: 'singleStepTransfer' | 'consult'): Promise<void> => {
    if (to.trim() === '') {
      setError('Enter the number to transfer to');
      return;
    }
    const number = dialable(to, view);
    const result =
      kind === 'singleStepTransfer'
        ? await run((a) => a.desk.singleStepTransfer({ callId: call.callId, to: number }))
        : await run((a) => a.desk.consult({ callId: call.callId, to: number }));
    if (result.ok) {
      onClose();
      if (nav.screen !== 'calls') nav.go('calls');
    }
  };
  return (
    <div className="panel" id={id} role="group" aria-label={`Transfer call with ${partyName(call)}`}>
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
      <div className="panel-actions">
        <ActionButton
          label="Transfer now"
          action="singleStepTransfer"
          variant="primary"
          icon="transfer"
          availability={availability(call, 'singleStepTransfer')}
          onPress={() => go('singleStepTransfer')}
        />
        <ActionButton
          label="Consult first"
          action="consult"
          icon="phoneOut"
          availability={availability(call, 'consult')}
          onPress={() => go('consult')}
        />
        <ActionButton label="Cancel" variant="quiet" onPress={onClose} />
      </div>
    </div>
  );
}

function DtmfPanel({ call, id }: { call: CallView; id: string }) {
  const { run } = useDeskContext();
  const [sent, setSent] = useState('');
  const digits = availability(call, 'digits');
  const send = (key: string): void => {
    setSent((s) => (s + key).slice(-24));
    void run((a) => a.desk.digits({ callId: call.callId, digits: key }));
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

function DeflectPanel({ call, id, onClose }: { call: CallView; id: string; onClose: () => void }) {
  const { api, run } = useDeskContext();
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | undefined>();
  const view = useNormalizedNumber(api, to);
  const go = async (): Promise<void> => {
    if (to.trim() === '') {
      setError('Enter the number to send the call to');
      return;
    }
    const result = await run((a) => a.desk.deflect({ callId: call.callId, to: dialable(to, view) }));
    if (result.ok) onClose();
  };
  return (
    <div className="panel" id={id} role="group" aria-label={`Deflect call from ${partyName(call)}`}>
      <NumberField
        label="Deflect to"
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
      <div className="panel-actions">
        <ActionButton
          label="Send call"
          action="deflect"
          variant="primary"
          icon="forward"
          availability={availability(call, 'deflect')}
          onPress={go}
        />
        <ActionButton label="Cancel" variant="quiet" onPress={onClose} />
      </div>
    </div>
  );
}

export function CallCard({ call, now }: { call: CallView; now: number }) {
  const { run } = useDeskContext();
  const [panel, setPanel] = useState<Panel>('none');
  const panelId = useId();
  const cardRef = useRef<HTMLElement>(null);
  const name = partyName(call);
  const holdAction = call.state === 'held' ? 'retrieve' : 'hold';
  const ended = call.state === 'failed' || call.state === 'cleared';
  const toggle = (next: Panel) => () => setPanel((current) => (current === next ? 'none' : next));
  return (
    <article
      ref={cardRef}
      className="card call-card"
      data-state={call.state}
      data-call-id={call.callId}
      aria-label={`Call with ${name}`}
    >
      <CallHeading call={call} now={now} />
      {call.conference && call.parties.length > 0 ? (
        <ul className="parties" aria-label="Conference parties">
          {call.parties.map((party) => (
            <li key={party.number} data-state={party.state}>
              <span>{party.display ?? party.number}</span>
              <span className="party-state">{STATE_LABEL[party.state]}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <div
        className={ended ? 'actions' : 'actions actions-call'}
        role="group"
        aria-label={`Actions for call with ${name}`}
      >
        {ended ? null : (
          <>
            <ActionButton
              label={holdAction === 'hold' ? 'Hold' : 'Resume'}
              action={holdAction}
              icon={holdAction === 'hold' ? 'pause' : 'play'}
              availability={availability(call, holdAction)}
              onPress={() =>
                run((a) =>
                  holdAction === 'hold'
                    ? a.desk.hold({ callId: call.callId })
                    : a.desk.retrieve({ callId: call.callId }),
                )
              }
            />
            <ActionButton
              label="Transfer"
              action="transfer-panel"
              icon="transfer"
              availability={transferAvailability(call)}
              expanded={panel === 'transfer'}
              controls={panel === 'transfer' ? panelId : undefined}
              onPress={toggle('transfer')}
            />
            <ActionButton
              label="Keypad"
              action="digits"
              icon="keypad"
              availability={availability(call, 'digits')}
              expanded={panel === 'keypad'}
              controls={panel === 'keypad' ? panelId : undefined}
              onPress={toggle('keypad')}
            />
          </>
        )}
        <ActionButton
          label={ended ? 'Dismiss' : 'Hang up'}
          action="hangup"
          variant="danger"
          icon="hangup"
          availability={availability(call, 'hangup')}
          onPress={() => run((a) => a.desk.hangup({ callId: call.callId }))}
        />
      </div>
      {panel === 'transfer' ? (
        <TransferPanel
          call={call}
          id={panelId}
          onClose={() => {
            setPanel('none');
            focusToggle(cardRef.current, 'transfer-panel');
          }}
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
  const { run } = useDeskContext();
  const [keypad, setKeypad] = useState(false);
  const panelId = useId();
  const pair = { heldCallId: held.callId, activeCallId: active.callId };
  // The joint actions (ECMA-269 §17.1.13 TransferCall, §17.1.4 ConferenceCall, §17.1.1
  // AlternateCall, §17.1.11 ReconnectCall) are read from the consultation call.
  const act = (action: 'transfer' | 'conference' | 'alternate' | 'reconnect') =>
    availability(consultation, action);
  return (
    <article
      className="card call-card consult-card"
      data-state="consultation"
      data-call-id={consultation.callId}
      aria-label={`Consultation with ${partyName(consultation)}, ${partyName(original)} waiting`}
    >
      <p className="consult-title">Consultation</p>
      {[held, active].map((call) => (
        <div key={call.callId} className="pair-row" data-state={call.state} data-call-id={call.callId}>
          <CallHeading call={call} now={now} />
        </div>
      ))}
      <div className="actions" role="group" aria-label="Consultation actions">
        <ActionButton
          label="Complete transfer"
          action="transfer"
          variant="primary"
          icon="transfer"
          availability={act('transfer')}
          onPress={() => run((a) => a.desk.transfer(pair))}
        />
        <ActionButton
          label="Conference"
          action="conference"
          icon="merge"
          availability={act('conference')}
          onPress={() => run((a) => a.desk.conference(pair))}
        />
        <ActionButton
          label="Alternate"
          action="alternate"
          icon="swap"
          availability={act('alternate')}
          onPress={() => run((a) => a.desk.alternate(pair))}
        />
        <ActionButton
          label="Reconnect"
          action="reconnect"
          icon="undo"
          availability={act('reconnect')}
          onPress={() => run((a) => a.desk.reconnect(pair))}
        />
        <ActionButton
          label="Keypad"
          action="digits"
          icon="keypad"
          availability={availability(active, 'digits')}
          expanded={keypad}
          controls={keypad ? panelId : undefined}
          onPress={() => setKeypad((k) => !k)}
        />
      </div>
      {keypad ? <DtmfPanel call={active} id={panelId} /> : null}
    </article>
  );
}

export function RingingCard({ call }: { call: CallView }) {
  const { run } = useDeskContext();
  const [deflect, setDeflect] = useState(false);
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
      aria-label={`Incoming call from ${name}`}
    >
      <div className="ringing-head">
        <span className="ringing-pulse" aria-hidden="true">
          <Icon name="phoneIn" />
        </span>
        <div className="call-who">
          <span className="ringing-label">Incoming call</span>
          <span className="ringing-name">{name}</span>
          {showNumber ? <span className="call-number">{call.remote.number}</span> : null}
        </div>
      </div>
      <div className="actions" role="group" aria-label={`Answer or decline call from ${name}`}>
        <ActionButton
          label="Answer"
          action="answer"
          variant="good"
          icon="phone"
          availability={availability(call, 'answer')}
          onPress={() => run((a) => a.desk.answer({ callId: call.callId }))}
        />
        <ActionButton
          label="Decline"
          action="decline"
          variant="danger"
          icon="hangup"
          availability={availability(call, 'decline')}
          // Declining an alerting call is ClearConnection on our own connection
          // (ECMA-269 §17.1.8): the contract carries it as desk.hangup.
          onPress={() => run((a) => a.desk.hangup({ callId: call.callId }))}
        />
        <ActionButton
          label="Deflect"
          action="deflect-panel"
          icon="forward"
          availability={availability(call, 'deflect')}
          expanded={deflect}
          controls={deflect ? panelId : undefined}
          onPress={() => setDeflect((d) => !d)}
        />
      </div>
      {deflect ? (
        <DeflectPanel
          call={call}
          id={panelId}
          onClose={() => {
            setDeflect(false);
            focusToggle(cardRef.current, 'deflect-panel');
          }}
        />
      ) : null}
    </section>
  );
}
