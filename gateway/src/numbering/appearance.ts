// CTI device identifiers for line appearances, and the line URIs Microsoft clients are provisioned with.
//
// docs/cti-link.md §5: a line appearance (device × line) is the CTI device `<deviceName>/<dn>/<partition>`,
// e.g. `SEP00AABB000001/1001/INTERNAL`; hence no part may contain `/` or spaces. CUCM's `<None>` partition is
// the empty string (`SEP00AABB000001/1001/`). Nothing here throws: bad names and identifiers that do not
// parse are refused with InvalidArgument (an appearance ID is our own format, not a URI).
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';
import { formatTelUri, makeTelUri } from './tel.js';

/** CUCM device names are at most 50 characters (SEP + 12 hex for phones); 64 leaves room. */
export const DEVICE_NAME_MAX_LENGTH = 64;
/** CUCM directory numbers are at most 24 digits (plus a leading "+" for E.164 DNs); 32 leaves room. */
export const DN_MAX_LENGTH = 32;
/** CUCM partition names are at most 50 characters. */
export const PARTITION_MAX_LENGTH = 50;
export const APPEARANCE_ID_MAX_LENGTH = DEVICE_NAME_MAX_LENGTH + DN_MAX_LENGTH + PARTITION_MAX_LENGTH + 2;

export interface LineAppearanceKey {
  readonly device: string;
  readonly dn: string;
  /** Empty for CUCM's `<None>` partition. */
  readonly partition: string;
}

/** A line as the directory knows it: the parts lineUriOf() needs. */
export interface LineForUri {
  readonly dn: string;
  readonly partition: string;
  /** The line's E.164 number (`+14085551001`), when it has one. */
  readonly e164?: string | undefined;
}

/**
 * How a line URI is written for Microsoft clients:
 * - `dialstring`: `tel:<dn>;phone-context=dialstring;partition=<p>` (Cisco IM and Presence style);
 * - `e164`: `tel:<e164>;ext=<dn>` (Lync Server style; RFC 3966 §5.3 extension).
 */
export type LineUriStyle = 'dialstring' | 'e164';

const invalidArgument = (message: string): { ok: false; error: DesklineError } =>
  err(new DesklineError(ErrorCode.InvalidArgument, message));

const describe = (c: number): string =>
  c === 0x20
    ? 'a space'
    : c === 0x2f
      ? '"/"'
      : c >= 0x21 && c <= 0x7e
        ? `"${String.fromCharCode(c)}"`
        : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

function checkName(
  value: unknown,
  what: string,
  max: number,
  allowed: (c: number) => boolean,
  rule: string,
  allowEmpty: boolean,
): Result<string> {
  if (typeof value !== 'string') return invalidArgument(`the ${what} must be a string`);
  if (value.length === 0 && !allowEmpty) return invalidArgument(`the ${what} is empty`);
  if (value.length > max)
    return invalidArgument(`the ${what} is ${value.length} characters long; the limit is ${max}`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!allowed(c)) {
      const why = c === 0x2f ? ' ("/" separates the parts of an appearance ID, docs/cti-link.md §5)' : '';
      return invalidArgument(`the ${what} "${value}" has ${describe(c)} at position ${i + 1}: ${rule}${why}`);
    }
  }
  return ok(value);
}

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Device names: letters, digits, `.`, `_`, `-` (CUCM: `SEP` + MAC for phones, `CSF…`, `BOT…`, `TCT…` for clients). */
export function validateDeviceName(name: string): Result<string> {
  return checkName(
    name,
    'device name',
    DEVICE_NAME_MAX_LENGTH,
    (c) => isAlnum(c) || c === 0x2e || c === 0x5f || c === 0x2d,
    'letters, digits, ".", "_" and "-" only',
    false,
  );
}

