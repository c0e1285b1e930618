// The deployment files are part of the product: the hardened example config must load, compile
// and stay hardened; the Kamailio config must pass Kamailio's own check in every combination of
// its options; the systemd unit must keep its drain, limits and sandbox.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadGatewayConfigFile } from '../../src/config/config.js';
import { NumberingRules } from '../../src/numbering/index.js';
import { KAMAILIO_CFG, kamailioBinary } from './processes.js';
import { TEST_TLS } from './cluster.js';

const EXAMPLE = fileURLToPath(new URL('../../../deploy/gateway.example.yaml', import.meta.url));
const UNIT = fileURLToPath(new URL('../../../deploy/systemd/deskline-gateway.service', import.meta.url));

const scratch = mkdtempSync(join(tmpdir(), 'deskline-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('deploy/gateway.example.yaml', () => {
  it('loads, its numbering rules compile, and it is hardened', () => {
    const loaded = loadGatewayConfigFile(EXAMPLE);
    if (!loaded.ok) throw loaded.error;
    const config = loaded.value;
    expect(config.demo.enabled).toBe(false);
    expect(config.shell.enabled).toBe(false);
    // SIP over mutual TLS only, on an explicit address.
    expect(config.sip.tcp).toEqual([]);
    expect(config.sip.ws).toEqual([]);
    expect(config.sip.tls.length).toBeGreaterThan(0);
    for (const tls of config.sip.tls) {
      expect(tls.host).not.toMatch(/^(0\.0\.0\.0|::|\[::\])$/);
      expect(tls.trustedPeers.length).toBeGreaterThan(0);
      expect(tls.ca).toBeDefined();
      expect(tls.key.startsWith('/run/credentials/')).toBe(true);
    }
    // The secret comes from a credential file; health and metrics stay on loopback.
    expect(config.cti.password).toBeUndefined();
    expect(config.cti.passwordFile?.startsWith('/run/credentials/')).toBe(true);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.cti.addresses.length).toBeGreaterThan(1);
    const rules = NumberingRules.compile(config.numbering ?? {});
    if (!rules.ok) throw rules.error;
  });
});

describe('deploy/systemd/deskline-gateway.service', () => {
  const unit = readFileSync(UNIT, 'utf8');
  const directive = (name: string): string[] =>
    unit
      .split('\n')
      .filter((l) => l.startsWith(`${name}=`))
      .map((l) => l.slice(name.length + 1));

  it('drains on stop, restarts on failure, is sized for 100,000 sessions', () => {
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
    // The gateway exits by itself within 10 s of SIGTERM (service/cli.ts): the stop timeout covers it.
    expect(Number.parseInt(directive('TimeoutStopSec')[0] ?? '0', 10)).toBeGreaterThan(10);
    expect(directive('Restart')).toEqual(['on-failure']);
    expect(Number(directive('LimitNOFILE')[0])).toBeGreaterThanOrEqual(100_000);
    expect(directive('ExecStart')[0]).toMatch(
      /^\/usr\/bin\/node \/opt\/deskline\/dist\/service\/gateway\.mjs --config \/etc\/deskline\/gateway\.yaml$/,
    );
  });

  it('runs sandboxed, unprivileged, with secrets as credentials matching the example config', () => {
    for (const [name, value] of [
      ['DynamicUser', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['AmbientCapabilities', ''],
    ] as const) {
      expect(directive(name), name).toEqual([value]);
    }
    // V8's JIT needs W+X pages: this one must never be switched on.
    expect(directive('MemoryDenyWriteExecute')).toEqual([]);
    const example = readFileSync(EXAMPLE, 'utf8');
    for (const credential of directive('LoadCredential')) {
      const name = credential.split(':')[0] ?? '';
      expect(example, `gateway.example.yaml uses credential ${name}`).toContain(
        `/run/credentials/deskline-gateway.service/${name}`,
      );
    }
  });
});

describe('deploy/kamailio/kamailio.cfg', () => {
  const list = join(scratch, 'dispatcher.list');
  writeFileSync(list, '1 sip:127.0.0.1:5071;transport=tcp 0 0 node=gw1\n');
  const check = (defines: readonly string[]): { status: number | null; output: string } => {
    const result = spawnSync(
      kamailioBinary(),
      ['-c', '-f', KAMAILIO_CFG, '-A', `DISPATCHER_LIST="${list}"`, ...defines.flatMap((d) => ['-A', d])],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  };
  const tls = [`TLS_CERT="${TEST_TLS.peerCert}"`, `TLS_KEY="${TEST_TLS.peerKey}"`, `TLS_CA="${TEST_TLS.ca}"`];

  it.each([
    ['round-robin, TCP only', []],
    ['From-user hash', ['WITH_FROM_HASH']],
    ['WebSocket', ['WITH_WEBSOCKET']],
    ['TLS', ['WITH_TLS', ...tls]],
    ['everything', ['WITH_FROM_HASH', 'WITH_WEBSOCKET', 'WITH_TLS', ...tls]],
  ] as const)('passes kamailio -c: %s', (_name, defines) => {
    const { status, output } = check(defines);
    expect(output).toContain('config file ok');
    expect(status, output).toBe(0);
  });

  it('passes kamailio -c when included from a site file that sets the defines (docs/running-at-scale.md §3)', () => {
    const site = join(scratch, 'site.cfg');
    writeFileSync(
      site,
      `#!KAMAILIO\n#!define WITH_FROM_HASH\n#!define LISTEN_TCP tcp:127.0.0.1:5090\n#!define DISPATCHER_LIST "${list}"\ninclude_file "${KAMAILIO_CFG}"\n`,
    );
    const result = spawnSync(kamailioBinary(), ['-c', '-f', site], { encoding: 'utf8', timeout: 20_000 });
    const output = `${result.stdout}${result.stderr}`;
    expect(output).toContain('config file ok');
    expect(output).toContain('127.0.0.1]:5090');
    expect(result.status, output).toBe(0);
  });

  it('fails kamailio -c on a broken define (the check is not vacuous)', () => {
    const { status } = check(['LISTEN_TCP=not-an-address:']);
    expect(status).not.toBe(0);
  });
});
