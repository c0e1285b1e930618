// Microsoft RCC bodies (gateway/test/vectors/ms-rcc/README.md): the VERBATIM ones come from a real
// client and must decode unchanged; and edition handling (docs/msrcc.md §6: "answer in the edition the
// client spoke").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CSTA_EDITIONS,
  cstaNamespace,
  decodeCsta,
  encodeCsta,
  getLcsLine,
  type DecodedCsta,
} from '../../src/csta/index.js';

const MS_RCC = new URL('../vectors/ms-rcc/', import.meta.url);
const read = (name: string): Buffer => readFileSync(new URL(name, MS_RCC));

function decodeOk(input: Uint8Array | string): DecodedCsta {
  const result = decodeCsta(input);
  if (!result.ok) throw result.error;
  return result.value;
}

// Marked VERBATIM-CODE in the README: byte-for-byte what pidgin-sipe sends.
const VERBATIM = [
  ['01-body-request-system-status.xml', 'RequestSystemStatus'],
  ['04-body-get-csta-features.xml', 'GetCSTAFeatures'],
  ['05-body-monitor-start.xml', 'MonitorStart'],
  ['07-body-make-call.xml', 'MakeCall'],
  ['13-body-clear-connection.xml', 'ClearConnection'],
  ['15-body-monitor-stop.xml', 'MonitorStop'],
] as const;

describe('Microsoft RCC bodies', () => {
  it.each(VERBATIM)('VERBATIM %s decodes as %s and re-encodes to the same bytes', (file, type) => {
    const bytes = read(file);
    const decoded = decodeOk(bytes);
    expect(decoded.message.type).toBe(type);
    expect(decoded.edition).toBe('ed3');
    // sipe writes `<?xml version="1.0"?>` then the body; our body is identical.
    const text = bytes.toString('utf8');
    expect(text.startsWith('<?xml version="1.0"?>')).toBe(true);
    expect('<?xml version="1.0"?>' + encodeCsta(decoded.message, { declaration: false })).toBe(text);
  });

  it('reads the fields sipe sends', () => {
    const makeCall = decodeOk(read('07-body-make-call.xml')).message;
    expect(makeCall).toEqual({
      type: 'MakeCall',
      callingDevice: 'tel:73124;phone-context=dialstring;partition=BE_BRS_INT',
      calledDirectoryNumber: 'tel:+3222220220',
      autoOriginate: 'doNotPrompt',
    });
    const monitorStart = decodeOk(read('05-body-monitor-start.xml')).message;
    expect(monitorStart).toEqual({
      type: 'MonitorStart',
      monitorObject: { deviceObject: 'tel:73124;phone-context=dialstring;partition=BE_BRS_INT' },
    });
  });

  it('getLcsLine finds the Microsoft line URI in RequestSystemStatus and GetCSTAFeatures', () => {
    for (const file of ['01-body-request-system-status.xml', '04-body-get-csta-features.xml']) {
      expect(getLcsLine(decodeOk(read(file)).message)).toBe(
        'tel:73124;phone-context=dialstring;partition=BE_BRS_INT',
      );
    }
    expect(getLcsLine(decodeOk(read('07-body-make-call.xml')).message)).toBeUndefined();
  });

  it('getLcsLine checks the namespace, not just the name', () => {
    const foreign = decodeOk(
      '<RequestSystemStatus xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><extensions><privateData><private><x:line xmlns:x="urn:other">tel:1</x:line></private></privateData></extensions></RequestSystemStatus>',
    ).message;
    expect(getLcsLine(foreign)).toBeUndefined();
    const declaredOutside = decodeOk(
      '<RequestSystemStatus xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3" xmlns:m="http://schemas.microsoft.com/Lcs/2005/04/RCCExtension"><extensions><privateData><private><m:line>tel:2</m:line></private></privateData></extensions></RequestSystemStatus>',
    ).message;
    expect(getLcsLine(declaredOutside)).toBe('tel:2');
  });

  it.each([
    '02-body-request-system-status-response.xml',
    '06-body-monitor-start-response.xml',
    '08-body-make-call-response.xml',
    '09-body-originated-event.xml',
    '10-body-delivered-event.xml',
    '11-body-established-event.xml',
    '12-body-connection-cleared-event.xml',
    '19-body-csta-error-code.xml',
  ])('CONSTRUCTED %s decodes and round-trips', (file) => {
    const decoded = decodeOk(read(file));
    const text = read(file).toString('utf8');
    expect('<?xml version="1.0"?>' + encodeCsta(decoded.message, { declaration: false })).toBe(text);
  });

  it('decodes the Yealink ed5 RequestSystemStatusResponse and answers in ed5 when asked', () => {
    const decoded = decodeOk(read('02-body-request-system-status-response.yealink-ed5.xml'));
    expect(decoded.message).toEqual({ type: 'RequestSystemStatusResponse', systemStatus: 'normal' });
    expect(decoded.edition).toBe('ed5');
    expect(decoded.namespace).toBe('http://www.ecma-international.org/standards/ecma-323/csta/ed5');
    const answer = encodeCsta(decoded.message, { edition: decoded.edition });
    expect(answer).toContain('xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed5"');
  });
});

