// One LDAP connection, as the provider uses it (docs/directory.md §3): connect to the first URL
// that answers, protect it (LDAPS, or StartTLS per RFC 4513 §3) with the configured CA and the
// server's name checked, bind, search (paged, RFC 2696), unbind. ldapts speaks the protocol; this
// file decides the security rules and turns every failure into a DirectoryError naming the setting.
//
// ldapts re-opens a dropped connection by itself on the next operation — in clear and unbound,
// since neither StartTLS nor the bind is replayed. We never want that: the socket factories we
// hand it open exactly one connection, and any later attempt fails (the session is then dropped
// and a fresh one opened, secured and bound).
import { readFile } from 'node:fs/promises';
import { isIP, Socket, connect as netConnect } from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
} from 'node:tls';
import { Client, ResultCodeError, type Entry, type Filter } from 'ldapts';
import type { LdapDirectoryConfig } from './ldap-config.js';
import { DirectoryError, DirectoryProblem } from './errors.js';

/** LDAP result codes (RFC 4511 §4.1.9) by name, for messages. */
const RESULT_NAMES: Readonly<Record<number, string>> = {
  1: 'operationsError',
  2: 'protocolError',
  3: 'timeLimitExceeded',
  4: 'sizeLimitExceeded',
  7: 'authMethodNotSupported',
  8: 'strongerAuthRequired',
  11: 'adminLimitExceeded',
  12: 'unavailableCriticalExtension',
  13: 'confidentialityRequired',
  16: 'noSuchAttribute',
  17: 'undefinedAttributeType',
  18: 'inappropriateMatching',
  32: 'noSuchObject',
  34: 'invalidDNSyntax',
  48: 'inappropriateAuthentication',
  49: 'invalidCredentials',
  50: 'insufficientAccessRights',
  51: 'busy',
  52: 'unavailable',
  53: 'unwillingToPerform',
  80: 'other',
};

const resultText = (error: ResultCodeError): string => {
  const name = RESULT_NAMES[error.code] ?? 'error';
  const diagnostic = error.message.trim();
  return `resultCode ${error.code} (${name})${diagnostic === '' ? '' : `: ${diagnostic}`}`;
};

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));
const codeOf = (cause: unknown): string | undefined =>
  typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string'
    ? (cause as { code: string }).code
    : undefined;

/** Node's TLS verification and handshake errors (tls.TLSSocket 'error' codes). */
const isTlsError = (cause: unknown): boolean => {
  const code = codeOf(cause) ?? '';
  return /CERT|SELF_SIGNED|UNABLE_TO_|^ERR_TLS|^ERR_SSL|^EPROTO$/.test(code);
};

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

/** The settings this session is judged against, as config paths. */
export interface SessionSettings {
  readonly prefix: string;
}

/** What an operation was doing, for the error's message and the setting it names. */
export interface OperationContext {
  readonly what: string;
  /** The setting named when the server says the object does not exist (resultCode 32). */
  readonly baseSetting?: string;
  /** While opening a session: a network failure means the URL is unreachable (try the next). */
  readonly opening?: boolean;
}

export class LdapSession {
  private closed = false;

  private constructor(
    private readonly client: Client,
    /** The URL this session is connected to. */
    readonly url: string,
    private readonly config: LdapDirectoryConfig,
    private readonly prefix: string,
    private readonly bound: boolean,
    private readonly liveness: { readonly alive: boolean },
  ) {}

  /** Opens a session on the first configured URL that answers: connect, TLS, bind. */
  static async open(config: LdapDirectoryConfig, prefix: string): Promise<LdapSession> {
    const password = await readPassword(config, prefix);
    const failures: { url: string; error: DirectoryError }[] = [];
    for (const url of config.urls) {
      try {
        return await LdapSession.openOne(url, config, prefix, password);
      } catch (cause) {
        const error =
          cause instanceof DirectoryError
            ? cause
            : classify(cause, prefix, { what: `connecting to ${url}`, opening: true });
        // The same credentials and DNs hold on every server: no point in trying the next one.
        if (error.problem === DirectoryProblem.BindRefused || error.problem === DirectoryProblem.TlsRequired)
          throw error;
        failures.push({ url, error });
      }
    }
    // Report the most telling failure (a TLS problem says more than a refused connection).
    const telling =
      failures.find((f) => f.error.problem !== DirectoryProblem.Unreachable) ?? failures[failures.length - 1];
    if (telling === undefined)
      throw new DirectoryError(DirectoryProblem.Unreachable, 'no LDAP URL configured', {
        setting: `${prefix}.urls`,
      });
    if (failures.length === 1) throw telling.error;
    throw new DirectoryError(
      telling.error.problem,
      `no LDAP server answered: ${failures.map((f) => `${f.url}: ${f.error.reason}`).join('; ')}`,
      {
        ...(telling.error.setting === undefined ? {} : { setting: telling.error.setting }),
        cause: telling.error,
        detail: { urls: failures.map((f) => f.url) },
      },
    );
  }

