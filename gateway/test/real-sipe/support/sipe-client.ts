// One real pidgin-sipe, run by our headless libpurple host (sipe-host.c) as a child process and
// driven over its stdin/stdout JSON lines. What sipe understood is read from its own debug
// lines (src/core/sip-csta.c logs every decision: the gateway status, the monitorCrossRefID,
// the callID of MakeCallResponse, each event accepted or ignored); what it did on the wire is in
// the front end's trace.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIPE_PLUGIN_DIR, type SipeHostBuild } from './build-host.js';

export interface HostLine {
  /** Milliseconds since the host started. */
  readonly at: number;
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface DebugLine extends HostLine {
  readonly type: 'debug';
  readonly level: string;
  readonly category: string;
  readonly message: string;
}

const KEPT_LINES = 100_000;

/** What sipe's sip-csta.c says about RCC (the lines the tests reason about). */
export const SIPE_SAYS = {
  roamingLine: /^sipe_ocs2007_process_roaming_self: line_uri=(.*) server=(.*)$/,
  gatewayStatus: /^process_invite_csta_gateway_response: gateway_status=(.*)$/,
  inviteFailed: /^process_invite_csta_gateway_response: INVITE response is not 200/,
  monitor: /^process_csta_monitor_start_response: monitor_cross_ref_id=(.*)$/,
  makeCallCallId: /^process_csta_make_call_response: call_id=(.*)$/,
  makeCallFailed: /^process_csta_make_call_response: Make Call response is not 200/,
  eventAccepted: /^sipe_csta_update_id_and_status: device_id=\((.*)\)$/,
  eventOtherCall: /^sipe_csta_update_id_and_status: callID \((.*)\) does not match/,
  eventOtherMonitor: /^process_incoming_info_csta: monitorCrossRefID \((.*)\) does not match/,
  refreshScheduled: /^scheduling action <\+csta> timeout (\d+) seconds$/,
} as const;

export class SipeClient {
  readonly lines: HostLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly started = Date.now();
  private readonly waiters: { check: (l: HostLine) => boolean; resolve: (l: HostLine) => void }[] = [];
  private running = true;
  /** Lines dropped from the front of `lines` (marks stay valid). */
  private dropped = 0;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly userDir: string,
  ) {
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        const text = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        nl = partial.indexOf('\n');
        if (text.trim() === '') continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { type: 'unparsed', text };
        }
        this.push({ ...parsed, at: Date.now() - this.started, type: String(parsed['type']) });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') this.stderr.push(line);
      if (this.stderr.length > 2_000) this.stderr.splice(0, this.stderr.length - 2_000);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.running = false;
        resolve(code);
      });
      child.once('error', () => {
        this.running = false;
        resolve(-1);
      });
    });
  }

  /** Starts sipe signing in as `account` (user@domain) to the front end at `server` (host:port). */
  static async start(
    build: SipeHostBuild,
    options: { name: string; account: string; server: string; maxSeconds?: number },
  ): Promise<SipeClient> {
    const userDir = await mkdtemp(join(tmpdir(), 'deskline-sipe-user-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: userDir,
      // No session bus here: libpurple's D-Bus support must fail at once, not autolaunch one.
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/deskline-no-bus',
      // Nothing from the environment may redirect sipe's connection.
      http_proxy: '',
      https_proxy: '',
      no_proxy: '*',
    };
    if (build.shim !== undefined) env['LD_PRELOAD'] = build.shim;
    else delete env['LD_PRELOAD'];
    const child = spawn(
      build.host,
      [
        '--plugin-dir',
        SIPE_PLUGIN_DIR,
        '--user-dir',
        userDir,
        '--account',
        options.account,
        '--server',
        options.server,
        '--max-seconds',
        String(options.maxSeconds ?? 600),
      ],
      { env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return new SipeClient(options.name, child, userDir);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** sipe's debug lines (category "sipe"), in order. */
  sipeSaid(pattern: RegExp, from = 0): RegExpMatchArray[] {
    const out: RegExpMatchArray[] = [];
    for (const line of this.since(from)) {
      if (line.type !== 'debug') continue;
      const match = (line as DebugLine).message.match(pattern);
      if (match !== null) out.push(match);
    }
    return out;
  }

  /** Index to pass as `from` so that later waits only see what happens after now. */
  mark(): number {
    return this.dropped + this.lines.length;
  }

  private since(mark: number): HostLine[] {
    return this.lines.slice(Math.max(0, mark - this.dropped));
  }

  /** The first host line (already seen after `from`, or future) for which `check` holds. */
  waitFor(check: (line: HostLine) => boolean, what: string, timeoutMs: number, from = 0): Promise<HostLine> {
    const found = this.since(from).find(check);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<HostLine>((resolve, reject) => {
      const waiter = {
        check,
        resolve: (line: HostLine): void => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.name}: sipe did not report ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for a sipe debug line matching `pattern`; resolves with its match. */
  async waitForSipe(pattern: RegExp, what: string, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    const line = await this.waitFor(
      (l) => l.type === 'debug' && pattern.test((l as DebugLine).message),
      what,
      timeoutMs,
      from,
    );
    return (line as DebugLine).message.match(pattern)!;
  }

  /** Chooses "Work <number>" in the callee's buddy menu: sipe sends MakeCall. */
  async call(telUri: string): Promise<{ ok: boolean; label?: string; reason?: string; labels?: string[] }> {
    const from = this.mark();
    this.send(`call ${telUri}`);
    const line = await this.waitFor((l) => l.type === 'call', 'the result of the call command', 5_000, from);
    return {
      ok: line['ok'] === 'true',
      label: line['label'] as string | undefined,
      reason: line['reason'] as string | undefined,
      labels: line['labels'] as string[] | undefined,
    };
  }

  /** The labels of the callee's buddy menu ("Work …" is there only while sipe's RCC line is idle). */
  async menu(): Promise<string[]> {
    const from = this.mark();
    this.send('menu');
    const line = await this.waitFor((l) => l.type === 'menu', 'the buddy menu', 5_000, from);
    return line['labels'] as string[];
  }

  /** Polls the buddy menu until sipe offers a call again (its line is idle: ConnectionCleared seen). */
  async untilIdle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const labels = await this.menu();
      if (labels.some((l) => l.startsWith('Work '))) return;
      if (Date.now() > deadline)
        throw new Error(
          `${this.name}: sipe's RCC line is not idle after ${timeoutMs} ms (menu: ${labels.join(', ')})`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async signOut(): Promise<void> {
    const from = this.mark();
    this.send('signout');
    await this.waitFor((l) => l.type === 'signed-out', 'sign-out', 10_000, from);
  }

  /** Ends the host (quit, then SIGKILL after a grace period) and removes its directory. */
  async dispose(): Promise<void> {
    if (this.running) {
      this.send('quit');
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.userDir, { recursive: true, force: true });
  }

  /** The last `n` lines sipe and libpurple printed, for a failure report. */
  tail(n = 60): string {
    return this.lines
      .slice(-n)
      .map((l) => {
        const text =
          l.type === 'debug'
            ? `${(l as DebugLine).category}: ${(l as DebugLine).message}`
            : JSON.stringify(l);
        return `  +${(l.at / 1000).toFixed(3)}s ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`;
      })
      .join('\n');
  }

  private send(line: string): void {
    if (!this.running) throw new Error(`${this.name}: the sipe host is not running (it exited)`);
    this.child.stdin.write(`${line}\n`);
  }

  private push(line: HostLine): void {
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) {
      const drop = this.lines.length - KEPT_LINES;
      this.lines.splice(0, drop);
      this.dropped += drop;
    }
    for (const waiter of [...this.waiters]) {
      if (waiter.check(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }
}
