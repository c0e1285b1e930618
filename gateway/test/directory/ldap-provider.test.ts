// The LDAP directory provider against a real slapd (docs/directory.md §8): users found with the
// Active Directory defaults, licences by group (memberOf, member, memberUid), line ownership as the
// session core's Directory sees it, the line-server and remote-call-control checks, paging beyond
// the server's unpaged limit, periodic refresh picking up changes and removals, the sanity check
// refusing shrunk and empty results, names for numbers and people search (filter injection).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Directory } from '../../src/core/directory.js';
import {
  DirectoryAlarmKind,
  DirectoryProblem,
  DirectoryProviderState,
  LdapDirectoryProvider,
  isDirectoryError,
  parseLdapDirectoryConfig,
  type DirectorySnapshot,
  type DirectoryStatus,
  type LdapDirectoryConfig,
  type LdapDirectoryConfigInput,
} from '../../src/directory/index.js';
import { NumberingRules, lineKeyOf } from '../../src/numbering/index.js';
import { DEMO_NUMBERING_RULES } from '../../../simulator/src/index.js';
import { lineAppearanceViews } from '../../src/faces/desk/line-views.js';
import { FakeClock } from '../support/fake-clock.js';
import { isDesklineError, ErrorCode } from '../../src/util/errors.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { unwrap } from '../../src/util/result.js';
import {
  BASE_DN,
  GATEWAY_BIND_DN,
  LICENCE_GROUP_DN,
  PEOPLE_DN,
  POSIX_GROUP_DN,
  TestSlapd,
  UNPAGED_SIZE_LIMIT,
  userDn,
  type TestUser,
} from './slapd.js';

const GW = 'sip:rcc@gw.deskline.test';
const ALICE_LINE = 'tel:+14085551001;ext=1001';

const PEOPLE: TestUser[] = [
  {
    uid: 'alice',
    displayName: 'Alice Liddell',
    sipUri: 'sip:alice@deskline.test',
    lineUri: ALICE_LINE,
    lineServer: GW,
    optionFlags: 16 | 256,
    telephoneNumber: '+1 (408) 555-1001',
    mobile: '+1 650 555 2001',
    licensed: true,
  },
  {
    uid: 'bob',
    displayName: 'Bob Marley',
    sipUri: 'sip:bob@deskline.test',
    lineUri: 'tel:1002;phone-context=dialstring;partition=SALES',
    // Another user part and a port: the host names this gateway.
    lineServer: 'sip:gw.deskline.test:5061;transport=tls',
    optionFlags: 16,
    licensed: true,
  },
  {
    uid: 'carol',
    displayName: 'Carol Danvers',
    lineUri: 'tel:+14085551003;ext=1003',
    lineServer: GW,
    optionFlags: 16,
  },
  {
    uid: 'dave',
    displayName: 'Dave Bowman',
    lineUri: 'tel:+14085551004;ext=1004',
    lineServer: GW,
    optionFlags: 256,
    licensed: true,
  },
  {
    uid: 'erin',
    displayName: 'Erin Brockovich',
    lineUri: 'tel:+14085551005;ext=1005',
    lineServer: 'sip:rcc@other-gateway.example.com',
    optionFlags: 16,
    licensed: true,
  },
  {
    uid: 'frank',
    displayName: 'Frank Bullitt',
    lineUri: 'tel:+14085551006;ext=1006',
    optionFlags: 16,
    licensed: true,
  },
  {
    uid: 'grace',
    displayName: 'Grace Hopper',
    lineUri: 'tel:+14085551007;ext=1007',
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
    disabled: true,
  },
  // Shares Alice's line (a shared line): one line, an appearance on each user's device.
  {
    uid: 'heidi',
    displayName: 'Heidi Klum',
    lineUri: ALICE_LINE,
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
  },
  // No line: a colleague, found only by a lookup.
  {
    uid: 'ivan',
    displayName: 'Ivan Drago',
    telephoneNumber: '+44 20 7946 0123',
    mobile: '+44 7700 900123',
  },
  { uid: 'star', displayName: 'Star * Person (QA)' },
  {
    uid: 'judy',
    displayName: 'Judy Garland',
    lineUri: 'tel:not a number',
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
  },
  {
    uid: 'mallory',
    displayName: 'Mallory Mallet',
    sipUri: 'sip:Alice@Deskline.test',
    lineUri: 'tel:+14085551008;ext=1008',
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
  },
  // Lync "dual mode" (RemoteCallControlDualMode, 512) without the RCC bit 16.
  {
    uid: 'oscar',
    displayName: 'Oscar Wilde',
    lineUri: 'tel:+14085551009;ext=1009',
    lineServer: GW,
    optionFlags: 512 | 128,
    licensed: true,
  },
  // An E.164 line without ext: the number itself is the DN.
  {
    uid: 'peggy',
    displayName: 'Peggy Olson',
    lineUri: 'tel:+3222220220',
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
  },
];

