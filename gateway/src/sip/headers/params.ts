// Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string (RFC 3261 §25.1). Names compare case-insensitively
// (RFC 3261 §7.3.1); values are kept as written (quoted strings unescaped).
import { Scanner, fail, isHost, isTokenChar } from '../grammar.js';

export class SipParams {
  /** Lower-cased names and their values, in order: [name, value, name, value, …] (one array per
   *  parameter list: every From, To, Via and URI has one). A value is null for a parameter
   *  without one (e.g. `lr`, `rport`). */
  private readonly pairs: (string | null)[] = [];

  static readonly EMPTY: SipParams = new SipParams();

  add(name: string, value: string | null): void {
    this.pairs.push(name.toLowerCase(), value);
  }
  /** `name` already in lower case. */
  addLower(name: string, value: string | null): void {
    this.pairs.push(name, value);
  }
  private indexOf(name: string): number {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === name) return i;
    return -1;
  }
  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }
  /** The value of the first parameter named `name` (lower-case): undefined if absent, null if valueless. */
  get(name: string): string | null | undefined {
    const index = this.indexOf(name);
    return index < 0 ? undefined : this.pairs[index + 1];
  }
  get size(): number {
    return this.pairs.length >> 1;
  }
  entries(): [string, string | null][] {
    const out: [string, string | null][] = [];
    for (let i = 0; i < this.pairs.length; i += 2) out.push([this.pairs[i]!, this.pairs[i + 1] ?? null]);
    return out;
  }
}

/** Parameter names met on every request (Via, From, To, Contact, Content-Disposition), as
 *  constants: a name written exactly so is not cut out of the header and lower-cased. */
const KNOWN_PARAMS = ['tag', 'branch', 'rport', 'received', 'handling', 'epid', 'expires', 'refresher', 'q'];

/** The lower-case name of the token `text[start, end)`. */
function lowerName(text: string, start: number, end: number): string {
  for (let i = 0; i < KNOWN_PARAMS.length; i++) {
    const name = KNOWN_PARAMS[i]!;
    if (name.length === end - start && text.startsWith(name, start)) return name;
  }
  return text.slice(start, end).toLowerCase();
}

/** Characters allowed in an unquoted gen-value: token chars plus host chars ("[", "]", ":"). */
function isGenValueChar(code: number): boolean {
  return isTokenChar(code) || code === 0x5b || code === 0x5d || code === 0x3a;
}

/** gen-value = token / host / quoted-string. */
export function parseGenValue(scanner: Scanner): string {
  if (scanner.peek() === 0x22) return scanner.quotedString();
  const start = scanner.pos;
  while (!scanner.done && isGenValueChar(scanner.peek())) scanner.pos++;
  if (scanner.pos === start) fail(`empty parameter value at offset ${start}`);
  const value = scanner.text.slice(start, scanner.pos);
  // token, or host (IPv6reference brings "[", "]", ":")
  if (value.indexOf(':') >= 0 || value.indexOf('[') >= 0) {
    if (!isHost(value)) fail(`invalid parameter value "${value}"`);
  }
  return value;
}

/**
 * Parses `*( SEMI generic-param )` until the scanner reaches a character that is not a SEMI
 * (a COMMA or the end). `special` lets a header check known parameters (Via received, ttl...).
 */
export function parseParams(
  scanner: Scanner,
  special?: (name: string, scanner: Scanner) => string | null | undefined,
): SipParams {
  let params: SipParams | undefined;
  while (scanner.eatSeparator(0x3b /* ; */)) {
    const start = scanner.pos;
    scanner.skipToken('parameter name');
    const name = lowerName(scanner.text, start, scanner.pos);
    let value: string | null | undefined = special?.(name, scanner);
    if (value === undefined) {
      value = null;
      if (scanner.eatSeparator(0x3d /* = */)) value = parseGenValue(scanner);
    }
    (params ??= new SipParams()).addLower(name, value);
  }
  return params ?? SipParams.EMPTY;
}
