// A real-sipe scenario: one pidgin-sipe (sipe-client.ts) signed in to its own fake Lync front
// end (lync-front-end.ts), which routes the RCC dialog to a backend — one in-process gateway with
// its CTI Manager simulator, or Kamailio in front of gateway node processes. Steps are named;
// the first one that fails throws with the SIP evidence (the RCC dialog on both legs of the
// front end, and what sipe said about it), and writes the full trace to
// test-results/real-sipe/<scenario>.sip.txt (+ .sipe.log).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGateway, type Gateway } from '../../../src/gateway.js';
import { startSimulator, type Simulator } from '../../../../simulator/src/index.js';
import { SipResponse, type SipRequest } from '../../../src/sip/index.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import { REPO_ROOT } from '../../cluster/processes.js';
import { SIPE, sipeClusterConfig } from '../../rcc-clients/sipe-cluster.js';
import type { SipeHostBuild } from './build-host.js';
import { LyncFrontEnd, type TraceEntry } from './lync-front-end.js';
import { SIPE_SAYS, SipeClient, type DebugLine } from './sipe-client.js';
import { bodySummary, describeMessage, rccCallIds, renderFullTrace, renderRccTrace } from './trace-report.js';

/** sipe's account: the user of pidgin-sipe's own example (rcc-clients/sipe-cluster.ts). */
export const SIPE_ACCOUNT = 'alice@company.local';
/** The far end of every call: answers after 300 ms (sipeClusterConfig's far-end rule). */
export const FAR_END = 'tel:+3222220220';
/** The line's directory number in the simulator. */
const LINE_DN = '73124';

const ARTIFACTS = join(REPO_ROOT, 'test-results', 'real-sipe');

/** What a scenario needs from the gateway side. */
export interface RccBackend {
  readonly simulator: Simulator;
  /** Where the front end's static route for the Server URI's domain points. */
  upstream(): { host: string; port: number };
  /** The RCC Server URI sipe is provisioned with (its domain is the gateway's). */
  readonly lineServer: string;
  /** RCC sessions held by the gateway node(s). */
  sessions(): Promise<number>;
  /** Gateway output for a failure report. */
  diagnostics(): string;
  dispose(): Promise<void>;
}

/** One gateway in this process, with its own CTI Manager simulator (sipe's example site). */
export class InProcessSite implements RccBackend {
  readonly lineServer = 'sip:73124@gw.deskline.test';
  private constructor(
    readonly simulator: Simulator,
    public gateway: Gateway,
    readonly logger: MemoryLogger,
    private readonly config: Record<string, unknown>,
    private readonly port: number,
  ) {}

  static async start(options: { name: string; sessionExpiresSec?: number }): Promise<InProcessSite> {
    const logger = new MemoryLogger([], {}, 5_000, 'info');
    const simulator = await startSimulator({
      cluster: sipeClusterConfig(),
      nodes: 1,
      host: '127.0.0.1',
      port: 0,
      adminPort: null,
      applicationUser: 'rcc-test',
      applicationPassword: 'not-a-real-secret',
      logger: logger.child({ component: 'cucm-sim' }),
    });
    const config = (port: number): Record<string, unknown> => ({
      node: { id: options.name },
      sip: {
        domain: 'gw.deskline.test',
        tcp: [{ host: '127.0.0.1', port }],
        ...(options.sessionExpiresSec === undefined
          ? {}
          : { sessionExpiresSec: options.sessionExpiresSec, minSessionExpiresSec: 90 }),
      },
      cti: {
        addresses: simulator.nodes.map((n) => n.address),
        applicationUser: 'rcc-test',
        password: 'not-a-real-secret',
        // Default heartbeats (5 s): the scenarios share a small machine, and a CTI link lost to a
        // busy event loop would be a different test. A stopped CTI node closes its socket, which
        // the gateway sees at once.
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
      },
      http: { port: null },
    });
    try {
      const gateway = await createGateway({ config: config(0), logger });
      const address = gateway.sip?.listenerAddresses().find((l) => l.transport === 'TCP')?.address ?? '';
      const port = Number(address.slice(address.lastIndexOf(':') + 1));
      return new InProcessSite(simulator, gateway, logger, config(port), port);
    } catch (cause) {
      await simulator.dispose();
      throw cause;
    }
  }

