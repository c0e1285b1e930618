// How the Calls screen arranges the desk's calls. Pure: the engine decides what is allowed
// (CallView.actions); this only groups calls and names things.
import type { ActionAvailability, CallAction, CallState, CallView } from '../../../common/src/api/views.js';

export type CallGroup =
  | { kind: 'single'; call: CallView }
  /** A consultation call (ECMA-269 §17.1.3 ConsultationCall) shown with the call it holds.
   *  `held`/`active` follow the current states, so they swap after an Alternate. */
  | { kind: 'consultation'; original: CallView; consultation: CallView; held: CallView; active: CallView };

export interface CallLayout {
  /** Inbound calls ringing at our line: shown as prominent cards on every screen. */
  ringing: CallView[];
  groups: CallGroup[];
}

export const isRinging = (call: CallView): boolean =>
  call.direction === 'inbound' && call.state === 'ringing';

export function layoutCalls(calls: readonly CallView[]): CallLayout {
  const byId = new Map<string, CallView>();
  for (const call of calls) byId.set(call.callId, call);
  const ringing: CallView[] = [];
  const groups: CallGroup[] = [];
  const paired = new Set<string>();
  for (const call of calls) {
    if (call.consultationOf === undefined) continue;
    const original = byId.get(call.consultationOf);
    if (original === undefined || paired.has(original.callId)) continue;
    paired.add(original.callId);
    paired.add(call.callId);
    let held = original;
    let active = call;
    if (original.state !== 'held' && call.state === 'held') {
      held = call;
      active = original;
    }
    groups.push({ kind: 'consultation', original, consultation: call, held, active });
  }
  for (const call of calls) {
    if (paired.has(call.callId)) continue;
    if (isRinging(call)) ringing.push(call);
    else groups.push({ kind: 'single', call });
  }
  return { ringing, groups };
}

export const ACTION_LABEL: Readonly<Record<CallAction, string>> = {
  answer: 'Answer',
  decline: 'Decline',
  hold: 'Hold',
  retrieve: 'Resume',
  hangup: 'Hang up',
  singleStepTransfer: 'Transfer',
  consult: 'Consult',
  transfer: 'Complete transfer',
  conference: 'Conference',
  alternate: 'Alternate',
  reconnect: 'Reconnect',
  deflect: 'Deflect',
  digits: 'Keypad',
};

export const STATE_LABEL: Readonly<Record<CallState, string>> = {
  initiated: 'Dialling',
  alerting: 'Ringing',
  ringing: 'Incoming call',
  connected: 'Connected',
  held: 'On hold',
  failed: 'Failed',
  cleared: 'Ended',
};

const UNKNOWN_ACTION: ActionAvailability = { enabled: false, reason: 'Not offered for this call' };

/** Availability of one action (the record is complete by schema; this guards old engines). */
export function availability(call: CallView, action: CallAction): ActionAvailability {
  return call.actions[action] ?? UNKNOWN_ACTION;
}

/** Who the call is with, for a title: the display name if any, else the number. */
export const partyName = (call: CallView): string =>
  call.remote.display?.trim() || call.remote.number || 'Unknown';

/** The call that Alt+H / Alt+E act on: the connected call, else one being dialled, else a held one. */
export function focusCall(calls: readonly CallView[]): CallView | undefined {
  return (
    calls.find((c) => c.state === 'connected') ??
    calls.find((c) => c.state === 'alerting' || c.state === 'initiated') ??
    calls.find((c) => c.state === 'held')
  );
}
