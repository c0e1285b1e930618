// Domain events of the call model → ECMA-323 event messages, as one monitor sees them: the
// same event reads the same for every monitor except for `monitorCrossRefID` and
// `localConnectionInfo` (the monitored device's own connection state, ECMA-269 §12.2.17).
import type { CstaMessage, DeviceRef } from '../../gateway/src/protocol.js';
import type { CallEvent, ConnectionRef, ConnectionState, DeviceEvent } from './call-model.js';

/** ECMA-269 rings are counted; the model keeps milliseconds. One North American ring cycle (2 s on, 4 s off). */
export const RING_CYCLE_MS = 6_000;

export function ringCountOf(ms: number): number {
  return Math.min(100, Math.max(1, Math.round(ms / RING_CYCLE_MS)));
}

type ConnectionIdValue = { callID: string; deviceID?: string };

function cid(ref: ConnectionRef): ConnectionIdValue {
  return { callID: ref.callId, deviceID: ref.deviceId };
}

function dev(id: string): DeviceRef {
  return { id };
}

/** ECMA-323 writes an absent redirection as `<lastRedirectionDevice><notRequired/></lastRedirectionDevice>`. */
function redirection(id: string | undefined): DeviceRef {
  return id === undefined ? { absent: 'notRequired' } : { id };
}

/** The CSTA event a monitor of a device in the call receives for a call event. */
export function callEventMessage(
  event: CallEvent,
  monitorCrossRefID: string,
  local: ConnectionState,
): CstaMessage {
  const cause = event.cause;
  const localConnectionInfo = local;
  switch (event.type) {
    case 'serviceInitiated':
      return {
        type: 'ServiceInitiatedEvent',
        monitorCrossRefID,
        initiatedConnection: cid(event.connection),
        initiatingDevice: dev(event.initiatingDevice),
        localConnectionInfo,
        cause,
      };
    case 'originated':
      return {
        type: 'OriginatedEvent',
        monitorCrossRefID,
        originatedConnection: cid(event.connection),
        callingDevice: dev(event.callingDevice),
        calledDevice: dev(event.calledDevice),
        localConnectionInfo,
        cause,
      };
    case 'delivered':
      return {
        type: 'DeliveredEvent',
        monitorCrossRefID,
        connection: cid(event.connection),
        alertingDevice: dev(event.alertingDevice),
        callingDevice: dev(event.callingDevice),
        calledDevice: dev(event.calledDevice),
        lastRedirectionDevice: redirection(event.lastRedirectionDevice),
        localConnectionInfo,
        cause,
      };
    case 'established':
      return {
        type: 'EstablishedEvent',
        monitorCrossRefID,
        establishedConnection: cid(event.connection),
        answeringDevice: dev(event.answeringDevice),
        callingDevice: dev(event.callingDevice),
        calledDevice: dev(event.calledDevice),
        lastRedirectionDevice: redirection(event.lastRedirectionDevice),
        localConnectionInfo,
        cause,
      };
    case 'connectionCleared':
      return {
        type: 'ConnectionClearedEvent',
        monitorCrossRefID,
        droppedConnection: cid(event.connection),
        releasingDevice: dev(event.releasingDevice),
        localConnectionInfo,
        cause,
      };
    case 'held':
      return {
        type: 'HeldEvent',
        monitorCrossRefID,
        heldConnection: cid(event.connection),
        holdingDevice: dev(event.holdingDevice),
        localConnectionInfo,
        cause,
      };
    case 'retrieved':
      return {
        type: 'RetrievedEvent',
        monitorCrossRefID,
        retrievedConnection: cid(event.connection),
        retrievingDevice: dev(event.retrievingDevice),
        localConnectionInfo,
        cause,
      };
    case 'transferred': {
      const message: CstaMessage = {
        type: 'TransferedEvent',
        monitorCrossRefID,
        primaryOldCall: cid(event.primaryOldCall),
        transferringDevice: dev(event.transferringDevice),
        transferredToDevice: dev(event.transferredToDevice),
        // ECMA-269 §12.3.9: old → new for each party that moved; no new connection for the one that left.
        transferredConnections: event.transferredConnections.map((c) =>
          c.newConnection === undefined
            ? { oldConnection: cid(c.oldConnection) }
            : {
                oldConnection: cid(c.oldConnection),
                newConnection: cid(c.newConnection),
                endpoint: { deviceID: c.newConnection.deviceId },
              },
        ),
        localConnectionInfo,
        cause,
      };
      if (event.secondaryOldCall !== undefined) message.secondaryOldCall = cid(event.secondaryOldCall);
      return message;
    }
    case 'conferenced':
      return {
        type: 'ConferencedEvent',
        monitorCrossRefID,
        primaryOldCall: cid(event.primaryOldCall),
        secondaryOldCall: cid(event.secondaryOldCall),
        conferencingDevice: dev(event.conferencingDevice),
        addedParty: dev(event.addedParty),
        conferenceConnections: event.conferenceConnections.map((c) => ({
          newConnection: cid(c),
          endpoint: { deviceID: c.deviceId },
        })),
        localConnectionInfo,
        cause,
      };
    case 'diverted':
      return {
        type: 'DivertedEvent',
        monitorCrossRefID,
        connection: cid(event.connection),
        divertingDevice: dev(event.divertingDevice),
        newDestination: dev(event.newDestination),
        callingDevice: dev(event.callingDevice),
        calledDevice: dev(event.calledDevice),
        lastRedirectionDevice: redirection(event.lastRedirectionDevice),
        localConnectionInfo,
        cause,
      };
    case 'failed':
      return {
        type: 'FailedEvent',
        monitorCrossRefID,
        failedConnection: cid(event.connection),
        failingDevice: dev(event.failingDevice),
        callingDevice: dev(event.callingDevice),
        calledDevice: dev(event.calledDevice),
        lastRedirectionDevice: { absent: 'notRequired' },
        localConnectionInfo,
        cause,
      };
    case 'digitsGenerated':
      return {
        type: 'DigitsGeneratedEvent',
        monitorCrossRefID,
        connection: cid(event.connection),
        digitGeneratedList: event.digits,
      };
    case 'callCleared':
      return { type: 'CallClearedEvent', monitorCrossRefID, clearedCall: { callID: event.callId }, cause };
    default: {
      const never: never = event;
      throw new Error(`assertion failed: unknown call event ${JSON.stringify(never)}`);
    }
  }
}

/** The CSTA event a monitor of `deviceId` receives for a device feature change (forwarding, DND). */
export function deviceEventMessage(
  event: DeviceEvent,
  monitorCrossRefID: string,
  deviceId: string,
): CstaMessage {
  switch (event.type) {
    case 'forwarding': {
      const message: CstaMessage = {
        type: 'ForwardingEvent',
        monitorCrossRefID,
        device: dev(deviceId),
        forwardingType: event.forwardingType,
        forwardStatus: event.forwardStatus,
      };
      if (event.forwardTo !== undefined) message.forwardTo = event.forwardTo;
      if (event.ringDurationMs !== undefined) message.ringCount = ringCountOf(event.ringDurationMs);
      return message;
    }
    case 'doNotDisturb':
      return {
        type: 'DoNotDisturbEvent',
        monitorCrossRefID,
        device: dev(deviceId),
        doNotDisturbOn: event.doNotDisturbOn,
      };
    default: {
      const never: never = event;
      throw new Error(`assertion failed: unknown device event ${JSON.stringify(never)}`);
    }
  }
}
