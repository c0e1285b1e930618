// Shared by the simulator tests: a call model over the demo cluster on a fake clock, with every
// event recorded, and views of those events from one device's point of view.
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import { unwrap, type Result } from '../../gateway/src/protocol.js';
import {
  CallModel,
  CallModelError,
  type CallEvent,
  type CallModelEvent,
  type ConnectionRef,
} from '../src/call-model.js';
import { buildClusterModel, type ClusterConfig } from '../src/model.js';
import { demoCluster } from '../src/demo-cluster.js';

export const ALICE = 'SEP00AABB000001/1001/INTERNAL';
export const BOB = 'SEP00AABB000002/1002/INTERNAL'; // auto-answers after 2 s
export const CAROL_DESK = 'SEP00AABB000003/1003/INTERNAL';
export const CAROL_SOFT = 'SEP00AABB000013/1003/INTERNAL';
export const CAROL_DAVE = 'SEP00AABB000003/1004/INTERNAL'; // Dave's line shared on Carol's desk phone
export const DAVE = 'SEP00AABB000004/1004/INTERNAL';
export const EMMA = 'SEP00AABB000005/1005/INTERNAL';
export const HELPDESK = 'SEP00AABB000005/1200/INTERNAL'; // auto-answers after 1.5 s
export const FRANK = 'SEP00AABB000006/1006/INTERNAL';
export const GRACE = 'SEP00AABB000007/1007/INTERNAL';
export const GRACE_LAB = 'SEP00AABB000017/1017/INTERNAL'; // CTI control disallowed
export const HENRY = 'SEP00AABB000008/1008/INTERNAL'; // no-answer ring time 8 s

export interface Harness {
  clock: FakeClock;
  model: CallModel;
  events: CallModelEvent[];
}

export function harness(config?: ClusterConfig): Harness {
  const clock = new FakeClock();
  const cluster = config === undefined ? demoCluster() : unwrap(buildClusterModel(config));
  const model = new CallModel({ cluster, clock });
  const events: CallModelEvent[] = [];
  model.subscribe((e) => events.push(e));
  return { clock, model, events };
}

export function isCallEvent(e: CallModelEvent): e is CallEvent {
  return 'parties' in e;
}

/** What a monitor on `deviceId` sees: `<event>:<its local connection state>` for each call event it is party to. */
export function seenBy(events: readonly CallModelEvent[], deviceId: string, from = 0): string[] {
  const out: string[] = [];
  for (const e of events.slice(from)) {
    if (isCallEvent(e)) {
      const me = e.parties.find((p) => p.deviceId === deviceId);
      if (me !== undefined) out.push(`${e.type}:${me.state}`);
    } else if (e.devices.includes(deviceId)) out.push(e.type);
  }
  return out;
}

export function eventsOfType<T extends CallModelEvent['type']>(
  events: readonly CallModelEvent[],
  type: T,
): Extract<CallModelEvent, { type: T }>[] {
  return events.filter((e): e is Extract<CallModelEvent, { type: T }> => e.type === type);
}

/** Expects a refusal and returns its CSTA error as `class/value`. */
export function refusal<T>(result: Result<T>): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  if (!(result.error instanceof CallModelError))
    throw new Error(`expected a CallModelError, got ${result.error.code}: ${result.error.message}`);
  return `${result.error.csta.errorClass}/${result.error.csta.value}`;
}

export function conn(callId: string, deviceId: string): ConnectionRef {
  return { callId, deviceId };
}

export function stateOf(model: CallModel, ref: ConnectionRef): string | undefined {
  return model.call(ref.callId)?.connections.find((c) => c.deviceId === ref.deviceId)?.state;
}
