// Header field names: case-insensitive (RFC 3261 §7.3.1) with compact forms (RFC 3261 §7.3.3
// and the IANA registry: RFC 3841, RFC 3515, RFC 3892, RFC 4028, RFC 4474, RFC 6665).

/** Compact form → full name, lower-case. */
const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact', // RFC 3841
  b: 'referred-by', // RFC 3892
  c: 'content-type',
  d: 'request-disposition', // RFC 3841
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact', // RFC 3841
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info', // RFC 4474
  o: 'event', // RFC 6665
  r: 'refer-to', // RFC 3515
  s: 'subject',
  t: 'to',
  u: 'allow-events', // RFC 6665
  v: 'via',
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 4474
};

/** Spellings for serialisation where simple capitalisation is wrong. */
const SPECIAL_CASE: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'min-se': 'Min-SE',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
};

/** The lower-case full name of a header as written (`v`, `Via`, `VIA` → `via`). */
export function canonicalHeaderName(name: string): string {
  // toLowerCase is cheaper here than a memo Map keyed by the (sliced) name: measured ~40 vs ~60 ns.
  const lower = name.toLowerCase();
  return lower.length === 1 ? (COMPACT[lower] ?? lower) : lower;
}

// The names SIP messages carry most (RFC 3261 §20 and the extensions in use here), lower-case. A
// header name written in any case that equals one of them is read without cutting a string out of
// the header section and lower-casing it: two short-lived strings less per header line, twelve
// lines per request (docs/benchmarks.md, "Profile findings and engine changes"). Only letters and
// "-" occur in them, so a match is a token.
const COMMON_NAMES = [
  'accept',
  'allow',
  'call-id',
  'contact',
  'content-disposition',
  'content-encoding',
  'content-length',
  'content-type',
  'cseq',
  'date',
  'event',
  'expires',
  'from',
  'max-forwards',
  'min-se',
  'p-asserted-identity',
  'proxy-require',
  'record-route',
  'require',
  'route',
  'server',
  'session-expires',
  'supported',
  'to',
  'user-agent',
  'via',
] as const;
const COMMON_BY_LENGTH: string[][] = [];
for (const name of COMMON_NAMES) (COMMON_BY_LENGTH[name.length] ??= []).push(name);
/** Compact forms by character code (upper and lower case). */
const COMPACT_BY_CODE: (string | undefined)[] = [];
for (const [letter, full] of Object.entries(COMPACT)) {
  COMPACT_BY_CODE[letter.charCodeAt(0)] = full;
  COMPACT_BY_CODE[letter.toUpperCase().charCodeAt(0)] = full;
}

/**
 * The canonical name (as canonicalHeaderName gives it) of the header name `text[start, end)` when
 * it is a compact form or one of the common names, without allocating; undefined otherwise (the
 * caller then slices and checks the name itself).
 */
export function commonHeaderNameAt(text: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 1) return COMPACT_BY_CODE[text.charCodeAt(start)];
  const candidates = COMMON_BY_LENGTH[length];
  if (candidates === undefined) return undefined;
  for (let k = 0; k < candidates.length; k++) {
    const name = candidates[k]!;
    let i = 0;
    for (; i < length; i++) {
      const want = name.charCodeAt(i);
      const c = text.charCodeAt(start + i);
      // "-" exactly; a letter in either case (c | 0x20 maps exactly the two cases onto the lower).
      if (want === 0x2d ? c !== 0x2d : (c | 0x20) !== want) break;
    }
    if (i === length) return name;
  }
  return undefined;
}

// Serialising parsed messages meets the same few names again and again.
const DISPLAY_MEMO_LIMIT = 512;
const displayMemo = new Map<string, string>();

/** The conventional spelling of a lower-case full name (`call-id` → `Call-ID`). */
export function displayHeaderName(lower: string): string {
  const memo = displayMemo.get(lower);
  if (memo !== undefined) return memo;
  const display =
    SPECIAL_CASE[lower] ??
    lower
      .split('-')
      .map((part) => (part.length === 0 ? part : part[0]!.toUpperCase() + part.slice(1)))
      .join('-');
  if (displayMemo.size < DISPLAY_MEMO_LIMIT) displayMemo.set(lower, display);
  return display;
}

/**
 * Headers that carry exactly one value (RFC 3261 §7.3.1: only headers whose grammar is a
 * comma-separated list may appear more than once). RFC 4475 §3.3.8 multi01 → 400.
 */
export const SINGLE_VALUED_HEADERS: ReadonlySet<string> = new Set([
  'call-id',
  'content-disposition',
  'content-length',
  'content-type',
  'cseq',
  'date',
  'expires',
  'from',
  'max-forwards',
  'min-expires',
  'min-se',
  'mime-version',
  'session-expires',
  'to',
]);
