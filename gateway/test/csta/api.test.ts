// The codec's helpers, and the XML details decided in docs/csta-codec.md.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  DESCRIPTORS,
  cstaError,
  decodeCsta,
  deviceRefId,
  encodeCsta,
  isCstaEvent,
  isCstaRequest,
  isCstaResponse,
  lcsLine,
  responseTypeOf,
  roleOf,
  type CstaMessage,
  type CstaMessageOf,
  type CstaRequestType,
  type DeviceRef,
} from '../../src/csta/index.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

function decodeOk(input: string): CstaMessage {
  const r = decodeCsta(input);
  if (!r.ok) throw r.error;
  return r.value.message;
}

describe('message roles', () => {
  it('responseTypeOf gives every request its positive response, which is a response', () => {
    const requests = DESCRIPTORS.filter((d) => d.role === 'request');
    expect(requests.length).toBeGreaterThan(25);
    for (const d of requests) {
      // d.type is a request type by the filter above.
      const response = responseTypeOf(d.type as CstaRequestType);
      expect(roleOf(response)).toBe('response');
    }
    expect(responseTypeOf('MakeCall')).toBe('MakeCallResponse');
    expect(responseTypeOf('StartApplicationSession')).toBe('StartApplicationSessionPosResponse');
    expect(responseTypeOf('GetSwitchingFunctionDevices')).toBe('GetSwitchingFunctionDevicesResponse');
  });

  it('predicates split the union', () => {
    const makeCall: CstaMessage = { type: 'MakeCall', callingDevice: 'a', calledDirectoryNumber: 'b' };
    const delivered: CstaMessage = decodeOk(
      `<DeliveredEvent xmlns="${NS}"><monitorCrossRefID>1</monitorCrossRefID><connection><callID>1</callID></connection><alertingDevice><notKnown/></alertingDevice><callingDevice><notKnown/></callingDevice><calledDevice><notKnown/></calledDevice><lastRedirectionDevice><notRequired/></lastRedirectionDevice><cause>newCall</cause></DeliveredEvent>`,
    );
    const error = cstaError('operation', 'invalidCallID');
    expect([isCstaRequest(makeCall), isCstaResponse(makeCall), isCstaEvent(makeCall)]).toEqual([
      true,
      false,
      false,
    ]);
    expect([isCstaRequest(delivered), isCstaResponse(delivered), isCstaEvent(delivered)]).toEqual([
      false,
      false,
      true,
    ]);
    expect([isCstaRequest(error), isCstaResponse(error), isCstaEvent(error)]).toEqual([false, true, false]);
    if (isCstaEvent(delivered) && delivered.type === 'DeliveredEvent') {
      expect(deviceRefId(delivered.callingDevice)).toBeUndefined();
    }
  });

  it('every descriptor has exactly one role and a unique type', () => {
    const types = DESCRIPTORS.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
  });
});

describe('CSTAErrorCode', () => {
  it('encodes the class as the element name and the value as its text', () => {
    expect(encodeCsta(cstaError('security', 'generic'), { declaration: false })).toBe(
      `<CSTAErrorCode xmlns="${NS}"><security>generic</security></CSTAErrorCode>`,
    );
  });
  it('keeps an unknown value as text', () => {
    expect(
      decodeOk(`<CSTAErrorCode xmlns="${NS}"><operation>somethingNew</operation></CSTAErrorCode>`),
    ).toEqual(cstaError('operation', 'somethingNew'));
  });
});

describe('device references', () => {
  it('reads deviceIdentifier, numberDialed and the other ExtendedDeviceID forms as an id', () => {
    for (const form of ['deviceIdentifier', 'numberDialed', 'implicitPublic', 'explicitPrivate']) {
      const m = decodeOk(
        `<HeldEvent xmlns="${NS}"><monitorCrossRefID>1</monitorCrossRefID><heldConnection><callID>1</callID></heldConnection><holdingDevice><${form}>1001</${form}></holdingDevice><cause>normal</cause></HeldEvent>`,
      );
      expect(m.type === 'HeldEvent' && m.holdingDevice).toEqual({ id: '1001' });
    }
  });
  it('writes RedirectionDeviceID with numberDialed and the others with deviceIdentifier', () => {
    const xml = encodeCsta({
      type: 'DivertedEvent',
      monitorCrossRefID: '1',
      connection: { callID: '1', deviceID: '1001' },
      divertingDevice: { id: '1001' },
      newDestination: { id: '1002' },
      lastRedirectionDevice: { id: '1001' },
      cause: 'redirected',
    });
    expect(xml).toContain('<divertingDevice><deviceIdentifier>1001</deviceIdentifier></divertingDevice>');
    expect(xml).toContain('<lastRedirectionDevice><numberDialed>1001</numberDialed></lastRedirectionDevice>');
  });
});

