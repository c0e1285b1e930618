// The dl:directory private element (docs/cti-link.md §4) and its segmentation under the frame limit.
import { describe, expect, it } from 'vitest';
import {
  directoryFromPrivateData,
  directoryToPrivateData,
  segmentDirectory,
  switchingFunctionDevicesMessage,
  type DirectoryDevice,
  type DirectorySegment,
  type DirectoryUser,
} from '../../src/cti-link/directory-codec.js';
import { FrameDecoder, encodeFrame } from '../../src/cti-link/framing.js';
import { EVENT_INVOKE_ID } from '../../src/cti-link/invoke-id.js';
import { decodeCsta, encodeCsta, type XmlNode } from '../../src/csta/index.js';

const SAMPLE: DirectorySegment = {
  users: [
    {
      id: 'alice',
      displayName: 'Alice Archer',
      licence: 'CUWL',
      sipUri: 'sip:alice@example.com',
      controlledDevices: ['SEP00AABB000001'],
    },
    { id: 'bob', displayName: 'Bob "B" Bäcker & Co', licence: null, controlledDevices: [] },
    { id: 'carol', displayName: 'Carol', licence: 'UCL', controlledDevices: ['SEP00AABB000003', 'CSFCAROL'] },
  ],
  devices: [
    {
      name: 'SEP00AABB000001',
      model: 'Cisco 8865',
      description: 'Alice desk',
      ctiAllowed: true,
      lines: [
        { index: 1, dn: '1001', partition: 'INTERNAL', label: 'Alice', e164: '+14085551001' },
        { index: 2, dn: '1900', partition: 'INTERNAL', label: 'Shared <support>' },
      ],
    },
    { name: 'SEP00AABB000003', model: 'Cisco 7841', description: '', ctiAllowed: false, lines: [] },
  ],
};

function generatedDirectory(users: number): DirectorySegment {
  const u: DirectoryUser[] = [];
  const d: DirectoryDevice[] = [];
  for (let i = 0; i < users; i++) {
    const mac = i.toString(16).toUpperCase().padStart(12, '0');
    const dn = String(100_000 + i);
    u.push({
      id: `user${i}`,
      displayName: `User ${i} Ünïcødé`,
      licence: i % 10 === 0 ? null : i % 3 === 0 ? 'UCL' : 'CUWL',
      sipUri: `sip:user${i}@example.com`,
      controlledDevices: [`SEP${mac}`],
    });
    d.push({
      name: `SEP${mac}`,
      model: 'Cisco 8865',
      description: `Desk of user ${i}`,
      ctiAllowed: i % 17 !== 0,
      lines: [
        { index: 1, dn, partition: 'INTERNAL', label: `User ${i}`, e164: `+1408${dn.padStart(7, '0')}` },
        ...(i % 5 === 0 ? [{ index: 2, dn: '1900', partition: 'INTERNAL', label: 'Support' }] : []),
      ],
    });
  }
  return { users: u, devices: d };
}

