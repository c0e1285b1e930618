// The LDAP directory provider (docs/directory.md): users, licences and lines from Active Directory
// with the Lync / Skype for Business attributes, or from any LDAP server with the attribute names
// configured. Each load opens its own connection (connect, TLS, bind), reads the licence group,
// pages through the users, maps them (ldap-mapping.ts) and closes; DirectoryRefresher does the
// rest (periodic refresh, sanity check, alarms). Lookups for the desk face share one connection.
import { AndFilter, FilterParser, PresenceFilter, type Entry } from 'ldapts';
import type { NumberingRules } from '../numbering/index.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, DirectoryProblem } from './errors.js';
import { LDAP_SETTINGS_PATH, type LdapDirectoryConfig } from './ldap-config.js';
import { LdapLookup, PeopleIndex } from './ldap-lookup.js';
import { attributeValues, mapEntries, normalizeDn, rangedAttributes } from './ldap-mapping.js';
import { LdapSession } from './ldap-session.js';
import { DirectoryRefresher, RefreshedProvider, type DirectoryContent } from './refresher.js';
import type { DirectoryLookup, DirectoryProvider } from './provider.js';

export interface LdapDirectoryProviderOptions {
  readonly config: LdapDirectoryConfig;
  /** The gateway's numbering rules: line URIs become (dn, partition) exactly as for an INVITE. */
  readonly rules: NumberingRules;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the settings sit in the gateway's config, for messages (default `directory.ldap`). */
  readonly settingsPath?: string;
}

export class LdapDirectoryProvider extends RefreshedProvider implements DirectoryProvider {
  readonly kind = 'ldap' as const;
  readonly lookup: DirectoryLookup;
  protected readonly refresher: DirectoryRefresher;
  private readonly lookups: LdapLookup;
  private readonly config: LdapDirectoryConfig;
  private readonly prefix: string;
  private readonly log: Logger;
  /** Names for numbers of the snapshot in force. */
  private index: PeopleIndex | undefined;
  /** Set by a fetch, adopted when its snapshot is accepted (a refused load changes nothing). */
  private pendingIndex: PeopleIndex | undefined;

  constructor(private readonly options: LdapDirectoryProviderOptions) {
    super();
    this.config = options.config;
    this.prefix = options.settingsPath ?? LDAP_SETTINGS_PATH;
    const source = this.config.urls.join(' ');
    this.log = options.logger.child({ component: 'directory-ldap' });
    this.refresher = new DirectoryRefresher({
      kind: 'ldap',
      source,
      clock: options.clock,
      logger: options.logger,
      intervalMs: this.config.refresh.intervalSec * 1000,
      retryMs: this.config.refresh.retrySec * 1000,
      maxShrinkPercent: this.config.refresh.maxShrinkPercent,
      allowEmpty: this.config.refresh.allowEmpty,
      settings: {
        empty: `${this.prefix}.users.baseDn and ${this.prefix}.users.filter`,
        shrink: `${this.prefix}.refresh.maxShrinkPercent`,
      },
      fetch: () => this.fetch(),
    });
    this.lookups = new LdapLookup({
      config: this.config,
      prefix: this.prefix,
      clock: options.clock,
      logger: options.logger,
      index: () => this.index,
    });
    this.lookup = this.lookups;
    this.refresher.onSnapshot(() => {
      this.index = this.pendingIndex;
      this.pendingIndex = undefined;
      this.lookups.clearCache();
    });
  }

  start(): void {
    this.refresher.start();
  }

  async dispose(): Promise<void> {
    await Promise.all([this.refresher.dispose(), this.lookups.dispose()]);
  }

  // ------------------------------------------------------------------ one load

  private async fetch(): Promise<DirectoryContent> {
    const session = await LdapSession.open(this.config, this.prefix);
    try {
      const members = await this.readLicenceGroup(session);
      const a = this.config.attributes;
      const attributes = [a.userId, a.sipUri, a.lineUri, a.displayName, a.telephoneNumber, a.mobile];
      if (a.lineServer !== null) attributes.push(a.lineServer);
      if (a.optionFlags !== null) attributes.push(a.optionFlags);
      if (this.config.licence.membership === 'memberOf')
        attributes.push(this.config.licence.memberOfAttribute);
      // Our users are the configured people who have a line URI.
      const filter = new AndFilter({
        filters: [
          FilterParser.parseString(this.config.users.filter),
          new PresenceFilter({ attribute: a.lineUri }),
        ],
      });
      const entries: Entry[] = [];
      for await (const page of session.pages(
        this.config.users.baseDn,
        {
          scope: this.config.users.scope,
          filter,
          attributes,
          maxEntries: this.config.users.maxEntries,
          maxEntriesSetting: `${this.prefix}.users.maxEntries`,
        },
        {
          what: `searching ${this.config.users.baseDn} for users`,
          baseSetting: `${this.prefix}.users.baseDn`,
        },
      )) {
        for (const entry of page) entries.push(entry);
      }
      const mapped = mapEntries(entries, { config: this.config, rules: this.options.rules, ...members });
      this.pendingIndex = new PeopleIndex(mapped.people);
      return { users: mapped.users, devices: mapped.devices, findings: mapped.findings, source: session.url };
    } finally {
      await session.close();
    }
  }

  /** Checks the licence group exists; for `member` membership, reads its members. */
  private async readLicenceGroup(
    session: LdapSession,
  ): Promise<{ memberDns?: ReadonlySet<string>; memberIds?: ReadonlySet<string> }> {
    const licence = this.config.licence;
    const context = {
      what: `reading the licence group ${licence.groupDn}`,
      baseSetting: `${this.prefix}.licence.groupDn`,
    };
    const wanted = licence.membership === 'member' ? [licence.memberAttribute] : ['1.1'];
    const group = await session.read(licence.groupDn, wanted, context);
    if (group === undefined)
      throw new DirectoryError(
        DirectoryProblem.NoSuchObject,
        `${context.what}: no such entry on the server`,
        {
          setting: context.baseSetting,
        },
      );
    if (licence.membership !== 'member') return {};
    if (rangedAttributes(group, licence.memberAttribute).length > 0)
      // Active Directory returns at most MaxValRange (1,500) values of a large attribute per read,
      // as `member;range=0-1499`. Reading a partial list would silently unlicense the rest.
      throw new DirectoryError(
        DirectoryProblem.RangedMembers,
        `the licence group ${licence.groupDn} has more members than the server returns in one read`,
        { setting: `${this.prefix}.licence.membership (use memberOf)` },
      );
    const values = attributeValues(group, licence.memberAttribute);
    this.log.debug({ group: licence.groupDn, members: values.length }, 'licence group read');
    return licence.memberValue === 'dn'
      ? { memberDns: new Set(values.map(normalizeDn)) }
      : { memberIds: new Set(values.map((v) => v.toLowerCase())) };
  }
}
