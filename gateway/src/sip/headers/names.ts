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
