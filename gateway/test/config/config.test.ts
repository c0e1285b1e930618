// The gateway configuration: the README's example is valid, and bad input stops start-up with a
// message naming the field.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfigFile, parseGatewayConfig } from '../../src/config/config.js';
import { NumberingRules } from '../../src/numbering/index.js';

const README = new URL('../../../README.md', import.meta.url);

function readmeExample(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf("```yaml\n# gateway.yaml — the README's example config");
  expect(start, 'README example config block').toBeGreaterThan(0);
  const body = text.slice(text.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf('```'));
}

const error = (input: unknown): string => {
  const result = parseGatewayConfig(input);
  if (result.ok) throw new Error('expected an invalid configuration');
  return result.error.message;
};

describe('gateway configuration', () => {
  it('accepts the README example, every field, and compiles its numbering rules', () => {
    const result = parseGatewayConfig(parse(readmeExample()));
    if (!result.ok) throw result.error;
    expect(result.value.cti.addresses).toHaveLength(2);
    expect(result.value.sip.tls[0]?.trustedPeers).toEqual(['lyncpool.example.com']);
    expect(result.value.cti).toMatchObject({
      requestTimeoutLimit: 3,
      directoryMaxShrinkPercent: 50,
      directoryMaxSegments: 2000,
    });
    expect(NumberingRules.compile(result.value.numbering).ok).toBe(true);
  });

  it('names the field of every mistake', () => {
    expect(
      error({ cti: { addresses: Array.from({ length: 9 }, (_, i) => `cucm${i}.example.com:2748`) } }),
    ).toMatch(/^invalid configuration: cti\.addresses: at most 8 CTI connection addresses/);
    expect(error({ cti: { addresses: ['cucm:notaport'] } })).toMatch(
      /cti\.addresses\[0\]: expected "host:port"/,
    );
    expect(error({ cti: { addresses: ['cucm:99999'] } })).toMatch(
      /cti\.addresses\[0\]: port must be 1-65535/,
    );
    expect(error({ cti: { addresses: ['a:1'], heartbeatIntervalMs: 10 } })).toMatch(
      /cti\.heartbeatIntervalMs/,
    );
    expect(error({ sip: { tcp: [{ host: '0.0.0.0', port: 'x' }] }, demo: { enabled: true } })).toMatch(
      /sip\.tcp\[0\]\.port/,
    );
    expect(error({ cti: { addresses: ['a:1'] }, sip: { maxPendingRequestsPerConnection: 0 } })).toMatch(
      /sip\.maxPendingRequestsPerConnection/,
    );
    expect(error({ cti: { addresses: ['a:1'], requestTimeoutLimit: 0 } })).toMatch(
      /^invalid configuration: cti\.requestTimeoutLimit: /,
    );
    expect(error({ cti: { addresses: ['a:1'], directoryMaxShrinkPercent: 101 } })).toMatch(
      /^invalid configuration: cti\.directoryMaxShrinkPercent: /,
    );
    expect(error({ cti: { addresses: ['a:1'], directoryMaxShrinkPercent: 12.5 } })).toMatch(
      /cti\.directoryMaxShrinkPercent: /,
    );
    expect(error({ cti: { addresses: ['a:1'], directoryMaxSegments: 0 } })).toMatch(
      /^invalid configuration: cti\.directoryMaxSegments: /,
    );
    expect(error({ cti: { addresses: ['a:1'] }, bogus: 1 })).toMatch(/bogus/);
    expect(error({})).toMatch(/cti\.addresses: at least one CTI Manager address is required/);
    expect(error({ cti: { addresses: ['a:1'], password: 'x', passwordFile: '/p' } })).toMatch(
      /cti\.password and cti\.passwordFile/,
    );
  });

  it('reports YAML syntax errors with the line, and never echoes the password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deskline-config-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'cti:\n  addresses: [a:1\n  password: hunter2\n');
      const result = loadGatewayConfigFile(bad);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.message).toMatch(/not valid YAML \(line \d+\)/);
      }
      const wrongType = join(dir, 'wrong.yaml');
      writeFileSync(wrongType, 'cti:\n  addresses: ["a:1"]\n  password: 12345\n');
      const typed = loadGatewayConfigFile(wrongType);
      expect(typed.ok).toBe(false);
      if (!typed.ok) {
        expect(typed.error.message).toMatch(/cti\.password/);
        expect(typed.error.message).not.toMatch(/12345/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compatibility and recovery (docs/msrcc.md §5, §8, §14)', () => {
  const base = { cti: { addresses: ['a:1'] } };
  it('default to what real clients need: CSeq resets tolerated, transparent recovery, bounded events', () => {
    const result = parseGatewayConfig(base);
    if (!result.ok) throw result.error;
    expect(result.value.sip).toMatchObject({
      tolerateCSeqReset: true,
      maxEventsInFlightPerSession: 64,
      maxQueuedEventsPerSession: 256,
    });
    expect(result.value.cti.sessionRecovery).toBe('transparent');
    const cisco = parseGatewayConfig({ cti: { ...base.cti, sessionRecovery: 'reinvite' } });
    expect(cisco.ok && cisco.value.cti.sessionRecovery).toBe('reinvite');
  });

  it('name the field when wrong', () => {
    expect(error({ cti: { ...base.cti, sessionRecovery: 'sometimes' } })).toMatch(
      /^invalid configuration: cti\.sessionRecovery: /,
    );
    expect(error({ ...base, sip: { tolerateCSeqReset: 'yes' } })).toMatch(
      /^invalid configuration: sip\.tolerateCSeqReset: /,
    );
    for (const field of ['maxEventsInFlightPerSession', 'maxQueuedEventsPerSession'])
      expect(error({ ...base, sip: { [field]: 0 } }), field).toMatch(
        new RegExp(`^invalid configuration: sip\\.${field}: `),
      );
  });
});

describe('SIP transport limits (docs/robustness.md, "SIP transport limits")', () => {
  const base = { cti: { addresses: ['a:1'] } };
  it('have their documented defaults', () => {
    const result = parseGatewayConfig(base);
    if (!result.ok) throw result.error;
    expect(result.value.sip).toMatchObject({
      maxConnections: 100_000,
      maxConnectionsPerSource: 256,
      idleTimeoutSec: 300,
      messageTimeoutSec: 10,
      maxPendingRequestsPerConnection: 256,
      maxSessionsPerConnection: 20_000,
      maxMessagesPerTurn: 256,
      maxMessagesPerTurnPerConnection: 32,
    });
  });

  it('name the field when out of range', () => {
    for (const [field, value] of [
      ['maxConnectionsPerSource', 0],
      ['messageTimeoutSec', 0],
      ['messageTimeoutSec', 301],
      ['maxSessionsPerConnection', 0],
      ['maxSessionsPerConnection', 1.5],
      ['maxMessagesPerTurn', 0],
      ['maxMessagesPerTurnPerConnection', 0],
      ['idleTimeoutSec', 5],
    ] as const) {
      expect(error({ ...base, sip: { [field]: value } }), `${field}: ${value}`).toMatch(
        new RegExp(`^invalid configuration: sip\\.${field}: `),
      );
    }
    expect(error({ ...base, sip: { maxMessagesPerTurn: 10, maxMessagesPerTurnPerConnection: 11 } })).toMatch(
      /sip\.maxMessagesPerTurnPerConnection: must not exceed sip\.maxMessagesPerTurn/,
    );
  });
});

describe('directory.source and cti.profile (docs/directory.md, docs/cti-link.md §7)', () => {
  it("accepts docs/real-deployments.md's complete configuration", () => {
    const text = readFileSync(new URL('../../../docs/real-deployments.md', import.meta.url), 'utf8');
    const start = text.indexOf("```yaml\n# gateway.yaml — docs/real-deployments.md's complete config");
    expect(start, 'the complete config block').toBeGreaterThan(0);
    const block = text.slice(text.indexOf('\n', start) + 1);
    const result = parseGatewayConfig(parse(block.slice(0, block.indexOf('```'))), '/etc/deskline');
    if (!result.ok) throw result.error;
    expect(result.value.cti).toMatchObject({
      profile: 'standard',
      edition: 'ed4',
      heartbeat: 'server',
      deviceIds: { from: 'e164Digits' },
      passwordFile: '/etc/deskline/secrets/cti-password',
    });
    expect(result.value.directory.ldap).toMatchObject({
      caFile: '/etc/deskline/pki/ad-ca.pem',
      passwordFile: '/etc/deskline/secrets/ldap-password',
    });
    expect(NumberingRules.compile(result.value.numbering).ok).toBe(true);
  });

  const ldap = {
    urls: ['ldaps://dc1.example.com'],
    users: { baseDn: 'OU=People,DC=example,DC=com' },
    licence: { groupDn: 'CN=RCC,OU=Groups,DC=example,DC=com' },
    lineServers: ['gateway.example.com'],
  };
  const standard = { addresses: ['pbx:1040'], profile: 'standard' as const };

  it('defaults to the CTI source and the deskline profile', () => {
    const result = parseGatewayConfig({ cti: { addresses: ['a:1'] } });
    if (!result.ok) throw result.error;
    expect(result.value.directory.source).toBe('cti');
    expect(result.value.cti).toMatchObject({
      profile: 'deskline',
      edition: 'ed3',
      session: 'ecma354',
      heartbeat: 'resetApplicationSessionTimer',
      checkDevices: true,
      login: { form: 'none' },
    });
  });

  it('takes an LDAP source with the LDAP schema, its errors named under directory.ldap', () => {
    const result = parseGatewayConfig({ cti: standard, directory: { source: 'ldap', ldap } });
    if (!result.ok) throw result.error;
    expect(result.value.directory.ldap?.attributes.lineUri).toBe('msRTCSIP-Line');
    expect(
      error({
        cti: standard,
        directory: { source: 'ldap', ldap: { ...ldap, users: { baseDn: 'x', filter: '(uid=a' } } },
      }),
    ).toMatch(/directory\.ldap\.users\.filter: not an LDAP filter/);
    expect(
      error({ cti: standard, directory: { source: 'ldap', ldap: { ...ldap, lineServers: [] } } }),
    ).toMatch(/directory\.ldap\.lineServers: list this gateway/);
    expect(error({ cti: standard, directory: { source: 'ldap' } })).toMatch(
      /directory\.ldap: required with directory\.source: ldap/,
    );
    expect(error({ cti: standard, directory: { source: 'file', ldap } })).toMatch(
      /directory\.file\.path: required/,
    );
    expect(error({ cti: { addresses: ['a:1'] }, directory: { ldap } })).toMatch(
      /directory\.ldap: given, but directory\.source is cti/,
    );
  });

  it('resolves the file source, the CA file and the password file against the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deskline-config-'));
    try {
      const path = join(dir, 'gateway.yaml');
      writeFileSync(
        path,
        [
          'cti: { addresses: ["pbx:1040"], profile: standard }',
          'directory:',
          '  source: file',
          '  file: { path: users.yaml }',
        ].join('\n'),
      );
      const loaded = loadGatewayConfigFile(path);
      if (!loaded.ok) throw loaded.error;
      expect(loaded.value.directory.file?.path).toBe(join(dir, 'users.yaml'));
      writeFileSync(
        path,
        [
          'cti: { addresses: ["pbx:1040"], profile: standard }',
          'directory:',
          '  source: ldap',
          '  ldap:',
          '    urls: [ldaps://dc1.example.com]',
          '    caFile: pki/ca.pem',
          '    bindDn: CN=svc,DC=example,DC=com',
          '    passwordFile: ldap.pw',
          '    users: { baseDn: "DC=example,DC=com" }',
          '    licence: { groupDn: "CN=RCC,DC=example,DC=com" }',
          '    lineServers: [gw.example.com]',
        ].join('\n'),
      );
      const ldapLoaded = loadGatewayConfigFile(path);
      if (!ldapLoaded.ok) throw ldapLoaded.error;
      expect(ldapLoaded.value.directory.ldap).toMatchObject({
        caFile: join(dir, 'pki/ca.pem'),
        passwordFile: join(dir, 'ldap.pw'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what does not fit the profile, naming the field', () => {
    expect(error({ cti: standard })).toMatch(/cti\.profile: standard needs directory\.source: ldap or file/);
    const withFile = { source: 'file', file: { path: '/etc/deskline/users.yaml' } } as const;
    expect(error({ cti: { ...standard, deviceIds: { from: 'appearance' } }, directory: withFile })).toMatch(
      /cti\.deviceIds\.from: appearance IDs are the deskline profile's/,
    );
    expect(error({ cti: { ...standard, login: { form: 'custom' } }, directory: withFile })).toMatch(
      /cti\.login\.element and cti\.login\.namespace: required with cti\.login\.form: custom/,
    );
    expect(
      error({
        cti: {
          ...standard,
          login: { form: 'custom', element: 'credentials', namespace: 'urn:deskline:cti:1' },
        },
        directory: withFile,
      }),
    ).toMatch(/cti\.login\.namespace: urn:deskline:cti:1 is Deskline's private namespace/);
    expect(error({ cti: { ...standard, session: 'none' }, directory: withFile })).toMatch(
      /cti\.heartbeat: resetApplicationSessionTimer needs an application session/,
    );
    expect(
      error({
        cti: { ...standard, session: 'none', heartbeat: 'server', login: { form: 'sessionLoginInfo' } },
        directory: withFile,
      }),
    ).toMatch(/cti\.login\.form: sessionLoginInfo is sent in StartApplicationSession/);
    expect(error({ cti: { addresses: ['a:1'], heartbeat: 'server' } })).toMatch(
      /cti\.heartbeat: server needs cti\.profile: standard/,
    );
    expect(error({ cti: { addresses: ['a:1'], deviceIds: { from: 'dn' } } })).toMatch(
      /cti\.deviceIds\.from: dn needs cti\.profile: standard/,
    );
    expect(error({ cti: { addresses: ['a:1'], login: { form: 'sessionLoginInfo' } } })).toMatch(
      /cti\.login: the deskline profile logs in/,
    );
    expect(error({ cti: { addresses: ['a:1'], edition: 'ed6' } })).toMatch(/cti\.edition/);
    expect(error({ cti: { profile: 'standard' }, demo: { enabled: true }, directory: withFile })).toMatch(
      /cti\.profile: standard: demo mode runs the simulator with its deskline profile/,
    );
    const ok = parseGatewayConfig({
      cti: {
        ...standard,
        session: 'none',
        heartbeat: 'server',
        deviceIds: { from: 'e164', map: { '1001/INTERNAL': 'N1001' } },
      },
      directory: withFile,
    });
    if (!ok.ok) throw ok.error;
  });
});
