// Errors of the directory providers (docs/directory.md §6). Every refusal names the setting an
// operator must look at, as a config path (`directory.ldap.users.baseDn`), and carries a stable
// `problem` a caller can switch on. Secrets never appear: messages are built from the settings'
// names, the server's result codes and diagnostic text, never from a password.
import { DesklineError, ErrorCode } from '../util/errors.js';

/** Stable problem codes. Append only: they appear in logs, health and the troubleshooter. */
export const DirectoryProblem = {
  /** No server answered at any configured URL (refused, no route, DNS, connect timeout). */
  Unreachable: 'unreachable',
  /** The TLS handshake failed: certificate not signed by the configured CA, wrong name, expired. */
  TlsFailed: 'tlsFailed',
  /** The server refused StartTLS, or demands TLS / stronger authentication we were told not to use. */
  TlsRequired: 'tlsRequired',
  /** The bind DN or password was refused (LDAP resultCode 49, 48). */
  BindRefused: 'bindRefused',
  /** The password file could not be read, or is empty. */
  PasswordFile: 'passwordFile',
  /** A base DN or group DN names no entry (LDAP resultCode 32). */
  NoSuchObject: 'noSuchObject',
  /** The bind identity may not read what we asked for (LDAP resultCode 50). */
  AccessDenied: 'accessDenied',
  /** The server cut the result short (size or admin limit) or we stopped at our own bound. */
  TooManyEntries: 'tooManyEntries',
  /** An operation took longer than the configured timeout. */
  Timeout: 'timeout',
  /** The server is busy or unavailable (LDAP resultCode 51, 52), or closed the connection. */
  Unavailable: 'unavailable',
  /** The server answered with an LDAP error not listed above (resultCode in the detail). */
  LdapError: 'ldapError',
  /** A group's member list came back in ranges (Active Directory, more than 1,500 members). */
  RangedMembers: 'rangedMembers',
  /** The source holds no usable user at all (wrong base DN or filter?). */
  Empty: 'empty',
  /** The source returned far fewer users than the last good snapshot (refresh.maxShrinkPercent). */
  Shrunk: 'shrunk',
  /** Too many lookups at once (search.maxConcurrent). */
  Busy: 'busy',
  /** The provider was disposed. */
  Disposed: 'disposed',
  /** The directory file does not follow the cluster-file schema (the message names row and field). */
  FileInvalid: 'fileInvalid',
  /** The directory file cannot be read (missing, not a file, unreadable). */
  FileUnreadable: 'fileUnreadable',
  /** No CTI Manager is up to load the directory from (`cti` source). */
  NoCtiManager: 'noCtiManager',
  /** A CTI Manager's directory could not be loaded (timeout, undecodable, too many segments). */
  CtiLoadFailed: 'ctiLoadFailed',
} as const;
export type DirectoryProblem = (typeof DirectoryProblem)[keyof typeof DirectoryProblem];

/** Problems caused by the configuration rather than by the server's state. */
const SETTING_PROBLEMS: ReadonlySet<DirectoryProblem> = new Set([
  DirectoryProblem.TlsFailed,
  DirectoryProblem.TlsRequired,
  DirectoryProblem.BindRefused,
  DirectoryProblem.PasswordFile,
  DirectoryProblem.NoSuchObject,
  DirectoryProblem.AccessDenied,
  DirectoryProblem.RangedMembers,
  DirectoryProblem.Empty,
  DirectoryProblem.Shrunk,
  DirectoryProblem.FileInvalid,
]);

export class DirectoryError extends DesklineError {
  readonly problem: DirectoryProblem;
  /** The config path an operator should check, when one is to blame. */
  readonly setting: string | undefined;
  /** The message without the "(check …)" suffix, for composing messages. */
  readonly reason: string;

  constructor(
    problem: DirectoryProblem,
    message: string,
    options: { setting?: string; cause?: unknown; detail?: Record<string, unknown> } = {},
  ) {
    // docs/directory.md §6: a setting the source refuses is a configuration error; a source that
    // cannot be read now is DIRECTORY_UNAVAILABLE. Callers switch on `problem`, which is finer.
    const code = SETTING_PROBLEMS.has(problem) ? ErrorCode.ConfigInvalid : ErrorCode.DirectoryUnavailable;
    const detail: Record<string, unknown> = { problem, ...options.detail };
    if (options.setting !== undefined) detail['setting'] = options.setting;
    super(code, options.setting === undefined ? message : `${message} (check ${options.setting})`, {
      cause: options.cause,
      detail,
    });
    this.name = 'DirectoryError';
    this.problem = problem;
    this.setting = options.setting;
    this.reason = message;
  }
}

export function isDirectoryError(value: unknown, problem?: DirectoryProblem): value is DirectoryError {
  return value instanceof DirectoryError && (problem === undefined || value.problem === problem);
}