const passThrough = unwrap(NumberingRules.compile({}));

let slapd: TestSlapd;
const providers: LdapDirectoryProvider[] = [];
const clocks: FakeClock[] = [];

beforeAll(async () => {
  slapd = await TestSlapd.start({ users: PEOPLE, extraOus: ['ou=bulk', 'ou=sanity', 'ou=refresh'] });
});

afterAll(async () => {
  await slapd?.dispose();
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.dispose()));
  // Nothing left behind: every refresh and idle timer is cleared by dispose().
  for (const clock of clocks.splice(0)) expect(clock.pendingTimers()).toBe(0);
});

function configOf(overrides: Partial<LdapDirectoryConfigInput> = {}): LdapDirectoryConfig {
  return unwrap(
    parseLdapDirectoryConfig({
      urls: [slapd.ldapUrl],
      caFile: slapd.caFile,
      bindDn: GATEWAY_BIND_DN,
      passwordFile: slapd.gatewayPasswordFile,
      users: { baseDn: PEOPLE_DN },
      licence: { groupDn: LICENCE_GROUP_DN },
      lineServers: ['gw.deskline.test'],
      ...overrides,
    }),
  );
}

function providerOf(
  overrides: Partial<LdapDirectoryConfigInput> = {},
  options: { rules?: NumberingRules; logger?: MemoryLogger } = {},
): { provider: LdapDirectoryProvider; clock: FakeClock; logger: MemoryLogger } {
  const clock = new FakeClock();
  const logger = options.logger ?? new MemoryLogger();
  const provider = new LdapDirectoryProvider({
    config: configOf(overrides),
    rules: options.rules ?? passThrough,
    clock,
    logger,
  });
  providers.push(provider);
  clocks.push(clock);
  return { provider, clock, logger };
}

async function loaded(provider: LdapDirectoryProvider): Promise<DirectorySnapshot> {
  const outcome = await provider.load();
  if (outcome.kind !== 'accepted')
    throw new Error(
      `load ${outcome.kind}: ${outcome.kind === 'failed' ? outcome.error.message : outcome.alarm.message}`,
    );
  return outcome.snapshot;
}

const userIds = (snapshot: DirectorySnapshot): string[] => snapshot.users.map((u) => u.id).sort();
const userOf = (snapshot: DirectorySnapshot, id: string) => {
  const user = snapshot.users.find((u) => u.id === id);
  if (user === undefined) throw new Error(`no user ${id}`);
  return user;
};
const deviceOf = (snapshot: DirectorySnapshot, id: string) => {
  const name = userOf(snapshot, id).controlledDevices[0];
  const device = snapshot.devices.find((d) => d.name === name);
  if (device === undefined) throw new Error(`no device for ${id}`);
  return device;
};

function waitForStatus(
  provider: LdapDirectoryProvider,
  test: (s: DirectoryStatus) => boolean,
): Promise<DirectoryStatus> {
  return new Promise((resolve) => {
    if (test(provider.status())) {
      resolve(provider.status());
      return;
    }
    const off = provider.onStatus((status) => {
      if (!test(status)) return;
      off();
      resolve(status);
    });
  });
}

const nextSnapshot = (provider: LdapDirectoryProvider): Promise<DirectorySnapshot> =>
  new Promise((resolve) => {
    const off = provider.onSnapshot((snapshot) => {
      off();
      resolve(snapshot);
    });
  });

