// Names for numbers and people search over the session core's own directory (the cti and file
// sources): whose a line is, numbers written any way, bounds, and a new index per load.
import { describe, expect, it } from 'vitest';
import { Directory } from '../../src/core/directory.js';
import type { DirectoryDevice, DirectoryUser } from '../../src/cti-link/directory-codec.js';
import { SnapshotDirectoryLookup, peopleOf } from '../../src/directory/snapshot-lookup.js';

const line = (index: number, dn: string, label: string, e164?: string) => ({
  index,
  dn,
  partition: 'INTERNAL',
  label,
  ...(e164 === undefined ? {} : { e164 }),
});
const devices: DirectoryDevice[] = [
  {
    name: 'SEP00AABB000003',
    model: 'Cisco 8851',
    description: 'Carol - desk',
    ctiAllowed: true,
    lines: [line(1, '1003', 'Carol Chen', '+14085551003'), line(2, '1004', 'Dave (shared)', '+14085551004')],
  },
  {
    name: 'SEP00AABB000004',
    model: 'Cisco 9971',
    description: 'Dave - office',
    ctiAllowed: true,
    lines: [line(1, '1004', 'Dave Diaz', '+14085551004')],
  },
  {
    name: 'SEP00AABB000009',
    model: 'Cisco 7841',
    description: 'Pat - desk',
    ctiAllowed: true,
    lines: [line(1, '1009', 'Reception')],
  },
  {
    name: 'SEP00AABB000030',
    model: 'Cisco 8861',
    description: 'Board room',
    ctiAllowed: true,
    lines: [line(1, '1300', 'Board Room', '+14085551300')],
  },
];
const user = (id: string, displayName: string, controlledDevices: string[]): DirectoryUser => ({
  id,
  displayName,
  licence: 'UCL',
  controlledDevices,
});
const users = [
  user('carol', 'Carol Chen', ['SEP00AABB000003']),
  user('dave', 'Dave Diaz', ['SEP00AABB000004']),
  // No line labelled with her name: her first device's first line is hers.
  user('pat', 'Pat Quinn', ['SEP00AABB000009']),
];

const directory = (u = users, d = devices): Directory => new Directory(u, d, 1, 'test');

describe('SnapshotDirectoryLookup', () => {
  it("knows whose a line is: a shared line is its owner's, a line nobody owns is named by its label", () => {
    const people = peopleOf(directory());
    const numbersOf = (name: string) =>
      people.find((p) => p.displayName === name)?.numbers.map((n) => `${n.kind}:${n.number}`);
    expect(numbersOf('Carol Chen')).toEqual(['line:1003', 'work:+14085551003']);
    expect(numbersOf('Dave Diaz')).toEqual(['line:1004', 'work:+14085551004']);
    expect(numbersOf('Pat Quinn')).toEqual(['line:1009']);
    expect(numbersOf('Board Room')).toEqual(['line:1300', 'work:+14085551300']);
    expect(people.find((p) => p.displayName === 'Board Room')?.userId).toBeUndefined();
  });

  it('names a number written as an extension, in E.164, nationally or as a tel URI', async () => {
    const lookup = new SnapshotDirectoryLookup(() => directory());
    for (const number of ['1004', '+14085551004', '4085551004', '+1 (408) 555-1004', 'tel:+14085551004'])
      expect((await lookup.nameForNumber(number))?.displayName, number).toBe('Dave Diaz');
    expect(await lookup.nameForNumber('+14085559999')).toBeUndefined();
    expect(await lookup.nameForNumber('not a number')).toBeUndefined();
    // Six digits are too few to match by their ending.
    expect(await lookup.nameForNumber('551004')).toBeUndefined();
  });

  it('searches by every word of a name, or by digits, bounded, sorted by name', async () => {
    const lookup = new SnapshotDirectoryLookup(() => directory(), { maxResults: 2 });
    const names = async (q: string, limit?: number) =>
      (await lookup.searchPeople(q, limit)).people.map((p) => p.displayName);
    expect(await names('dave')).toEqual(['Dave Diaz']);
    expect(await names('DIAZ da')).toEqual(['Dave Diaz']);
    expect(await names('room')).toEqual(['Board Room']);
    expect(await names('555 1003')).toEqual(['Carol Chen']);
    const all = await lookup.searchPeople('a', undefined).catch((e: unknown) => e);
    expect(all).toMatchObject({ code: 'INVALID_ARGUMENT' });
    const many = await lookup.searchPeople('100', 5);
    expect(many).toEqual({ people: expect.any(Array), truncated: true });
    expect(many.people).toHaveLength(2);
    await expect(lookup.searchPeople('da\u0000ve')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(lookup.searchPeople('x'.repeat(65))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Characters that mean something to LDAP mean nothing here.
    expect(await names('*)(uid=*')).toEqual([]);
  });

  it('builds a new index when the core loads a new directory', async () => {
    let current = directory();
    const lookup = new SnapshotDirectoryLookup(() => current);
    expect((await lookup.nameForNumber('1009'))?.displayName).toBe('Pat Quinn');
    current = directory([user('carol', 'Carol Chen', ['SEP00AABB000003'])]);
    // Pat left: her line is now nobody's, named by its label.
    expect((await lookup.nameForNumber('1009'))?.displayName).toBe('Reception');
  });
});
