// Settings of the LDAP directory provider (docs/directory.md §3), `directory.ldap` in the gateway's
// configuration (config.ts embeds the schema): zod schema with defaults for
// Active Directory with the Lync / Skype for Business schema extensions; every attribute name, the
// base DNs, the filters and the licence group can be changed, so a plain OpenLDAP works too.
// A bad value stops start-up with a message naming the field (`directory.ldap.users.filter: ...`).
import { FilterParser } from 'ldapts';
import { z } from 'zod';
import { DesklineError, ErrorCode } from '../util/errors.js';
import { err, ok, type Result } from '../util/result.js';

/** Where the gateway's config embeds these settings; prefixes every path in messages. */
export const LDAP_SETTINGS_PATH = 'directory.ldap';

/** RFC 4512 §2.5: an attribute description is a descr (letter, then letters, digits, hyphens)
 *  or a numeric OID. Options (`;binary`, `;range=`) are ours to add, never configured. */
const AttributeName = z
  .string()
  .min(1)
  .max(128)
  .regex(
    /^([A-Za-z][A-Za-z0-9-]*|[0-2](\.(0|[1-9][0-9]*))+)$/,
    'an LDAP attribute name: a letter, then letters, digits or "-" (or a numeric OID)',
  );

/** A DN as the server spells it; the server judges its syntax (a bad one names this field). */
const Dn = z
  .string()
  .min(1)
  .max(1024)
  // eslint-disable-next-line no-control-regex -- exactly the characters refused
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed in a DN');

/** RFC 4515 filter text, parsed once here so a typo stops start-up, not the first load. */
const LdapFilterText = z
  .string()
  .min(3)
  .max(4096)
  .superRefine((text, ctx) => {
    // RFC 4515 §3: filter = "(" filtercomp ")", and a parenthesis inside a value is escaped (\28,
    // \29). ldapts' parser forgives a missing ")", so the shape is checked here first.
    let depth = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      if (depth < 0 || (depth === 0 && i < text.length - 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `not an LDAP filter (RFC 4515): unbalanced parentheses at ${i + 1}`,
        });
        return;
      }
    }
    if (!text.startsWith('(') || depth !== 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          'not an LDAP filter (RFC 4515): it must be one parenthesised filter, such as (objectClass=user)',
      });
      return;
    }
    try {
      FilterParser.parseString(text);
    } catch (cause) {
      ctx.addIssue({
        code: 'custom',
        message: `not an LDAP filter (RFC 4515): ${cause instanceof Error ? cause.message : String(cause)}`,
      });
    }
  });

const LdapUrl = z
  .string()
  .max(512)
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected ldap://host[:port] or ldaps://host[:port]' });
      return;
    }
    if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:')
      ctx.addIssue({ code: 'custom', message: `scheme must be ldap: or ldaps:, not ${url.protocol}` });
    else if (url.hostname === '') ctx.addIssue({ code: 'custom', message: 'the URL names no host' });
    else if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '')
      ctx.addIssue({
        code: 'custom',
        message:
          'give the server only (ldaps://host:port): base DN, filter and credentials have their own settings',
      });
  });

/** Active Directory's default: people who are users and whose account is not disabled
 *  (userAccountControl bit 2, ACCOUNTDISABLE, tested with the bitwise-AND matching rule
 *  1.2.840.113556.1.4.803, which OpenLDAP implements too). */
export const AD_PEOPLE_FILTER =
  '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';

/** The remote-call-control bit of msRTCSIP-OptionFlags: 16 (bit position 4), "Remote call
 *  control Enabled [Telephony]" in Microsoft's schema reference (docs/directory.md §4). */
export const RCC_OPTION_FLAG = 16;