  private static async openOne(
    url: string,
    config: LdapDirectoryConfig,
    prefix: string,
    password: string | undefined,
  ): Promise<LdapSession> {
    const parsed = new URL(url);
    const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    const secure = parsed.protocol === 'ldaps:';
    const tlsOptions = await tlsOptionsFor(config, prefix, host);
    // One connection per session (see the header): later attempts fail instead of reconnecting.
    // Its end is watched here too: after StartTLS, ldapts listens for "close" on the plain socket
    // only, which a TLS socket wrapping it never closes — a dead session would look alive and its
    // requests wait for the operation timeout.
    const liveness = { alive: true };
    let connections = 0;
    const refuseSecond = <T extends Socket>(make: () => T): T | Socket => {
      connections++;
      if (connections === 1) {
        const socket = make();
        socket.once('close', () => (liveness.alive = false));
        return socket;
      }
      const dead = new Socket();
      process.nextTick(() => dead.destroy(new Error('connection lost (this session does not reconnect)')));
      return dead;
    };
    const createConnection = ((port: number, hostname: string) =>
      refuseSecond(() => netConnect({ port, host: hostname }))) as unknown as typeof netConnect;
    const createSecureConnection = ((...args: [number, string, ConnectionOptions?] | [ConnectionOptions]) => {
      if (typeof args[0] !== 'number') {
        // StartTLS upgrade: ldapts passes the options with the plain socket in them. When the TLS
        // socket closes, close the plain one too, so that ldapts fails what is still pending.
        const plain = args[0].socket;
        const upgraded = tlsConnect(args[0]);
        upgraded.once('close', () => {
          liveness.alive = false;
          plain?.destroy();
        });
        return upgraded;
      }
      const [port, hostname, options] = args as [number, string, ConnectionOptions?];
      return refuseSecond<TLSSocket>(() => tlsConnect({ ...options, port, host: hostname }));
    }) as unknown as typeof tlsConnect;

    const client = new Client({
      url,
      connectTimeout: config.connectTimeoutMs,
      timeout: config.operationTimeoutMs,
      createConnection,
      createSecureConnection,
      // Only for ldaps://: with ldap:// any TLS option would make ldapts connect in TLS at once.
      ...(secure ? { tlsOptions } : {}),
    });
    const session = new LdapSession(client, url, config, prefix, config.bindDn !== undefined, liveness);
    try {
      if (!secure && config.startTls) {
        try {
          await client.startTLS({ ...tlsOptions });
        } catch (cause) {
          if (cause instanceof ResultCodeError)
            throw new DirectoryError(
              DirectoryProblem.TlsFailed,
              `${url} refused StartTLS: ${resultText(cause)}`,
              { setting: `${prefix}.startTls`, cause },
            );
          throw classify(cause, prefix, { what: `StartTLS with ${url}`, opening: true }, host);
        }
      }
      if (config.bindDn !== undefined) {
        try {
          await client.bind(config.bindDn, password);
        } catch (cause) {
          throw classify(
            cause,
            prefix,
            { what: `binding to ${url} as ${config.bindDn}`, opening: true },
            host,
          );
        }
      } else {
        // Anonymous: read the root DSE (RFC 4512 §5.1) so that a server that is not there, or not
        // LDAP, is found now — and the next URL tried — rather than at the first search.
        try {
          await client.search('', {
            scope: 'base',
            filter: '(objectClass=*)',
            attributes: ['supportedLDAPVersion'],
          });
        } catch (cause) {
          throw classify(cause, prefix, { what: `reading the root DSE of ${url}`, opening: true }, host);
        }
      }
      return session;
    } catch (cause) {
      await session.close();
      throw cause;
    }
  }

