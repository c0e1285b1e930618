// A Microsoft RCC client that keeps the gateway busy while faults are injected: over raw SIP (TCP
// or WebSocket) it opens a session (INVITE + RequestSystemStatus, MonitorStart), then loops
// MakeCall → ClearConnection → SnapshotDevice (clearing whatever calls the snapshot still shows).
// It recovers the way Communicator does: a 481 → a new INVITE (docs/msrcc.md, Cisco's behaviour after
// a CTI reconnect); a CSTAErrorCode → retry later; a lost connection or a silent gateway → a new
// connection and a new INVITE, after BYE-ing the old dialog over the new connection (a TCP dialog
// outlives its connection, RFC 3261 §18.1.1). Every outcome is counted, so a test can say what
// the client saw and check that it kept making progress.
import { decodeCsta, type CstaMessage } from '../../src/csta/index.js';
import { buildRequest, SipRawClient, type RawSession } from '../support/sip-raw-client.js';
import { isDesklineError, ErrorCode } from '../../src/util/errors.js';
import { SipRequest, type SipResponse } from '../../src/sip/index.js';
import { body } from '../faces/msrcc/helpers.js';
import { expect } from 'vitest';
import { FAR_END, LOAD_USERS, type Listener, type Rig } from './harness.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
export const snapshotDeviceBody = (device: string): string =>
  `<?xml version="1.0"?><SnapshotDevice xmlns="${NS}"><snapshotObject>${device}</snapshotObject></SnapshotDevice>`;

/** Why an iteration stopped early; the loop counts it and starts again. */
class Interrupted extends Error {
  constructor(why = 'interrupted') {
    super(why);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LoadClientOptions {
  readonly user: string;
  readonly line: string;
  readonly transport: 'TCP' | 'WS';
  /** Where the gateway is now (it may move, e.g. after a process restart). */
  readonly target: () => Listener;
  /** Who MakeCall dials. */
  readonly dial: string;
  /** Pause between iterations (a steady load, not a busy loop on a shared 2-core machine). */
  readonly pauseMs?: number;
  /** How long to wait for any answer before calling the connection dead. */
  readonly waitTimeoutMs?: number;
  /**
   * After this many CSTA "resource out of service" answers in a row, refresh the session with an
   * in-dialog re-INVITE (what older Communicator and sipe do periodically, docs/msrcc.md): the gateway
   * rebinds the session to a healthy CTI connection. Default 8; 0 = never.
   */
  readonly refreshAfterOutages?: number;
}

export class LoadClient {
  readonly name: string;
  /** Rounds in which MakeCall and ClearConnection both succeeded (what progress() counts). */
  iterations = 0;
  /** Rounds completed whatever the answers (CSTA errors included). */
  rounds = 0;
  /** What the client saw, by kind ('MakeCallResponse', 'CSTAErrorCode:systemResourceAvailibility', 'INFO 481', ...). */
  readonly outcomes = new Map<string, number>();
  /** Calls the gateway told us about (MakeCallResponse and snapshots). */
  readonly callIds = new Set<string>();
  /** Unexpected failures (a status no gateway behaviour explains): the test fails on any. */
  readonly anomalies: string[] = [];
  private client: SipRawClient | undefined;
  private session: RawSession | undefined;
  private monitorId: string | undefined;
  /** A dialog whose connection died: BYE'd over the next connection. */
  private orphan: RawSession | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly waiters: { target: number; resolve: () => void }[] = [];
  private outagesInARow = 0;

  constructor(private readonly options: LoadClientOptions) {
    this.name = `${options.user}/${options.transport}`;
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop = this.run();
    return this;
  }

  /** Resolves after `more` further completed iterations. */
  progress(more: number, timeoutMs = 20_000): Promise<void> {
    const target = this.iterations + more;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.name}: no progress (${this.iterations} iterations, wanted ${target}); saw ${JSON.stringify([...this.outcomes])}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  count(outcome: string): number {
    return this.outcomes.get(outcome) ?? 0;
  }

  /** Stops the loop, clears this line's calls, stops the monitor, says BYE and closes. */
  async stop(timeoutMs = 15_000): Promise<void> {
    this.running = false;
    await this.loop;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const session = await this.ensureSession();
        await this.clearMyCalls(session);
        // Sign-out as Communicator does it: MonitorStop, then BYE (docs/msrcc.md).
        if (this.monitorId !== undefined) await this.info(session, body.monitorStop(this.monitorId));
        await this.byeQuietly(session);
        break;
      } catch (cause) {
        // A fault may still be settling (503, 481, a connection cut): try again, within bounds.
        if (!(cause instanceof Interrupted) || Date.now() > deadline) {
          this.anomalies.push(`clean stop failed: ${String(cause)}`);
          break;
        }
        await sleep(100);
      }
    }
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
    this.session = undefined;
  }

