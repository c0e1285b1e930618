// The headless service as an operator runs it: a real process, its health endpoint, a SIP client,
// and SIGTERM draining the sessions with BYE before a clean exit. Bad config stops start-up.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SipRawClient } from '../../gateway/test/support/sip-raw-client.js';
import { buildService } from '../../scripts/build.mjs';
import { ALICE_LINE, openRcc } from '../../gateway/test/faces/msrcc/helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(
  args: string[],
  entry: string[] = ['--import', 'tsx', CLI],
): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  line: (re: RegExp) => Promise<RegExpMatchArray>;
} {
  const child = spawn(process.execPath, [...entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const feed = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m !== null) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  child.stdout?.on('data', feed);
  child.stderr?.on('data', feed);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    line: (re) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m !== null) return resolve(m);
        const timer = setTimeout(() => reject(new Error(`no ${re} in output:\n${out}`)), 20_000);
        waiters.push({ re, resolve: (x) => (clearTimeout(timer), resolve(x)) });
      }),
  };
}

function tempConfig(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'deskline-cli-'));
  dirs.push(dir);
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('npm run gateway', () => {
  it('starts on the demo cluster, reports health, and drains sessions with BYE on SIGTERM', async () => {
    const config = tempConfig(
      'demo: { enabled: true, nodes: 2 }\nsip: { tcp: [{ host: 127.0.0.1, port: 0 }] }\nhttp: { host: 127.0.0.1, port: 0 }\nlog: { level: warn }\n',
    );
    const service = run(['--config', config]);
    const [, sipPort] = await service.line(/SIP TCP 127\.0\.0\.1:(\d+)/);
    const [, healthUrl] = await service.line(/health (http:\/\/\S+)\/health/);
    const health = (await (await fetch(`${healthUrl}/health`)).json()) as {
      status: string;
      cti: { nodes: { state: string; connectionId?: string }[] };
    };
    expect(health.status).toBe('ok');
    expect(health.cti.nodes.map((n) => n.state)).toEqual(['up', 'up']);
    const metrics = await (await fetch(`${healthUrl}/metrics`)).text();
    expect(metrics).toMatch(/deskline_cti_connections_up\{gateway="gw1"\} 2/);

    const client = await SipRawClient.connect({ transport: 'TCP', host: '127.0.0.1', port: Number(sipPort) });
    const session = await openRcc(client, 'alice', ALICE_LINE);
    expect(session.inviteResponse.status).toBe(200);
    const withSession = (await (await fetch(`${healthUrl}/health`)).json()) as {
      sip: { dialogs: number; connections: number; readPauses: number };
    };
    expect(withSession.sip).toMatchObject({ dialogs: 1, connections: 1, readPauses: 0 });
    const sipMetrics = await (await fetch(`${healthUrl}/metrics`)).text();
    expect(sipMetrics).toMatch(/deskline_sip_connections\{gateway="gw1"\} 1/);
    expect(sipMetrics).toMatch(/deskline_sip_read_pauses_total\{gateway="gw1"\} 0/);
    service.child.kill('SIGTERM');
    const bye = await client.nextRequest('BYE');
    expect(bye.header('Call-ID')).toBe(session.callId);
    expect(await service.exited).toBe(0);
    await client.close().catch(() => undefined);
  });

  it('runs from the production bundle with plain node (no tsx): demo start, health, clean stop', async () => {
    // Inside the checkout, as in a deployment: the bundle resolves its npm dependencies from the
    // node_modules above it.
    mkdirSync(fileURLToPath(new URL('../../dist/', import.meta.url)), { recursive: true });
    const dir = mkdtempSync(fileURLToPath(new URL('../../dist/test-bundle-', import.meta.url)));
    dirs.push(dir);
    const bundle = join(dir, 'gateway.mjs');
    await buildService({ outFile: bundle });
    const config = tempConfig(
      'demo: { enabled: true, nodes: 1 }\nhttp: { host: 127.0.0.1, port: 0 }\nlog: { level: warn }\n',
    );
    const service = run(['--config', config], [bundle]);
    const [, healthUrl] = await service.line(/health (http:\/\/\S+)\/health/);
    expect(((await (await fetch(`${healthUrl}/health`)).json()) as { status: string }).status).toBe('ok');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  it('refuses a bad configuration, naming the field, and exits non-zero', async () => {
    const config = tempConfig('cti:\n  addresses: ["cucm1:2748", "cucm2:notaport"]\n');
    const service = run(['--config', config, '--check']);
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/cti\.addresses\[1\]: expected "host:port"/);
    const none = run([]);
    expect(await none.exited).toBe(2);
    expect(none.output()).toMatch(/give --config FILE or --demo/);
  });

  it('--troubleshoot prints which directory source answered and why a user may or may not control the line', async () => {
    const frank = run(['--demo', '--troubleshoot', 'frank', '--log-level', 'warn']);
    expect(await frank.exited).toBe(1);
    const out = frank.output();
    expect(out).toMatch(
      /^directory: cti \(CTI Managers in priority order\), answered by 127\.0\.0\.1:\d+, ready$/m,
    );
    // The source's own finding, then the gateway's check that refuses.
    expect(out).toMatch(/^\[warn\] cti entry: licence +no IM and Presence licence/m);
    expect(out).toMatch(/^\[FAIL\] licence +no IM and Presence licence/m);
    expect(out).toMatch(/^verdict: FAIL/m);
    const alice = run([
      '--demo',
      '--troubleshoot',
      'sip:alice@deskline.example',
      '--line-uri',
      'tel:1001;phone-context=dialstring;partition=INTERNAL',
      '--json',
      '--log-level',
      'warn',
    ]);
    expect(await alice.exited).toBe(0);
    const report = JSON.parse(alice.output().slice(alice.output().indexOf('{'))) as {
      verdict: string;
      directory: { source: string };
    };
    expect(report).toMatchObject({ verdict: 'ok', directory: { source: 'cti' } });
  });

  it('moves each listener with its flag, serves the admin API in demo mode, and names the flag when a port is taken', async () => {
    // --demo alone: the admin API on loopback, its URL printed; every port moved to a free one.
    const service = run([
      '--demo',
      '--sip-port',
      '0',
      '--http-port',
      '0',
      '--admin-port',
      '0',
      '--log-level',
      'warn',
    ]);
    const [, adminUrl] = await service.line(/simulator admin API: (http:\/\/127\.0\.0\.1:\d+)/);
    const [, healthUrl] = await service.line(/health (http:\/\/\S+)\/health/);
    expect(((await (await fetch(`${adminUrl}/nodes`)).json()) as unknown[]).length).toBe(2);
    const health = (await (await fetch(`${healthUrl}/health`)).json()) as { demo: { adminUrl: string } };
    expect(health.demo.adminUrl).toBe(adminUrl);
    expect(service.output()).toMatch(/SIP TCP 127\.0\.0\.1:\d+/);
    expect(service.output()).not.toMatch(/:5060\b/);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);

    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const taken = (holder.address() as { port: number }).port;
    try {
      const clash = run(['--demo', '--sip-port', '0', '--admin-port', '0', '--http-port', String(taken)]);
      expect(await clash.exited).toBe(2);
      expect(clash.output().split('\n')).toContain(
        `deskline-gateway: port ${taken} is already in use (health and metrics): choose another with --http-port <port>, or stop what holds it`,
      );
      const bad = run(['--demo', '--shell-port', 'ninety']);
      expect(await bad.exited).toBe(2);
      expect(bad.output()).toMatch(/--shell-port: expected a port 0-65535, got ninety/);
    } finally {
      holder.close();
    }
  });
});
