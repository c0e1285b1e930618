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