describe('editions', () => {
  const body =
    '<MakeCall xmlns="NS"><callingDevice>1001</callingDevice><calledDirectoryNumber>1002</calledDirectoryNumber></MakeCall>';

  it.each(CSTA_EDITIONS)(
    '%s input decodes and reports its edition; encode writes the asked edition',
    (edition) => {
      const decoded = decodeOk(body.replace('NS', cstaNamespace(edition)));
      expect(decoded.edition).toBe(edition);
      expect(decoded.message).toEqual({
        type: 'MakeCall',
        callingDevice: '1001',
        calledDirectoryNumber: '1002',
      });
      const out = encodeCsta(decoded.message, { edition });
      expect(decodeOk(out).edition).toBe(edition);
    },
  );

  it('ed3 is the default edition', () => {
    expect(encodeCsta({ type: 'MonitorStopResponse' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><MonitorStopResponse xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"/>',
    );
  });

  it('a foreign namespace is refused: the local name alone does not make a CSTA message', () => {
    for (const xml of [
      body.replace('NS', 'urn:evil'),
      body
        .replace('<MakeCall xmlns="NS">', '<ed3:MakeCall xmlns:ed3="urn:evil">')
        .replace('</MakeCall>', '</ed3:MakeCall>'),
    ]) {
      const decoded = decodeCsta(xml);
      expect(decoded.ok, xml).toBe(false);
      if (!decoded.ok) {
        expect(decoded.error.code).toBe('CSTA_UNKNOWN_MESSAGE');
        expect(decoded.error.message).toContain('urn:evil');
      }
    }
  });

  it('a missing namespace decodes by local names, edition unknown, and is answered in ed3', () => {
    const bare = decodeOk(body.replace(' xmlns="NS"', ''));
    expect(bare.edition).toBe('unknown');
    expect(bare.message.type).toBe('MakeCall');
    expect(encodeCsta(bare.message, { edition: bare.edition })).toContain('/csta/ed3"');
  });

  it('ECMA-354 messages are always in the ECMA-354 namespace', () => {
    const out = encodeCsta(
      { type: 'ResetApplicationSessionTimer', sessionID: 's1', requestedSessionDuration: 60 },
      { edition: 'ed5' },
    );
    expect(out).toContain('xmlns="http://www.ecma-international.org/standards/ecma-354/appl_session"');
    expect(decodeOk(out).edition).toBe('ecma354');
  });

  it('ECMA-323 messages asked in the ecma354 edition fall back to ed3', () => {
    expect(encodeCsta({ type: 'MonitorStop', monitorCrossRefID: '1' }, { edition: 'ecma354' })).toContain(
      '/csta/ed3"',
    );
  });

  it('the declaration can be left out', () => {
    expect(
      encodeCsta({ type: 'MonitorStop', monitorCrossRefID: '1' }, { declaration: false }).startsWith(
        '<MonitorStop ',
      ),
    ).toBe(true);
  });
});