describe('loading users with the Active Directory defaults', () => {
  it('finds the users whose line server names this gateway, with licence, line and RCC bit', async () => {
    const { provider, logger } = providerOf();
    const snapshot = await loaded(provider);
    // erin names another gateway, frank none, grace is disabled (userAccountControl), ivan and star
    // have no line, mallory reuses alice's SIP URI.
    expect(userIds(snapshot)).toEqual(['alice', 'bob', 'carol', 'dave', 'heidi', 'judy', 'oscar', 'peggy']);
    expect(userOf(snapshot, 'alice')).toEqual({
      id: 'alice',
      displayName: 'Alice Liddell',
      licence: 'CUWL',
      sipUri: 'sip:alice@deskline.test',
      controlledDevices: ['LDAP-alice'],
    });
    expect(deviceOf(snapshot, 'alice')).toEqual({
      name: 'LDAP-alice',
      model: 'Line from the directory',
      description: `Alice Liddell's line ${ALICE_LINE}`,
      ctiAllowed: true,
      lines: [{ index: 1, dn: '1001', partition: '', label: 'Alice Liddell', e164: '+14085551001' }],
    });
    expect(deviceOf(snapshot, 'bob').lines).toEqual([
      { index: 1, dn: '1002', partition: 'SALES', label: 'Bob Marley' },
    ]);
    expect(deviceOf(snapshot, 'peggy').lines[0]).toMatchObject({ dn: '+3222220220', e164: '+3222220220' });
    expect(snapshot.meta).toMatchObject({
      kind: 'ldap',
      source: slapd.ldapUrl,
      counts: { users: 8, licensedUsers: 7, devices: 7, lines: 6, appearances: 7, skipped: 3 },
    });
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Ready,
      alarms: [],
      consecutiveFailures: 0,
    });
    expect(logger.find('directory loaded')).toHaveLength(1);
  });

  it('explains every entry: why it is, or is not, a user of this gateway', async () => {
    const { provider } = providerOf();
    const { findings } = await loaded(provider);
    const failed = (id: string): string[] =>
      (findings.get(id)?.checks ?? []).filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
    expect(findings.get('alice')?.included).toBe(true);
    expect(failed('alice')).toEqual([]);
    expect(findings.get('erin')?.included).toBe(false);
    expect(failed('erin')).toEqual([
      'lineServer: msRTCSIP-LineServer "sip:rcc@other-gateway.example.com" names another gateway (this one is gw.deskline.test)',
    ]);
    expect(failed('frank')).toEqual([
      "lineServer: msRTCSIP-LineServer is not set: the user's remote call control goes to no gateway",
    ]);
    expect(failed('mallory')).toEqual([
      'sipUri: msRTCSIP-PrimaryUserAddress "sip:Alice@Deskline.test" is also held by user alice: a SIP identity must name one user',
    ]);
    expect(failed('carol')).toEqual([
      `licence: not a member of ${LICENCE_GROUP_DN}: no licence for remote call control`,
    ]);
    expect(failed('dave')).toEqual([
      'remoteCallControl: msRTCSIP-OptionFlags 256 lacks the remote call control bit (16): enable remote call control for this user',
    ]);
    expect(failed('judy')).toHaveLength(1);
    expect(failed('judy')[0]).toMatch(/^lineUri: msRTCSIP-Line "tel:not a number" does not name a line: /);
    // A disabled account is not even returned by the default filter.
    expect(findings.has('grace')).toBe(false);
  });

  it('a plain OpenLDAP: uid, inetOrgPerson, licence from a groupOfNames member list, no line server', async () => {
    const { provider } = providerOf({
      users: { baseDn: PEOPLE_DN, filter: '(objectClass=inetOrgPerson)' },
      attributes: { userId: 'uid', lineServer: null },
      licence: { groupDn: LICENCE_GROUP_DN, membership: 'member' },
      lineServers: [],
    });
    const snapshot = await loaded(provider);
    // Without the line-server check erin and frank are ours; grace too (no AD account flags here).
    expect(userIds(snapshot)).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
      'frank',
      'grace',
      'heidi',
      'judy',
      'oscar',
      'peggy',
    ]);
    expect(
      snapshot.users
        .filter((u) => u.licence !== null)
        .map((u) => u.id)
        .sort(),
    ).toEqual(['alice', 'bob', 'dave', 'erin', 'frank', 'grace', 'heidi', 'judy', 'oscar', 'peggy']);
  });

  it('licence from a posixGroup (memberUid holds user IDs), and the licence kind granted', async () => {
    const { provider } = providerOf({
      licence: {
        groupDn: POSIX_GROUP_DN,
        membership: 'member',
        memberAttribute: 'memberUid',
        memberValue: 'userId',
        grants: 'UCL',
      },
    });
    const snapshot = await loaded(provider);
    expect(userOf(snapshot, 'alice').licence).toBe('UCL');
    expect(userOf(snapshot, 'carol').licence).toBeNull();
  });

  it('licences follow group membership changes (memberOf kept by the server)', async () => {
    const { provider } = providerOf();
    expect(userOf(await loaded(provider), 'carol').licence).toBeNull();
    await slapd.setLicensed(['carol'], true);
    try {
      expect(userOf(await loaded(provider), 'carol').licence).toBe('CUWL');
    } finally {
      await slapd.setLicensed(['carol'], false);
    }
    expect(userOf(await loaded(provider), 'carol').licence).toBeNull();
  });

  it('the remote-call-control mask is configurable (dual mode 512 counted as RCC)', async () => {
    const { provider } = providerOf({ remoteCallControl: { optionFlagsMask: 16 | 512 } });
    const snapshot = await loaded(provider);
    expect(deviceOf(snapshot, 'oscar').ctiAllowed).toBe(true);
    expect(deviceOf(snapshot, 'dave').ctiAllowed).toBe(false);
    const { provider: unchecked } = providerOf({ attributes: { optionFlags: null } });
    expect(deviceOf(await loaded(unchecked), 'dave').ctiAllowed).toBe(true);
  });

  it('line servers match by host (any user part and port) or by exact SIP URI', async () => {
    const { provider } = providerOf({ lineServers: ['sip:rcc@gw.deskline.test'] });
    const snapshot = await loaded(provider);
    // bob's server URI has no "rcc" user part: not this gateway under the stricter rule.
    expect(userIds(snapshot)).not.toContain('bob');
    expect(userIds(snapshot)).toContain('alice');
    const { provider: both } = providerOf({ lineServers: ['gw.deskline.test', 'other-gateway.example.com'] });
    expect(userIds(await loaded(both))).toContain('erin');
  });
});