  upstream(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  sessions(): Promise<number> {
    return Promise.resolve(this.gateway.core.sessionCount);
  }

  /** A gateway restart as an operator does it (graceful: BYE to every session), on the same port. */
  async restartGateway(): Promise<void> {
    await this.gateway.dispose();
    this.gateway = await createGateway({ config: this.config, logger: this.logger });
  }

  diagnostics(): string {
    return this.logger.records
      .filter((r) => r.level !== 'info' || /session|dialog|481|BYE|timeout|refus/i.test(r.message))
      .slice(-40)
      .map((r) => `  gateway ${r.level}: ${r.message} ${JSON.stringify(r.fields)}`)
      .join('\n');
  }

  async dispose(): Promise<void> {
    await this.gateway.dispose();
    await this.simulator.dispose();
  }
}

class StepFailure extends Error {}

/** The final response a message in the trace got, on a given leg. */
function finalResponseTo(
  trace: readonly TraceEntry[],
  request: TraceEntry,
  leg: TraceEntry['leg'],
): TraceEntry | undefined {
  const callId = request.message.header('call-id');
  const cseq = request.message.header('cseq');
  return trace.find(
    (e) =>
      e.at >= request.at &&
      e.leg === leg &&
      e.message instanceof SipResponse &&
      e.message.status >= 200 &&
      e.message.header('call-id') === callId &&
      e.message.header('cseq') === cseq,
  );
}

/** An answer as evidence: status, reason, Warning header, CSTA body. */
export function answerText(response: SipResponse): string {
  const warning = response.header('warning');
  return [
    `${response.status} ${response.reason}`,
    warning === undefined ? '' : `(Warning: ${warning})`,
    bodySummary(response),
  ]
    .filter((p) => p !== '')
    .join(' ');
}

function isRequest(entry: TraceEntry, method: string): entry is TraceEntry & { message: SipRequest } {
  return entry.message.isRequest && entry.message.method === method;
}

function hasToTag(message: SipRequest | SipResponse): boolean {
  return /;\s*tag=/i.test(message.header('to') ?? '');
}

export class SipeScenario {
  readonly passed: string[] = [];
  private readonly started = Date.now();

  private constructor(
    readonly name: string,
    readonly fe: LyncFrontEnd,
    readonly sipe: SipeClient,
    readonly backend: RccBackend,
  ) {}

  static async start(name: string, build: SipeHostBuild, backend: RccBackend): Promise<SipeScenario> {
    const fe = await LyncFrontEnd.start({
      user: `sip:${SIPE_ACCOUNT}`,
      line: SIPE.line,
      lineServer: backend.lineServer,
      upstream: backend.upstream(),
    });
    const sipe = await SipeClient.start(build, { name, account: SIPE_ACCOUNT, server: fe.address });
    return new SipeScenario(name, fe, sipe, backend);
  }

  /** Runs one named step; a failure carries the SIP evidence and stops the scenario. */
  async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    const begun = Date.now();
    try {
      const value = await run();
      this.passed.push(`${name} (${((Date.now() - begun) / 1000).toFixed(1)} s)`);
      return value;
    } catch (cause) {
      if (cause instanceof StepFailure) throw cause;
      const message = cause instanceof Error ? cause.message : String(cause);
      const files = await this.writeArtifacts().catch(
        (e: unknown) => `(could not write the trace: ${String(e)})`,
      );
      const sessions = await this.backend.sessions().then(
        (n) => String(n),
        (e: unknown) => `unknown (${String(e)})`,
      );
      throw new StepFailure(
        [
          `${this.name}: step "${name}" failed at +${((Date.now() - this.started) / 1000).toFixed(1)} s: ${message}`,
          `steps passed: ${this.passed.length === 0 ? 'none' : this.passed.join(' → ')}`,
          '',
          'RCC dialog at the fake Lync front end (both legs):',
          renderRccTrace(this.fe.trace),
          '',
          'sipe (last lines):',
          this.sipe.tail(40),
          '',
          `gateway (RCC sessions held now: ${sessions}):`,
          this.backend.diagnostics(),
          '',
          `full trace: ${files}`,
        ].join('\n'),
      );
    }
  }

  private async writeArtifacts(): Promise<string> {
    await mkdir(ARTIFACTS, { recursive: true });
    const base = join(ARTIFACTS, this.name.replace(/[^\w.-]+/g, '-'));
    await writeFile(`${base}.sip.txt`, renderFullTrace(this.fe.trace));
    await writeFile(
      `${base}.sipe.log`,
      this.sipe.lines
        .map((l) =>
          l.type === 'debug'
            ? `+${(l.at / 1000).toFixed(3)} ${(l as DebugLine).category}: ${(l as DebugLine).message}`
            : `+${(l.at / 1000).toFixed(3)} ${JSON.stringify(l)}`,
        )
        .concat(this.sipe.stderr.map((s) => `stderr: ${s}`))
        .join('\n'),
    );
    return `${base}.sip.txt, ${base}.sipe.log`;
  }

  async dispose(): Promise<void> {
    await this.sipe.dispose();
    await this.fe.dispose();
    await this.backend.dispose();
  }

  // ------------------------------------------------------------------ RCC as sipe does it

