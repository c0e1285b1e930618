// Names for numbers and people search for the desk face (docs/directory.md §7), from LDAP.
//
// Filter injection: no text a user typed ever goes through an LDAP filter *string*. Queries are
// built as filter objects (ldapts SubstringFilter, OrFilter, AndFilter) whose values travel as
// BER octet strings (RFC 4511 §4.5.1), where "*", "(", ")" and "\" are plain characters — the
// RFC 4515 escaping problem does not arise. The configured base filter is parsed once at start.
//
// Bounded: query length, words, results (sizeLimit and our own cut), concurrent lookups, time
// (the server's timeLimit and our operation timeout), and the names-for-numbers cache.
import { AndFilter, FilterParser, OrFilter, SubstringFilter, type Filter } from 'ldapts';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DesklineError, ErrorCode } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, DirectoryProblem } from './errors.js';
import type { LdapDirectoryConfig } from './ldap-config.js';
import { numberKey, numberKeys, numbersMatch, personOf, SUFFIX_MATCH_MIN_DIGITS } from './ldap-mapping.js';
import { LdapSession } from './ldap-session.js';
import type { DirectoryLookup, DirectoryPerson, PeopleSearchResult } from './provider.js';

/** Words of a name query that count; further words are ignored. */
export const MAX_QUERY_WORDS = 4;
/** Digits of a number used in the server-side pre-filter (the ending; formatting rarely splits it). */
const NUMBER_FILTER_DIGITS = 4;
/** Candidates fetched for one number before matching them exactly here. */
const NUMBER_CANDIDATES = 50;

/** An index of numbers → people, kept from the last accepted load (no round trip for them). */
export class PeopleIndex {
  private readonly exact = new Map<string, DirectoryPerson>();
  private readonly byTail = new Map<string, DirectoryPerson[]>();

  constructor(people: Iterable<DirectoryPerson>) {
    for (const person of people) {
      for (const n of person.numbers) {
        for (const key of numberKeys(n.number)) {
          if (!this.exact.has(key)) this.exact.set(key, person);
          if (key.length < SUFFIX_MATCH_MIN_DIGITS) continue;
          const tail = key.slice(-SUFFIX_MATCH_MIN_DIGITS);
          const list = this.byTail.get(tail);
          if (list === undefined) this.byTail.set(tail, [person]);
          else if (!list.includes(person)) list.push(person);
        }
      }
    }
  }

  find(key: string): DirectoryPerson | undefined {
    const exact = this.exact.get(key);
    if (exact !== undefined || key.length < SUFFIX_MATCH_MIN_DIGITS) return exact;
    for (const person of this.byTail.get(key.slice(-SUFFIX_MATCH_MIN_DIGITS)) ?? []) {
      if (person.numbers.some((n) => matchesKey(n.number, key))) return person;
    }
    return undefined;
  }
}

const matchesKey = (number: string, key: string): boolean =>
  numberKeys(number).some((other) => numbersMatch(other, key));

interface CacheEntry {
  readonly person: DirectoryPerson | undefined;
  readonly expires: number;
}

export interface LdapLookupOptions {
  readonly config: LdapDirectoryConfig;
  readonly prefix: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The index of the last accepted load, if any. */
  readonly index: () => PeopleIndex | undefined;
}

export class LdapLookup implements DirectoryLookup {
  private session: LdapSession | undefined;
  private opening: Promise<LdapSession> | undefined;
  private inFlight = 0;
  private idleTimer: TimerHandle | undefined;
  private disposed = false;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly peopleFilter: Filter;
  private readonly log: Logger;

  constructor(private readonly options: LdapLookupOptions) {
    const search = options.config.search;
    // Validated by the config schema: parsing cannot fail here.
    this.peopleFilter = FilterParser.parseString(search.filter ?? options.config.users.filter);
    this.log = options.logger.child({ component: 'directory-lookup' });
  }

