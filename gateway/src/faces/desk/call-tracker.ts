// Call state of one line appearance, rebuilt from the CSTA events of its monitor (ECMA-269
// §15 call control events). Pure: events in, state and notable changes out; the desk API and
// the tests drive it the same way.
import type { CstaEvent, ConnectionID, DeviceRef } from '../../csta/index.js';
import type { ActionAvailability, CallState, CallView, PartyView } from '../../../../common/src/api/views.js';

export interface PartyInfo {
  number: string;
  display?: string;
}

/** Turns a CTI device reference into something a person recognises. */
export type PartyDescriber = (deviceId: string) => PartyInfo;

export interface TrackedParty extends PartyInfo {
  deviceId: string;
  state: CallState;
}

export interface TrackedCall {
  callId: string;
  direction: 'inbound' | 'outbound';
  state: CallState;
  remote: PartyInfo;
  parties: Map<string, TrackedParty>;
  conference: boolean;
  consultationOf: string | undefined;
  startedAt: number;
  connectedAt: number | undefined;
  endedAt: number | undefined;
  cause: string | undefined;
  /** The remote party put us on hold. */
  heldByRemote: boolean;
  /** Was it ever connected (for history: answered vs missed/cancelled). */
  everConnected: boolean;
  /** Our device set up the conference (ECMA-269 §17.2.4 conferencingDevice): only the controller
   *  may drop other parties (docs/robustness.md §5). */
  controller: boolean;
  /** The user declined it while it rang (ClearConnection of our alerting connection). */
  declined: boolean;
}

export type CallChange =
  | { kind: 'ringing'; call: TrackedCall }
  | { kind: 'ended'; call: TrackedCall }
  | { kind: 'updated'; call: TrackedCall };

const UNKNOWN: PartyInfo = { number: '' };

const refId = (ref: DeviceRef | undefined): string | undefined =>
  ref !== undefined && 'id' in ref ? ref.id : undefined;

export class CallTracker {
  private readonly calls = new Map<string, TrackedCall>();

  constructor(
    /** The CTI device ID of the monitored appearance. */
    readonly ownDevice: string,
    private readonly describe: PartyDescriber,
  ) {}

  get size(): number {
    return this.calls.size;
  }
  get(callId: string): TrackedCall | undefined {
    return this.calls.get(callId);
  }
  list(): TrackedCall[] {
    return [...this.calls.values()].sort((a, b) => a.startedAt - b.startedAt);
  }
  clear(): void {
    this.calls.clear();
  }

  /** A call the desk started (MakeCall/ConsultationCall response) before its first event. */
  addOutbound(callId: string, remote: PartyInfo, now: number, consultationOf?: string): TrackedCall {
    const existing = this.calls.get(callId);
    if (existing !== undefined) {
      if (consultationOf !== undefined) existing.consultationOf = consultationOf;
      if (existing.remote.number === '') existing.remote = remote;
      return existing;
    }
    const call = this.create(callId, 'outbound', 'initiated', remote, now);
    call.consultationOf = consultationOf;
    return call;
  }

  /** A call found by SnapshotDevice when the line was chosen. */
  addFromSnapshot(connection: ConnectionID, localState: string | undefined, now: number): void {
    const callId = connection.callID;
    if (callId === undefined || this.calls.has(callId)) return;
    const state: CallState =
      localState === 'alerting'
        ? 'ringing'
        : localState === 'hold'
          ? 'held'
          : localState === 'initiated'
            ? 'initiated'
            : localState === 'fail'
              ? 'failed'
              : 'connected';
    const call = this.create(callId, state === 'ringing' ? 'inbound' : 'outbound', state, UNKNOWN, now);
    if (state === 'connected' || state === 'held') {
      call.connectedAt = now;
      call.everConnected = true;
    }
  }

  private create(
    callId: string,
    direction: 'inbound' | 'outbound',
    state: CallState,
    remote: PartyInfo,
    now: number,
  ): TrackedCall {
    const call: TrackedCall = {
      callId,
      direction,
      state,
      remote,
      parties: new Map(),
      conference: false,
      consultationOf: undefined,
      startedAt: now,
      connectedAt: undefined,
      endedAt: undefined,
      cause: undefined,
      heldByRemote: false,
      everConnected: false,
      controller: false,
      declined: false,
    };
    this.calls.set(callId, call);
    return call;
  }

  private isOwn(deviceId: string | undefined): boolean {
    return deviceId === this.ownDevice;
  }

