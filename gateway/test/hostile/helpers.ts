// Shared by the hostile-input suites: a full gateway (the fault rig: simulator + gateway with SIP
// TCP and WebSocket listeners), signed-in RCC sessions that must keep working whatever else
// arrives, and a snapshot of everything hostile input must not change.
import { expect } from 'vitest';
import { buildRequest, SipRawClient, type RawSession } from '../support/sip-raw-client.js';
import type { SipResponse } from '../../src/sip/index.js';
import { body, csta } from '../faces/msrcc/helpers.js';
import { FAR_END, Rig, until } from '../fault/harness.js';
import { snapshotDeviceBody } from '../fault/load-client.js';

export const LINES = {
  alice: 'tel:1001;phone-context=dialstring;partition=INTERNAL',
  bob: 'tel:1002;phone-context=dialstring;partition=INTERNAL',
  carol: 'tel:1003;phone-context=dialstring;partition=INTERNAL',
  dave: 'tel:1004;phone-context=dialstring;partition=INTERNAL',
  grace: 'tel:1007;phone-context=dialstring;partition=INTERNAL',
} as const;
export type DemoUser = keyof typeof LINES;

export interface SignedIn {
  readonly user: DemoUser;
  readonly client: SipRawClient;
  readonly session: RawSession;
  readonly monitor: string;
}

export async function connect(
  rig: Rig,
  transport: 'TCP' | 'WS',
  options: { autoAnswer?: boolean } = {},
): Promise<SipRawClient> {
  const { host, port } = rig.listener(transport);
  return SipRawClient.connect({ transport, host, port, waitTimeoutMs: 5_000, ...options });
}

export function invite(
  client: SipRawClient,
  user: string,
  line: string,
  from = `<sip:${user}@deskline.example>`,
): Promise<RawSession> {
  return client.openSession({
    uri: 'sip:rcc@gw.deskline.test',
    from,
    contact:
      client.transport === 'TCP'
        ? `<sip:${user}@127.0.0.1:1;transport=tcp>`
        : `<sip:${user}@hostile.invalid;transport=ws>`,
    body: body.requestSystemStatus(line),
  });
}

/** Opens a session for `user` on their own line, with a monitor. */
export async function signIn(rig: Rig, transport: 'TCP' | 'WS', user: DemoUser): Promise<SignedIn> {
  const client = await connect(rig, transport);
  const session = await invite(client, user, LINES[user]);
  expect(session.inviteResponse.status, `${user} signs in`).toBe(200);
  const monitor = csta(await session.info(body.monitorStart(LINES[user])));
  if (monitor.type !== 'MonitorStartResponse')
    throw new Error(`MonitorStart for ${user}: ${JSON.stringify(monitor)}`);
  return { user, client, session, monitor: monitor.monitorCrossRefID };
}

/** A signed-in session still works: a call made and cleared, the snapshot empty again. */
export async function expectWorking(who: SignedIn): Promise<void> {
  const line = LINES[who.user];
  const made = csta(await who.session.info(body.makeCall(line, FAR_END)));
  if (made.type !== 'MakeCallResponse')
    throw new Error(`${who.user} cannot call any more: ${JSON.stringify(made)}`);
  expect(csta(await who.session.info(body.clearConnection(made.callingDevice.callID ?? '', line))).type).toBe(
    'ClearConnectionResponse',
  );
  expect(csta(await who.session.info(snapshotDeviceBody(line))).type).toBe('SnapshotDeviceResponse');
}

export async function signOut(who: SignedIn): Promise<void> {
  expect(csta(await who.session.info(body.monitorStop(who.monitor))).type).toBe('MonitorStopResponse');
  expect((await who.session.bye()).status).toBe(200);
  await who.client.close();
}

/**
 * An in-dialog INFO with arbitrary body bytes. Over WebSocket it goes as a binary message: a text
 * message must be valid UTF-8 (RFC 6455 §8.1 — a peer that sends otherwise has its connection
 * failed, see the test for that), and RFC 7118 §5.1 lets SIP travel in binary messages.
 */
export async function rawInfo(
  who: SignedIn,
  bytes: Buffer | string,
  contentType?: string,
): Promise<SipResponse> {
  const built = who.session.build('INFO', {
    body: bytes,
    headers: [['Content-Disposition', 'signal;handling=required']],
    ...(contentType === undefined ? {} : { contentType }),
  });
  who.client.sendBytes(built.bytes, { binary: true });
  return who.client.finalResponse(built.branch, 'INFO');
}

/** A session-opening INVITE with arbitrary body bytes (binary over WebSocket, as rawInfo). */
export async function rawInvite(
  client: SipRawClient,
  user: string,
  bytes: Buffer | string,
): Promise<SipResponse> {
  const built = buildRequest(
    {
      method: 'INVITE',
      uri: 'sip:rcc@gw.deskline.test',
      from: `<sip:${user}@deskline.example>`,
      headers: [
        ['Contact', `<sip:${user}@127.0.0.1:1;transport=tcp>`],
        ['Content-Disposition', 'signal;handling=required'],
        ['Supported', 'timer'],
      ],
      body: bytes,
    },
    client.transport,
  );
  client.sendBytes(built.bytes, { binary: true });
  const response = await client.finalResponse(built.branch, 'INVITE');
  if (response.status >= 200 && response.status < 300)
    throw new Error(`a hostile INVITE was accepted: ${response.status}`);
  return response;
}

/** What hostile input must leave as it was. */
export interface EngineState {
  readonly sessions: number;
  readonly dialogs: number;
  readonly monitors: number;
  readonly calls: number;
}

export function engineState(rig: Rig): EngineState {
  return {
    sessions: rig.gateway.core.sessionCount,
    dialogs: rig.gateway.sip?.userAgent.stats().dialogs ?? 0,
    monitors: rig.simMonitors(),
    calls: rig.sim.model.snapshot().length,
  };
}

/** Waits until the engine is back to `state` (clearing a call, closing a connection take a moment). */
export async function expectState(rig: Rig, state: EngineState, what: string): Promise<void> {
  await until(
    () => JSON.stringify(engineState(rig)) === JSON.stringify(state),
    () => `${what}: engine back to ${JSON.stringify(state)}, is ${JSON.stringify(engineState(rig))}`,
  );
}

/** The Warning header's text (RFC 3261 §20.43), quotes removed. */
export function warningText(response: SipResponse): string {
  return /^399 deskline "(.*)"$/.exec(response.header('warning') ?? '')?.[1] ?? '';
}
