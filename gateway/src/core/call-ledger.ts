// The calls one session takes part in, and through which connections — what authorization by
// ownership needs to know (docs/robustness.md §5 "Who may act on which connection").
//
// ECMA-269 §6.1 models a call as connections, one per device in it, identified by (callID,
// deviceID). A session may act on the connections of its own line appearances; the only
// connection of another party it may act on is one it may drop from a conference it set up
// (ClearConnection as the conference controller), and only while its own connection is still in
// that call. This ledger learns, from the session's events and from the responses to its own
// requests, which connections of a call are the session's own and which belong to other parties,
// and whether the session conferenced the call. A call is forgotten when it clears, when the
// session's own connections in it clear, and, past `maxCalls`, oldest first.
import type { CstaEvent, CstaRequest, CstaResponse } from '../csta/index.js';

export interface LedgerCall {
  readonly callID: string;
  /** Device IDs (CTI form) of the session's own connections in the call, not yet cleared. */
  readonly own: Set<string>;
  /** Device IDs of other parties' connections in the call, not yet cleared. */
  readonly parties: Set<string>;
  /** The session's own device joined the call into a conference (ECMA-269 §17.1.6). */
  controller: boolean;
  /** The call is a conference (more than two parties were joined). */
  conference: boolean;
}

export interface CallLedgerLimits {
  /** Calls remembered per session; the oldest is forgotten first. */
  readonly maxCalls: number;
  /** Parties remembered per call (a conference bridge of the switch's size). */
  readonly maxParties: number;
}

export const DEFAULT_CALL_LEDGER_LIMITS: CallLedgerLimits = Object.freeze({ maxCalls: 64, maxParties: 64 });

interface ConnectionRef {
  readonly callID?: string | undefined;
  readonly deviceID?: string | undefined;
}

export class CallLedger {
  /** Made at the first call: a held session with no call keeps no empty Map (docs/benchmarks.md,
   *  "Memory per session"). */
  private calls: Map<string, LedgerCall> | undefined;

  constructor(
    /** Whether a device ID (CTI form) is one of the session's own line appearances. */
    private readonly owns: (deviceId: string) => boolean,
    private readonly limits: CallLedgerLimits = DEFAULT_CALL_LEDGER_LIMITS,
  ) {}

  get size(): number {
    return this.calls?.size ?? 0;
  }

  call(callID: string | undefined): LedgerCall | undefined {
    return callID === undefined ? undefined : this.calls?.get(callID);
  }

  /** The session still has a connection of its own in the call. */
  isInCall(callID: string | undefined): boolean {
    const call = this.call(callID);
    return call !== undefined && call.own.size > 0;
  }

  clear(): void {
    this.calls?.clear();
  }

  private entry(callID: string): LedgerCall {
    const calls = (this.calls ??= new Map());
    let call = calls.get(callID);
    if (call === undefined) {
      call = { callID, own: new Set(), parties: new Set(), controller: false, conference: false };
      calls.set(callID, call);
      if (calls.size > this.limits.maxCalls) calls.delete(calls.keys().next().value as string);
    }
    return call;
  }

  /** A connection exists (alerting, connected, held, failed...). */
  private present(c: ConnectionRef | undefined): LedgerCall | undefined {
    if (c?.callID === undefined) return undefined;
    const call = this.entry(c.callID);
    if (c.deviceID === undefined) return call;
    if (this.owns(c.deviceID)) {
      call.own.add(c.deviceID);
      call.parties.delete(c.deviceID);
    } else if (call.parties.size < this.limits.maxParties) call.parties.add(c.deviceID);
    return call;
  }

  /** A connection is gone (ECMA-269 §6.1.2 null state). The session's rights in the call end with
   *  its last own connection in it. */
  private cleared(c: ConnectionRef | undefined): void {
    if (c?.callID === undefined) return;
    const call = this.calls?.get(c.callID);
    if (call === undefined) return;
    if (c.deviceID === undefined) return;
    if (call.own.delete(c.deviceID)) {
      if (call.own.size === 0) this.calls?.delete(c.callID);
      return;
    }
    call.parties.delete(c.deviceID);
  }

