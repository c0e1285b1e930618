// From LDAP entries to the directory's records (docs/directory.md §5). Pure functions: no I/O.
//
// LDAP holds users and their line URI, never devices. The session core's rules are "the user owns
// an appearance of the line" and "CTI may control the device", so each user with a readable line
// URI gets one synthetic device (named prefix + user ID) carrying that one line; the device's
// `ctiAllowed` is the user's remote-call-control bit. The line's (dn, partition) comes from the
// line URI through the same numbering rules the session core applies to the line URI of an
// INVITE, so both sides always agree on the key. Shared lines stay shared: two users with the same
// line URI get one line with an appearance on each user's device.
import { createHash } from 'node:crypto';
import type { Entry } from 'ldapts';
import type { DirectoryDevice, DirectoryUser } from '../cti-link/directory-codec.js';
import { lineKeyOf, parsePartyAddress, validateDeviceName, type NumberingRules } from '../numbering/index.js';
import { DEVICE_NAME_MAX_LENGTH } from '../numbering/appearance.js';
import {
  lineServerMatches,
  parseLineServer,
  type LdapDirectoryConfig,
  type LineServerName,
} from './ldap-config.js';
import type { DirectoryPerson, FindingCheck, PersonNumber, UserFinding } from './provider.js';

// ---------------------------------------------------------------- attribute access

/** Attribute values of an entry as strings; attribute names compare case-insensitively (RFC 4512 §2.5). */
export function attributeValues(entry: Entry, name: string): string[] {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'dn' || key.toLowerCase() !== wanted) continue;
    const list = Array.isArray(value) ? value : [value];
    return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).filter((v) => v !== '');
  }
  return [];
}

export const firstValue = (entry: Entry, name: string): string | undefined => attributeValues(entry, name)[0];

/** Attribute names the entry carries with options (`member;range=0-1499`), for the given base name. */
export function rangedAttributes(entry: Entry, name: string): string[] {
  const prefix = `${name.toLowerCase()};range=`;
  return Object.keys(entry).filter((k) => k.toLowerCase().startsWith(prefix));
}

/**
 * A DN in a form two spellings of the same DN share: lower-cased, without the optional spaces
 * around separators (RFC 4514 §2). Enough for the DNs one server hands out about itself.
 */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .replace(/\s*(?<!\\)([,=+])\s*/g, '$1')
    .toLowerCase();
}

// ---------------------------------------------------------------- people (names for numbers)

export function personOf(entry: Entry, config: LdapDirectoryConfig): DirectoryPerson {
  const a = config.attributes;
  const userId = firstValue(entry, a.userId);
  const numbers: PersonNumber[] = [];
  for (const number of attributeValues(entry, a.telephoneNumber)) numbers.push({ kind: 'work', number });
  for (const number of attributeValues(entry, a.mobile)) numbers.push({ kind: 'mobile', number });
  for (const number of attributeValues(entry, a.lineUri)) numbers.push({ kind: 'line', number });
  return {
    userId,
    displayName: firstValue(entry, a.displayName) ?? userId ?? entry.dn,
    numbers,
    sipUri: firstValue(entry, a.sipUri),
  };
}

/** The digits of a telephone number as a directory may write it (`+1 (408) 555-1234`,
 *  `tel:+14085551234`), without the leading "+"; undefined when it is no number. */
export function numberKey(text: string): string | undefined {
  const party = parsePartyAddress(text);
  if (!party.ok) return undefined;
  const digits = party.value.number.replace(/^\+/, '');
  return /^[0-9]+$/.test(digits) ? digits : undefined;
}

/** Every key a directory number is known by: its digits and, for `tel:+14085551234;ext=1234`
 *  (RFC 3966 §5.3), the extension — what an internal caller presents. */
export function numberKeys(text: string): string[] {
  const party = parsePartyAddress(text);
  if (!party.ok) return [];
  const keys: string[] = [];
  const digits = party.value.number.replace(/^\+/, '');
  if (/^[0-9]+$/.test(digits)) keys.push(digits);
  const ext = party.value.ext;
  if (ext !== undefined && /^[0-9]+$/.test(ext) && ext !== digits) keys.push(ext);
  return keys;
}