  /** sipe signed in, found its RCC line in roaming-self, INVITEd the gateway, ACKed, monitored. */
  async signInAndOpenRcc(): Promise<{ monitorCrossRefId: string }> {
    const ready = await this.sipe.waitFor((l) => l.type === 'ready', 'start-up', 10_000);
    if (ready['sipe'] !== '1.25.0')
      throw new Error(`expected pidgin-sipe 1.25.0, the host loaded ${String(ready['sipe'])}`);
    await this.sipe.waitFor((l) => l.type === 'connection' && l['state'] === 'connected', 'sign-in', 20_000);
    const [, line, server] = await this.sipe.waitForSipe(
      SIPE_SAYS.roamingLine,
      'the RCC line from roaming-self',
      10_000,
    );
    if (line !== SIPE.line || server !== this.backend.lineServer)
      throw new Error(`sipe read line ${line} server ${server} from roaming-self`);
    const invite = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'INVITE') && !hasToTag(e.message),
      "sipe's RCC INVITE",
      10_000,
    );
    const answer = await this.fe.waitFor(
      (e) => e === finalResponseTo(this.fe.trace, invite, 'fe→sipe'),
      'the final response to the INVITE',
      15_000,
    );
    const response = answer.message as SipResponse;
    if (response.status !== 200) throw new Error(`the RCC INVITE was answered ${answerText(response)}`);
    const [, status] = await this.sipe.waitForSipe(SIPE_SAYS.gatewayStatus, 'the gateway status', 5_000);
    if (status !== 'normal') throw new Error(`sipe read systemStatus ${status}`);
    const [, xref] = await this.sipe.waitForSipe(SIPE_SAYS.monitor, 'its MonitorStartResponse', 10_000);
    if (xref === undefined || xref === '') throw new Error('sipe read no monitorCrossRefID');
    // On the wire: ACK with the INVITE's CSeq 1 (sipe resets to 0 and counts up: 1).
    const ack = await this.fe.waitFor(
      (e) => e.leg === 'fe→up' && isRequest(e, 'ACK'),
      'the ACK relayed',
      5_000,
    );
    if (!/^1\s+ACK$/.test(ack.message.header('cseq') ?? ''))
      throw new Error(`ACK went with CSeq ${ack.message.header('cseq')}`);
    return { monitorCrossRefId: xref };
  }

  /**
   * One call as a sipe user places it: "Work <number>" in the buddy menu → MakeCall; the
   * MakeCallResponse and the Originated, Delivered and Established events accepted by sipe (their
   * callID and monitorCrossRefID match what it stored); the far end hangs up; sipe sees
   * ConnectionCleared and offers a call again (its line is idle). Resolves with the callID.
   */
  async call(): Promise<{ callId: string; answeredBy: string }> {
    const sipeMark = this.sipe.mark();
    const traceMark = this.fe.trace.length;
    const chosen = await this.sipe.call(FAR_END);
    if (!chosen.ok)
      throw new Error(
        `sipe offers no call: ${chosen.reason ?? ''} (menu: ${(chosen.labels ?? []).join(', ')})`,
      );
    const makeCall = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'INFO') && bodySummary(e.message).startsWith('[MakeCall'),
      "sipe's MakeCall",
      5_000,
      traceMark,
    );
    const answer = await this.fe
      .waitFor(
        (e) => e === finalResponseTo(this.fe.trace, makeCall, 'fe→sipe'),
        'an answer to MakeCall',
        15_000,
        traceMark,
      )
      .catch(() => {
        throw new Error(`no final response to MakeCall within 15 s: ${describeMessage(makeCall.message)}`);
      });
    const response = answer.message as SipResponse;
    if (response.status !== 200 || !bodySummary(response).startsWith('[MakeCallResponse'))
      throw new Error(`MakeCall answered ${answerText(response)}`);
    const [, callId] = await this.sipe.waitForSipe(
      SIPE_SAYS.makeCallCallId,
      'the callID of MakeCallResponse',
      5_000,
      sipeMark,
    );
    const answeredBy = response.header('server') ?? '';
    // Originated, Delivered, Established: three events sipe accepts for its call.
    const deadline = Date.now() + 10_000;
    while (this.sipe.sipeSaid(SIPE_SAYS.eventAccepted, sipeMark).length < 3) {
      if (Date.now() > deadline) {
        const ignored = [
          ...this.sipe
            .sipeSaid(SIPE_SAYS.eventOtherMonitor, sipeMark)
            .map((m) => `monitorCrossRefID ${m[1]} unknown to sipe`),
          ...this.sipe.sipeSaid(SIPE_SAYS.eventOtherCall, sipeMark).map((m) => `callID ${m[1]} not sipe's`),
        ];
        const delivered = this.fe.trace
          .slice(traceMark)
          .filter((e) => e.leg === 'fe→sipe' && isRequest(e, 'INFO'))
          .map((e) => bodySummary(e.message));
        throw new Error(
          `sipe accepted ${this.sipe.sipeSaid(SIPE_SAYS.eventAccepted, sipeMark).length} of the call's 3 events within 10 s; ` +
            `event INFOs relayed to sipe: ${delivered.join(' ') || 'none'}; sipe ignored: ${ignored.join('; ') || 'nothing'}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.hangUpFarEnd();
    await this.sipe.untilIdle(10_000);
    return { callId: callId ?? '', answeredBy };
  }

  /** The far end hangs up every call on sipe's line (sipe itself cannot: it has no ClearConnection). */
  async hangUpFarEnd(): Promise<void> {
    const onLine = (): string[] =>
      this.backend.simulator.model
        .snapshot()
        .filter((c) =>
          c.connections.some((p) => p.deviceId.includes(`/${LINE_DN}/`) || p.deviceId.endsWith(LINE_DN)),
        )
        .map((c) => c.callId);
    const calls = onLine();
    if (calls.length === 0) throw new Error('no call on the line in the CTI Manager simulator');
    for (const id of calls) {
      const cleared = this.backend.simulator.model.clearCallById(id);
      if (!cleared.ok) throw cleared.error;
    }
  }

  /**
   * Waits for sipe's next session refresh (an in-dialog re-INVITE at Session-Expires − 60 s) and
   * what became of it: the final response sipe got, and the ACK it sent (relayed or not).
   */
  async refresh(timeoutMs: number): Promise<{ response: SipResponse; ackCSeq: string; at: number }> {
    const traceMark = this.fe.trace.length;
    const reInvite = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'INVITE') && hasToTag(e.message),
      "sipe's refresh re-INVITE",
      timeoutMs,
      traceMark,
    );
    const answer = await this.fe.waitFor(
      (e) => e === finalResponseTo(this.fe.trace, reInvite, 'fe→sipe'),
      'the final response to the re-INVITE',
      15_000,
      traceMark,
    );
    const ack = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'ACK') && e.at >= answer.at,
      'the ACK of the refresh',
      5_000,
      traceMark,
    );
    return {
      response: answer.message as SipResponse,
      ackCSeq: ack.message.header('cseq') ?? '',
      at: reInvite.at,
    };
  }

  /** The gateway still holds the session and never ended it (no BYE towards sipe). */
  async expectSessionAlive(): Promise<void> {
    const byes = this.fe.trace.filter((e) => e.leg === 'up→fe' && isRequest(e, 'BYE'));
    if (byes.length > 0) throw new Error(`the gateway sent BYE at +${(byes[0]!.at / 1000).toFixed(1)} s`);
    const sessions = await this.backend.sessions();
    if (sessions !== 1) throw new Error(`the gateway holds ${sessions} RCC sessions, expected sipe's 1`);
  }

  /** sipe signs out: MonitorStop and BYE, both answered 200 by the gateway; everything released. */
  async signOut(): Promise<void> {
    const traceMark = this.fe.trace.length;
    await this.sipe.signOut();
    const stop = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'INFO') && bodySummary(e.message).startsWith('[MonitorStop'),
      "sipe's MonitorStop",
      5_000,
      traceMark,
    );
    const bye = await this.fe.waitFor(
      (e) => e.leg === 'sipe→fe' && isRequest(e, 'BYE'),
      "sipe's BYE",
      5_000,
      traceMark,
    );
    const stopAnswer = await this.fe.waitFor(
      (e) => e === finalResponseTo(this.fe.trace, stop, 'up→fe'),
      'the answer to MonitorStop',
      10_000,
      traceMark,
    );
    const byeAnswer = await this.fe.waitFor(
      (e) => e === finalResponseTo(this.fe.trace, bye, 'up→fe'),
      'the answer to BYE',
      10_000,
      traceMark,
    );
    const stopped = stopAnswer.message as SipResponse;
    const ended = byeAnswer.message as SipResponse;
    if (stopped.status !== 200 || !bodySummary(stopped).startsWith('[MonitorStopResponse'))
      throw new Error(`MonitorStop answered ${answerText(stopped)}`);
    if (ended.status !== 200) throw new Error(`BYE answered ${ended.status} ${ended.reason}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const sessions = await this.backend.sessions();
      const monitors = this.backend.simulator.nodes.reduce((n, node) => n + node.monitors, 0);
      if (sessions === 0 && monitors === 0) return;
      if (Date.now() > deadline)
        throw new Error(`after sign-out: ${sessions} sessions, ${monitors} CTI monitors left`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Milliseconds since the scenario started. */
  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** The RCC dialog's Call-IDs sipe used (one: it never re-INVITEs out of dialog). */
  get rccDialogs(): number {
    return rccCallIds(this.fe.trace).size;
  }
}

export { isRequest, finalResponseTo };