  /** Drops the connection without a word (the client's machine died). */
  destroyConnection(): void {
    this.client?.destroy();
  }

  private note(outcome: string): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const session = await this.ensureSession();
        const succeeded = await this.iteration(session);
        this.rounds++;
        if (succeeded) this.iterations++;
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const waiter = this.waiters[i]!;
          if (this.iterations >= waiter.target) {
            this.waiters.splice(i, 1);
            waiter.resolve();
          }
        }
      } catch (cause) {
        if (!(cause instanceof Interrupted)) {
          this.anomalies.push(String(cause));
          this.note('anomaly');
        }
        await sleep(50);
      }
      // Drop the event INFOs we answered (auto-answer keeps them for nextRequest()).
      const received = this.client?.received;
      if (received !== undefined)
        for (let i = received.length - 1; i >= 0; i--)
          if (received[i] instanceof SipRequest) received.splice(i, 1);
      await sleep(this.options.pauseMs ?? 20);
    }
  }

  /** One round; true when the call was made and cleared. */
  private async iteration(session: RawSession): Promise<boolean> {
    const { line, dial } = this.options;
    const made = await this.info(session, body.makeCall(line, dial));
    let succeeded = false;
    if (made.type === 'MakeCallResponse' && made.callingDevice.callID !== undefined) {
      this.callIds.add(made.callingDevice.callID);
      const cleared = await this.info(session, body.clearConnection(made.callingDevice.callID, line));
      succeeded = cleared.type === 'ClearConnectionResponse';
    }
    await this.clearMyCalls(session);
    return succeeded;
  }

  /** SnapshotDevice, then ClearConnection for every call it lists (calls whose MakeCallResponse a fault lost). */
  private async clearMyCalls(session: RawSession): Promise<void> {
    const { line } = this.options;
    const snapshot = await this.info(session, snapshotDeviceBody(line));
    if (snapshot.type !== 'SnapshotDeviceResponse') return;
    for (const item of snapshot.crossRefIDorSnapshotData.snapshotData ?? []) {
      const callId = item.connectionIdentifier.callID;
      if (callId === undefined) continue;
      this.callIds.add(callId);
      await this.info(session, body.clearConnection(callId, line));
    }
  }

  /** Sends an INFO and returns its CSTA answer, or throws Interrupted after dealing with the failure. */
  private async info(session: RawSession, xml: string): Promise<CstaMessage> {
    let response: SipResponse;
    try {
      response = await session.info(xml);
    } catch (cause) {
      this.connectionLost(isDesklineError(cause, ErrorCode.SipTimeout) ? 'INFO timeout' : 'INFO failed');
      throw new Interrupted();
    }
    if (response.status === 481) {
      // The gateway says the session must be re-established (CTI reconnected, or it restarted).
      this.note('INFO 481');
      this.session = undefined;
      this.monitorId = undefined;
      throw new Interrupted();
    }
    if (response.status !== 200) {
      this.note(`INFO ${response.status}`);
      if (response.status === 500 || response.status === 503) throw new Interrupted();
      throw new Error(`${this.name}: INFO answered ${response.status} ${response.reason}`);
    }
    const decoded = decodeCsta(response.body);
    if (!decoded.ok)
      throw new Error(`${this.name}: 200 OK with a body that is not CSTA: ${decoded.error.message}`);
    const message = decoded.value.message;
    this.note(
      message.type === 'CSTAErrorCode'
        ? `CSTAErrorCode:${message.errorClass}/${message.value}`
        : message.type,
    );
    if (message.type === 'CSTAErrorCode' && message.errorClass === 'systemResourceAvailibility') {
      const limit = this.options.refreshAfterOutages ?? 8;
      if (limit > 0 && ++this.outagesInARow >= limit) {
        this.outagesInARow = 0;
        await this.refresh(session);
      }
    } else {
      this.outagesInARow = 0;
    }
    return message;
  }

  /** In-dialog re-INVITE with RequestSystemStatus (a session refresh that also restores a session). */
  private async refresh(session: RawSession): Promise<void> {
    try {
      const response = await session.reInvite(body.requestSystemStatus(this.options.line));
      this.note(`re-INVITE ${response.status}`);
      if (response.status === 481) {
        this.session = undefined;
        this.monitorId = undefined;
      }
    } catch {
      this.connectionLost('re-INVITE timeout');
    }
  }

  private connectionLost(why: string): void {
    this.note(why);
    this.client?.destroy();
  }

  private async ensureSession(): Promise<RawSession> {
    if (this.client !== undefined && this.client.isClosed) {
      this.note('connection closed');
      if (this.session !== undefined && this.options.transport === 'TCP') this.orphan = this.session;
      this.client = undefined;
      this.session = undefined;
      this.monitorId = undefined;
    }
    if (this.client === undefined) {
      const { host, port } = this.options.target();
      try {
        this.client = await SipRawClient.connect({
          transport: this.options.transport,
          host,
          port,
          waitTimeoutMs: this.options.waitTimeoutMs ?? 4_000,
        });
      } catch {
        this.note('connect failed');
        throw new Interrupted();
      }
      if (this.orphan !== undefined) await this.byeOrphan(this.client, this.orphan);
    }
    if (this.session !== undefined) return this.session;
    const client = this.client;
    const { user, line, transport } = this.options;
    let session: RawSession;
    try {
      session = await client.openSession({
        uri: 'sip:rcc@gw.deskline.test',
        from: `<sip:${user}@deskline.example>`,
        // Unreachable on purpose (port 1): if the gateway ever has to call us back on a new
        // connection, it fails at once instead of waiting for a DNS or connect timeout.
        contact:
          transport === 'TCP'
            ? `<sip:${user}@127.0.0.1:1;transport=tcp>`
            : `<sip:${user}@load.invalid;transport=ws>`,
        body: body.requestSystemStatus(line),
      });
    } catch (cause) {
      this.connectionLost(isDesklineError(cause, ErrorCode.SipTimeout) ? 'INVITE timeout' : 'INVITE failed');
      throw new Interrupted();
    }
    const status = session.inviteResponse.status;
    this.note(`INVITE ${status}`);
    if (status === 503) throw new Interrupted();
    if (status !== 200)
      throw new Error(`${this.name}: INVITE answered ${status} ${session.inviteResponse.reason}`);
    this.session = session;
    const monitor = await this.info(session, body.monitorStart(line));
    if (monitor.type !== 'MonitorStartResponse') {
      await this.byeQuietly(session);
      throw new Interrupted();
    }
    this.monitorId = monitor.monitorCrossRefID;
    return session;
  }

  /** BYE for a dialog whose connection died, sent over the new one (in-dialog request, RFC 3261 §12.2.1.1). */
  private async byeOrphan(client: SipRawClient, orphan: RawSession): Promise<void> {
    this.orphan = undefined;
    const built = buildRequest(
      {
        method: 'BYE',
        uri: orphan.remoteTarget,
        headers: [
          ['From', orphan.fromHeader],
          ['To', orphan.toHeader],
          ['Call-ID', orphan.callId],
          ['CSeq', `${orphan.lastCSeq + 1} BYE`],
        ],
      },
      client.transport,
    );
    client.sendBytes(built.bytes);
    try {
      const response = await client.finalResponse(built.branch, 'BYE');
      // 200: the gateway still had the dialog; 481: it had already released it. Both are fine.
      this.note(`orphan BYE ${response.status}`);
    } catch {
      this.note('orphan BYE unanswered');
    }
  }

  private async byeQuietly(session: RawSession): Promise<void> {
    if (this.session === session) {
      this.session = undefined;
      this.monitorId = undefined;
    }
    try {
      const response = await session.bye();
      this.note(`BYE ${response.status}`);
    } catch {
      this.note('BYE unanswered');
    }
  }
}

