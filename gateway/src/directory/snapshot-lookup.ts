// Names for numbers and people search (docs/directory.md §7) over the directory the session core
// already holds — what the `cti` and `file` sources offer, where there is no LDAP server to ask.
// Everything is answered from memory: an index of people and numbers built once per directory
// load (the core replaces its Directory object on every accepted load, so the index is rebuilt
// when the object changes), then map look-ups and one bounded scan per search.
//
// Who a number belongs to. A directory of users, devices and line appearances does not say whose
// a line is: Carol's desk phone carries Dave's 1004 too. A user's own lines are the appearances,
// on the devices the user controls, labelled with the user's display name (the CUCM line label
// is the "alerting name"); a user with none gets the first line of the first device. A line
// nobody owns (a help desk, a board room) is an entry of its own, named by its label.
//
// Layering: directory/ sits below core/ — it sees the content through a narrow structural view
// (DirectoryContentView) that the core's Directory satisfies, never the class itself.
import { DesklineError, ErrorCode } from '../util/errors.js';
import type { DirectoryDevice, DirectoryUser } from '../cti-link/directory-codec.js';
import { numberKey, numberKeys, numbersMatch, SUFFIX_MATCH_MIN_DIGITS } from './ldap-mapping.js';
import type { DirectoryLookup, DirectoryPerson, PeopleSearchResult, PersonNumber } from './provider.js';

/** The part of the core's Directory the lookup reads (structural: core/directory.ts). */
export interface DirectoryContentView {
  /** Keyed by lower-cased user ID. */
  readonly users: ReadonlyMap<string, DirectoryUser>;
  readonly devices: ReadonlyMap<string, DirectoryDevice>;
  /** Epoch ms of the load; 0 while none was loaded. */
  readonly loadedAt: number;
}

export interface SnapshotLookupLimits {
  /** At most this many people per search (a caller's `limit` is capped by it). */
  readonly maxResults: number;
  readonly minQueryLength: number;
  readonly maxQueryLength: number;
}

export const DEFAULT_SNAPSHOT_LOOKUP_LIMITS: SnapshotLookupLimits = Object.freeze({
  maxResults: 25,
  minQueryLength: 2,
  maxQueryLength: 64,
});

/** Words of a name query that count; further words are ignored (as the LDAP lookup does). */
const MAX_QUERY_WORDS = 4;

interface Indexed {
  readonly people: readonly DirectoryPerson[];
  /** Lower-cased names, parallel to `people` (searched by substring). */
  readonly names: readonly string[];
  /** Digits of every number of `people[i]`, parallel. */
  readonly digits: readonly string[][];
  readonly exact: ReadonlyMap<string, DirectoryPerson>;
  readonly byTail: ReadonlyMap<string, DirectoryPerson[]>;
}

/** The text of a search, checked: bounded, no control characters, single spaces. */
export function checkSearchQuery(query: unknown, limits: SnapshotLookupLimits): string {
  if (typeof query !== 'string')
    throw new DesklineError(ErrorCode.InvalidArgument, 'the search text must be a string');
  // eslint-disable-next-line no-control-regex -- exactly the characters refused
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/.test(query))
    throw new DesklineError(ErrorCode.InvalidArgument, 'the search text contains control characters');
  const text = query.trim().replace(/\s+/g, ' ');
  if (text.length < limits.minQueryLength)
    throw new DesklineError(
      ErrorCode.InvalidArgument,
      `type at least ${limits.minQueryLength} characters to search the directory`,
    );
  if (text.length > limits.maxQueryLength)
    throw new DesklineError(
      ErrorCode.InvalidArgument,
      `the search text is longer than ${limits.maxQueryLength} characters`,
    );
  return text;
}

