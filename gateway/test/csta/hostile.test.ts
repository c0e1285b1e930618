// Hostile and broken input (gateway/test/vectors/csta-hostile/index.json): every document gets a
// typed DesklineError naming the problem; nothing throws, nothing is expanded.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCsta } from '../../src/csta/index.js';
import { isDesklineError, type ErrorCode } from '../../src/util/errors.js';

const DIR = new URL('../vectors/csta-hostile/', import.meta.url);

interface HostileCase {
  file?: string;
  generate?: 'one-megabyte-body' | 'depth-10000-closed';
  code: ErrorCode;
  note: string;
  messageContains?: string;
  path?: string;
}

const CASES = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as HostileCase[];
const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

function input(c: HostileCase): { bytes: Buffer; limits?: { maxBytes: number } } {
  if (c.file !== undefined) return { bytes: readFileSync(new URL(c.file, DIR)) };
  switch (c.generate) {
    case 'one-megabyte-body':
      return {
        bytes: Buffer.from(
          `<MakeCall xmlns="${NS}"><callingDevice>${'9'.repeat(1 << 20)}</callingDevice><calledDirectoryNumber>1</calledDirectoryNumber></MakeCall>`,
        ),
      };
    case 'depth-10000-closed':
      return {
        bytes: Buffer.from(
          `<MakeCall xmlns="${NS}">${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</MakeCall>`,
        ),
        limits: { maxBytes: 1 << 20 },
      };
    default:
      throw new Error(`bad index entry ${JSON.stringify(c)}`);
  }
}

describe('hostile CSTA corpus', () => {
  it('covers the cases the brief lists', () => {
    const files = new Set(CASES.map((c) => c.file ?? c.generate));
    for (const required of [
      'billion-laughs.xml',
      'external-entity.xml',
      'parameter-entity.xml',
      'doctype-only.xml',
      'one-megabyte-body',
      'depth-10000.xml',
      'invalid-utf8.xml',
      'utf16le-bom.xml',
      'encoding-iso-8859-1.xml',
      'unclosed-tags.xml',
      'two-roots.xml',
      'text-outside-root.xml',
      'missing-required-field.xml',
    ]) {
      expect(files.has(required), required).toBe(true);
    }
  });

  it.each(CASES.map((c) => [c.file ?? c.generate, c] as const))('%s', (_name, c) => {
    const { bytes, limits } = input(c);
    for (const form of [
      bytes,
      bytes.toString('latin1') === bytes.toString('utf8') ? bytes.toString('utf8') : undefined,
    ]) {
      if (form === undefined) continue;
      let result: ReturnType<typeof decodeCsta> | undefined;
      expect(() => {
        result = decodeCsta(form, limits);
      }).not.toThrow();
      if (result === undefined) throw new Error('no result');
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(isDesklineError(result.error)).toBe(true);
      expect(result.error.code).toBe(c.code);
      if (c.messageContains !== undefined) expect(result.error.message).toContain(c.messageContains);
      if (c.path !== undefined) expect(result.error.detail?.['path']).toBe(c.path);
      if (c.code === 'XML_MALFORMED') {
        expect(result.error.detail?.['line']).toEqual(expect.any(Number));
        expect(result.error.detail?.['column']).toEqual(expect.any(Number));
      }
    }
  });

  it('string input: size is counted in UTF-8 bytes', () => {
    const body = (n: number) =>
      `<MonitorStop xmlns="${NS}"><monitorCrossRefID>${'é'.repeat(n)}</monitorCrossRefID></MonitorStop>`;
    const overhead = Buffer.byteLength(body(0));
    const fits = body((65_536 - overhead) / 2);
    expect(Buffer.byteLength(fits)).toBe(65_536);
    expect(decodeCsta(fits).ok).toBe(true);
    const over = decodeCsta(fits + ' ');
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.error.code).toBe('XML_TOO_LARGE');
  });

  it('string input: an unpaired surrogate is an encoding error', () => {
    const r = decodeCsta(
      `<MonitorStop xmlns="${NS}"><monitorCrossRefID>\uD800</monitorCrossRefID></MonitorStop>`,
    );
    expect(!r.ok && r.error.code).toBe('XML_ENCODING');
  });

  it('limits can be tightened or widened per call', () => {
    const doc = `<MakeCall xmlns="${NS}"><callingDevice>1001</callingDevice><calledDirectoryNumber>1002</calledDirectoryNumber></MakeCall>`;
    const small = decodeCsta(doc, { maxBytes: 50 });
    expect(!small.ok && small.error.code).toBe('XML_TOO_LARGE');
    const shallow = decodeCsta(doc, { maxDepth: 1 });
    expect(!shallow.ok && shallow.error.code).toBe('XML_TOO_DEEP');
    expect(decodeCsta(doc, { maxDepth: 2 }).ok).toBe(true);
    const deep = `<MakeCall xmlns="${NS}">${'<a>'.repeat(40)}${'</a>'.repeat(40)}<callingDevice>1</callingDevice><calledDirectoryNumber>2</calledDirectoryNumber></MakeCall>`;
    expect(decodeCsta(deep).ok).toBe(false);
    expect(decodeCsta(deep, { maxDepth: 64 }).ok).toBe(true);
  });

  it('never echoes a secret in an error', () => {
    const doc =
      '<StartApplicationSession xmlns="http://www.ecma-international.org/standards/ecma-354/appl_session"><applicationInfo><applicationID>x</applicationID>' +
      '<applicationSpecificInfo><dl:credentials xmlns:dl="urn:deskline:cti:1"><dl:userName>u</dl:userName><dl:password><hunter2/></dl:password></dl:credentials></applicationSpecificInfo>' +
      '</applicationInfo><requestedProtocolVersions/></StartApplicationSession>';
    const r = decodeCsta(doc);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('CSTA_INVALID_FIELD');
    expect(r.error.detail?.['path']).toBe(
      'StartApplicationSession/applicationInfo/applicationSpecificInfo/credentials/password',
    );
    expect(JSON.stringify(r.error.toJSON())).not.toContain('hunter2');
  });
});
