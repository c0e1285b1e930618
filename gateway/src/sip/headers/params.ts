// Header parameters: *( SEMI generic-param ), generic-param = token [ EQUAL gen-value ],
// gen-value = token / host / quoted-string (RFC 3261 §25.1). Names compare case-insensitively
// (RFC 3261 §7.3.1); values are kept as written (quoted strings unescaped).
import { Scanner, fail, isHost, isTokenChar } from '../grammar.js';

export class SipParams {
  /** Lower-cased names, in order. */
  private readonly names: string[] = [];
  /** null for a parameter without a value (e.g. `lr`, `rport`). */
  private readonly values: (string | null)[] = [];

  static readonly EMPTY: SipParams = new SipParams();

  add(name: string, value: string | null): void {
    this.names.push(name.toLowerCase());
    this.values.push(value);
  }
  has(name: string): boolean {
    return this.names.indexOf(name) >= 0;
  }
  /** The value of the first parameter named `name` (lower-case): undefined if absent, null if valueless. */
  get(name: string): string | null | undefined {
    const index = this.names.indexOf(name);
    return index < 0 ? undefined : this.values[index];
  }
  get size(): number {
    return this.names.length;
  }
  entries(): [string, string | null][] {
    return this.names.map((name, i) => [name, this.values[i] ?? null]);
  }
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
    const name = scanner.token('parameter name');
    let value: string | null | undefined = special?.(name.toLowerCase(), scanner);
    if (value === undefined) {
      value = null;
      if (scanner.eatSeparator(0x3d /* = */)) value = parseGenValue(scanner);
    }
    (params ??= new SipParams()).add(name, value);
  }
  return params ?? SipParams.EMPTY;
}
