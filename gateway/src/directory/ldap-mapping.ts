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
import type { DirectoryDevice, DirectoryUser } from '../cti/directory-codec.js';
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

  for (const entry of entries) {
    people.push(personOf(entry, config));
    const checks: FindingCheck[] = [];
    const userId = firstValue(entry, a.userId);
    if (userId === undefined) {
      checks.push({ check: 'userId', ok: false, detail: `the entry has no ${a.userId}` });
      findings.set(normalizeDn(entry.dn), { userId: entry.dn, entry: entry.dn, included: false, checks });
      continue;
    }
    const key = userId.toLowerCase();
    const earlier = findings.get(key);
    if (earlier !== undefined) {
      checks.push({
        check: 'userId',
        ok: false,
        detail: `${a.userId} "${userId}" is also held by ${earlier.entry}; only that one is used`,
      });
      findings.set(`${key} ${normalizeDn(entry.dn)}`, { userId, entry: entry.dn, included: false, checks });
      continue;
    }
    checks.push({ check: 'userId', ok: true, detail: `${a.userId} "${userId}"` });

    // Ours? msRTCSIP-LineServer must name this gateway.
    if (a.lineServer !== null) {
      const servers = attributeValues(entry, a.lineServer);
      const ours = servers.some((s) => lineServerMatches(s, accepted));
      checks.push({
        check: 'lineServer',
        ok: ours,
        detail:
          servers.length === 0
            ? `${a.lineServer} is not set: the user's remote call control goes to no gateway`
            : ours
              ? `${a.lineServer} "${servers[0]}" names this gateway`
              : `${a.lineServer} "${servers.join('", "')}" names another gateway (this one is ${config.lineServers.join(', ')})`,
      });
      if (!ours) {
        findings.set(key, { userId, entry: entry.dn, included: false, checks });
        continue;
      }
    }

    const sipUri = firstValue(entry, a.sipUri);
    if (sipUri !== undefined) {
      const owner = sipOwners.get(aorKey(sipUri));
      if (owner !== undefined) {
        checks.push({
          check: 'sipUri',
          ok: false,
          detail: `${a.sipUri} "${sipUri}" is also held by user ${owner}: a SIP identity must name one user`,
        });
        findings.set(key, { userId, entry: entry.dn, included: false, checks });
        continue;
      }
      sipOwners.set(aorKey(sipUri), userId);
      checks.push({ check: 'sipUri', ok: true, detail: `${a.sipUri} "${sipUri}"` });
    } else {
      checks.push({
        check: 'sipUri',
        ok: true,
        detail: `${a.sipUri} is not set: the user is found by the SIP user part only`,
      });
    }

    // Licence: membership of the configured group.
    let licensed: boolean;
    if (config.licence.membership === 'memberOf') {
      licensed = attributeValues(entry, config.licence.memberOfAttribute).some(
        (dn) => normalizeDn(dn) === groupDn,
      );
    } else if (config.licence.memberValue === 'dn') {
      licensed = input.memberDns?.has(normalizeDn(entry.dn)) ?? false;
    } else {
      licensed = input.memberIds?.has(key) ?? false;
    }
    checks.push({
      check: 'licence',
      ok: licensed,
      detail: licensed
        ? `member of ${config.licence.groupDn} (licence ${config.licence.grants})`
        : `not a member of ${config.licence.groupDn}: no licence for remote call control`,
    });

    // The remote-call-control bit of msRTCSIP-OptionFlags.
    let rcc = true;
    if (a.optionFlags !== null) {
      const text = firstValue(entry, a.optionFlags);
      const flags =
        text !== undefined && /^-?[0-9]{1,10}$/.test(text.trim()) ? Number(text.trim()) : undefined;
      rcc = flags !== undefined && (flags & mask) !== 0;
      checks.push({
        check: 'remoteCallControl',
        ok: rcc,
        detail:
          text === undefined
            ? `${a.optionFlags} is not set: remote call control is not enabled`
            : flags === undefined
              ? `${a.optionFlags} "${text}" is not a number: remote call control is not enabled`
              : rcc
                ? `${a.optionFlags} ${flags} has the remote call control bit (${mask})`
                : `${a.optionFlags} ${flags} lacks the remote call control bit (${mask}): enable remote call control for this user`,
      });
    }

    const displayName = firstValue(entry, a.displayName) ?? userId;
    const user: DirectoryUser = {
      id: userId,
      displayName,
      licence: licensed ? config.licence.grants : null,
      controlledDevices: [],
    };
    if (sipUri !== undefined) user.sipUri = sipUri;

    const lineUri = firstValue(entry, a.lineUri);
    const line = lineUri === undefined ? undefined : lineKeyOf(lineUri, rules);
    if (lineUri === undefined || line === undefined) {
      checks.push({ check: 'lineUri', ok: false, detail: `${a.lineUri} is not set: the user has no line` });
    } else if (!line.ok) {
      checks.push({
        check: 'lineUri',
        ok: false,
        detail: `${a.lineUri} "${lineUri}" does not name a line: ${line.error.message}`,
      });
    } else {
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
      checks.push({
        check: 'lineUri',
        ok: true,
        detail: `${a.lineUri} "${lineUri}" is line ${line.value.dn}${partition === '' ? '' : ` in partition ${partition}`} (device ${device.name})`,
      });
    }
    users.push(user);
    findings.set(key, { userId, entry: entry.dn, included: true, checks });
  }
  return { users, devices, findings, people };
}
