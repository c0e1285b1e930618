// The ed3 structure check (ed3-structure.ts, validate.ts): that the validator catches what it
// must, and that every message the codec can encode, every simulator event vector and every CSTA
// error the engine or the simulator can answer is an ECMA-323 ed3 document. The same check runs
// on real traffic in wire-traffic.test.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toCstaError } from '../../../src/core/csta-errors.js';
import { DESCRIPTORS, cstaError, encodeCsta, type CstaErrorClass } from '../../../src/csta/index.js';
import { DesklineError, ErrorCode } from '../../../src/util/errors.js';
import { SAMPLES } from '../samples.js';
import { ECMA354_MESSAGES, ED3_MESSAGES, ENUMS, TYPES, type Particle } from './ed3-structure.js';
import { describeIssues, validateCsta } from './validate.js';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const doc = (inner: string, root: string, ns = NS): string => `<${root} xmlns="${ns}">${inner}</${root}>`;
const SUBJECT = '<deviceIdentifier>1001</deviceIdentifier>';

function issuesOf(xml: string): string {
  return describeIssues(validateCsta(xml).issues);
}

describe('the structure table', () => {
  it('names a known type for every element, and is well formed', () => {
    const known = new Set([...Object.keys(ENUMS), ...Object.keys(TYPES)]);
    const builtins = new Set([
      'text',
      'boolean',
      'int',
      'hexBinary',
      'empty',
      'caps',
      'foreign',
      'undescribed',
    ]);
    const check = (particles: readonly Particle[], where: string): void => {
      for (const p of particles) {
        if (typeof p !== 'string') {
          for (const alt of p.alternatives) check(alt, where);
          continue;
        }
        const match = /^([A-Za-z][\w.-]*)([?*+]?):(\w+)$/.exec(p);
        expect(match, `${where}: ${p}`).not.toBeNull();
        const type = match![3]!;
        expect(builtins.has(type) || known.has(type), `${where}: ${p}`).toBe(true);
      }
    };
    for (const [name, model] of Object.entries({ ...ED3_MESSAGES, ...ECMA354_MESSAGES, ...TYPES }))
      check(model, name);
  });

  it('describes every message the codec knows', () => {
    const described = new Set([...Object.keys(ED3_MESSAGES), ...Object.keys(ECMA354_MESSAGES)]);
    expect(DESCRIPTORS.map((d) => d.type).filter((t) => !described.has(t))).toEqual([]);
  });
});