  private party(call: TrackedCall, deviceId: string | undefined, state: CallState): void {
    if (deviceId === undefined || this.isOwn(deviceId)) return;
    const existing = call.parties.get(deviceId);
    if (existing !== undefined) existing.state = state;
    else call.parties.set(deviceId, { ...this.describe(deviceId), deviceId, state });
  }

  private end(call: TrackedCall, cause: string | undefined, now: number, changes: CallChange[]): void {
    call.state = 'cleared';
    call.endedAt = now;
    if (cause !== undefined) call.cause = cause;
    this.calls.delete(call.callId);
    for (const other of this.calls.values())
      if (other.consultationOf === call.callId) other.consultationOf = undefined;
    changes.push({ kind: 'ended', call });
  }

  private setState(call: TrackedCall, state: CallState, cause: string | undefined, now: number): void {
    call.state = state;
    if (cause !== undefined) call.cause = cause;
    if (state === 'connected' && call.connectedAt === undefined) {
      call.connectedAt = now;
      call.everConnected = true;
    }
  }

  /** Applies one event; returns what changed (for notifications, history and views). */
  apply(event: CstaEvent, now: number): CallChange[] {
    const changes: CallChange[] = [];
    const touch = (call: TrackedCall | undefined): void => {
      if (call !== undefined && !changes.some((c) => c.call === call))
        changes.push({ kind: 'updated', call });
    };
    switch (event.type) {
      // ECMA-269 §15.2.13: the device went off-hook / started a call.
      case 'OriginatedEvent':
      case 'ServiceInitiatedEvent': {
        const c = event.type === 'OriginatedEvent' ? event.originatedConnection : event.initiatedConnection;
        if (c.callID === undefined || !this.isOwn(c.deviceID)) break;
        const remoteId = event.type === 'OriginatedEvent' ? refId(event.calledDevice) : undefined;
        const call =
          this.calls.get(c.callID) ??
          this.create(
            c.callID,
            'outbound',
            'initiated',
            remoteId === undefined ? UNKNOWN : this.describe(remoteId),
            now,
          );
        if (remoteId !== undefined && call.remote.number === '') call.remote = this.describe(remoteId);
        this.setState(call, 'initiated', event.cause, now);
        touch(call);
        break;
      }
      // §15.2.5: a device is alerting — ours (inbound) or the far end (our call is ringing out).
      case 'DeliveredEvent': {
        const c = event.connection;
        if (c.callID === undefined) break;
        if (this.isOwn(c.deviceID)) {
          const callerId = refId(event.callingDevice);
          let call = this.calls.get(c.callID);
          if (call === undefined)
            call = this.create(
              c.callID,
              'inbound',
              'ringing',
              callerId === undefined ? UNKNOWN : this.describe(callerId),
              now,
            );
          // Our phone rings: the call comes to us, whatever an earlier event of another phone
          // (another appearance of a shared line ringing first) made of it.
          if (!call.everConnected) {
            call.direction = 'inbound';
            if (callerId !== undefined) call.remote = this.describe(callerId);
          }
          this.setState(call, 'ringing', event.cause, now);
          if (callerId !== undefined) this.party(call, callerId, 'connected');
          changes.push({ kind: 'ringing', call });
        } else {
          const alerting = refId(event.alertingDevice) ?? c.deviceID;
          let call = this.calls.get(c.callID);
          if (call === undefined)
            call = this.create(
              c.callID,
              'outbound',
              'alerting',
              alerting === undefined ? UNKNOWN : this.describe(alerting),
              now,
            );
          // Another phone ringing: the far end of our call (we are dialling), or another
          // appearance of a shared line ringing beside ours — which changes nothing of ours.
          if (call.state === 'initiated') this.setState(call, 'alerting', event.cause, now);
          if (
            alerting !== undefined &&
            call.direction === 'outbound' &&
            (call.remote.number === '' || call.conference === false)
          )
            call.remote = this.describe(alerting);
          this.party(call, alerting, 'alerting');
          touch(call);
        }
        break;
      }
      // §15.2.7: a device answered.
      case 'EstablishedEvent': {
        const c = event.establishedConnection;
        if (c.callID === undefined) break;
        let call = this.calls.get(c.callID);
        if (this.isOwn(c.deviceID)) {
          const callerId = refId(event.callingDevice);
          if (call === undefined)
            call = this.create(
              c.callID,
              'inbound',
              'connected',
              callerId === undefined ? UNKNOWN : this.describe(callerId),
              now,
            );
          this.setState(call, 'connected', event.cause, now);
        } else {
          const answering = refId(event.answeringDevice) ?? c.deviceID;
          if (call === undefined)
            call = this.create(
              c.callID,
              'outbound',
              'connected',
              answering === undefined ? UNKNOWN : this.describe(answering),
              now,
            );
          if (call.state !== 'held') this.setState(call, 'connected', event.cause, now);
          if (answering !== undefined && !call.conference) call.remote = this.describe(answering);
          this.party(call, answering, 'connected');
        }
        touch(call);
        break;
      }
      case 'HeldEvent': {
        const call = this.calls.get(event.heldConnection.callID ?? '');
        if (call === undefined) break;
        if (this.isOwn(event.heldConnection.deviceID)) this.setState(call, 'held', event.cause, now);
        else {
          call.heldByRemote = true;
          this.party(call, event.heldConnection.deviceID, 'held');
        }
        touch(call);
        break;
      }
      case 'RetrievedEvent': {
        const call = this.calls.get(event.retrievedConnection.callID ?? '');
        if (call === undefined) break;
        if (this.isOwn(event.retrievedConnection.deviceID))
          this.setState(call, 'connected', event.cause, now);
        else {
          call.heldByRemote = false;
          this.party(call, event.retrievedConnection.deviceID, 'connected');
        }
        touch(call);
        break;
      }
      // §15.2.4: a connection left the call.
      case 'ConnectionClearedEvent': {
        const c = event.droppedConnection;
        const call = this.calls.get(c.callID ?? '');
        if (call === undefined) break;
        if (this.isOwn(c.deviceID)) this.end(call, event.cause, now, changes);
        else {
          if (c.deviceID !== undefined) call.parties.delete(c.deviceID);
          if (call.conference && call.parties.size <= 1) call.conference = false;
          const remaining = [...call.parties.values()][0];
          if (remaining !== undefined)
            call.remote = {
              number: remaining.number,
              ...(remaining.display === undefined ? {} : { display: remaining.display }),
            };
          touch(call);
        }
        break;
      }
      case 'CallClearedEvent': {
        const call = this.calls.get(event.clearedCall.callID ?? '');
        if (call !== undefined) this.end(call, event.cause, now, changes);
        break;
      }
      // §15.2.8: the call could not be completed (busy, invalid number, ...).
      case 'FailedEvent': {
        const call = this.calls.get(event.failedConnection.callID ?? '');
        if (call === undefined) break;
        this.setState(call, 'failed', event.cause, now);
        this.party(call, event.failedConnection.deviceID, 'failed');
        touch(call);
        break;
      }
      // §15.2.6: the call moved to another destination.
      case 'DivertedEvent': {
        const call = this.calls.get(event.connection.callID ?? '');
        if (call === undefined) break;
        if (this.isOwn(event.connection.deviceID)) this.end(call, event.cause, now, changes);
        else {
          const to = refId(event.newDestination);
          if (event.connection.deviceID !== undefined) call.parties.delete(event.connection.deviceID);
          if (to !== undefined) call.remote = this.describe(to);
          touch(call);
        }
        break;
      }
      // §15.2.17: consultative or single-step transfer.
      case 'TransferedEvent': {
        const primary = this.calls.get(event.primaryOldCall.callID ?? '');
        const secondary = this.calls.get(event.secondaryOldCall?.callID ?? '');
        if (refId(event.transferringDevice) === this.ownDevice) {
          if (primary !== undefined) this.end(primary, event.cause, now, changes);
          if (secondary !== undefined) this.end(secondary, event.cause, now, changes);
          break;
        }
        const old = primary ?? secondary;
        const mine = event.transferredConnections.find(
          (i) => this.isOwn(i.newConnection?.deviceID) || this.isOwn(i.oldConnection?.deviceID),
        );
        const newId = mine?.newConnection?.callID;
        if (old === undefined) break;
        if (newId !== undefined && newId !== old.callId) this.rename(old, newId);
        old.parties.clear();
        for (const item of event.transferredConnections) {
          const d = item.newConnection?.deviceID ?? item.endpoint?.deviceID;
          if (d !== undefined && !this.isOwn(d) && d !== refId(event.transferringDevice))
            this.party(old, d, 'connected');
        }
        const to = refId(event.transferredToDevice);
        const other = [...old.parties.values()][0];
        old.remote =
          other !== undefined
            ? { number: other.number, ...(other.display === undefined ? {} : { display: other.display }) }
            : to !== undefined
              ? this.describe(to)
              : old.remote;
        if (event.cause !== undefined) old.cause = event.cause;
        touch(old);
        break;
      }
      // §15.2.3: calls merged into a conference.
      case 'ConferencedEvent': {
        const primary = this.calls.get(event.primaryOldCall.callID ?? '');
        const secondary = this.calls.get(event.secondaryOldCall?.callID ?? '');
        const mine = event.conferenceConnections.find(
          (i) => this.isOwn(i.newConnection?.deviceID) || this.isOwn(i.oldConnection?.deviceID),
        );
        const keep = primary ?? secondary;
        if (keep === undefined) break;
        if (refId(event.conferencingDevice) === this.ownDevice || secondary?.controller === true)
          keep.controller = true;
        if (secondary !== undefined && secondary !== keep) {
          this.calls.delete(secondary.callId);
          if (secondary.everConnected && keep.connectedAt === undefined)
            keep.connectedAt = secondary.connectedAt;
        }
        const newId = mine?.newConnection?.callID;
        if (newId !== undefined && newId !== keep.callId) this.rename(keep, newId);
        keep.conference = true;
        keep.consultationOf = undefined;
        keep.parties.clear();
        for (const item of event.conferenceConnections) {
          const d = item.newConnection?.deviceID ?? item.endpoint?.deviceID;
          if (d !== undefined && !this.isOwn(d)) this.party(keep, d, 'connected');
        }
        const added = refId(event.addedParty);
        keep.remote = added !== undefined && !this.isOwn(added) ? this.describe(added) : keep.remote;
        this.setState(keep, 'connected', event.cause, now);
        touch(keep);
        break;
      }
      default:
        break;
    }
    return changes;
  }