export const LdapDirectoryConfigSchema = z
  .strictObject({
    /** Servers in priority order; each load tries them in turn until one answers. */
    urls: z.array(LdapUrl).min(1).max(8),
    /** ldap:// URLs: upgrade with StartTLS (RFC 4513 §3) before binding. */
    startTls: z.boolean().default(true),
    /** ldap:// without StartTLS sends the bind password in clear: refused unless set. */
    allowPlaintext: z.boolean().default(false),
    /** PEM file of the CA(s) that sign the servers' certificates. Absent: Node's bundled public
     *  CAs (an Active Directory CA is usually private: set this). */
    caFile: z.string().min(1).optional(),
    /** The name the server certificate must carry, when it differs from the URL's host. */
    tlsServerName: z.string().min(1).max(255).optional(),
    /** Absent: anonymous (no bind). */
    bindDn: Dn.optional(),
    /** The bind password, in a file of its own (one line; a trailing newline is ignored).
     *  Read at every connection, so a rotated password needs no restart. Never logged. */
    passwordFile: z.string().min(1).optional(),
    connectTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
    /** Per LDAP operation (bind, one page of a search). */
    operationTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    /** Simple paged results (RFC 2696) page size; Active Directory's MaxPageSize is 1000. */
    pageSize: z.number().int().min(1).max(10_000).default(500),
    users: z.strictObject({
      baseDn: Dn,
      scope: z.enum(['sub', 'one']).default('sub'),
      /** Which entries are people. The provider adds "has a line URI" itself. */
      filter: LdapFilterText.default(AD_PEOPLE_FILTER),
      /** A load stops with an error beyond this many entries (a runaway filter). */
      maxEntries: z.number().int().min(1).max(1_000_000).default(200_000),
    }),
    attributes: z
      .strictObject({
        /** The user ID (Cisco: the CUCM user ID; the SIP user part matches it in `userPart` mode). */
        userId: AttributeName.default('sAMAccountName'),
        sipUri: AttributeName.default('msRTCSIP-PrimaryUserAddress'),
        lineUri: AttributeName.default('msRTCSIP-Line'),
        /** null: do not check the line server (every entry with a line URI is ours). */
        lineServer: AttributeName.nullable().default('msRTCSIP-LineServer'),
        /** null: do not check the remote-call-control bit (every line is controllable). */
        optionFlags: AttributeName.nullable().default('msRTCSIP-OptionFlags'),
        displayName: AttributeName.default('displayName'),
        telephoneNumber: AttributeName.default('telephoneNumber'),
        mobile: AttributeName.default('mobile'),
      })
      .prefault({}),
    /** This gateway, as msRTCSIP-LineServer names it: host names (any user part, any port:
     *  `gateway.example.com`) or SIP URIs (exactly that user and host: `sip:rcc@gateway.example.com`).
     *  Compared case-insensitively. Required unless attributes.lineServer is null. */
    lineServers: z.array(z.string().min(1).max(255)).max(32).default([]),
    remoteCallControl: z
      .strictObject({
        /** A user may control the line when msRTCSIP-OptionFlags has any of these bits. */
        optionFlagsMask: z.number().int().min(1).max(0x7fffffff).default(RCC_OPTION_FLAG),
      })
      .prefault({}),
    licence: z.strictObject({
      /** Members of this group hold the RCC licence. */
      groupDn: Dn,
      /** `memberOf`: read the user's memberOf (Active Directory; OpenLDAP's memberof overlay).
       *  `member`: read the group's member attribute (OpenLDAP groupOfNames, posixGroup). */
      membership: z.enum(['memberOf', 'member']).default('memberOf'),
      memberOfAttribute: AttributeName.default('memberOf'),
      memberAttribute: AttributeName.default('member'),
      /** What the group's member values hold: DNs (member, uniqueMember) or user IDs (memberUid). */
      memberValue: z.enum(['dn', 'userId']).default('dn'),
      /** The licence kind the group grants (Cisco IM and Presence: UCL or CUWL; both allow RCC). */
      grants: z.enum(['UCL', 'CUWL']).default('CUWL'),
    }),
    devices: z
      .strictObject({
        /** LDAP holds no devices: each user's line gets a device named prefix + user ID. */
        namePrefix: z
          .string()
          .max(16)
          .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
          .default('LDAP-'),
        model: z.string().min(1).max(64).default('Line from the directory'),
      })
      .prefault({}),
    refresh: z
      .strictObject({
        intervalSec: z.number().int().min(10).max(86_400).default(300),
        /** After a failed or refused load. */
        retrySec: z.number().int().min(1).max(3_600).default(30),
        /** Refuse a load with this share (percent) fewer users, licensed users or appearances
         *  than the last good one; 100 turns the check off. */
        maxShrinkPercent: z.number().min(0).max(100).default(20),
        allowEmpty: z.boolean().default(false),
      })
      .prefault({}),
    search: z
      .strictObject({
        /** Where the Dial screen looks people up (default: users.baseDn). */
        baseDn: Dn.optional(),
        /** Who is a person to look up (default: users.filter, without the line URI condition). */
        filter: LdapFilterText.optional(),
        /** Matched (substring, every word) by a name search. */
        nameAttributes: z.array(AttributeName).min(1).max(8).default(['displayName']),
        maxResults: z.number().int().min(1).max(200).default(25),
        minQueryLength: z.number().int().min(1).max(16).default(2),
        maxQueryLength: z.number().int().min(8).max(256).default(64),
        /** Lookups in flight at once; more are refused (busy). */
        maxConcurrent: z.number().int().min(1).max(256).default(8),
        /** Names for numbers are cached (found and not found) this long. */
        cacheTtlSec: z.number().int().min(0).max(86_400).default(300),
        cacheEntries: z.number().int().min(0).max(1_000_000).default(5_000),
        /** The lookup connection is closed after this long without a lookup. */
        idleCloseSec: z.number().int().min(1).max(3_600).default(60),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    const plainUrls = config.urls.filter((u) => u.startsWith('ldap:'));
    if (plainUrls.length > 0 && !config.startTls && !config.allowPlaintext)
      ctx.addIssue({
        code: 'custom',
        path: ['startTls'],
        message: `${plainUrls[0]} without StartTLS would send the bind password in clear: set startTls: true, use ldaps://, or set allowPlaintext: true for a test directory`,
      });
    if (config.bindDn !== undefined && config.passwordFile === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['passwordFile'],
        message: 'bindDn is set: give the password file too',
      });
    if (config.bindDn === undefined && config.passwordFile !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['bindDn'],
        message: 'passwordFile is set: give the DN to bind as too',
      });
    if (config.attributes.lineServer !== null && config.lineServers.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['lineServers'],
        message:
          'list this gateway as msRTCSIP-LineServer names it (a host such as gateway.example.com, or a SIP URI), or set attributes.lineServer: null to skip the check',
      });
    config.lineServers.forEach((entry, i) => {
      if (parseLineServer(entry) === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['lineServers', i],
          message: 'expected a host name (gateway.example.com) or a SIP URI (sip:user@gateway.example.com)',
        });
    });
  });

