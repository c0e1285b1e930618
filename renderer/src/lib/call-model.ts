// How the Calls screen arranges the desk's calls. Pure: the engine decides what is allowed
// (CallView.actions); this only groups calls and names things.
import type {
  ActionAvailability,
  CallAction,
  CallState,
  CallView,
  DeskStateView,
  LineAppearanceView,
} from '../../../common/src/api/views.js';
import { formatNumber } from './phone.js';
import { phoneName } from './plain.js';

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

/** What each action is called on screen: words people use, not CSTA service names
 *  (DeflectCall, AlternateCall, ReconnectCall; docs/ui.md §8). */
export const ACTION_LABEL: Readonly<Record<CallAction, string>> = {
  answer: 'Answer',
  decline: 'Decline',
  hold: 'Hold',
  retrieve: 'Resume',
  hangup: 'Hang up',
  singleStepTransfer: 'Transfer now',
  consult: 'Consult first',
  transfer: 'Complete transfer',
  conference: 'Conference',
  alternate: 'Swap',
  reconnect: 'Back to',
  deflect: 'Send to…',
  digits: 'Keypad',
};

/** The same, as the object of "Cannot …" in a refusal ("Cannot swap calls: …"). */
export const ACTION_VERB: Readonly<Record<CallAction, string>> = {
  answer: 'answer',
  decline: 'decline',
  hold: 'hold',
  retrieve: 'resume',
  hangup: 'hang up',
  singleStepTransfer: 'transfer',
  consult: 'consult',
  transfer: 'transfer',
  conference: 'conference',
  alternate: 'swap calls',
  reconnect: 'go back to the held call',
  deflect: 'send the call on',
  digits: 'send tones',
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

/** Availability of one action (the record is complete by schema; this guards old engines).
 *  While calls cannot be controlled (`blocked`: the link to the phone system is down), every
 *  action is disabled with that reason, whatever the last snapshot said. */
export function availability(call: CallView, action: CallAction, blocked?: string): ActionAvailability {
  if (blocked !== undefined) return { enabled: false, reason: blocked };
  return call.actions[action] ?? UNKNOWN_ACTION;
}

/**
 * Why calls cannot be controlled now, or undefined. The CTI link (ECMA-269 §6.1 "switching
 * function" link) is down when no CTI Manager is up, or while the line's session is being
 * re-established on another one: calls go on at the phone, but no request can reach them.
 */
export function controlBlocked(state: Pick<DeskStateView, 'cti' | 'session'>): string | undefined {
  if (state.cti.overall === 'down' || state.session.state === 'recovering')
    return 'The link to the phone system is down: calls go on, but cannot be controlled from here until it is back';
  if (state.session.state === 'failed') return 'This line cannot be controlled now';
  return undefined;
}

/** Why no call can be placed now (Call, Redial, Call back), or undefined. */
export function dialBlocked(state: Pick<DeskStateView, 'cti' | 'session'>): string | undefined {
  if (state.session.state === 'noLine') return 'Choose a line to control first';
  const blocked = controlBlocked(state);
  if (blocked !== undefined) return blocked;
  if (state.session.state !== 'active') return 'Your line is not ready yet';
  return undefined;
}

/** The call ids of a group (a consultation card shows two calls). */
export const groupCallIds = (group: CallGroup): string[] =>
  group.kind === 'single' ? [group.call.callId] : [group.held.callId, group.active.callId];

/**
 * Where focus goes when the calls `gone` leave the screen: the card after theirs, else the
 * one before, else nothing (the caller focuses the heading).
 */
export function neighbourOf(groups: readonly CallGroup[], gone: readonly string[]): string[] | undefined {
  const index = groups.findIndex((g) => groupCallIds(g).some((id) => gone.includes(id)));
  if (index < 0) return undefined;
  const next = groups[index + 1] ?? groups[index - 1];
  return next === undefined ? undefined : groupCallIds(next);
}

/** A party as people name it: the display name, else the number formatted for people. */
export const nameOf = (party: { display?: string | undefined; number: string }): string =>
  party.display?.trim() || formatNumber(party.number) || 'Unknown';

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

/**
 * Which line a call is on, as its card says it ("On 1004 · Dave (shared)"), when the user has
 * more than one line watched — with one line there is nothing to tell apart. The phone is named
 * too when the same number is on two of the user's phones (a desk phone and a softphone).
 */
export function lineCaption(
  lines: readonly LineAppearanceView[],
  lineId: string | undefined,
): string | undefined {
  const watched = lines.filter((l) => l.watched === true);
  if (lineId === undefined || watched.length < 2) return undefined;
  const line = lines.find((l) => l.id === lineId);
  if (line === undefined) return undefined;
  const label = line.label.trim();
  const twice = lines.filter((l) => l.dn === line.dn).length > 1;
  return `On ${line.dn}${label === '' ? '' : ` · ${label}`}${twice ? `, ${phoneName(line)}` : ''}`;
}

/** The other call of an independent pair on one line (one held, one connected: merge them),
 *  or undefined. A consultation pair is shown as one card and joined from there. */
export function mergePartner(call: CallView, calls: readonly CallView[]): CallView | undefined {
  if (call.pairedWith === undefined || call.consultationOf !== undefined) return undefined;
  const partner = calls.find((c) => c.callId === call.pairedWith);
  if (partner === undefined || partner.consultationOf === call.callId) return undefined;
  return partner;
}
