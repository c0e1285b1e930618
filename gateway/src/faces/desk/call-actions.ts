// Which actions a call offers in its state, and why the others are disabled. Pure; the
// reasons are shown to the user as the disabled control's description.
import type { ActionAvailability, CallAction, CallView } from '../../../../common/src/api/views.js';
import type { TrackedCall } from './call-tracker.js';

const yes: ActionAvailability = { enabled: true };
const no = (reason: string): ActionAvailability => ({ enabled: false, reason });

/** The other call a two-call action (transfer, conference, alternate, reconnect) pairs with. */
export function partnerOf(call: TrackedCall, all: readonly TrackedCall[]): TrackedCall | undefined {
  if (call.consultationOf !== undefined) return all.find((c) => c.callId === call.consultationOf);
  const consultation = all.find((c) => c.consultationOf === call.callId);
  if (consultation !== undefined) return consultation;
  // Any other live call (two calls on one line: one held, one active).
  return all.find((c) => c !== call && c.state !== 'cleared' && c.state !== 'failed');
}

export function callActions(call: TrackedCall, all: readonly TrackedCall[]): CallView['actions'] {
  const s = call.state;
  const partner = partnerOf(call, all);
  const held = s === 'held' ? call : partner?.state === 'held' ? partner : undefined;
  const active =
    s === 'connected' || s === 'alerting'
      ? call
      : partner !== undefined && (partner.state === 'connected' || partner.state === 'alerting')
        ? partner
        : undefined;
  const pairReady = held !== undefined && active !== undefined && held !== active;
  const pairReason = 'Needs one call on hold and another connected call';

  const actions: Record<CallAction, ActionAvailability> = {
    answer: s === 'ringing' ? yes : no('Only a ringing call can be answered'),
    decline: s === 'ringing' ? yes : no('Only a ringing call can be declined'),
    hold:
      s === 'connected'
        ? yes
        : no(s === 'held' ? 'The call is already on hold' : 'Only a connected call can be put on hold'),
    retrieve: s === 'held' ? yes : no('Only a held call can be resumed'),
    // Declining a ringing call is desk.hangup on it (ClearConnection of our alerting connection).
    hangup: s === 'cleared' ? no('The call has ended') : yes,
    singleStepTransfer: s === 'connected' ? yes : no('Only a connected call can be transferred'),
    consult:
      s === 'connected'
        ? all.some((c) => c !== call && c.state === 'held')
          ? no('Another call is already on hold')
          : yes
        : no('Only a connected call can start a consultation'),
    transfer:
      pairReady && (active.state === 'connected' || active.state === 'alerting') ? yes : no(pairReason),
    conference:
      pairReady && active.state === 'connected'
        ? yes
        : no(pairReady ? 'The consulted party has not answered yet' : pairReason),
    alternate: pairReady && active.state === 'connected' ? yes : no(pairReason),
    reconnect: pairReady ? yes : no(pairReason),
    deflect: s === 'ringing' ? yes : no('Only a ringing call can be redirected'),
    digits: s === 'connected' ? yes : no('Tones can be sent only on a connected call'),
  };
  return actions;
}