export type LdapDirectoryConfig = z.infer<typeof LdapDirectoryConfigSchema>;
export type LdapDirectoryConfigInput = z.input<typeof LdapDirectoryConfigSchema>;

function describeIssues(error: z.ZodError, prefix: string): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${prefix}${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates the settings; messages name each field under `prefix` (`directory.ldap` by default). */
export function parseLdapDirectoryConfig(
  input: unknown,
  prefix: string = LDAP_SETTINGS_PATH,
): Result<LdapDirectoryConfig> {
  const parsed = LdapDirectoryConfigSchema.safeParse(input ?? {});
  if (!parsed.success)
    return err(
      new DesklineError(
        ErrorCode.ConfigInvalid,
        `invalid configuration: ${describeIssues(parsed.error, prefix)}`,
      ),
    );
  return ok(parsed.data);
}

// ---------------------------------------------------------------- line server matching

export interface LineServerName {
  /** Lower-cased host (no port, no brackets for IPv6). */
  readonly host: string;
  /** Lower-cased user part; undefined = any user part. */
  readonly user: string | undefined;
}

/**
 * Reads `gateway.example.com`, `sip:gateway.example.com:5061`, `sip:rcc@gateway.example.com;transport=tls`
 * `rcc@gateway.example.com` or `<sip:…>`: the host and the user part (when written), both lower-cased.
 * Without a user part it means "any user part". Undefined when it is neither.
 */
export function parseLineServer(text: string): LineServerName | undefined {
  let value = text.trim();
  if (value.startsWith('<') && value.endsWith('>')) value = value.slice(1, -1).trim();
  const scheme = /^sips?:/i.exec(value);
  const isUri = scheme !== null;
  if (isUri) value = value.slice(scheme[0].length);
  for (const stop of [';', '?']) {
    const at = value.indexOf(stop);
    if (at >= 0) value = value.slice(0, at);
  }
  let user: string | undefined;
  const at = value.lastIndexOf('@');
  if (at >= 0) {
    user = value.slice(0, at).toLowerCase();
    value = value.slice(at + 1);
    if (user === '') return undefined;
  }
  let host = value;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) return undefined;
    host = host.slice(1, close);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      if (!/^:[0-9]{1,5}$/.test(host.slice(colon))) return undefined;
      host = host.slice(0, colon);
    }
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(host) || host.startsWith('.') || host.startsWith('-')) return undefined;
  return { host: host.toLowerCase().replace(/\.$/, ''), user };
}

/** True when `value` (an msRTCSIP-LineServer value) names one of `accepted`. */
export function lineServerMatches(value: string, accepted: readonly LineServerName[]): boolean {
  const named = parseLineServer(value);
  if (named === undefined) return false;
  return accepted.some((a) => a.host === named.host && (a.user === undefined || a.user === named.user));
}