  private forget(callID: string | undefined): void {
    if (callID !== undefined) this.calls?.delete(callID);
  }

  /** Learns from an event of one of the session's monitors (ECMA-269 §17.2). */
  learnEvent(event: CstaEvent): void {
    switch (event.type) {
      case 'ServiceInitiatedEvent':
        this.present(event.initiatedConnection);
        return;
      case 'OriginatedEvent':
        this.present(event.originatedConnection);
        return;
      case 'DeliveredEvent':
        this.present(event.connection);
        return;
      case 'EstablishedEvent':
        this.present(event.establishedConnection);
        return;
      case 'HeldEvent':
        this.present(event.heldConnection);
        return;
      case 'RetrievedEvent':
        this.present(event.retrievedConnection);
        return;
      case 'FailedEvent':
        this.present(event.failedConnection);
        return;
      case 'DigitsGeneratedEvent':
        this.present(event.connection);
        return;
      case 'DivertedEvent':
        // §17.2.8: the call left the diverting device; its connection there is gone.
        this.cleared(event.connection);
        return;
      case 'ConnectionClearedEvent':
        this.cleared(event.droppedConnection);
        return;
      case 'CallClearedEvent':
        this.forget(event.clearedCall.callID);
        return;
      case 'TransferedEvent': {
        // §17.2.20: the transferring device leaves both old calls; the others continue in the new one.
        const transferring = 'id' in event.transferringDevice ? event.transferringDevice.id : undefined;
        if (transferring !== undefined && this.owns(transferring)) {
          this.forget(event.primaryOldCall.callID);
          this.forget(event.secondaryOldCall?.callID);
        }
        for (const item of event.transferredConnections) {
          this.cleared(item.oldConnection);
          this.present(item.newConnection);
        }
        return;
      }
      case 'ConferencedEvent': {
        // §17.2.4: the old calls merge into the conference; the conferencing device controls it.
        const conferencing = 'id' in event.conferencingDevice ? event.conferencingDevice.id : undefined;
        const controller = conferencing !== undefined && this.owns(conferencing);
        const newCalls = new Set<string>();
        for (const item of event.conferenceConnections) {
          const call = this.present(item.newConnection);
          if (call !== undefined) newCalls.add(call.callID);
        }
        for (const old of [event.primaryOldCall.callID, event.secondaryOldCall?.callID])
          if (old !== undefined && !newCalls.has(old)) this.forget(old);
        for (const callID of newCalls) {
          const call = this.calls?.get(callID);
          if (call === undefined) continue;
          call.conference = true;
          if (controller) call.controller = true;
        }
        return;
      }
      default:
        return;
    }
  }

  /** Learns from the positive response to one of the session's own requests (CTI form). */
  learnResponse(request: CstaRequest, response: CstaResponse): void {
    switch (response.type) {
      case 'MakeCallResponse':
        this.present(response.callingDevice);
        return;
      case 'ConsultationCallResponse':
        this.present(response.initiatedCall);
        return;
      case 'ConferenceCallResponse': {
        const call = this.present(response.conferenceCall);
        if (call !== undefined) {
          call.conference = true;
          call.controller = true;
        }
        if (request.type === 'ConferenceCall' && request.activeCall.callID !== response.conferenceCall.callID)
          this.forget(request.activeCall.callID);
        return;
      }
      case 'TransferCallResponse':
        // The transferring device has left both calls.
        if (request.type === 'TransferCall') {
          this.forget(request.heldCall.callID);
          this.forget(request.activeCall.callID);
        }
        return;
      case 'SingleStepTransferCallResponse':
        if (request.type === 'SingleStepTransferCall') this.forget(request.activeCall.callID);
        return;
      case 'ClearConnectionResponse':
        if (request.type === 'ClearConnection') this.cleared(request.connectionToBeCleared);
        return;
      case 'ClearCallResponse':
        if (request.type === 'ClearCall') this.forget(request.callToBeCleared.callID);
        return;
      case 'DeflectCallResponse':
        if (request.type === 'DeflectCall') this.cleared(request.callToBeDiverted);
        return;
      default:
        return;
    }
  }
}
