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

const nameOf = (party: { display?: string | undefined; number: string }): string =>
  party.display?.trim() || party.number || 'Unknown';

/** "A", "A and B", "A, B and C". */
const joinNames = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

/** Who the call is with, for a title: the display name if any, else the number. A conference
 *  (ECMA-269 §17.1.4 ConferenceCall) is with everyone in it: the party the engine names
 *  first (the one just added), then the others ("Help Desk and Bob Baker"). */
export function partyName(call: CallView): string {
  const remote = nameOf(call.remote);
  if (!call.conference || call.parties.length < 2) return remote;
  const others = call.parties.map(nameOf).filter((name) => name !== remote);
  return joinNames([remote, ...others]);
}

/** Everyone on a conference call, the user included. */
export const conferenceSize = (call: CallView): number => call.parties.length + 1;

/**
 * Why a call failed or ended, in words, from its ECMA-269 §12.2.13 event cause. Only causes
 * that explain a failure are listed; an ordinary end (normalClearing, transfer, ...) has no
 * reason to show. A failed call with a cause not listed here still shows it, spelled out.
 */
const CAUSE_WORDS: Readonly<Record<string, string>> = {
  alertTimeExpired: 'No answer',
  blocked: 'Call blocked',
  busy: 'Busy',
  callNotAnswered: 'No answer',
  callRejected: 'Declined',
  destNotObtainable: 'Number not obtainable',
  destOutOfOrder: 'The phone is out of order',
  doNotDisturb: 'Do not disturb is on',
  incompatibleDestination: 'Cannot call that kind of destination',
  invalidAccountCode: 'Invalid account code',
  invalidNumberFormat: 'Invalid number',
  lockout: 'Locked out: the number took too long to dial',
  maintenance: 'Out of service for maintenance',
  networkCongestion: 'The network is congested',
  networkNotObtainable: 'The network cannot be reached',
  networkOutOfOrder: 'The network is out of order',
  noAvailableAgents: 'No agent is available',
  numberChanged: 'The number has changed',
  numberUnallocated: 'Number not in use',
  outOfService: 'Out of service',
  reorderTone: 'The call could not be completed',
  resourcesNotAvailable: 'The phone system has no resources free',
  selectedTrunkBusy: 'All lines are busy',
  trunksBusy: 'All lines are busy',
  timeout: 'Timed out',
};

export function failureReason(call: CallView): string | undefined {
  const cause = call.cause;
  if (cause === undefined || (call.state !== 'failed' && call.state !== 'cleared')) return undefined;
  const words = CAUSE_WORDS[cause];
  if (words !== undefined || call.state === 'cleared') return words;
  const spelled = cause.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spelled.charAt(0).toUpperCase() + spelled.slice(1);
}

/** The call that Alt+H / Alt+E act on: the connected call, else one being dialled, else a held one. */
export function focusCall(calls: readonly CallView[]): CallView | undefined {
  return (
    calls.find((c) => c.state === 'connected') ??
    calls.find((c) => c.state === 'alerting' || c.state === 'initiated') ??
    calls.find((c) => c.state === 'held')
  );
}
