// The call server's device IDs for the directory's lines (docs/cti-link.md §7): by DN, by E.164
// number with or without "+", or as cti.deviceIds.map says — by appearance, by line, by DN, in that
// order; a shared line is one server device that stands for several appearances.
import { describe, expect, it } from 'vitest';
import { SnapshotDeviceIds } from '../../src/directory/device-ids.js';
import { serverDeviceNumber } from '../../src/cti/link-profile.js';
import type { DirectoryDevice } from '../../src/cti-link/directory-codec.js';

const devices: DirectoryDevice[] = [
  {
    name: 'LDAP-alice',
    model: 'Line from the directory',
    description: '',
    ctiAllowed: true,
    lines: [{ index: 1, dn: '1001', partition: 'INTERNAL', label: 'Alice', e164: '+14085551001' }],
  },
  {
    name: 'LDAP-bob',
    model: 'Line from the directory',
    description: '',
    ctiAllowed: true,
    lines: [{ index: 1, dn: '1002', partition: '', label: 'Bob' }],
  },
  {
    name: 'LDAP-heidi',
    model: 'Line from the directory',
    description: '',
    ctiAllowed: true,
    lines: [{ index: 1, dn: '1001', partition: 'INTERNAL', label: 'Alice', e164: '+14085551001' }],
  },
];

describe('the call server device IDs of the directory lines', () => {
  it('by DN (the default): a shared line is one device standing for each appearance', () => {
    const ids = new SnapshotDeviceIds({ from: 'dn', map: {} });
    ids.update({ devices });
    expect(ids.toWire('LDAP-alice/1001/INTERNAL')).toBe('1001');
    expect(ids.toWire('LDAP-bob/1002/')).toBe('1002');
    expect(ids.toWire('1002')).toBeUndefined(); // a number dialled: none of ours
    expect(ids.fromWire('1001')).toEqual(['LDAP-alice/1001/INTERNAL', 'LDAP-heidi/1001/INTERNAL']);
    expect(ids.fromWire('1002')).toEqual(['LDAP-bob/1002/']);
    expect([...ids.expected()].sort()).toEqual(['1001', '1002']);
  });

  it('by E.164 number, with or without "+", the DN where a line has none', () => {
    const plus = new SnapshotDeviceIds({ from: 'e164', map: {} });
    plus.update({ devices });
    expect(plus.toWire('LDAP-alice/1001/INTERNAL')).toBe('+14085551001');
    expect(plus.toWire('LDAP-bob/1002/')).toBe('1002');
    const digits = new SnapshotDeviceIds({ from: 'e164Digits', map: {} });
    digits.update({ devices });
    expect(digits.toWire('LDAP-alice/1001/INTERNAL')).toBe('14085551001');
  });

  it('as cti.deviceIds.map says: by appearance first, then line, then DN', () => {
    const ids = new SnapshotDeviceIds({
      from: 'dn',
      map: { 'LDAP-heidi/1001/INTERNAL': 'H1001', '1001/INTERNAL': 'L1001', '1002': 'D1002' },
    });
    ids.update({ devices });
    expect(ids.toWire('LDAP-heidi/1001/INTERNAL')).toBe('H1001');
    expect(ids.toWire('LDAP-alice/1001/INTERNAL')).toBe('L1001');
    expect(ids.toWire('LDAP-bob/1002/')).toBe('D1002');
    expect(ids.fromWire('L1001')).toEqual(['LDAP-alice/1001/INTERNAL']);
    // A new snapshot replaces the old IDs.
    ids.update({ devices: devices.slice(1, 2) });
    expect(ids.toWire('LDAP-alice/1001/INTERNAL')).toBeUndefined();
    expect([...ids.expected()]).toEqual(['D1002']);
  });

  it("reads OpenScape Voice's N<number>;attributes as the number", () => {
    expect(serverDeviceNumber('N<302118840100>;noa=nk')).toBe('302118840100');
    expect(serverDeviceNumber('N<7868772298>Line71001;displayNumber=7868772298')).toBe('7868772298');
    expect(serverDeviceNumber('302118840100')).toBe('302118840100');
    expect(serverDeviceNumber('N<unterminated')).toBe('N<unterminated');
  });
});