/** Shortest number matched by its ending (a national number against the E.164 one). */
export const SUFFIX_MATCH_MIN_DIGITS = 7;

/** Two number keys name the same phone: equal, or the shorter (7 digits or more) ends the longer. */
export function numbersMatch(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  return short.length >= SUFFIX_MATCH_MIN_DIGITS && long.endsWith(short);
}

// ---------------------------------------------------------------- users and devices

export interface MappingInput {
  readonly config: LdapDirectoryConfig;
  readonly rules: NumberingRules;
  /** Normalized DNs of the licence group's members (membership `member`, memberValue `dn`). */
  readonly memberDns?: ReadonlySet<string>;
  /** Lower-cased user IDs of the licence group's members (membership `member`, memberValue `userId`). */
  readonly memberIds?: ReadonlySet<string>;
}

export interface MappedDirectory {
  readonly users: DirectoryUser[];
  readonly devices: DirectoryDevice[];
  readonly findings: Map<string, UserFinding>;
  /** Everyone the search found, ours or not: names for numbers without a round trip. */
  readonly people: DirectoryPerson[];
}

/** The synthetic device of a user's line: prefix + user ID when that is a valid device name,
 *  else the ID's valid characters and a hash of the ID (so two IDs never share a device). */
export function deviceNameFor(userId: string, prefix: string): string {
  const plain = `${prefix}${userId}`;
  if (plain.length <= DEVICE_NAME_MAX_LENGTH && validateDeviceName(plain).ok) return plain;
  const hash = createHash('sha256').update(userId.toLowerCase()).digest('hex').slice(0, 10);
  const room = DEVICE_NAME_MAX_LENGTH - prefix.length - hash.length - 1;
  const cleaned = userId.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, Math.max(0, room));
  return `${prefix}${cleaned}-${hash}`;
}

