// SIPp (Debian sip-tester) against the gateway's TCP listener: the OPTIONS scenario
// gateway/test/sipp/options.xml with `-t t1`, expecting 200 with our Allow and Accept. It proves
// the harness for the later CSTA scenarios (and that it can fail: nothing listening → non-zero).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { portOf, startGateway, type TestGateway } from './helpers.js';

const SIPP = '/usr/bin/sipp';
const SCENARIO = fileURLToPath(new URL('../sipp/options.xml', import.meta.url));

function runSipp(port: number, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // -m 1: one call; -timeout bounds the run; -nostdin: no terminal needed. SIPp picks its own
    // local port (it has no "port 0"; it scans from 5060 for a free one).
    const child = spawn(
      SIPP,
      [
        `127.0.0.1:${port}`,
        '-sf',
        SCENARIO,
        '-t',
        't1',
        '-m',
        '1',
        '-s',
        'gateway',
        '-timeout',
        '10s',
        '-nostdin',
      ],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('SIPp', () => {
  let gateway: TestGateway;
  let workDir: string;
  beforeAll(async () => {
    gateway = await startGateway();
    workDir = mkdtempSync(join(tmpdir(), 'deskline-sipp-'));
  });
  afterAll(async () => {
    await gateway.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('is installed at /usr/bin/sipp (Debian sip-tester)', () => {
    expect(existsSync(SIPP)).toBe(true);
  });

  it('sends OPTIONS over TCP and gets 200 with Allow and Accept', async () => {
    const { code, output } = await runSipp(gateway.port('TCP'), workDir);
    expect(output).toMatch(/Successful call\s+\|\s+0\s+\|\s+1/);
    expect(code).toBe(0);
  });

  it('fails when nobody answers (the harness can fail)', async () => {
    // A port that was just free: bind port 0, read it, close it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = portOf(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const { code } = await runSipp(port, workDir);
    expect(code).not.toBe(0);
  });
});