describe('XML details', () => {
  it('decodes the predefined entities and character references, in text and attributes', () => {
    const m = decodeOk(
      `<MonitorStop xmlns="${NS}"><monitorCrossRefID>&lt;&gt;&amp;&quot;&apos;&#65;&#x1F600;</monitorCrossRefID><zzX a="&amp;&#x9;&quot;"/></MonitorStop>`,
    );
    expect(m).toEqual({
      type: 'MonitorStop',
      monitorCrossRefID: `<>&"'A😀`,
      unknown: [{ name: 'zzX', attributes: { a: '&\t"' } }],
    });
  });

  it('normalises line ends (XML 1.0 §2.11) and literal whitespace in attributes (§3.3.3), keeps escaped CR', () => {
    const m = decodeOk(
      `<MonitorStop xmlns="${NS}"><monitorCrossRefID>a\r\nb\rc&#13;</monitorCrossRefID><zzX a="x\r\ny\tz"/></MonitorStop>`,
    );
    expect(m).toEqual({
      type: 'MonitorStop',
      monitorCrossRefID: 'a\nb\nc\r',
      unknown: [{ name: 'zzX', attributes: { a: 'x y z' } }],
    });
  });

  it('accepts comments, processing instructions and CDATA inside elements', () => {
    const m = decodeOk(
      `<?xml version="1.0"?><!-- c --><?pi data?><MonitorStop xmlns="${NS}"><!-- c --><monitorCrossRefID>a<!-- c -->b<![CDATA[<c>&]]><?pi?>d</monitorCrossRefID></MonitorStop><!-- trailing --><?pi?>\n`,
    );
    expect(m).toEqual({ type: 'MonitorStop', monitorCrossRefID: 'ab<c>&d' });
  });

  it('refuses non-whitespace text in an element-only (structured) element', () => {
    const r = decodeCsta(
      `<MonitorStart xmlns="${NS}"><monitorObject>stray<deviceObject>1</deviceObject></monitorObject></MonitorStart>`,
    );
    expect(!r.ok && r.error.code).toBe('CSTA_INVALID_FIELD');
  });

  it('ignores attributes on known elements (ECMA-323 typeOfNumber, mediaClass, ...)', () => {
    const m = decodeOk(
      `<MonitorStop xmlns="${NS}" id="x"><monitorCrossRefID zz="1">7</monitorCrossRefID></MonitorStop>`,
    );
    expect(m).toEqual({ type: 'MonitorStop', monitorCrossRefID: '7' });
  });

  it('keeps unknown children, making them self-contained when their prefix is declared further up', () => {
    const m = decodeOk(
      `<x:MonitorStop xmlns:x="${NS}" xmlns:v="urn:vendor"><x:monitorCrossRefID>7</x:monitorCrossRefID><v:hint v:level="1"><v:sub/></v:hint><plain/></x:MonitorStop>`,
    );
    expect(m).toEqual({
      type: 'MonitorStop',
      monitorCrossRefID: '7',
      unknown: [
        {
          name: 'v:hint',
          attributes: { 'xmlns:v': 'urn:vendor', 'v:level': '1' },
          children: [{ name: 'v:sub' }],
        },
        // The root used a prefix, so <plain/> had no namespace; xmlns="" keeps it that way when re-encoded.
        { name: 'plain', attributes: { xmlns: '' } },
      ],
    });
    const again = decodeOk(encodeCsta(m));
    expect(again).toEqual(m);
  });

  it('reports the position of a well-formedness error', () => {
    const r = decodeCsta(
      `<MonitorStop xmlns="${NS}">\n  <monitorCrossRefID>1</monitorCrossRefId>\n</MonitorStop>`,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('XML_MALFORMED');
    expect(r.error.detail).toMatchObject({ line: 2, column: 23 });
    expect(r.error.message).toContain('line 2, column 23');
  });

  it('writes characters XML cannot carry as U+FFFD, so output always parses', () => {
    const xml = encodeCsta({ type: 'MonitorStop', monitorCrossRefID: 'a\u0001b\uD800c' });
    expect(decodeOk(xml)).toEqual({ type: 'MonitorStop', monitorCrossRefID: 'a\uFFFDb\uFFFDc' });
  });

  it('lcsLine builds the node Communicator sends', () => {
    expect(
      encodeCsta(
        { type: 'GetCSTAFeatures', extensions: { privateData: [lcsLine('tel:1')] } },
        { declaration: false },
      ),
    ).toBe(
      `<GetCSTAFeatures xmlns="${NS}"><extensions><privateData><private><lcs:line xmlns:lcs="http://schemas.microsoft.com/Lcs/2005/04/RCCExtension">tel:1</lcs:line></private></privateData></extensions></GetCSTAFeatures>`,
    );
  });

  it('keeps odd extensions whole rather than reshaping them', () => {
    const xml = `<MonitorStop xmlns="${NS}"><monitorCrossRefID>1</monitorCrossRefID><extensions><security><messageSequenceNumber>4</messageSequenceNumber></security><privateData><private>raw text</private></privateData></extensions></MonitorStop>`;
    const m = decodeOk(xml);
    expect(m.extensions).toEqual({
      unknown: [
        { name: 'security', children: [{ name: 'messageSequenceNumber', text: '4' }] },
        { name: 'privateData', children: [{ name: 'private', text: 'raw text' }] },
      ],
    });
    expect(encodeCsta(m, { declaration: false })).toBe(xml);
  });
});

describe('encode of a value of the wrong type (a bug) throws an assertion', () => {
  it('names the path', () => {
    // Deliberately ill-typed, as a JavaScript caller could send it.
    const bad = JSON.parse(
      '{"type":"MakeCall","callingDevice":1001,"calledDirectoryNumber":"1002"}',
    ) as CstaMessage;
    expect(() => encodeCsta(bad)).toThrow(/MakeCall\/callingDevice is not a string/);
  });
});

describe('inferred types', () => {
  it('follow the descriptors', () => {
    expectTypeOf(responseTypeOf('MakeCall')).toEqualTypeOf<'MakeCallResponse'>();
    expectTypeOf(
      responseTypeOf('ResetApplicationSessionTimer'),
    ).toEqualTypeOf<'ResetApplicationSessionTimerPosResponse'>();
    expectTypeOf<CstaMessageOf<'MakeCall'>['calledDirectoryNumber']>().toEqualTypeOf<string>();
    expectTypeOf<CstaMessageOf<'MakeCall'>['autoOriginate']>().toEqualTypeOf<
      'prompt' | 'doNotPrompt' | undefined
    >();
    expectTypeOf<CstaMessageOf<'DeliveredEvent'>['callingDevice']>().toEqualTypeOf<DeviceRef>();
    expectTypeOf<CstaMessageOf<'DeliveredEvent'>['localConnectionInfo']>().toEqualTypeOf<
      'null' | 'initiated' | 'alerting' | 'connected' | 'hold' | 'queued' | 'fail' | undefined
    >();
    expectTypeOf<CstaMessageOf<'CSTAErrorCode'>['errorClass']>().toEqualTypeOf<
      | 'operation'
      | 'security'
      | 'stateIncompatibility'
      | 'systemResourceAvailibility'
      | 'subscribedResourceAvailability'
      | 'performanceManagement'
      | 'privateData'
      | 'privateErrorCode'
      | 'unspecified'
    >();
    expectTypeOf<CstaMessageOf<'SwitchingFunctionDevices'>['segmentID']>().toEqualTypeOf<number>();
    expectTypeOf<CstaMessageOf<'SetDoNotDisturb'>['doNotDisturbOn']>().toEqualTypeOf<boolean>();
  });

  it('refuses feature names that are not XML names on encode (a caller bug)', () => {
    const bad: CstaMessage = {
      type: 'GetCSTAFeaturesResponse',
      supportedServices: { callControlServList: ['make call'] },
    };
    expect(() => encodeCsta(bad)).toThrow(/assertion/);
  });
});