  /** A name found for `number` after the call was first seen (a directory lookup): shown
   *  wherever the number has none yet. Returns whether anything changed. */
  applyName(number: string, display: string): boolean {
    let changed = false;
    for (const call of this.calls.values()) {
      if (call.remote.number === number && call.remote.display === undefined) {
        call.remote = { number, display };
        changed = true;
      }
      for (const party of call.parties.values())
        if (party.number === number && party.display === undefined) {
          party.display = display;
          changed = true;
        }
    }
    return changed;
  }

  private rename(call: TrackedCall, newId: string): void {
    this.calls.delete(call.callId);
    for (const other of this.calls.values())
      if (other.consultationOf === call.callId) other.consultationOf = newId;
    call.callId = newId;
    this.calls.set(newId, call);
  }
}

/** What the desk adds to a call's view beyond the tracker's facts. */
export interface CallViewExtras {
  /** The line appearance it is on. */
  lineId?: string;
  /** The call two-call actions pair it with. */
  pairedWith?: string;
}

const DROP_NOT_CONTROLLER = 'Only the person who set up the conference can remove someone from it';

/** Whether one party of a conference can be dropped (ClearConnection of its connection, allowed
 *  only to the conference controller: docs/robustness.md §5). */
function dropAvailability(call: TrackedCall): ActionAvailability | undefined {
  if (!call.conference) return undefined;
  if (!call.controller) return { enabled: false, reason: DROP_NOT_CONTROLLER };
  if (call.state !== 'connected' && call.state !== 'held')
    return { enabled: false, reason: 'Only a connected conference can have someone removed' };
  return { enabled: true };
}

