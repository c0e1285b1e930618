import { readdirSync, readFileSync } from 'node:fs';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ErrorCode, unwrap } from '../../gateway/src/protocol.js';
import { loadClusterFile, loadClusterYaml, parseClusterConfig } from '../src/cluster-file.js';
import { applyE164Mask, buildClusterModel, formatPath } from '../src/model.js';
import { demoClusterConfig } from '../src/demo-cluster.js';

const ERRORS_DIR = fileURLToPath(new URL('./vectors/cluster-errors/', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/cluster.example.yaml', import.meta.url));

describe('cluster file errors (one vector per kind, each naming the field path)', () => {
  const files = readdirSync(ERRORS_DIR).filter((f) => f.endsWith('.yaml'));
  it('has the vectors', () => expect(files.length).toBeGreaterThanOrEqual(25));
  for (const file of files) {
    it(file, () => {
      const source = readFileSync(join(ERRORS_DIR, file), 'utf8');
      const expected = /^# expect: (.*)$/m.exec(source)?.[1];
      expect(expected, 'vector has an "# expect:" line').toBeDefined();
      const result = loadClusterYaml(source);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.code).toBe(ErrorCode.ConfigInvalid);
      expect(result.error.message).toContain(expected);
    });
  }

  it('reports every problem, not only the first', () => {
    const result = loadClusterYaml(`
lines:
  - { dn: "1001", partition: "A B", label: x }
devices:
  - { name: SEP1, model: Nokia, lines: [{ dn: "1001", partition: INTERNAL }] }
users: []
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain('lines[0].partition: must not contain "/" or spaces');
    expect(result.error.message).toContain('devices[0].name: must be "SEP"');
    expect(result.error.message).toContain('devices[0].model: unknown model "Nokia"');
  });

  it('refuses garbage without throwing', () => {
    for (const junk of ['', '\u0000\u0001', ':::', '[1, 2', 'lines: *nope', '{'.repeat(5000), 'a: &x [*x]'])
      expect(loadClusterYaml(junk).ok).toBe(false);
    for (const junk of [null, 42, 'text', [], { lines: 'no' }])
      expect(parseClusterConfig(junk).ok).toBe(false);
  });

  it('bounds YAML alias expansion ("billion laughs")', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${new Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`,
      );
    const result = loadClusterYaml(lines.join('\n'));
    expect(result.ok).toBe(false);
  });
});

describe('cluster file: valid files', () => {
  it('loads the documented example', async () => {
    const model = unwrap(await loadClusterFile(EXAMPLE));
    expect(model.summary()).toMatchObject({
      name: 'Example Corp HQ',
      users: 3,
      licensedUsers: 2,
      devices: 4,
      lines: 5,
      sharedLines: 1,
      ctiDisallowedDevices: 1,
      farEndRules: 4,
    });
    expect(model.line('2001', 'HQ_INTERNAL')?.e164).toBe('+16505552001');
    expect(model.appearance('SEP00AABB00C001/2100/HQ_INTERNAL')?.label).toBe('Sales queue');
    expect(model.appearance('SEP00AABB00C002/2100/HQ_INTERNAL')?.label).toBe('Sales');
    expect(model.farEndRule('+16505550199').behaviour).toBe('busy');
    expect(model.farEndRule('+16505550177').answerAfterMs).toBe(20_000);
    expect(model.farEndRule('+16505550100')).toMatchObject({ behaviour: 'answer', answerAfterMs: 3_000 });
  });

  it('the demo cluster written as YAML loads back to the same model', () => {
    const config = demoClusterConfig();
    const yaml = stringify({
      ...config,
      users: config.users.map((u) => ({ ...u, licence: u.licence ?? 'none' })),
    });
    const loaded = unwrap(loadClusterYaml(yaml));
    const direct = unwrap(buildClusterModel(config));
    expect(loaded.summary()).toEqual(direct.summary());
    expect(loaded.devices.map((d) => d.appearances.map((a) => a.id))).toEqual(
      direct.devices.map((d) => d.appearances.map((a) => a.id)),
    );
  });

  it('applies defaults', () => {
    const model = unwrap(
      loadClusterYaml(
        'lines: [{ dn: "1", partition: P, label: L }]\ndevices: [{ name: SEP000000000001, model: Cisco 7821, lines: [{ dn: "1", partition: P }] }]\nusers: []\n',
      ),
    );
    expect(model.name).toBe('cluster');
    expect(model.defaultAnswerAfterMs).toBe(3_000);
    expect(model.device('SEP000000000001')).toMatchObject({ ctiAllowed: true, description: '' });
    expect(model.line('1', 'P')).toMatchObject({
      noAnswerRingMs: 12_000,
      busyTrigger: 2,
      autoAnswerMs: undefined,
      e164: undefined,
    });
  });

  it('names the file and the problem when a file cannot be read or is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'deskline-sim-'));
    try {
      const missing = await loadClusterFile(join(dir, 'missing.yaml'));
      expect(missing.ok ? '' : missing.error.message).toContain('cannot read cluster file');
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'lines: []\ndevices: []\nusers: [{ id: x }]\n');
      const result = await loadClusterFile(bad);
      expect(result.ok ? '' : result.error.message).toContain('users[0].displayName: is required');
      const isDir = await loadClusterFile(dir);
      expect(isDir.ok ? '' : isDir.error.message).toContain('not a regular file');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('model helpers', () => {
  it('formats field paths', () => {
    expect(formatPath(['devices', 3, 'lines', 0, 'partition'])).toBe('devices[3].lines[0].partition');
    expect(formatPath([])).toBe('');
  });

  it('applies E.164 masks the CUCM way', () => {
    expect(applyE164Mask('+1408555XXXX', '1001')).toBe('+14085551001');
    expect(applyE164Mask('+14085550XXX', '1001')).toBe('+14085550001');
    expect(applyE164Mask('+16505551234', '1001')).toBe('+16505551234');
  });

  it('resolves DNs in the caller partition first, then E.164, else far-end rules', () => {
    const config = demoClusterConfig();
    config.lines.push({ dn: '1001', partition: 'LOBBY', label: 'Lobby twin' });
    config.devices.push({
      name: 'SEP00AABB000099',
      model: 'Cisco 7821',
      description: '',
      ctiAllowed: true,
      lines: [{ dn: '1001', partition: 'LOBBY' }],
    });
    const model = unwrap(buildClusterModel(config));
    const fromLobby = model.resolve('1001', 'LOBBY');
    expect(fromLobby.kind === 'line' && fromLobby.line.partition).toBe('LOBBY');
    const fromInternal = model.resolve('1001', 'INTERNAL');
    expect(fromInternal.kind === 'line' && fromInternal.line.partition).toBe('INTERNAL');
    const e164 = model.resolve('14085551002');
    expect(e164.kind === 'line' && e164.line.dn).toBe('1002');
    const far = model.resolve('+14085550199');
    expect(far.kind === 'external' && far.rule.behaviour).toBe('busy');
  });
});
