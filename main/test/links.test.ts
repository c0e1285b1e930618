import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDialRequest, parseDialLink, parseDialText } from '../src/links.js';

const number = (input: string): string | undefined => {
  const result = parseDialLink(input);
  return result.ok ? result.value.number : undefined;
};

describe('parseDialLink', () => {
  it.each([
    ['tel:+1-408-555-1234', '+14085551234'],
    ['tel:+1.408.555.1234', '+14085551234'],
    ['tel:+1(408)5551234', '+14085551234'],
    ['TEL:+441632960000', '+441632960000'],
    ['tel:1001', '1001'],
    ['tel:1001;phone-context=dialstring;partition=INTERNAL', '1001'],
    ['tel:*67', '*67'],
    ['tel:%2B1%20408%20555%201234', '+14085551234'],
    ['tel://+14085551234', '+14085551234'],
    ['callto:+14085551234', '+14085551234'],
    ['callto://+14085551234', '+14085551234'],
    ['callto:+14085551234?call', '+14085551234'],
    ['sip:+14085551234@gateway.example.com;user=phone', '+14085551234'],
    ['sip:1001@cucm.example.com', '1001'],
    ['sips:2002@pbx.example.com:5061;transport=tls', '2002'],
    ['sip:1001', '1001'],
  ])('%s dials %s', (link, expected) => {
    expect(number(link)).toBe(expected);
  });

  it('keeps the RFC 3966 extension apart', () => {
    const result = parseDialLink('tel:+1-408-555-1234;ext=5678');
    expect(result).toEqual({ ok: true, value: { number: '+14085551234', extension: '5678', source: 'tel' } });
  });

  it.each([
    ['', 'URI_INVALID'],
    ['http://example.com', 'URI_INVALID'],
    ['javascript:alert(1)', 'URI_INVALID'],
    ['tel:', 'NUMBER_INVALID'],
    ['tel:+', 'NUMBER_INVALID'],
    ['tel:1-800-FLOWERS', 'NUMBER_INVALID'],
    ['tel:+1*234', 'NUMBER_INVALID'],
    ['tel:12++34', 'NUMBER_INVALID'],
    ['tel:1234;ext=+12', 'NUMBER_INVALID'],
    ['tel:1234;ext=abc', 'NUMBER_INVALID'],
    ['tel:%E0%A4%A', 'URI_INVALID'],
    ['tel:1234\n5678', 'URI_INVALID'],
    ['tel:12%0034', 'NUMBER_INVALID'],
    ['callto:echo123', 'NUMBER_INVALID'],
    ['sip:alice@example.com', 'NUMBER_INVALID'],
    ['sip:@example.com', 'URI_INVALID'],
    [`tel:${'1'.repeat(33)}`, 'NUMBER_INVALID'],
    [`tel:${'1'.repeat(600)}`, 'URI_INVALID'],
    ['tel:1234; rm -rf /', 'NUMBER_INVALID'],
  ])('refuses %j (%s)', (link, code) => {
    const result = parseDialLink(link);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(5);
    }
  });

  it('never accepts anything but a clean dial string (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.constantFrom('tel:', 'callto:', 'sip:', 'sips:', 'TEL:', ''),
        (body, scheme) => {
          const result = parseDialLink(`${scheme}${body}`);
          if (result.ok) {
            expect(result.value.number).toMatch(/^\+?[0-9*#]{1,32}$/);
            if (result.value.number.startsWith('+')) expect(result.value.number).toMatch(/^\+[0-9]+$/);
          } else {
            expect(['URI_INVALID', 'NUMBER_INVALID']).toContain(result.error.code);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('parseDialText (clipboard, selection)', () => {
  it.each([
    ['+1 (408) 555-1234', '+14085551234'],
    ['  2002\n', '2002'],
    ['408\u00a0555\u00a01234', '4085551234'],
    ['tel:+14085551234', '+14085551234'],
  ])('%j dials %s', (text, expected) => {
    const result = parseDialText(text);
    expect(result.ok && result.value.number).toBe(expected);
  });

  it.each([
    '',
    '   ',
    'call me maybe',
    'alice@example.com',
    '12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 1',
    '1234\u0007',
  ])('refuses %j', (text) => {
    expect(parseDialText(text).ok).toBe(false);
  });
});

describe('findDialRequest (command lines)', () => {
  it('finds a link among Chromium switches and paths, as Windows and Linux pass it', () => {
    const argv = [
      'C:\\Program Files\\Deskline\\Deskline.exe',
      '--allow-file-access-from-files',
      '--original-process-start-time=1',
      'tel:+14085551234',
    ];
    const result = findDialRequest(argv);
    expect(result?.ok && result.value).toEqual({ number: '+14085551234', source: 'tel' });
  });

  it('accepts --dial=<number>', () => {
    const result = findDialRequest(['/usr/bin/deskline', '--dial=+1 408 555 1234']);
    expect(result?.ok && result.value.number).toBe('+14085551234');
  });

  it('says nothing when there is no dial request', () => {
    expect(findDialRequest(['/opt/Deskline/deskline', '.', '--hidden', '/home/me/file.txt'])).toBeUndefined();
  });

  it('reports a garbage link rather than ignoring it', () => {
    const result = findDialRequest(['deskline', 'sip:alice@example.com']);
    expect(result?.ok).toBe(false);
  });
});