describe('line ownership as the session core sees it', () => {
  it('each user owns an appearance of their line; shared lines are shared; CTI control follows the RCC bit', async () => {
    const rules = unwrap(NumberingRules.compile(DEMO_NUMBERING_RULES));
    const { provider } = providerOf({}, { rules });
    const snapshot = await loaded(provider);
    const directory = new Directory(
      snapshot.users,
      snapshot.devices,
      snapshot.meta.loadedAt,
      snapshot.meta.source,
    );
    // The line URI of an INVITE goes through the same rules as the directory's line URI.
    const key = unwrap(lineKeyOf(ALICE_LINE, rules));
    expect(key).toMatchObject({ dn: '1001', partition: 'INTERNAL' });
    const line = directory.findLine(key.dn, key.partition);
    expect(line?.appearances.map((a) => a.device.name).sort()).toEqual(['LDAP-alice', 'LDAP-heidi']);

    const alice = directory.userBySipUri('sip:ALICE@deskline.test', 'sipUri');
    if (alice === undefined) throw new Error('alice not found by her SIP URI');
    const [aliceAppearance] = directory.appearancesOfUser(alice);
    expect(aliceAppearance?.line).toBe(line);
    expect(directory.userOwnsAppearance(alice, 'LDAP-alice/1001/INTERNAL')).toBe(true);
    expect(directory.userOwnsAppearance(alice, 'LDAP-heidi/1001/INTERNAL')).toBe(false);
    const bob = directory.userById('bob');
    if (bob === undefined) throw new Error('no bob');
    expect(directory.appearancesOfUser(bob).map((a) => a.id)).toEqual(['LDAP-bob/1002/SALES']);
    expect(directory.userOwnsAppearance(alice, 'LDAP-bob/1002/SALES')).toBe(false);
    // In the user-part mode, bob (no SIP URI match needed) is found by his user ID too.
    expect(directory.userBySipUri('sip:bob@elsewhere.test', 'userPart')?.id).toBe('bob');

    const dave = directory.userById('dave');
    if (dave === undefined) throw new Error('no dave');
    const views = lineAppearanceViews(directory, dave, () => 'tel:1004');
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ controllable: false, deviceName: 'LDAP-dave' });
    expect(lineAppearanceViews(directory, alice, () => ALICE_LINE)[0]).toMatchObject({
      shared: true,
      sharedWith: ['LDAP-heidi'],
      controllable: true,
    });
  });
});