/** The view of one call; `actions` are filled by call-actions.ts. */
export function callViewOf(
  call: TrackedCall,
  actions: CallView['actions'],
  extras: CallViewExtras = {},
): CallView {
  const drop = dropAvailability(call);
  const parties: PartyView[] = [...call.parties.values()].map((p) => ({
    number: p.number,
    ...(p.display === undefined ? {} : { display: p.display }),
    state: p.state,
    id: p.deviceId,
    ...(drop === undefined ? {} : { drop: p.state === 'connected' || p.state === 'held' ? drop : noDrop(p) }),
  }));
  const view: CallView = {
    callId: call.callId,
    direction: call.direction,
    state: call.state,
    remote: {
      number: call.remote.number,
      ...(call.remote.display === undefined ? {} : { display: call.remote.display }),
    },
    parties,
    conference: call.conference,
    startedAt: call.startedAt,
    actions,
  };
  if (call.consultationOf !== undefined) view.consultationOf = call.consultationOf;
  if (call.connectedAt !== undefined) view.connectedAt = call.connectedAt;
  if (call.endedAt !== undefined) view.endedAt = call.endedAt;
  if (call.cause !== undefined) view.cause = call.cause;
  if (extras.lineId !== undefined) view.lineId = extras.lineId;
  if (extras.pairedWith !== undefined) view.pairedWith = extras.pairedWith;
  if (call.conference) view.controller = call.controller;
  if (call.declined) view.declined = true;
  return view;
}

const noDrop = (party: TrackedParty): ActionAvailability => ({
  enabled: false,
  reason: party.state === 'alerting' ? 'They have not answered yet' : 'They are no longer in the call',
});