describe('the validator', () => {
  // Each case is a body Deskline used to send (or a mistake it could make) and what is wrong.
  const cases: [string, string, RegExp][] = [
    [
      'systemServList (ed3: systemStatServList)',
      doc(
        '<supportedServices><systemServList><requestSystemStatus/></systemServList></supportedServices>',
        'GetCSTAFeaturesResponse',
      ),
      /systemServList: not allowed here/,
    ],
    [
      'a feature in the wrong list',
      doc(
        '<supportedServices><systemStatServList><getSwitchingFunctionDevices/></systemStatServList></supportedServices>',
        'GetCSTAFeaturesResponse',
      ),
      /systemStatServList\/getSwitchingFunctionDevices: not allowed here/,
    ],
    [
      'feature lists out of order',
      doc(
        '<supportedServices><monitoringServList/><capExchangeServList/></supportedServices>',
        'GetCSTAFeaturesResponse',
      ),
      /capExchangeServList: out of order/,
    ],
    [
      'systemResourceAvailability (ed3: systemResourceAvailibility, sic)',
      doc('<systemResourceAvailability>resourceBusy</systemResourceAvailability>', 'CSTAErrorCode'),
      /expected one of operation.*systemResourceAvailibility/,
    ],
    [
      'privilegeViolationOnSpecifiedDevice (Phase II)',
      doc('<operation>privilegeViolationOnSpecifiedDevice</operation>', 'CSTAErrorCode'),
      /"privilegeViolationOnSpecifiedDevice" is not a value of OperationErrors/,
    ],
    [
      'security unspecified',
      doc('<security>unspecified</security>', 'CSTAErrorCode'),
      /"unspecified" is not a value of SecurityErrors/,
    ],
    [
      'invalidCalledDevice (ed3: invalidCalledDeviceID)',
      doc('<operation>invalidCalledDevice</operation>', 'CSTAErrorCode'),
      /is not a value of OperationErrors/,
    ],
    [
      'a value of another class',
      doc(
        '<systemResourceAvailibility>objectMonitorLimitExceeded</systemResourceAvailibility>',
        'CSTAErrorCode',
      ),
      /is not a value of SystemResourceAvailabilityErrors/,
    ],
    ['unspecified with text', doc('<unspecified>generic</unspecified>', 'CSTAErrorCode'), /must be empty/],
    [
      'deviceList/deviceEntry (ed3: deviceList/device)',
      doc(
        '<serviceCrossRefID>1</serviceCrossRefID><lastSegment>true</lastSegment><deviceList><deviceEntry><deviceID>x</deviceID></deviceEntry></deviceList>',
        'SwitchingFunctionDevices',
      ),
      /deviceList\/deviceEntry: not allowed here/,
    ],
    [
      'a sequence out of order',
      doc(
        '<calledDirectoryNumber>1002</calledDirectoryNumber><callingDevice>1001</callingDevice>',
        'MakeCall',
      ),
      /MakeCall\/callingDevice: missing/,
    ],
    [
      'a required element missing',
      doc(
        `<monitorCrossRefID>1</monitorCrossRefID><connection><callID>1</callID></connection><alertingDevice>${SUBJECT}</alertingDevice><callingDevice>${SUBJECT}</callingDevice><calledDevice>${SUBJECT}</calledDevice><cause>newCall</cause>`,
        'DeliveredEvent',
      ),
      /lastRedirectionDevice: missing/,
    ],
    [
      'an element repeated',
      doc('<monitorCrossRefID>1</monitorCrossRefID><monitorCrossRefID>2</monitorCrossRefID>', 'MonitorStop'),
      /monitorCrossRefID: out of order or repeated/,
    ],
    ['an empty ConnectionID', doc('<callToBeHeld/>', 'HoldCall'), /expected one of callID \| deviceID/],
    [
      'deviceID before callID',
      doc('<callToBeHeld><deviceID>d</deviceID><callID>1</callID></callToBeHeld>', 'HoldCall'),
      /callToBeHeld\/callID: out of order/,
    ],
    [
      'notRequired as a SubjectDeviceID',
      doc(
        '<monitorCrossRefID>1</monitorCrossRefID><device><notRequired/></device><doNotDisturbOn>true</doNotDisturbOn>',
        'DoNotDisturbEvent',
      ),
      /expected one of deviceIdentifier \| notKnown \| restricted/,
    ],
    [
      'originatingNIDConnection in EstablishedEvent (ed3: originatinNIDConnection, sic)',
      doc(
        `<monitorCrossRefID>1</monitorCrossRefID><establishedConnection><callID>1</callID></establishedConnection><answeringDevice>${SUBJECT}</answeringDevice><callingDevice>${SUBJECT}</callingDevice><calledDevice>${SUBJECT}</calledDevice><lastRedirectionDevice><notKnown/></lastRedirectionDevice><originatingNIDConnection><callID>2</callID></originatingNIDConnection><cause>newCall</cause>`,
        'EstablishedEvent',
      ),
      /originatingNIDConnection: not allowed here/,
    ],
    [
      'an enumeration value',
      doc('<systemStatus>fine</systemStatus>', 'RequestSystemStatusResponse'),
      /not a value of SystemStatus/,
    ],
    [
      'a boolean',
      doc('<device>d</device><doNotDisturbOn>yes</doNotDisturbOn>', 'SetDoNotDisturb'),
      /"yes" is not an xs:boolean/,
    ],
    [
      'private data outside extensions/privateData/private',
      doc(
        '<monitorObject><deviceObject>d</deviceObject></monitorObject><dl:directory xmlns:dl="urn:deskline:cti:1"/>',
        'MonitorStart',
      ),
      /MonitorStart\/directory: not allowed here/,
    ],
    [
      'a private element with a CSTA name',
      doc(
        '<monitorObject><deviceObject>d</deviceObject></monitorObject><dl:monitorType xmlns:dl="urn:deskline:cti:1">device</dl:monitorType>',
        'MonitorStart',
      ),
      /monitorType: element in namespace "urn:deskline:cti:1"/,
    ],
    [
      'CSTA elements inside private',
      doc(
        '<extensions><privateData><private><callID>1</callID></private></privateData></extensions>',
        'GetCSTAFeatures',
      ),
      /private data must be in a namespace of its own/,
    ],
    [
      'an attribute',
      doc(
        '<monitorObject><deviceObject typeOfNumber="other">d</deviceObject></monitorObject>',
        'MonitorStart',
      ),
      /attribute typeOfNumber/,
    ],
    [
      'an element the table does not describe',
      doc(
        '<callingDevice>1</callingDevice><calledDirectoryNumber>2</calledDirectoryNumber><userData><string>00</string></userData>',
        'MakeCall',
      ),
      /userData: allowed here by the schema, but its structure is not described/,
    ],
    [
      'another edition',
      doc('', 'GetCSTAFeatures', 'http://www.ecma-international.org/standards/ecma-323/csta/ed2'),
      /namespace/,
    ],
    ['no such message', doc('', 'MakeCalls'), /no message of ECMA-323 ed3/],
    ['not XML', '<MakeCall', /unclosed|unterminated|malformed|expected/i],
    [
      'an ECMA-354 defined error outside the schema',
      '<StartApplicationSessionNegResponse xmlns="http://www.ecma-international.org/standards/ecma-354/appl_session"><errorCode><definedError>applicationSessionLimitExceeded</definedError></errorCode></StartApplicationSessionNegResponse>',
      /not a value of StartApplicationSessionDefinedError/,
    ],
  ];

  it.each(cases)('rejects %s', (_what, xml, expected) => {
    expect(issuesOf(xml)).toMatch(expected);
  });

  it('accepts what the schema allows and Deskline does not send itself (choices, lists, empty markers)', () => {
    expect(issuesOf(doc('<unspecified/>', 'CSTAErrorCode'))).toBe('');
    expect(issuesOf(doc('<privateErrorCode>x</privateErrorCode>', 'CSTAErrorCode'))).toBe('');
    expect(issuesOf(doc('<callToBeHeld><deviceID>d</deviceID></callToBeHeld>', 'HoldCall'))).toBe('');
    expect(
      issuesOf(
        doc(
          '<crossRefIDorSnapshotData><snapshotData><snapshotDeviceResponseInfo><connectionIdentifier><callID>1</callID></connectionIdentifier><localCallState><simpleCallState>callEstablished</simpleCallState></localCallState></snapshotDeviceResponseInfo></snapshotData></crossRefIDorSnapshotData>',
          'SnapshotDeviceResponse',
        ),
      ),
    ).toBe('');
  });
});