describe('paging', () => {
  const BULK = `ou=bulk,${BASE_DN}`;
  const COUNT = UNPAGED_SIZE_LIMIT + 60;

  beforeAll(async () => {
    const users: TestUser[] = Array.from({ length: COUNT }, (_, i) => ({
      uid: `bulk${String(i).padStart(4, '0')}`,
      displayName: `Bulk User ${i}`,
      lineUri: `tel:+1650555${String(3000 + i)};ext=${3000 + i}`,
      lineServer: GW,
      optionFlags: 16,
      licensed: true,
      ou: BULK,
    }));
    await slapd.addUsers(users);
  });

  it('the server refuses the gateway more than its unpaged limit at once', async () => {
    const unpaged = await slapd.searchAsGateway(BULK, '(objectClass=user)');
    expect(unpaged.code).toBe(4); // sizeLimitExceeded (RFC 4511 §4.1.9)
  });

  it('loads every user in pages smaller than the limit', async () => {
    const { provider } = providerOf({ users: { baseDn: BULK }, pageSize: 25 });
    const snapshot = await loaded(provider);
    expect(snapshot.users).toHaveLength(COUNT);
    expect(snapshot.meta.counts.licensedUsers).toBe(COUNT);
    expect(new Set(snapshot.devices.map((d) => d.lines[0]?.dn)).size).toBe(COUNT);
  });

  it('stops at users.maxEntries with an error naming it', async () => {
    const { provider } = providerOf({ users: { baseDn: BULK, maxEntries: 120 }, pageSize: 25 });
    const outcome = await provider.load();
    expect(outcome.kind).toBe('failed');
    if (outcome.kind !== 'failed') return;
    expect(outcome.error.problem).toBe(DirectoryProblem.TooManyEntries);
    expect(outcome.error.setting).toBe('directory.ldap.users.maxEntries');
  });
});

describe('refresh', () => {
  const OU = `ou=refresh,${BASE_DN}`;
  const users: TestUser[] = ['rita', 'rob', 'rudy', 'ruth', 'ryan'].map((uid, i) => ({
    uid,
    displayName: `${uid} Refresh`,
    lineUri: `tel:+1408555${2000 + i};ext=${2000 + i}`,
    lineServer: GW,
    optionFlags: 16,
    licensed: true,
    ou: OU,
  }));

  beforeAll(async () => {
    await slapd.addUsers(users);
  });

  it('the periodic refresh picks up a change and a removed user', async () => {
    const { provider, clock } = providerOf({ users: { baseDn: OU }, refresh: { intervalSec: 60 } });
    const first = nextSnapshot(provider);
    provider.start();
    expect(userIds(await first)).toEqual(['rita', 'rob', 'rudy', 'ruth', 'ryan']);
    await waitForStatus(provider, (s) => s.nextRefreshAt !== undefined);
    expect(provider.status().nextRefreshAt).toBe(clock.now() + 60_000);

    await slapd.replace(userDn('rob', OU), 'msRTCSIP-Line', ['tel:+14085552999;ext=2999']);
    await slapd.replace(userDn('rob', OU), 'displayName', ['Robert Refresh']);
    await slapd.delete([userDn('ryan', OU)]);
    const second = nextSnapshot(provider);
    clock.advance(59_999);
    expect(provider.current()?.users).toHaveLength(5); // not yet due
    clock.advance(1);
    const refreshed = await second;
    expect(userIds(refreshed)).toEqual(['rita', 'rob', 'rudy', 'ruth']);
    expect(userOf(refreshed, 'rob').displayName).toBe('Robert Refresh');
    expect(deviceOf(refreshed, 'rob').lines[0]?.dn).toBe('2999');
    expect(provider.current()).toBe(refreshed);
  });
});