  /** Still connected (and bound, when a bind DN is configured): usable for another operation. */
  get usable(): boolean {
    return (
      !this.closed && this.liveness.alive && this.client.isConnected && (!this.bound || this.client.isBound)
    );
  }

  /**
   * A paged search (RFC 2696), page by page. Stops with TooManyEntries once more than
   * `maxEntries` entries came back (the connection is then closed: the server may still be
   * sending pages).
   */
  async *pages(
    baseDn: string,
    options: {
      readonly scope: 'base' | 'one' | 'sub';
      readonly filter: Filter;
      readonly attributes: readonly string[];
      readonly maxEntries: number;
      readonly maxEntriesSetting: string;
    },
    context: OperationContext,
  ): AsyncGenerator<Entry[]> {
    let seen = 0;
    try {
      for await (const page of this.client.searchPaginated(baseDn, {
        scope: options.scope,
        filter: options.filter,
        attributes: [...options.attributes],
        paged: { pageSize: this.config.pageSize },
        derefAliases: 'never',
      })) {
        seen += page.searchEntries.length;
        if (seen > options.maxEntries)
          throw new DirectoryError(
            DirectoryProblem.TooManyEntries,
            `${context.what} returned more than ${options.maxEntries} entries`,
            { setting: options.maxEntriesSetting },
          );
        yield page.searchEntries;
      }
    } catch (cause) {
      if (cause instanceof DirectoryError) {
        await this.close();
        throw cause;
      }
      throw classify(cause, this.prefix, context);
    }
  }

  /** A bounded, unpaged search: at most `sizeLimit` entries; `truncated` when the server had more. */
  async search(
    baseDn: string,
    options: {
      readonly scope: 'base' | 'one' | 'sub';
      readonly filter: Filter;
      readonly attributes: readonly string[];
      readonly sizeLimit: number;
      readonly timeLimitSec: number;
    },
    context: OperationContext,
  ): Promise<{ entries: Entry[]; truncated: boolean }> {
    try {
      // sizeLimit + 1: one more than wanted tells "there were more" apart from "exactly that many".
      const result = await this.client.search(baseDn, {
        scope: options.scope,
        filter: options.filter,
        attributes: [...options.attributes],
        sizeLimit: options.sizeLimit + 1,
        timeLimit: options.timeLimitSec,
        derefAliases: 'never',
      });
      const entries = result.searchEntries;
      return { entries: entries.slice(0, options.sizeLimit), truncated: entries.length > options.sizeLimit };
    } catch (cause) {
      throw classify(cause, this.prefix, context);
    }
  }

