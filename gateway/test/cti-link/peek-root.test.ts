// peekRootLocalName: the root element's local name read from the bytes without parsing, so that
// a flood of unrequested directory segments is dropped undecoded (docs/cti-link.md §4).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { peekRootLocalName } from '../../src/cti/cti-connection.js';
import { decodeCsta, encodeCsta } from '../../src/csta/index.js';
import { switchingFunctionDevicesMessage } from '../../src/cti-link/directory-codec.js';

const peek = (text: string): string | undefined => peekRootLocalName(Buffer.from(text, 'utf8'));
const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

describe('peekRootLocalName', () => {
  it('reads the root name after a BOM, the XML declaration, comments, PIs and white space', () => {
    expect(peek('<SwitchingFunctionDevices/>')).toBe('SwitchingFunctionDevices');
    expect(peek(`<?xml version="1.0" encoding="UTF-8"?>\n<SwitchingFunctionDevices xmlns="${NS}">`)).toBe(
      'SwitchingFunctionDevices',
    );
    expect(peek('\uFEFF <!-- a > b --><?pi x?>\r\n\t<csta:MonitorStart xmlns:csta="x">')).toBe(
      'MonitorStart',
    );
    expect(peek('<a>')).toBe('a');
  });

  it('gives up (the decoder judges) on anything else', () => {
    for (const text of [
      '',
      ' ',
      'text<a/>',
      '<!DOCTYPE a><a/>',
      '<!-- unterminated',
      '<?xml version="1.0"',
      '<',
      '< a/>',
      '<abc',
      `<${'n'.repeat(300)}/>`,
    ])
      expect(peek(text), JSON.stringify(text)).toBeUndefined();
  });

  it('names what the decoder decodes, and never throws on any bytes', () => {
    const message = switchingFunctionDevicesMessage(
      { users: [], devices: [] },
      { serviceCrossRefID: 'x', segmentID: 1, lastSegment: true },
    );
    const xml = encodeCsta(message);
    const decoded = decodeCsta(xml);
    expect(decoded.ok && decoded.value.message.type).toBe('SwitchingFunctionDevices');
    expect(peek(xml)).toBe('SwitchingFunctionDevices');
    // Never throws, whatever the bytes; a name it reports is the one the document starts with.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const name = peekRootLocalName(Buffer.from(bytes));
        if (name !== undefined) expect(Buffer.from(bytes).toString('latin1')).toContain(name);
      }),
    );
  });
});