describe('sanity check', () => {
  const OU = `ou=sanity,${BASE_DN}`;
  const uids = Array.from({ length: 10 }, (_, i) => `san${i}`);

  beforeAll(async () => {
    await slapd.addUsers(
      uids.map((uid, i) => ({
        uid,
        displayName: `Sanity ${i}`,
        lineUri: `tel:+1408555${4000 + i};ext=${4000 + i}`,
        lineServer: GW,
        optionFlags: 16,
        licensed: true,
        ou: OU,
      })),
    );
  });

  it('refuses a sharply shrunk or empty result, keeps the last good one, raises an alarm until accepted', async () => {
    const { provider, logger } = providerOf({ users: { baseDn: OU } });
    const first = await loaded(provider);
    expect(first.users).toHaveLength(10);

    // 10% fewer: within the default 20%.
    await slapd.delete([userDn('san9', OU)]);
    expect((await loaded(provider)).users).toHaveLength(9);

    // 3 of 9 gone (33%): refused.
    await slapd.delete(['san6', 'san7', 'san8'].map((u) => userDn(u, OU)));
    const refused = await provider.load();
    expect(refused.kind).toBe('refused');
    if (refused.kind !== 'refused') return;
    expect(refused.alarm).toMatchObject({
      kind: DirectoryAlarmKind.ShrinkRefused,
      problem: DirectoryProblem.Shrunk,
      setting: 'directory.ldap.refresh.maxShrinkPercent',
    });
    expect(refused.alarm.message).toContain('from 9 to 6 users');
    expect(refused.snapshot?.users).toHaveLength(9);
    expect(provider.current()?.users).toHaveLength(9);
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Degraded,
      consecutiveFailures: 1,
    });
    expect(provider.status().alarms.map((a) => a.kind)).toEqual([DirectoryAlarmKind.ShrinkRefused]);
    expect(
      logger.records.filter((r) => r.level === 'warn' && r.message.startsWith('directory alarm:')),
    ).toHaveLength(1);

    // Still refused on the next try; the alarm keeps its first time.
    const raisedAt = provider.status().alarms[0]?.raisedAt;
    expect((await provider.load()).kind).toBe('refused');
    expect(provider.status().alarms[0]?.raisedAt).toBe(raisedAt);
    expect(provider.status().consecutiveFailures).toBe(2);

    // An operator accepts the change: the next load goes through and clears the alarm.
    provider.acceptNextLoad();
    expect((await loaded(provider)).users).toHaveLength(6);
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Ready,
      alarms: [],
      consecutiveFailures: 0,
    });
    expect(logger.find('directory alarm cleared: a load was accepted')).toHaveLength(1);

    // Licences vanishing (the group emptied by mistake) is a shrink too.
    const remaining = uids.slice(0, 6);
    await slapd.setLicensed(remaining, false, OU);
    const unlicensed = await provider.load();
    expect(unlicensed.kind).toBe('refused');
    if (unlicensed.kind === 'refused')
      expect(unlicensed.alarm.message).toContain('from 6 to 0 licensed users');

    // Nothing at all: refused as empty, naming where the users are searched.
    await slapd.delete(remaining.map((u) => userDn(u, OU)));
    const empty = await provider.load();
    expect(empty.kind).toBe('refused');
    if (empty.kind !== 'refused') return;
    expect(empty.alarm).toMatchObject({
      kind: DirectoryAlarmKind.EmptyRefused,
      problem: DirectoryProblem.Empty,
      setting: 'directory.ldap.users.baseDn and directory.ldap.users.filter',
    });
    expect(provider.current()?.users).toHaveLength(6);
  });

  it('a search that finds nobody on the first load: nothing loaded, failed state, alarm naming the settings', async () => {
    const { provider } = providerOf({ users: { baseDn: `ou=empty,${BASE_DN}` } });
    const outcome = await provider.load();
    expect(outcome).toMatchObject({ kind: 'refused', snapshot: undefined });
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Failed,
      current: undefined,
      lastError: { problem: DirectoryProblem.Empty },
    });
    expect(provider.status().alarms[0]?.message).toBe(
      'the directory source returned no user; nothing was loaded',
    );
    // allowEmpty: an empty directory is a valid answer.
    const { provider: lenient } = providerOf({
      users: { baseDn: `ou=empty,${BASE_DN}` },
      refresh: { allowEmpty: true },
    });
    expect((await loaded(lenient)).users).toEqual([]);
  });
});