/** Directory numbers: digits, `*`, `#`, with an optional leading `+` (an E.164 DN). */
export function validateDn(dn: string): Result<string> {
  const checked = checkName(
    dn,
    'directory number',
    DN_MAX_LENGTH,
    (c) => (c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x23 || c === 0x2b,
    'digits, "*" and "#" only, with an optional leading "+"',
    false,
  );
  if (!checked.ok) return checked;
  if (dn.lastIndexOf('+') > 0)
    return invalidArgument(
      `the directory number "${dn}" has "+" after its start: "+" may only begin an E.164 number`,
    );
  if (dn === '+') return invalidArgument('the directory number "+" has no digits');
  return checked;
}

/** Partitions: letters, digits, `_`, `-`; empty for CUCM's `<None>` partition. */
export function validatePartition(partition: string): Result<string> {
  return checkName(
    partition,
    'partition',
    PARTITION_MAX_LENGTH,
    (c) => isAlnum(c) || c === 0x5f || c === 0x2d,
    'letters, digits, "_" and "-" only',
    true,
  );
}

/** The CTI device ID of a line appearance: `<deviceName>/<dn>/<partition>` (docs/cti-link.md §5). */
export function appearanceId(device: string, dn: string, partition: string): Result<string> {
  const parts = validateParts(device, dn, partition);
  return parts.ok ? ok(`${device}/${dn}/${partition}`) : parts;
}

function validateParts(device: string, dn: string, partition: string): Result<LineAppearanceKey> {
  const d = validateDeviceName(device);
  if (!d.ok) return d;
  const n = validateDn(dn);
  if (!n.ok) return n;
  const p = validatePartition(partition);
  if (!p.ok) return p;
  return ok({ device, dn, partition });
}

/** Parses `<deviceName>/<dn>/<partition>` (docs/cti-link.md §5), validating every part. Never throws. */
export function parseAppearanceId(id: string): Result<LineAppearanceKey> {
  if (typeof id !== 'string') return invalidArgument('an appearance ID must be a string');
  if (id.length > APPEARANCE_ID_MAX_LENGTH)
    return invalidArgument(
      `the appearance ID is ${id.length} characters long; the limit is ${APPEARANCE_ID_MAX_LENGTH}`,
    );
  const first = id.indexOf('/');
  const second = first < 0 ? -1 : id.indexOf('/', first + 1);
  if (first < 0 || second < 0 || id.indexOf('/', second + 1) >= 0)
    return invalidArgument(
      `"${id}" is not an appearance ID: expected <deviceName>/<dn>/<partition> (docs/cti-link.md §5)`,
    );
  const device = id.slice(0, first);
  const dn = id.slice(first + 1, second);
  const partition = id.slice(second + 1);
  return validateParts(device, dn, partition);
}

/**
 * The line URI a Microsoft client would be provisioned with for this line (docs/msrcc.md §10).
 * `dialstring` keeps the partition (omitted for `<None>`); a DN that is itself E.164 is written as a global
 * number, without phone-context (RFC 3966 §5.1.4). `e164` needs the line's E.164 number and a DN that is
 * digits only (RFC 3966 §3: ext = 1*phonedigit).
 */
export function lineUriOf(line: LineForUri, style: LineUriStyle): Result<string> {
  const dn = validateDn(line.dn);
  if (!dn.ok) return dn;
  const partition = validatePartition(line.partition);
  if (!partition.ok) return partition;
  switch (style) {
    case 'dialstring': {
      const global = line.dn.startsWith('+');
      const uri = makeTelUri({
        number: line.dn,
        phoneContext: global ? undefined : 'dialstring',
        partition: line.partition === '' ? undefined : line.partition,
      });
      return uri.ok ? ok(formatTelUri(uri.value)) : uri;
    }
    case 'e164': {
      if (line.e164 === undefined || line.e164 === '')
        return invalidArgument(`line ${line.dn} has no E.164 number, so it has no e164-style line URI`);
      if (!/^\+[1-9][0-9]{5,14}$/.test(line.e164))
        return invalidArgument(
          `"${line.e164}" is not an E.164 number (+, country code, at most 15 digits: ITU-T E.164 §6)`,
        );
      if (!/^[0-9]+$/.test(line.dn))
        return invalidArgument(
          `the directory number "${line.dn}" cannot be an ext parameter: digits only (RFC 3966 §3)`,
        );
      const uri = makeTelUri({ number: line.e164, ext: line.dn });
      return uri.ok ? ok(formatTelUri(uri.value)) : uri;
    }
    default:
      // Unreachable for typed callers; the style may come from configuration, so refuse rather than throw.
      return invalidArgument(`unknown line URI style ${JSON.stringify(style satisfies never)}`);
  }
}