  async nameForNumber(number: string): Promise<DirectoryPerson | undefined> {
    if (typeof number !== 'string' || number.length > 256) return undefined;
    const key = numberKey(number);
    if (key === undefined) return undefined;
    const { clock, config } = this.options;
    const cached = this.cache.get(key);
    if (cached !== undefined && cached.expires > clock.now()) return cached.person;
    const known = this.options.index()?.find(key);
    if (known !== undefined) return this.remember(key, known);
    if (key.length < 3) return this.remember(key, undefined);

    const a = config.attributes;
    const tail = key.slice(-NUMBER_FILTER_DIGITS);
    const filter = new AndFilter({
      filters: [
        this.peopleFilter,
        new OrFilter({
          filters: [a.telephoneNumber, a.mobile, a.lineUri].map(
            (attribute) => new SubstringFilter({ attribute, any: [tail] }),
          ),
        }),
      ],
    });
    const { entries } = await this.run('looking up a number', (session) =>
      session.search(
        this.searchBase(),
        {
          scope: 'sub',
          filter,
          attributes: this.personAttributes(),
          sizeLimit: NUMBER_CANDIDATES,
          timeLimitSec: this.timeLimitSec(),
        },
        { what: 'looking up a number', baseSetting: this.searchBaseSetting() },
      ),
    );
    const person = entries
      .map((entry) => personOf(entry, config))
      .find((p) => p.numbers.some((n) => matchesKey(n.number, key)));
    return this.remember(key, person);
  }

  async searchPeople(query: string, limit?: number): Promise<PeopleSearchResult> {
    const { config } = this.options;
    const search = config.search;
    const text = checkQuery(query, search.minQueryLength, search.maxQueryLength);
    const max = Math.max(1, Math.min(limit ?? search.maxResults, search.maxResults));
    const a = config.attributes;
    let match: Filter;
    const digits = text.replace(/[\s().+-]/g, '');
    if (/^[+\d\s().-]+$/.test(text) && digits.length >= 3) {
      match = new OrFilter({
        filters: [a.telephoneNumber, a.mobile, a.lineUri].map(
          (attribute) => new SubstringFilter({ attribute, any: [digits] }),
        ),
      });
    } else {
      const words = [...new Set(text.split(' '))].slice(0, MAX_QUERY_WORDS);
      match = new AndFilter({
        filters: words.map(
          (word) =>
            new OrFilter({
              filters: search.nameAttributes.map(
                (attribute) => new SubstringFilter({ attribute, any: [word] }),
              ),
            }),
        ),
      });
    }
    const filter = new AndFilter({ filters: [this.peopleFilter, match] });
    const { entries, truncated } = await this.run('searching the directory', (session) =>
      session.search(
        this.searchBase(),
        {
          scope: 'sub',
          filter,
          attributes: this.personAttributes(),
          sizeLimit: max,
          timeLimitSec: this.timeLimitSec(),
        },
        { what: 'searching the directory', baseSetting: this.searchBaseSetting() },
      ),
    );
    const people = entries
      .map((entry) => personOf(entry, config))
      .sort((x, y) => x.displayName.localeCompare(y.displayName));
    return { people, truncated };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.options.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.cache.clear();
    const opening = this.opening;
    if (opening !== undefined) await opening.then((s) => s.close()).catch(() => undefined);
    await this.dropSession();
  }

  /** Forgets cached names (a new snapshot was accepted: numbers may have moved). */
  clearCache(): void {
    this.cache.clear();
  }

  // ------------------------------------------------------------------ internals

  private remember(key: string, person: DirectoryPerson | undefined): DirectoryPerson | undefined {
    const { cacheTtlSec, cacheEntries } = this.options.config.search;
    if (cacheTtlSec === 0 || cacheEntries === 0) return person;
    this.cache.delete(key);
    if (this.cache.size >= cacheEntries) {
      // Map keeps insertion order: the first key is the oldest.
      const oldest = this.cache.keys().next();
      if (oldest.done !== true) this.cache.delete(oldest.value);
    }
    this.cache.set(key, { person, expires: this.options.clock.now() + cacheTtlSec * 1000 });
    return person;
  }

  private searchBase(): string {
    return this.options.config.search.baseDn ?? this.options.config.users.baseDn;
  }

