// One root error type with stable codes (docs/architecture.md §4.6). Expected conditions are
// DesklineErrors with a code a caller can switch on; bugs are assertions.

/** Stable error codes. Append only: codes are part of logs, metrics and the IPC contract. */
export const ErrorCode = {
  // configuration
  ConfigInvalid: 'CONFIG_INVALID',
  // CSTA XML codec
  XmlMalformed: 'XML_MALFORMED',
  XmlForbiddenConstruct: 'XML_FORBIDDEN_CONSTRUCT',
  XmlTooLarge: 'XML_TOO_LARGE',
  XmlTooDeep: 'XML_TOO_DEEP',
  XmlEncoding: 'XML_ENCODING',
  CstaUnknownMessage: 'CSTA_UNKNOWN_MESSAGE',
  CstaMissingField: 'CSTA_MISSING_FIELD',
  CstaInvalidField: 'CSTA_INVALID_FIELD',
  // URIs and numbers
  UriInvalid: 'URI_INVALID',
  NumberInvalid: 'NUMBER_INVALID',
  // CTI link
  FrameHeaderCorrupt: 'FRAME_HEADER_CORRUPT',
  FrameTooLarge: 'FRAME_TOO_LARGE',
  CtiNotConnected: 'CTI_NOT_CONNECTED',
  CtiTimeout: 'CTI_TIMEOUT',
  CtiSessionRefused: 'CTI_SESSION_REFUSED',
  CtiConnectionClosed: 'CTI_CONNECTION_CLOSED',
  CtiError: 'CTI_ERROR',
  // SIP
  SipMalformed: 'SIP_MALFORMED',
  SipTooLarge: 'SIP_TOO_LARGE',
  SipTransport: 'SIP_TRANSPORT',
  SipTimeout: 'SIP_TIMEOUT',
  // session core / authorization
  NotLicensed: 'NOT_LICENSED',
  LineNotOwned: 'LINE_NOT_OWNED',
  UnknownUser: 'UNKNOWN_USER',
  UnknownLine: 'UNKNOWN_LINE',
  CtiControlDisallowed: 'CTI_CONTROL_DISALLOWED',
  NoHealthyCtiConnection: 'NO_HEALTHY_CTI_CONNECTION',
  SessionStale: 'SESSION_STALE',
  InvalidState: 'INVALID_STATE',
  InvalidArgument: 'INVALID_ARGUMENT',
  Disposed: 'DISPOSED',
  // desktop app
  SenderRefused: 'SENDER_REFUSED',
  StorageFailed: 'STORAGE_FAILED',
  Internal: 'INTERNAL',
  // resource limits (docs/robustness.md §6)
  LimitExceeded: 'LIMIT_EXCEEDED',
  // directory providers (docs/directory.md §6): the source could not be read
  DirectoryUnavailable: 'DIRECTORY_UNAVAILABLE',
  // the line already has as many calls as the phone system allows on it (CSTA
  // systemResourceAvailibility/resourceLimitExceeded), not a busy phone system
  LineCallLimit: 'LINE_CALL_LIMIT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class DesklineError extends Error {
  readonly code: ErrorCode;
  /** Structured, log-safe detail (never secrets). */
  readonly detail: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; detail?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DesklineError';
    this.code = code;
    this.detail = options?.detail;
  }

  toJSON(): { code: ErrorCode; message: string; detail?: Readonly<Record<string, unknown>> } {
    return this.detail === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, detail: this.detail };
  }
}

export function isDesklineError(value: unknown, code?: ErrorCode): value is DesklineError {
  return value instanceof DesklineError && (code === undefined || value.code === code);
}

/** Wraps an unknown throw at a boundary (socket, XML library, IPC) into a DesklineError. */
export function wrapError(
  cause: unknown,
  code: ErrorCode = ErrorCode.Internal,
  message?: string,
): DesklineError {
  if (cause instanceof DesklineError) return cause;
  const text = cause instanceof Error ? cause.message : String(cause);
  return new DesklineError(code, message === undefined ? text : `${message}: ${text}`, { cause });
}

/** For bugs only: a broken invariant, never an expected condition. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

/** Exhaustiveness check for `default:` branches of switches over string enums (docs/architecture.md §5). */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