describe('every message the codec can encode is an ed3 (or ECMA-354) document', () => {
  it('has a sample of every descriptor', () => {
    expect([...new Set(SAMPLES.map((m) => m.type))].sort()).toEqual(DESCRIPTORS.map((d) => d.type).sort());
  });

  it.each(SAMPLES.map((m) => [m.type, m] as const))('%s', (_type, message) => {
    const xml = encodeCsta(message);
    expect(issuesOf(xml), xml).toBe('');
  });

  it("the simulator's event vectors", () => {
    const dir = new URL('../../../../simulator/test/vectors/events/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) expect(issuesOf(readFileSync(new URL(file, dir), 'utf8')), file).toBe('');
  });

  it("every refusal of the engine's error table (core/csta-errors.ts)", () => {
    for (const code of Object.values(ErrorCode)) {
      const xml = encodeCsta(toCstaError(new DesklineError(code, 'x')));
      expect(issuesOf(xml), `${code}: ${xml}`).toBe('');
    }
  });

  // The simulator's call model and the gateway write their refusals as literals; a wrong spelling
  // in a path no flow reaches would otherwise go unnoticed. This finds every literal
  // (class, value) pair in gateway/src and checks it as the CSTAErrorCode it becomes.
  it('every CSTA error class and value written as a literal in gateway/src and simulator/src', () => {
    const sources = [
      new URL('../../../src/', import.meta.url),
      new URL('../../../../simulator/src/', import.meta.url),
    ];
    const pairs = new Set<string>();
    const patterns = [
      /\b(?:cstaError|refused)\(\s*'(\w+)',\s*'(\w*)'/g,
      /errorClass:\s*'(\w+)',\s*value:\s*'(\w*)'/g,
      // call-model.ts: controlledAppearance(device, '<operation value for an unknown device>')
      /controlledAppearance\([^,()]+,\s*'(\w+)'\)/g,
    ];
    for (const src of sources)
      for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) =>
        f.endsWith('.ts'),
      )) {
        const text = readFileSync(new URL(file, src), 'utf8');
        for (const pattern of patterns) {
          for (const match of text.matchAll(pattern)) {
            const [errorClass, value] =
              match[2] === undefined ? ['operation', match[1]!] : [match[1]!, match[2]];
            pairs.add(`${errorClass}/${value}`);
          }
        }
      }
    expect(pairs.size).toBeGreaterThan(20);
    const wrong = [...pairs].filter((pair) => {
      const [errorClass, value] = pair.split('/') as [CstaErrorClass, string];
      return issuesOf(encodeCsta(cstaError(errorClass, value))) !== '';
    });
    expect(wrong).toEqual([]);
  });
});