const aorKey = (uri: string): string => {
  let text = uri.trim().toLowerCase();
  for (const stop of [';', '?', '>']) {
    const at = text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  return text.replace(/^<?sips?:/, 'sip:');
};

/**
 * What was found about one entry, in raw facts. The words of its checks are built only when asked
 * (the troubleshooter): a directory of 100,000 users would otherwise hold half a million sentences.
 */
interface EntryFacts {
  /** Set when the user ID is held by an earlier entry. */
  duplicateIdOf?: string;
  /** undefined: not checked (attribute null) or not reached. */
  lineServers?: readonly string[];
  lineServerOk?: boolean;
  sipUri?: string;
  sipUriOwner?: string;
  licensed?: boolean;
  optionFlagsText?: string;
  rcc?: boolean;
  lineUri?: string;
  lineError?: string;
  line?: { dn: string; partition: string; device: string };
  /** How far the checks went (an entry stops at the first failure that excludes it). */
  reached: 'userId' | 'lineServer' | 'sipUri' | 'all';
}

class EntryFinding implements UserFinding {
  constructor(
    readonly userId: string,
    readonly entry: string,
    readonly included: boolean,
    private readonly facts: EntryFacts,
    private readonly config: LdapDirectoryConfig,
  ) {}

  get checks(): readonly FindingCheck[] {
    const f = this.facts;
    const a = this.config.attributes;
    const out: FindingCheck[] = [];
    if (f.duplicateIdOf !== undefined) {
      out.push({
        check: 'userId',
        ok: false,
        detail: `${a.userId} "${this.userId}" is also held by ${f.duplicateIdOf}; only that one is used`,
      });
      return out;
    }
    if (this.userId === this.entry) {
      out.push({ check: 'userId', ok: false, detail: `the entry has no ${a.userId}` });
      return out;
    }
    out.push({ check: 'userId', ok: true, detail: `${a.userId} "${this.userId}"` });
    if (f.reached === 'userId') return out;
    if (a.lineServer !== null && f.lineServers !== undefined) {
      const servers = f.lineServers;
      out.push({
        check: 'lineServer',
        ok: f.lineServerOk === true,
        detail:
          servers.length === 0
            ? `${a.lineServer} is not set: the user's remote call control goes to no gateway`
            : f.lineServerOk === true
              ? `${a.lineServer} "${servers[0] ?? ''}" names this gateway`
              : `${a.lineServer} "${servers.join('", "')}" names another gateway (this one is ${this.config.lineServers.join(', ')})`,
      });
    }
    if (f.reached === 'lineServer') return out;
    if (f.sipUri === undefined) {
      out.push({
        check: 'sipUri',
        ok: true,
        detail: `${a.sipUri} is not set: the user is found by the SIP user part only`,
      });
    } else if (f.sipUriOwner !== undefined) {
      out.push({
        check: 'sipUri',
        ok: false,
        detail: `${a.sipUri} "${f.sipUri}" is also held by user ${f.sipUriOwner}: a SIP identity must name one user`,
      });
    } else {
      out.push({ check: 'sipUri', ok: true, detail: `${a.sipUri} "${f.sipUri}"` });
    }
    if (f.reached === 'sipUri') return out;
    const licence = this.config.licence;
    out.push({
      check: 'licence',
      ok: f.licensed === true,
      detail:
        f.licensed === true
          ? `member of ${licence.groupDn} (licence ${licence.grants})`
          : `not a member of ${licence.groupDn}: no licence for remote call control`,
    });
    if (a.optionFlags !== null) {
      const mask = this.config.remoteCallControl.optionFlagsMask;
      const text = f.optionFlagsText;
      const flags = text === undefined ? undefined : parseFlags(text);
      out.push({
        check: 'remoteCallControl',
        ok: f.rcc === true,
        detail:
          text === undefined
            ? `${a.optionFlags} is not set: remote call control is not enabled`
            : flags === undefined
              ? `${a.optionFlags} "${text}" is not a number: remote call control is not enabled`
              : f.rcc === true
                ? `${a.optionFlags} ${flags} has the remote call control bit (${mask})`
                : `${a.optionFlags} ${flags} lacks the remote call control bit (${mask}): enable remote call control for this user`,
      });
    }
    if (f.lineUri === undefined) {
      out.push({ check: 'lineUri', ok: false, detail: `${a.lineUri} is not set: the user has no line` });
    } else if (f.line === undefined) {
      out.push({
        check: 'lineUri',
        ok: false,
        detail: `${a.lineUri} "${f.lineUri}" does not name a line: ${f.lineError ?? 'unknown reason'}`,
      });
    } else {
      const { dn, partition, device } = f.line;
      out.push({
        check: 'lineUri',
        ok: true,
        detail: `${a.lineUri} "${f.lineUri}" is line ${dn}${partition === '' ? '' : ` in partition ${partition}`} (device ${device})`,
      });
    }
    return out;
  }
}

/** msRTCSIP-OptionFlags is a signed 32-bit integer in Active Directory. */
function parseFlags(text: string): number | undefined {
  const trimmed = text.trim();
  return /^-?[0-9]{1,10}$/.test(trimmed) ? Number(trimmed) : undefined;
}

export function mapEntries(entries: Iterable<Entry>, input: MappingInput): MappedDirectory {
  const { config, rules } = input;
  const a = config.attributes;
  const accepted: LineServerName[] = config.lineServers
    .map(parseLineServer)
    .filter((n): n is LineServerName => n !== undefined);
  const groupDn = normalizeDn(config.licence.groupDn);
  const mask = config.remoteCallControl.optionFlagsMask;

  const users: DirectoryUser[] = [];
  const devices: DirectoryDevice[] = [];
  const findings = new Map<string, UserFinding>();
  const people: DirectoryPerson[] = [];
  const sipOwners = new Map<string, string>();
  const finding = (userId: string, entry: Entry, included: boolean, facts: EntryFacts): EntryFinding =>
    new EntryFinding(userId, entry.dn, included, facts, config);

  for (const entry of entries) {
    people.push(personOf(entry, config));
    const userId = firstValue(entry, a.userId);
    if (userId === undefined) {
      findings.set(normalizeDn(entry.dn), finding(entry.dn, entry, false, { reached: 'userId' }));
      continue;
    }
    const key = userId.toLowerCase();
    const earlier = findings.get(key);
    if (earlier !== undefined) {
      findings.set(
        `${key} ${normalizeDn(entry.dn)}`,
        finding(userId, entry, false, { reached: 'userId', duplicateIdOf: earlier.entry }),
      );
      continue;
    }
    const facts: EntryFacts = { reached: 'lineServer' };

    // Ours? msRTCSIP-LineServer must name this gateway.
    if (a.lineServer !== null) {
      facts.lineServers = attributeValues(entry, a.lineServer);
      facts.lineServerOk = facts.lineServers.some((server) => lineServerMatches(server, accepted));
      if (!facts.lineServerOk) {
        findings.set(key, finding(userId, entry, false, facts));
        continue;
      }
    }

    facts.reached = 'sipUri';
    const sipUri = firstValue(entry, a.sipUri);
    if (sipUri !== undefined) {
      facts.sipUri = sipUri;
      const owner = sipOwners.get(aorKey(sipUri));
      if (owner !== undefined) {
        facts.sipUriOwner = owner;
        findings.set(key, finding(userId, entry, false, facts));
        continue;
      }
      sipOwners.set(aorKey(sipUri), userId);
    }
    facts.reached = 'all';

    // Licence: membership of the configured group.
    if (config.licence.membership === 'memberOf') {
      facts.licensed = attributeValues(entry, config.licence.memberOfAttribute).some(
        (dn) => normalizeDn(dn) === groupDn,
      );
    } else if (config.licence.memberValue === 'dn') {
      facts.licensed = input.memberDns?.has(normalizeDn(entry.dn)) ?? false;
    } else {
      facts.licensed = input.memberIds?.has(key) ?? false;
    }

    // The remote-call-control bit of msRTCSIP-OptionFlags (docs/directory.md §4).
    let rcc = true;
    if (a.optionFlags !== null) {
      facts.optionFlagsText = firstValue(entry, a.optionFlags);
      const flags = facts.optionFlagsText === undefined ? undefined : parseFlags(facts.optionFlagsText);
      rcc = flags !== undefined && (flags & mask) !== 0;
      facts.rcc = rcc;
    }

    const displayName = firstValue(entry, a.displayName) ?? userId;
    const user: DirectoryUser = {
      id: userId,
      displayName,
      licence: facts.licensed ? config.licence.grants : null,
      controlledDevices: [],
    };
    if (sipUri !== undefined) user.sipUri = sipUri;

    const lineUri = firstValue(entry, a.lineUri);
    facts.lineUri = lineUri;
    const line = lineUri === undefined ? undefined : lineKeyOf(lineUri, rules);
    if (lineUri !== undefined && line !== undefined && !line.ok) facts.lineError = line.error.message;
    if (lineUri !== undefined && line !== undefined && line.ok) {
      const party = parsePartyAddress(lineUri);
      const e164 =
        party.ok && /^\+[1-9][0-9]{5,14}$/.test(party.value.number) ? party.value.number : undefined;
      const partition = line.value.partition ?? '';
      const device: DirectoryDevice = {
        name: deviceNameFor(userId, config.devices.namePrefix),
        model: config.devices.model,
        description: `${displayName}'s line ${lineUri}`,
        ctiAllowed: rcc,
        lines: [
          {
            index: 1,
            dn: line.value.dn,
            partition,
            label: displayName,
            ...(e164 === undefined ? {} : { e164 }),
          },
        ],
      };
      devices.push(device);
      user.controlledDevices.push(device.name);
      facts.line = { dn: line.value.dn, partition, device: device.name };
    }
    users.push(user);
    findings.set(key, finding(userId, entry, true, facts));
  }
  return { users, devices, findings, people };
}
