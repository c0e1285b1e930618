// Protocol constants of the SIP stack: timer values (RFC 3261 §17.1.1.1, Table 4), methods
// (RFC 3261 §7.1, RFC 3311, RFC 2976), limits and reason phrases (RFC 3261 §21).

/** RFC 3261 §17.1.1.1: T1, the RTT estimate, default 500 ms. */
export const T1_MS = 500;
/** RFC 3261 §17.1.2.2: Timer F, non-INVITE transaction timeout. */
export const TIMER_F_MS = 64 * T1_MS;
/** RFC 3261 §17.2.1: Timer H, wait time for ACK receipt after a non-2xx final response. */
export const TIMER_H_MS = 64 * T1_MS;
/** RFC 6026 §8.7: Timer L, wait time for accepted INVITE request retransmits. */
export const TIMER_L_MS = 64 * T1_MS;
/** RFC 3261 §13.3.1.4: how long a UAS waits for the ACK of a 2xx before giving the session up. */
export const ACK_WAIT_MS = 64 * T1_MS;

/** The magic cookie that marks an RFC 3261 branch (RFC 3261 §8.1.1.7). */
export const BRANCH_MAGIC_COOKIE = 'z9hG4bK';

/** RFC 4028 §4/§5: our minimum session interval ("MUST NOT be lower than 90 seconds"). */
export const MIN_SESSION_EXPIRES_S = 90;
/** Session interval we choose when the UAC proposes none (RFC 4028 §9; Communicator refreshes every 25 min). */
export const DEFAULT_SESSION_EXPIRES_S = 1800;
/**
 * The longest session interval we grant (RFC 4028 §9: the UAS "MAY reduce" Session-Expires). A
 * delta-seconds value may be up to 2^32-1 (§4), far beyond what a 32-bit millisecond timer holds:
 * Node fires such a timer after 1 ms, so without this cap a huge Session-Expires ended the
 * session at once. One day, the configuration's own maximum (sip.sessionExpiresSec).
 */
export const MAX_SESSION_EXPIRES_S = 86_400;

/** Limits on stream transports (this project's defaults; configurable). */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_MAX_WRITE_BUFFER_BYTES = 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/**
 * A connection with no dialog, nothing unanswered and no message or keep-alive for this long is
 * closed. Above the RFC 5626 §4.4.1 keep-alive interval for connection-oriented transports (a
 * CRLFCRLF every 95–120 s) so that a keeping-alive client is never cut; connections that carry a
 * dialog are never closed for quietness (docs/robustness.md, "SIP transport limits").
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Unanswered requests per connection before it stops reading (ConnectionLimits.maxPendingRequests). */
export const DEFAULT_MAX_PENDING_REQUESTS = 256;
/**
 * How long a message may take from its first byte to its last (head and body). A peer that
 * trickles a message (slowloris) is cut when it runs out, however steadily it sends.
 */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 10_000;
/**
 * Inbound connections from one source address. Far above what a Lync front-end server or a
 * Kamailio balancer opens (a few each), so that only a peer hoarding connections meets it.
 */
export const DEFAULT_MAX_CONNECTIONS_PER_SOURCE = 256;
/**
 * Dialogs (RCC sessions) bound to one connection. A Lync front-end pool multiplexes thousands of
 * users over a few connections; behind a balancer every session of a node may share one
 * connection (raise it to the node's session capacity there, docs/running-at-scale.md).
 */
export const DEFAULT_MAX_DIALOGS_PER_CONNECTION = 20_000;
/** Fair scheduling (transport/scheduler.ts): messages of one connection per event-loop turn. */
export const DEFAULT_MAX_MESSAGES_PER_TURN_PER_CONNECTION = 32;
/** Fair scheduling: messages of all connections together per event-loop turn. */
export const DEFAULT_MAX_MESSAGES_PER_TURN = 256;

/** The body type a CSTA gateway speaks (ECMA TR/87 §7; IANA application/csta+xml). */
export const CSTA_CONTENT_TYPE = 'application/csta+xml';

/** Methods this UAS allows (RFC 3261 §8.2.1; advertised in Allow). */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'INFO', 'UPDATE', 'OPTIONS'] as const;
export const ALLOW_HEADER_VALUE = ALLOWED_METHODS.join(', ');

/** Methods we recognise but do not support: 405 with Allow (RFC 3261 §8.2.1), not 501. */
export const KNOWN_UNSUPPORTED_METHODS: ReadonlySet<string> = new Set([
  'REGISTER', // RFC 3261 §10: we are not a registrar (RFC 4475 §3.3.7: non-registrar → 405)
  'PRACK', // RFC 3262
  'SUBSCRIBE', // RFC 6665
  'NOTIFY', // RFC 6665
  'REFER', // RFC 3515
  'MESSAGE', // RFC 3428
  'PUBLISH', // RFC 3903
]);

/** Option tags we support (RFC 3261 §8.2.2.3 Require processing; RFC 4028 "timer"). */
export const SUPPORTED_OPTION_TAGS: ReadonlySet<string> = new Set(['timer']);
export const SUPPORTED_HEADER_VALUE = 'timer';

/** RFC 3261 §21 reason phrases (and RFC 4028 §6 for 422, RFC 3261 §21.4.27 for 491). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  const known = REASON_PHRASES[status];
  if (known !== undefined) return known;
  // RFC 3261 §8.1.3.2: an unknown code is treated as the x00 of its class.
  return REASON_PHRASES[Math.floor(status / 100) * 100] ?? 'Unknown';
}