  private searchBaseSetting(): string {
    const { prefix, config } = this.options;
    return config.search.baseDn === undefined ? `${prefix}.users.baseDn` : `${prefix}.search.baseDn`;
  }

  private personAttributes(): string[] {
    const a = this.options.config.attributes;
    return [a.userId, a.displayName, a.telephoneNumber, a.mobile, a.lineUri, a.sipUri];
  }

  private timeLimitSec(): number {
    return Math.max(1, Math.ceil(this.options.config.operationTimeoutMs / 1000));
  }

  /** Runs one lookup on the shared session: bounded concurrency, one retry on a fresh session when
   *  a reused one turns out to be dead, idle close afterwards. */
  private async run<T>(what: string, operation: (session: LdapSession) => Promise<T>): Promise<T> {
    if (this.disposed)
      throw new DirectoryError(DirectoryProblem.Disposed, 'the directory provider is disposed');
    const { config, prefix, clock } = this.options;
    if (this.inFlight >= config.search.maxConcurrent)
      throw new DirectoryError(
        DirectoryProblem.Busy,
        `${what}: ${config.search.maxConcurrent} directory lookups are already running`,
        { setting: `${prefix}.search.maxConcurrent` },
      );
    this.inFlight++;
    clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    try {
      const reused = this.session !== undefined && this.session.usable;
      const session = await this.sessionFor();
      try {
        return await operation(session);
      } catch (cause) {
        const dead = cause instanceof DirectoryError && cause.problem === DirectoryProblem.Unavailable;
        if (!dead) throw cause;
        await this.dropSession(session);
        if (!reused) throw cause;
        this.log.debug({ error: cause.message }, 'lookup connection was dead; retrying on a new one');
        return await operation(await this.sessionFor());
      }
    } finally {
      this.inFlight--;
      this.scheduleIdleClose();
    }
  }

  private async sessionFor(): Promise<LdapSession> {
    const current = this.session;
    if (current !== undefined && current.usable) return current;
    if (current !== undefined) await this.dropSession(current);
    if (this.opening === undefined) {
      this.opening = LdapSession.open(this.options.config, this.options.prefix).finally(() => {
        this.opening = undefined;
      });
    }
    const session = await this.opening;
    if (this.disposed) {
      await session.close();
      throw new DirectoryError(DirectoryProblem.Disposed, 'the directory provider is disposed');
    }
    this.session = session;
    return session;
  }

  private async dropSession(which?: LdapSession): Promise<void> {
    const session = this.session;
    if (session === undefined || (which !== undefined && which !== session)) return;
    this.session = undefined;
    await session.close();
  }

  private scheduleIdleClose(): void {
    if (this.inFlight > 0 || this.disposed || this.session === undefined) return;
    const { clock, config } = this.options;
    clock.clearTimeout(this.idleTimer);
    this.idleTimer = clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.inFlight === 0) void this.dropSession();
    }, config.search.idleCloseSec * 1000);
  }
}

/** Trims and checks a people-search query; throws InvalidArgument with the reason. */
export function checkQuery(query: unknown, min: number, max: number): string {
  if (typeof query !== 'string')
    throw new DesklineError(ErrorCode.InvalidArgument, 'the search text must be a string');
  if (query.length > max * 4)
    throw new DesklineError(ErrorCode.InvalidArgument, `the search text is longer than ${max} characters`);
  // Control characters (NUL included) have no place in a name or a number.
  // eslint-disable-next-line no-control-regex -- exactly the characters refused
  if (/[\u0000-\u001f\u007f-\u009f]/.test(query.replace(/[\t\n\r]/g, ' ')))
    throw new DesklineError(ErrorCode.InvalidArgument, 'the search text contains control characters');
  const text = query.trim().replace(/\s+/g, ' ');
  if (text.length < min)
    throw new DesklineError(
      ErrorCode.InvalidArgument,
      `type at least ${min} characters to search the directory`,
    );
  if (text.length > max)
    throw new DesklineError(ErrorCode.InvalidArgument, `the search text is longer than ${max} characters`);
  return text;
}