/** Starts `count` load clients on the rig's gateway, alternating TCP and WebSocket, and waits until each works. */
export async function startLoad(
  rig: Rig,
  options: {
    count?: number;
    users?: readonly { user: string; line: string }[];
    refreshAfterOutages?: number;
  } = {},
): Promise<LoadClient[]> {
  const users = (options.users ?? LOAD_USERS).slice(0, options.count ?? 4);
  const load = users.map((u, i) => {
    const transport = i % 2 === 0 ? 'TCP' : 'WS';
    return new LoadClient({
      user: u.user,
      line: u.line,
      transport,
      target: () => rig.listener(transport),
      dial: FAR_END,
      ...(options.refreshAfterOutages === undefined
        ? {}
        : { refreshAfterOutages: options.refreshAfterOutages }),
    }).start();
  });
  await Promise.all(load.map((c) => c.progress(3)));
  return load;
}

/**
 * The end of every fault test: the load is still making progress, every call in the simulator
 * is one the load placed, then the load signs out and nothing is left behind.
 */
export async function drainAndCheck(rig: Rig, load: readonly LoadClient[]): Promise<void> {
  await Promise.all(load.map((c) => c.progress(3)));
  rig.expectCallsAccountedFor();
  await Promise.all(load.map((c) => c.stop()));
  for (const client of load) expect(client.anomalies, client.name).toEqual([]);
  await rig.expectGatewayIdle();
  await rig.expectNoCalls();
  await rig.finish();
}
