// Deskline writes the ECMA-323 ed3 schema's names and reads the other spellings peers (and
// Deskline before it followed the schema) use: each is decoded as the schema's name, so that the
// engine sees one spelling, and written back in the schema's (docs/csta-codec.md "Schema names").
import { describe, expect, it } from 'vitest';
import { decodeCsta, encodeCsta, type CstaMessage } from '../../../src/csta/index.js';
import { describeIssues, validateCsta } from './validate.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

function decoded(xml: string): CstaMessage {
  const result = decodeCsta(xml);
  if (!result.ok) throw result.error;
  return result.value.message;
}

/** Decodes, checks the message, and checks that writing it back gives a valid ed3 document. */
function readsAs(xml: string, expected: CstaMessage): string {
  const message = decoded(xml);
  expect(message).toEqual(expected);
  const written = encodeCsta(message);
  expect(describeIssues(validateCsta(written).issues), written).toBe('');
  return written;
}

describe('other spellings on input', () => {
  it('GetCSTAFeaturesResponse: systemServList is systemStatServList', () => {
    const written = readsAs(
      `<GetCSTAFeaturesResponse xmlns="${NS}"><supportedServices><systemServList><requestSystemStatus/></systemServList></supportedServices></GetCSTAFeaturesResponse>`,
      {
        type: 'GetCSTAFeaturesResponse',
        supportedServices: { systemStatServList: ['requestSystemStatus'] },
      },
    );
    expect(written).toContain('<systemStatServList><requestSystemStatus/></systemStatServList>');
    // Both spellings in one list set name the same list twice.
    expect(
      decodeCsta(
        `<GetCSTAFeaturesResponse xmlns="${NS}"><supportedServices><systemServList/><systemStatServList/></supportedServices></GetCSTAFeaturesResponse>`,
      ),
    ).toMatchObject({ ok: false, error: { code: 'CSTA_INVALID_FIELD' } });
  });

  it.each([
    ['systemResourceAvailability', 'resourceBusy', 'systemResourceAvailibility', 'resourceBusy'],
    ['operation', 'privilegeViolationOnSpecifiedDevice', 'operation', 'privilegeViolationSpecifiedDevice'],
    ['operation', 'invalidCalledDevice', 'operation', 'invalidCalledDeviceID'],
    ['operation', 'invalidCallingDevice', 'operation', 'invalidCallingDeviceID'],
    ['security', 'unspecified', 'security', 'generic'],
    // The schema's own spellings stay as they are.
    [
      'systemResourceAvailibility',
      'resourceOutOfService',
      'systemResourceAvailibility',
      'resourceOutOfService',
    ],
    ['unspecified', '', 'unspecified', ''],
  ])('CSTAErrorCode <%s>%s</…> is %s/%s', (errorClass, value, schemaClass, schemaValue) => {
    readsAs(`<CSTAErrorCode xmlns="${NS}"><${errorClass}>${value}</${errorClass}></CSTAErrorCode>`, {
      type: 'CSTAErrorCode',
      errorClass: schemaClass as 'operation',
      value: schemaValue,
    });
  });

  it('SwitchingFunctionDevices: deviceList/deviceEntry is deviceList/device', () => {
    const written = readsAs(
      `<SwitchingFunctionDevices xmlns="${NS}"><serviceCrossRefID>7</serviceCrossRefID><segmentID>1</segmentID><lastSegment>true</lastSegment><deviceList><deviceEntry><deviceID>a</deviceID><deviceCategory>station</deviceCategory></deviceEntry><device><deviceID>b</deviceID></device></deviceList></SwitchingFunctionDevices>`,
      {
        type: 'SwitchingFunctionDevices',
        serviceCrossRefID: '7',
        segmentID: 1,
        lastSegment: true,
        deviceList: [{ deviceID: 'a', deviceCategory: 'station' }, { deviceID: 'b' }],
      },
    );
    expect(written).toContain('<deviceList><device><deviceID>a</deviceID>');
  });

  it('EstablishedEvent: originatingNIDConnection is the schema’s originatinNIDConnection (sic)', () => {
    const fields = (nid: string): string =>
      `<monitorCrossRefID>1</monitorCrossRefID><establishedConnection><callID>c</callID></establishedConnection><answeringDevice><deviceIdentifier>1002</deviceIdentifier></answeringDevice><callingDevice><deviceIdentifier>1001</deviceIdentifier></callingDevice><calledDevice><deviceIdentifier>1002</deviceIdentifier></calledDevice><lastRedirectionDevice><notKnown/></lastRedirectionDevice><${nid}><callID>n</callID></${nid}><cause>newCall</cause>`;
    const expected: CstaMessage = {
      type: 'EstablishedEvent',
      monitorCrossRefID: '1',
      establishedConnection: { callID: 'c' },
      answeringDevice: { id: '1002' },
      callingDevice: { id: '1001' },
      calledDevice: { id: '1002' },
      lastRedirectionDevice: { absent: 'notKnown' },
      originatingNIDConnection: { callID: 'n' },
      cause: 'newCall',
    };
    for (const nid of ['originatingNIDConnection', 'originatinNIDConnection']) {
      const written = readsAs(`<EstablishedEvent xmlns="${NS}">${fields(nid)}</EstablishedEvent>`, expected);
      expect(written).toContain('<originatinNIDConnection>');
    }
  });
});