const sameName = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The people of one directory: users with their own lines, then the lines nobody owns. */
export function peopleOf(content: DirectoryContentView): DirectoryPerson[] {
  const people: DirectoryPerson[] = [];
  const owned = new Set<string>();
  const lineNumbers = (dn: string, e164: string | undefined): PersonNumber[] => [
    { kind: 'line', number: dn },
    ...(e164 === undefined || e164 === dn ? [] : [{ kind: 'work' as const, number: e164 }]),
  ];
  for (const user of content.users.values()) {
    const devices = user.controlledDevices
      .map((name) => content.devices.get(name))
      .filter((d): d is DirectoryDevice => d !== undefined);
    const labelled = devices.flatMap((d) => d.lines.filter((l) => sameName(l.label, user.displayName)));
    const first = devices[0]?.lines.slice().sort((a, b) => a.index - b.index)[0];
    const mine = labelled.length > 0 ? labelled : first === undefined ? [] : [first];
    const numbers: PersonNumber[] = [];
    const seen = new Set<string>();
    for (const line of mine) {
      const key = `${line.dn}/${line.partition}`;
      owned.add(key);
      if (seen.has(key)) continue;
      seen.add(key);
      numbers.push(...lineNumbers(line.dn, line.e164));
    }
    people.push({ userId: user.id, displayName: user.displayName, numbers, sipUri: user.sipUri });
  }
  const unowned = new Map<string, DirectoryPerson>();
  for (const device of content.devices.values()) {
    for (const line of device.lines) {
      const key = `${line.dn}/${line.partition}`;
      if (owned.has(key) || unowned.has(key) || line.label.trim() === '') continue;
      unowned.set(key, {
        userId: undefined,
        displayName: line.label,
        numbers: lineNumbers(line.dn, line.e164),
        sipUri: undefined,
      });
    }
  }
  people.push(...unowned.values());
  return people;
}

function buildIndex(content: DirectoryContentView): Indexed {
  const people = peopleOf(content).sort((a, b) => a.displayName.localeCompare(b.displayName));
  const exact = new Map<string, DirectoryPerson>();
  const byTail = new Map<string, DirectoryPerson[]>();
  const digits: string[][] = [];
  for (const person of people) {
    const mine: string[] = [];
    for (const n of person.numbers) {
      for (const key of numberKeys(n.number)) {
        mine.push(key);
        if (!exact.has(key)) exact.set(key, person);
        if (key.length < SUFFIX_MATCH_MIN_DIGITS) continue;
        const tail = key.slice(-SUFFIX_MATCH_MIN_DIGITS);
        const list = byTail.get(tail);
        if (list === undefined) byTail.set(tail, [person]);
        else if (!list.includes(person)) list.push(person);
      }
    }
    digits.push(mine);
  }
  return { people, names: people.map((p) => p.displayName.toLowerCase()), digits, exact, byTail };
}

export class SnapshotDirectoryLookup implements DirectoryLookup {
  private indexed: Indexed | undefined;
  private indexedFrom: DirectoryContentView | undefined;
  private readonly limits: SnapshotLookupLimits;

  constructor(
    /** The directory in force now (the session core's; a new object after every load). */
    private readonly source: () => DirectoryContentView,
    limits: Partial<SnapshotLookupLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SNAPSHOT_LOOKUP_LIMITS, ...limits };
  }

  private index(): Indexed {
    const content = this.source();
    if (this.indexed === undefined || this.indexedFrom !== content) {
      this.indexed = buildIndex(content);
      this.indexedFrom = content;
    }
    return this.indexed;
  }

  nameForNumber(number: string): Promise<DirectoryPerson | undefined> {
    if (typeof number !== 'string' || number.length > 256) return Promise.resolve(undefined);
    const key = numberKey(number);
    if (key === undefined) return Promise.resolve(undefined);
    const index = this.index();
    const exact = index.exact.get(key);
    if (exact !== undefined || key.length < SUFFIX_MATCH_MIN_DIGITS) return Promise.resolve(exact);
    const tail = index.byTail.get(key.slice(-SUFFIX_MATCH_MIN_DIGITS)) ?? [];
    return Promise.resolve(
      tail.find((person) =>
        person.numbers.some((n) => numberKeys(n.number).some((other) => numbersMatch(other, key))),
      ),
    );
  }

  searchPeople(query: string, limit?: number): Promise<PeopleSearchResult> {
    try {
      return Promise.resolve(this.search(query, limit));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private search(query: string, limit: number | undefined): PeopleSearchResult {
    const text = checkSearchQuery(query, this.limits);
    const max = Math.max(1, Math.min(limit ?? this.limits.maxResults, this.limits.maxResults));
    const index = this.index();
    const compact = text.replace(/[\s().+-]/g, '');
    const byNumber = /^[+\d\s().-]+$/.test(text) && compact.length >= 2;
    const words = [...new Set(text.toLowerCase().split(' '))].slice(0, MAX_QUERY_WORDS);
    const people: DirectoryPerson[] = [];
    let truncated = false;
    for (let i = 0; i < index.people.length; i++) {
      const hit = byNumber
        ? (index.digits[i] ?? []).some((d) => d.includes(compact))
        : words.every((w) => (index.names[i] ?? '').includes(w));
      if (!hit) continue;
      if (people.length === max) {
        truncated = true;
        break;
      }
      people.push(index.people[i] as DirectoryPerson);
    }
    return { people, truncated };
  }
}