  /** Reads one entry (base-scope search); undefined when it does not exist. */
  async read(
    dn: string,
    attributes: readonly string[],
    context: OperationContext,
  ): Promise<Entry | undefined> {
    try {
      const result = await this.client.search(dn, {
        scope: 'base',
        attributes: [...attributes],
        derefAliases: 'never',
      });
      return result.searchEntries[0];
    } catch (cause) {
      throw classify(cause, this.prefix, context);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Unbind politely, but never wait long for a server that has gone away.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.unbind().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1_000);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}

async function readPassword(config: LdapDirectoryConfig, prefix: string): Promise<string | undefined> {
  if (config.bindDn === undefined || config.passwordFile === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(config.passwordFile, 'utf8');
  } catch (cause) {
    throw new DirectoryError(
      DirectoryProblem.PasswordFile,
      `the LDAP bind password file cannot be read (${codeOf(cause) ?? messageOf(cause)})`,
      { setting: `${prefix}.passwordFile`, cause },
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '')
    // RFC 4513 §5.1.2: a DN with an empty password is an unauthenticated bind, which some servers
    // accept as anonymous — never what an operator meant.
    throw new DirectoryError(DirectoryProblem.PasswordFile, 'the LDAP bind password file is empty', {
      setting: `${prefix}.passwordFile`,
    });
  return password;
}

async function tlsOptionsFor(
  config: LdapDirectoryConfig,
  prefix: string,
  host: string,
): Promise<ConnectionOptions> {
  let ca: string | undefined;
  if (config.caFile !== undefined) {
    try {
      ca = await readFile(config.caFile, 'utf8');
    } catch (cause) {
      throw new DirectoryError(
        DirectoryProblem.TlsFailed,
        `the LDAP CA file cannot be read (${codeOf(cause) ?? messageOf(cause)})`,
        { setting: `${prefix}.caFile`, cause },
      );
    }
  }
  const expected = config.tlsServerName ?? host;
  const options: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    // The certificate must name the server we meant (RFC 4513 §3.1.3), an IP address included;
    // Node would otherwise check a StartTLS upgrade against "localhost".
    checkServerIdentity: (_hostname: string, cert: PeerCertificate) => checkServerIdentity(expected, cert),
  };
  if (ca !== undefined) options.ca = ca;
  // RFC 6066 §3: SNI carries host names only, never an IP address.
  if (isIP(expected) === 0) options.servername = expected;
  return options;
}

/** Turns whatever an LDAP operation threw into a DirectoryError naming the setting at fault. */
export function classify(
  cause: unknown,
  prefix: string,
  context: OperationContext,
  host?: string,
): DirectoryError {
  if (cause instanceof DirectoryError) return cause;
  const at = (name: string): string => `${prefix}.${name}`;
  if (cause instanceof ResultCodeError) {
    const text = `${context.what}: ${resultText(cause)}`;
    switch (cause.code) {
      case 49:
      case 48:
        return new DirectoryError(
          DirectoryProblem.BindRefused,
          `${context.what} was refused: ${resultText(cause)}`,
          {
            setting: `${at('bindDn')} and ${at('passwordFile')}`,
            cause,
          },
        );
      case 8:
      case 13:
        return new DirectoryError(
          DirectoryProblem.TlsRequired,
          `${text}; the server wants a protected connection`,
          {
            setting: `${at('startTls')} or ${at('urls')} (ldaps://)`,
            cause,
          },
        );
      case 32:
        return new DirectoryError(
          DirectoryProblem.NoSuchObject,
          `${context.what}: no such entry on the server`,
          {
            setting: context.baseSetting ?? at('users.baseDn'),
            cause,
            detail: { resultCode: 32 },
          },
        );
      case 34:
        return new DirectoryError(DirectoryProblem.NoSuchObject, `${text}`, {
          setting: context.baseSetting ?? at('users.baseDn'),
          cause,
          detail: { resultCode: 34 },
        });
      case 50:
        return new DirectoryError(
          DirectoryProblem.AccessDenied,
          `${text}; the bind identity may not read this`,
          {
            setting: at('bindDn'),
            cause,
          },
        );
      case 4:
      case 11:
        return new DirectoryError(
          DirectoryProblem.TooManyEntries,
          `${text}; the server limits how many entries it returns`,
          {
            setting: at('pageSize'),
            cause,
          },
        );
      case 3:
        return new DirectoryError(DirectoryProblem.Timeout, text, {
          setting: at('operationTimeoutMs'),
          cause,
        });
      case 51:
      case 52:
        return new DirectoryError(DirectoryProblem.Unavailable, text, { setting: at('urls'), cause });
      default:
        return new DirectoryError(DirectoryProblem.LdapError, text, {
          cause,
          detail: { resultCode: cause.code },
        });
    }
  }
  const message = messageOf(cause);
  const code = codeOf(cause);
  if (isTlsError(cause)) {
    const nameProblem = code === 'ERR_TLS_CERT_ALTNAME_INVALID';
    return new DirectoryError(
      DirectoryProblem.TlsFailed,
      `${context.what}: the server's certificate was not accepted (${code ?? 'TLS'}: ${message})`,
      {
        setting: nameProblem ? `${at('tlsServerName')} or ${at('urls')}` : at('caFile'),
        cause,
        detail: host === undefined ? {} : { host },
      },
    );
  }
  if (/operation timed out/i.test(message))
    return new DirectoryError(DirectoryProblem.Timeout, `${context.what}: no answer in time`, {
      setting: at('operationTimeoutMs'),
      cause,
    });
  if (/connection timeout/i.test(message))
    return new DirectoryError(DirectoryProblem.Unreachable, `${context.what}: no connection in time`, {
      setting: `${at('urls')} (or ${at('connectTimeoutMs')})`,
      cause,
    });
  if (
    (code !== undefined && UNREACHABLE_CODES.has(code)) ||
    /connection (lost|closed)|socket error/i.test(message)
  )
    return new DirectoryError(
      context.opening === true ? DirectoryProblem.Unreachable : DirectoryProblem.Unavailable,
      `${context.what}: ${code ?? message}`,
      { setting: at('urls'), cause },
    );
  return new DirectoryError(DirectoryProblem.LdapError, `${context.what}: ${message}`, { cause });
}