describe('dl:directory', () => {
  it('writes the element of docs/cti-link.md §4', () => {
    const node = directoryToPrivateData({
      users: [SAMPLE.users[0] as DirectoryUser],
      devices: [{ ...(SAMPLE.devices[0] as DirectoryDevice), lines: [SAMPLE.devices[0]?.lines[0] as never] }],
    });
    expect(node).toEqual({
      name: 'dl:directory',
      attributes: { 'xmlns:dl': 'urn:deskline:cti:1' },
      children: [
        {
          name: 'dl:user',
          attributes: {
            id: 'alice',
            displayName: 'Alice Archer',
            licence: 'CUWL',
            sipUri: 'sip:alice@example.com',
          },
          children: [{ name: 'dl:controlledDevice', text: 'SEP00AABB000001' }],
        },
        {
          name: 'dl:device',
          attributes: {
            name: 'SEP00AABB000001',
            model: 'Cisco 8865',
            description: 'Alice desk',
            ctiAllowed: 'true',
          },
          children: [
            {
              name: 'dl:line',
              attributes: {
                index: '1',
                dn: '1001',
                partition: 'INTERNAL',
                label: 'Alice',
                e164: '+14085551001',
              },
            },
          ],
        },
      ],
    });
  });

  it('round-trips through a real SwitchingFunctionDevices message', () => {
    const message = switchingFunctionDevicesMessage(SAMPLE, {
      serviceCrossRefID: 'x1',
      segmentID: 1,
      lastSegment: true,
    });
    expect(message.deviceList).toEqual([
      { deviceID: 'SEP00AABB000001/1001/INTERNAL', deviceCategory: 'station' },
      { deviceID: 'SEP00AABB000001/1900/INTERNAL', deviceCategory: 'station' },
    ]);
    const decoded = decodeCsta(encodeCsta(message));
    if (!decoded.ok) throw decoded.error;
    const m = decoded.value.message;
    if (m.type !== 'SwitchingFunctionDevices') throw new Error(m.type);
    const back = directoryFromPrivateData(m.extensions?.privateData);
    if (!back.ok) throw back.error;
    expect(back.value).toEqual(SAMPLE);
  });

  it('reads the example of docs/cti-link.md as written there', () => {
    const xml = `<SwitchingFunctionDevices xmlns="http://www.ecma-international.org/standards/ecma-323/csta/ed3"><serviceCrossRefID>1</serviceCrossRefID><segmentID>1</segmentID><lastSegment>true</lastSegment><extensions><privateData><private>
<dl:directory xmlns:dl="urn:deskline:cti:1">
  <dl:user id="alice" displayName="Alice Archer" licence="CUWL" sipUri="sip:alice@example.com">
    <dl:controlledDevice>SEP00AABB000001</dl:controlledDevice>
  </dl:user>
  <dl:device name="SEP00AABB000001" model="Cisco 8865" description="Alice desk" ctiAllowed="true">
    <dl:line index="1" dn="1001" partition="INTERNAL" label="Alice" e164="+14085551001"/>
  </dl:device>
</dl:directory></private></privateData></extensions></SwitchingFunctionDevices>`;
    const decoded = decodeCsta(xml);
    if (!decoded.ok) throw decoded.error;
    const back = directoryFromPrivateData(decoded.value.message.extensions?.privateData);
    if (!back.ok) throw back.error;
    expect(back.value).toEqual({
      users: [
        {
          id: 'alice',
          displayName: 'Alice Archer',
          licence: 'CUWL',
          sipUri: 'sip:alice@example.com',
          controlledDevices: ['SEP00AABB000001'],
        },
      ],
      devices: [
        {
          name: 'SEP00AABB000001',
          model: 'Cisco 8865',
          description: 'Alice desk',
          ctiAllowed: true,
          lines: [{ index: 1, dn: '1001', partition: 'INTERNAL', label: 'Alice', e164: '+14085551001' }],
        },
      ],
    });
  });

  const dir = (children: XmlNode[]): XmlNode[] => [
    { name: 'dl:directory', attributes: { 'xmlns:dl': 'urn:deskline:cti:1' }, children },
  ];

  it.each([
    [
      'no dl:directory at all',
      [] as XmlNode[],
      'CSTA_MISSING_FIELD',
      'extensions/privateData/private/dl:directory',
    ],
    [
      'a directory in another namespace',
      [{ name: 'x:directory', attributes: { 'xmlns:x': 'urn:other' } }],
      'CSTA_MISSING_FIELD',
      'extensions/privateData/private/dl:directory',
    ],
    [
      'a bad licence',
      dir([{ name: 'dl:user', attributes: { id: 'a', displayName: 'A', licence: 'GOLD' } }]),
      'CSTA_INVALID_FIELD',
      'dl:directory/dl:user[1]/@licence',
    ],
    [
      'a user without id',
      dir([{ name: 'dl:user', attributes: { displayName: 'A' } }]),
      'CSTA_MISSING_FIELD',
      'dl:directory/dl:user[1]/@id',
    ],
    [
      'ctiAllowed not a boolean',
      dir([{ name: 'dl:device', attributes: { name: 'S', model: 'M', ctiAllowed: 'yes' } }]),
      'CSTA_INVALID_FIELD',
      'dl:directory/dl:device[1]/@ctiAllowed',
    ],
    [
      'a bad line index',
      dir([
        {
          name: 'dl:device',
          attributes: { name: 'S', model: 'M', ctiAllowed: 'true' },
          children: [{ name: 'dl:line', attributes: { index: '0', dn: '1', partition: 'P' } }],
        },
      ]),
      'CSTA_INVALID_FIELD',
      'dl:directory/dl:device[1]/dl:line[1]/@index',
    ],
    [
      'a line without partition',
      dir([
        {
          name: 'dl:device',
          attributes: { name: 'S', model: 'M', ctiAllowed: 'true' },
          children: [{ name: 'dl:line', attributes: { index: '1', dn: '1' } }],
        },
      ]),
      'CSTA_MISSING_FIELD',
      'dl:directory/dl:device[1]/dl:line[1]/@partition',
    ],
  ])('refuses %s', (_what, nodes, code, path) => {
    const r = directoryFromPrivateData(nodes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(code);
    expect(r.error.detail?.['path']).toBe(path);
  });
});

describe('segmentDirectory', () => {
  it('keeps every frame of a 20,000-user directory under the limit, loses nothing and keeps order', () => {
    const directory = generatedDirectory(20_000);
    const segments = segmentDirectory(directory);
    expect(segments.length).toBeGreaterThan(20);
    const decoder = new FrameDecoder();
    const rebuilt: DirectorySegment = { users: [], devices: [] };
    let largest = 0;
    segments.forEach((segment, i) => {
      const message = switchingFunctionDevicesMessage(segment, {
        serviceCrossRefID: 'x'.repeat(64),
        segmentID: i + 1,
        lastSegment: i === segments.length - 1,
      });
      const frame = encodeFrame(EVENT_INVOKE_ID, encodeCsta(message)); // throws if over 65535
      largest = Math.max(largest, frame.length);
      const pushed = decoder.push(frame);
      if (!pushed.ok) throw pushed.error;
      const decoded = decodeCsta((pushed.value[0] ?? { payload: Buffer.alloc(0) }).payload);
      if (!decoded.ok) throw decoded.error;
      const part = directoryFromPrivateData(decoded.value.message.extensions?.privateData);
      if (!part.ok) throw part.error;
      rebuilt.users.push(...part.value.users);
      rebuilt.devices.push(...part.value.devices);
    });
    expect(largest).toBeLessThanOrEqual(65_535);
    // Packing is greedy: segments are well filled, not one record each.
    expect(largest).toBeGreaterThan(60_000);
    expect(rebuilt).toEqual(directory);
  });

  it('honours a smaller frame limit', () => {
    const directory = generatedDirectory(300);
    const segments = segmentDirectory(directory, 4096);
    for (const [i, segment] of segments.entries()) {
      const xml = encodeCsta(
        switchingFunctionDevicesMessage(segment, {
          serviceCrossRefID: 'sfd',
          segmentID: i + 1,
          lastSegment: false,
        }),
      );
      expect(8 + Buffer.byteLength(xml)).toBeLessThanOrEqual(4096);
    }
    expect(segments.flatMap((s) => s.users)).toEqual(directory.users);
  });

  it('gives one empty segment for an empty directory', () => {
    expect(segmentDirectory({ users: [], devices: [] })).toEqual([{ users: [], devices: [] }]);
  });

  it('refuses a record that cannot fit in any frame', () => {
    const huge: DirectoryUser = {
      id: 'u',
      displayName: 'x'.repeat(70_000),
      licence: 'UCL',
      controlledDevices: [],
    };
    expect(() => segmentDirectory({ users: [huge], devices: [] })).toThrow(
      expect.objectContaining({ code: 'FRAME_TOO_LARGE' }),
    );
  });
});
