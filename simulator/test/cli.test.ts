import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, runCli, type CliIo } from '../src/cli.js';
import { TestCtiClient, WAIT_MS } from './cti-test-client.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/cluster.example.yaml', import.meta.url));

function captureIo(): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), error: (l) => errors.push(l) };
}

describe('cucm-sim arguments', () => {
  it('has the documented defaults', () => {
    const parsed = parseCliArgs([]);
    expect(parsed.ok && parsed.value).toEqual({
      nodes: 1,
      port: 2748,
      host: '127.0.0.1',
      clusterFile: undefined,
      adminPort: 8748,
      appUser: 'deskline',
      appPasswordFile: undefined,
      profile: 'deskline',
      login: {
        form: 'none',
        element: undefined,
        namespace: undefined,
        userElement: 'userName',
        passwordElement: 'password',
        extra: {},
      },
      systemStatusIntervalMs: undefined,
      logLevel: 'info',
      help: false,
    });
  });

  it('reads the standard profile and its login, and refuses what does not fit', () => {
    const parsed = parseCliArgs([
      '--profile',
      'standard',
      '--login',
      'custom',
      '--login-element',
      'Login',
      '--login-namespace',
      'http://pbx.example/csta',
      '--system-status-interval-ms',
      '2500',
    ]);
    expect(parsed.ok && parsed.value).toMatchObject({
      profile: 'standard',
      login: { form: 'custom', element: 'Login', namespace: 'http://pbx.example/csta' },
      systemStatusIntervalMs: 2500,
    });
    const refused = (args: string[]): string => {
      const r = parseCliArgs(args);
      return r.ok ? '' : r.error.message;
    };
    expect(refused(['--profile', 'cisco'])).toMatch(/--profile must be deskline or standard/);
    expect(refused(['--login', 'sessionLoginInfo'])).toMatch(/--login needs --profile standard/);
    expect(refused(['--profile', 'standard', '--login', 'custom'])).toMatch(
      /--login-element and --login-namespace/,
    );
    expect(refused(['--profile', 'standard', '--login', 'kerberos'])).toMatch(/--login must be one of/);
  });

  it('reads every option', () => {
    const parsed = parseCliArgs([
      '--nodes',
      '3',
      '--port',
      '4000',
      '--host',
      '::1',
      '--cluster',
      'c.yaml',
      '--admin-port',
      'none',
      '--app-user',
      'u',
      '--app-password-file',
      'p',
      '--log-level',
      'warn',
    ]);
    expect(parsed.ok && parsed.value).toMatchObject({
      nodes: 3,
      port: 4000,
      host: '::1',
      clusterFile: 'c.yaml',
      adminPort: null,
      appUser: 'u',
      appPasswordFile: 'p',
      logLevel: 'warn',
    });
  });

  it('refuses what makes no sense, saying why', () => {
    const message = (argv: string[]): string => {
      const r = parseCliArgs(argv);
      return r.ok ? 'ok' : r.error.message;
    };
    expect(message(['--nodes', '0'])).toContain('--nodes must be 1 to 8');
    expect(message(['--nodes', 'many'])).toContain('--nodes must be a number');
    expect(message(['--port', '65535', '--nodes', '2'])).toContain('no room for 2 consecutive ports');
    expect(message(['--cluster', 'x.yaml'])).toContain('--app-password-file is required with --cluster');
    expect(message(['--log-level', 'loud'])).toContain('--log-level');
    expect(message(['--frobnicate'])).toContain('frobnicate');
    expect(message(['extra'])).not.toBe('ok');
  });

  it('reports a bad cluster file by field path, and an unreadable password file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deskline-cli-'));
    try {
      const cluster = join(dir, 'bad.yaml');
      await writeFile(cluster, 'lines: [{ dn: "1", partition: "A/B", label: x }]\ndevices: []\nusers: []\n');
      const password = join(dir, 'pw');
      await writeFile(password, 'secret\n');
      const io = captureIo();
      expect(await runCli(['--cluster', cluster, '--app-password-file', password], io)).toBe(2);
      expect(io.errors.join('\n')).toContain('lines[0].partition: must not contain "/" or spaces');
      const io2 = captureIo();
      expect(await runCli(['--cluster', EXAMPLE, '--app-password-file', join(dir, 'missing')], io2)).toBe(2);
      expect(io2.errors.join('\n')).toContain('cannot read password file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('prints help', async () => {
    const io = captureIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.lines.join('\n')).toContain('--app-password-file');
  });
});

describe('cucm-sim as a process', () => {
  it('serves a cluster file with its credentials, prints where it listens, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deskline-cli-'));
    const password = join(dir, 'pw');
    await writeFile(password, 'hq-secret\n');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--cluster',
        EXAMPLE,
        '--app-user',
        'hq',
        '--app-password-file',
        password,
        '--nodes',
        '2',
        '--port',
        '0',
        '--admin-port',
        '0',
        '--log-level',
        'warn',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      let errText = '';
      child.stderr.on('data', (chunk: Buffer) => (errText += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no banner within ${WAIT_MS * 4} ms: ${out} ${errText}`)),
          WAIT_MS * 4,
        );
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('Press Ctrl+C')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${errText}`)));
      });
      expect(out).toContain('Example Corp HQ (3 users, 4 devices, 6 line appearances)');
      expect(out).not.toContain('hq-secret');
      const ports = [...out.matchAll(/node \d: 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      expect(ports).toHaveLength(2);
      const client = await TestCtiClient.session(ports[1] as number, { user: 'hq', password: 'hq-secret' });
      expect(
        (
          await client.request({
            type: 'MonitorStart',
            monitorObject: { deviceObject: 'SEP00AABB00C001/2100/HQ_INTERNAL' },
          })
        ).type,
      ).toBe('MonitorStartResponse');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await client.closed;
      expect(errText).not.toContain('hq-secret');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