describe('names for numbers and people search', () => {
  it('finds the name for a number, however the directory writes it, from the snapshot or by a search', async () => {
    const { provider } = providerOf();
    const lookup = provider.lookup!;
    // Before any load: the server is asked.
    expect((await lookup.nameForNumber('+14085551001'))?.displayName).toBe('Alice Liddell');
    await loaded(provider);
    expect((await lookup.nameForNumber('tel:+1-408-555-1001'))?.userId).toBe('alice');
    expect((await lookup.nameForNumber('4085551001'))?.userId).toBe('alice'); // national form
    expect((await lookup.nameForNumber('+16505552001'))?.userId).toBe('alice'); // mobile
    // Not an RCC user (no line): found by a search of the directory.
    const ivan = await lookup.nameForNumber('+442079460123');
    expect(ivan).toEqual({
      userId: 'ivan',
      displayName: 'Ivan Drago',
      numbers: [
        { kind: 'work', number: '+44 20 7946 0123' },
        { kind: 'mobile', number: '+44 7700 900123' },
      ],
      sipUri: undefined,
    });
    // An extension, as an internal caller presents it: the ext of a line URI.
    expect((await lookup.nameForNumber('1002'))?.userId).toBe('bob');
    expect((await lookup.nameForNumber('1003'))?.userId).toBe('carol');
    expect(await lookup.nameForNumber('+15555550000')).toBeUndefined();
    // Short numbers match exactly, never as the end of a longer one.
    expect(await lookup.nameForNumber('2001')).toBeUndefined();
    expect(await lookup.nameForNumber('not a number')).toBeUndefined();
  });

  it('searches by every word of a name, bounded, sorted', async () => {
    const { provider } = providerOf();
    const lookup = provider.lookup!;
    const names = async (q: string, limit?: number): Promise<string[]> =>
      (await lookup.searchPeople(q, limit)).people.map((p) => p.displayName);
    expect(await names('ali')).toEqual(['Alice Liddell']);
    expect(await names('  liddell   ALICE ')).toEqual(['Alice Liddell']);
    expect(await names('alice zzz')).toEqual([]);
    expect(await names('zzzzzz')).toEqual([]);
    // Grace is disabled: the people filter leaves her out of searches too.
    expect(await names('grace')).toEqual([]);
    const many = await lookup.searchPeople('a', 3).catch((e: unknown) => e);
    expect(isDesklineError(many, ErrorCode.InvalidArgument)).toBe(true);
    const bounded = await lookup.searchPeople('ar', 3);
    expect(bounded.people).toHaveLength(3);
    expect(bounded.truncated).toBe(true);
    expect(bounded.people.map((p) => p.displayName)).toEqual(
      [...bounded.people.map((p) => p.displayName)].sort((x, y) => x.localeCompare(y)),
    );
    // A number query searches the number attributes.
    expect(await names('7946 0123')).toEqual(['Ivan Drago']);
  });

  it('filter injection: query text is a value, never filter syntax', async () => {
    const { provider } = providerOf();
    const lookup = provider.lookup!;
    const names = async (q: string): Promise<string[]> =>
      (await lookup.searchPeople(q)).people.map((p) => p.displayName);
    // Each of these, pasted into a filter string, would widen the search to everyone.
    for (const attack of [
      '*)(uid=*',
      'x*)(|(objectClass=*',
      '*)(objectClass=*))(|(cn=*',
      '\\2a',
      ')(|(cn=*',
      '**',
    ]) {
      expect(await names(attack), attack).toEqual([]);
    }
    // "*" and parentheses are ordinary characters: they match only names that contain them.
    expect(await names('* person')).toEqual(['Star * Person (QA)']);
    expect(await names('(qa)')).toEqual(['Star * Person (QA)']);
    // Control characters are refused before anything is sent.
    for (const bad of ['ali\u0000ce', 'ali\u001bce']) {
      const error = await lookup.searchPeople(bad).catch((e: unknown) => e);
      expect(isDesklineError(error, ErrorCode.InvalidArgument), JSON.stringify(bad)).toBe(true);
    }
    const long = await lookup.searchPeople('x'.repeat(65)).catch((e: unknown) => e);
    expect(isDesklineError(long, ErrorCode.InvalidArgument)).toBe(true);
    // The number lookup too: a number with filter syntax around it is no number.
    expect(await lookup.nameForNumber('*)(uid=*')).toBeUndefined();
  });

  it('too many lookups at once are refused with an error naming the limit', async () => {
    const { provider } = providerOf({ search: { maxConcurrent: 2 } });
    const lookup = provider.lookup!;
    const results = await Promise.allSettled([
      lookup.searchPeople('alice'),
      lookup.searchPeople('bob'),
      lookup.searchPeople('carol'),
    ]);
    const refused = results
      .filter((r) => r.status === 'rejected')
      .map((r) => (r as PromiseRejectedResult).reason as unknown);
    expect(refused).toHaveLength(1);
    expect(isDirectoryError(refused[0], DirectoryProblem.Busy)).toBe(true);
    expect((refused[0] as Error).message).toContain('directory.ldap.search.maxConcurrent');
  });
});
