// The LDAP provider when things go wrong, against a real slapd (docs/directory.md §6): TLS with the
// right and the wrong CA (StartTLS and LDAPS), a certificate for another name, bad credentials,
// unreadable or empty password files, a base DN or group that does not exist, an address where
// nothing listens, failover to the next URL, and a server that goes away and comes back. Every
// refusal names the setting to check; the bind password never appears in an error or a log.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DirectoryAlarmKind,
  DirectoryProblem,
  DirectoryProviderState,
  LdapDirectoryProvider,
  isDirectoryError,
  parseLdapDirectoryConfig,
  type DirectoryError,
  type LdapDirectoryConfigInput,
  type RefreshOutcome,
} from '../../src/directory/index.js';
import { NumberingRules } from '../../src/numbering/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { unwrap } from '../../src/util/result.js';
import { freePort } from '../cluster/processes.js';
import { GATEWAY_BIND_DN, LICENCE_GROUP_DN, PEOPLE_DN, TestSlapd, type TestUser } from './slapd.js';

const USERS: TestUser[] = ['ann', 'ben', 'cat'].map((uid, i) => ({
  uid,
  displayName: `${uid.toUpperCase()} Tester`,
  lineUri: `tel:+1408555${5000 + i};ext=${5000 + i}`,
  lineServer: 'sip:rcc@gw.deskline.test',
  optionFlags: 16,
  licensed: true,
  telephoneNumber: `+1 408 555 ${5000 + i}`,
}));

const rules = unwrap(NumberingRules.compile({}));
let slapd: TestSlapd;
let gatewayPassword: string;
const providers: LdapDirectoryProvider[] = [];
const clocks: FakeClock[] = [];

beforeAll(async () => {
  slapd = await TestSlapd.start({ users: USERS });
  gatewayPassword = (await readFile(slapd.gatewayPasswordFile, 'utf8')).trim();
});

afterAll(async () => {
  await slapd?.dispose();
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.dispose()));
  for (const clock of clocks.splice(0)) expect(clock.pendingTimers()).toBe(0);
  if (!slapd.running) await slapd.restart();
});

function providerOf(overrides: Partial<LdapDirectoryConfigInput> = {}): {
  provider: LdapDirectoryProvider;
  clock: FakeClock;
  logger: MemoryLogger;
} {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const config = unwrap(
    parseLdapDirectoryConfig({
      urls: [slapd.ldapUrl],
      caFile: slapd.caFile,
      bindDn: GATEWAY_BIND_DN,
      passwordFile: slapd.gatewayPasswordFile,
      users: { baseDn: PEOPLE_DN },
      licence: { groupDn: LICENCE_GROUP_DN },
      lineServers: ['gw.deskline.test'],
      connectTimeoutMs: 2_000,
      operationTimeoutMs: 5_000,
      ...overrides,
    }),
  );
  const provider = new LdapDirectoryProvider({ config, rules, clock, logger });
  providers.push(provider);
  clocks.push(clock);
  return { provider, clock, logger };
}

function failure(outcome: RefreshOutcome): DirectoryError {
  if (outcome.kind !== 'failed')
    throw new Error(
      `expected a failed load, got ${outcome.kind}${outcome.kind === 'refused' ? `: ${outcome.alarm.message}` : ''}`,
    );
  return outcome.error;
}

async function closedPort(): Promise<number> {
  return freePort(); // released at once: nothing listens there
}

describe('TLS', () => {
  it('StartTLS with the CA that signed the server: loads', async () => {
    const { provider } = providerOf();
    expect((await provider.load()).kind).toBe('accepted');
  });

  it('StartTLS with a wrong CA is refused, naming caFile', async () => {
    const { provider } = providerOf({ caFile: slapd.wrongCaFile });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.TlsFailed);
    expect(error.setting).toBe('directory.ldap.caFile');
    expect(error.message).toMatch(/certificate was not accepted/);
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Failed,
      alarms: [{ kind: DirectoryAlarmKind.Unavailable, problem: DirectoryProblem.TlsFailed }],
    });
  });

  it("without caFile Node's public CAs do not vouch for a private CA: refused", async () => {
    const { provider } = providerOf({ caFile: undefined });
    expect(failure(await provider.load()).problem).toBe(DirectoryProblem.TlsFailed);
  });

  it('LDAPS with the right CA loads; with a wrong CA it is refused', async () => {
    const { provider } = providerOf({ urls: [slapd.ldapsUrl] });
    const outcome = await provider.load();
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind === 'accepted') expect(outcome.snapshot.meta.source).toBe(slapd.ldapsUrl);
    const { provider: wrong } = providerOf({ urls: [slapd.ldapsUrl], caFile: slapd.wrongCaFile });
    const error = failure(await wrong.load());
    expect(error.problem).toBe(DirectoryProblem.TlsFailed);
    expect(error.setting).toBe('directory.ldap.caFile');
  });

  it('a certificate for another name is refused, naming tlsServerName', async () => {
    const { provider } = providerOf({ tlsServerName: 'other.deskline.test' });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.TlsFailed);
    expect(error.setting).toBe('directory.ldap.tlsServerName or directory.ldap.urls');
    // The name the certificate does carry is accepted.
    const { provider: right } = providerOf({ tlsServerName: 'ldap.deskline.test' });
    expect((await right.load()).kind).toBe('accepted');
  });

  it('plaintext only when allowed explicitly', async () => {
    const refused = parseLdapDirectoryConfig({
      urls: [slapd.ldapUrl],
      startTls: false,
      users: { baseDn: PEOPLE_DN },
      licence: { groupDn: LICENCE_GROUP_DN },
      lineServers: ['gw.deskline.test'],
    });
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.message).toContain('directory.ldap.startTls:');
    const { provider } = providerOf({ startTls: false, allowPlaintext: true });
    expect((await provider.load()).kind).toBe('accepted');
  });
});

describe('refusals name the setting', () => {
  it('a wrong password: bind refused, the password in no message and no log', async () => {
    const wrong = join(slapd.dir, 'wrong.pw');
    const secret = `not-${gatewayPassword}`;
    await writeFile(wrong, secret);
    const { provider, logger } = providerOf({ passwordFile: wrong });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.BindRefused);
    expect(error.setting).toBe('directory.ldap.bindDn and directory.ldap.passwordFile');
    expect(error.message).toContain('resultCode 49 (invalidCredentials)');
    const everything = JSON.stringify({
      error: error.toJSON(),
      status: provider.status(),
      logs: logger.records,
    });
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(gatewayPassword);
    expect(everything).toContain('directory alarm');
  });

  it('a bind DN that does not exist: bind refused', async () => {
    const { provider } = providerOf({ bindDn: `cn=nobody,${PEOPLE_DN}` });
    expect(failure(await provider.load()).problem).toBe(DirectoryProblem.BindRefused);
  });

  it('a missing or empty password file', async () => {
    const { provider } = providerOf({ passwordFile: join(slapd.dir, 'no-such.pw') });
    const missing = failure(await provider.load());
    expect(missing.problem).toBe(DirectoryProblem.PasswordFile);
    expect(missing.message).toContain('ENOENT');
    expect(missing.setting).toBe('directory.ldap.passwordFile');
    const empty = join(slapd.dir, 'empty.pw');
    await writeFile(empty, '\n');
    const { provider: blank } = providerOf({ passwordFile: empty });
    const error = failure(await blank.load());
    expect(error.problem).toBe(DirectoryProblem.PasswordFile);
    expect(error.message).toContain('is empty');
  });

  it('a base DN that does not exist', async () => {
    const { provider } = providerOf({ users: { baseDn: `ou=nowhere,${PEOPLE_DN}` } });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.NoSuchObject);
    expect(error.setting).toBe('directory.ldap.users.baseDn');
  });

  it('a licence group that does not exist', async () => {
    const { provider } = providerOf({ licence: { groupDn: `cn=nope,${PEOPLE_DN}` } });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.NoSuchObject);
    expect(error.setting).toBe('directory.ldap.licence.groupDn');
  });

  it('nothing listens at the URL: unreachable, naming urls', async () => {
    const port = await closedPort();
    const { provider } = providerOf({ urls: [`ldap://127.0.0.1:${port}`] });
    const error = failure(await provider.load());
    expect(error.problem).toBe(DirectoryProblem.Unreachable);
    expect(error.setting).toBe('directory.ldap.urls');
    expect(error.message).toContain('ECONNREFUSED');
    // Several URLs: each one's reason, the setting once.
    const other = await closedPort();
    const { provider: two } = providerOf({
      urls: [`ldap://127.0.0.1:${port}`, `ldaps://127.0.0.1:${other}`],
    });
    const both = failure(await two.load());
    expect(both.problem).toBe(DirectoryProblem.Unreachable);
    expect(both.message).toMatch(
      new RegExp(
        `^no LDAP server answered: ldap://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED; ldaps://127\\.0\\.0\\.1:${other}: .*ECONNREFUSED \\(check directory\\.ldap\\.urls\\)$`,
      ),
    );
  });

  it('fails over to the next URL', async () => {
    const port = await closedPort();
    const { provider } = providerOf({ urls: [`ldaps://127.0.0.1:${port}`, slapd.ldapUrl] });
    const outcome = await provider.load();
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind === 'accepted') expect(outcome.snapshot.meta.source).toBe(slapd.ldapUrl);
  });
});

describe('a server that goes away and comes back', () => {
  it('keeps the last good directory, raises an alarm, retries, recovers', async () => {
    const { provider, clock, logger } = providerOf({ refresh: { intervalSec: 300, retrySec: 10 } });
    const loaded = new Promise<void>((resolve) => {
      const off = provider.onSnapshot(() => {
        off();
        resolve();
      });
    });
    provider.start();
    await loaded;
    const good = provider.current();
    expect(good?.users).toHaveLength(3);
    const lookup = provider.lookup;
    if (lookup === undefined) throw new Error('no lookup');
    expect((await lookup.searchPeople('tester')).people).toHaveLength(3);

    await slapd.kill();
    // The refresh at the interval fails: last good kept, alarm raised, retry sooner.
    const degraded = new Promise<void>((resolve) => {
      const off = provider.onStatus((s) => {
        if (s.state !== DirectoryProviderState.Degraded || s.nextRefreshAt === undefined) return;
        off();
        resolve();
      });
    });
    clock.advance(300_000);
    await degraded;
    const status = provider.status();
    expect(status.alarms).toEqual([
      expect.objectContaining({
        kind: DirectoryAlarmKind.Unavailable,
        problem: DirectoryProblem.Unreachable,
        setting: 'directory.ldap.urls',
      }),
    ]);
    expect(status.alarms[0]?.message).toMatch(
      /^the directory could not be refreshed, keeping the last good one: /,
    );
    expect(status.nextRefreshAt).toBe(clock.now() + 10_000);
    expect(provider.current()).toBe(good);
    expect(logger.records.some((r) => r.level === 'warn' && r.message.startsWith('directory alarm:'))).toBe(
      true,
    );
    // Lookups fail with a clear error while it is away (the index still names known numbers).
    const searchError = await lookup.searchPeople('tester').catch((e: unknown) => e);
    expect(isDirectoryError(searchError)).toBe(true);
    expect((await lookup.nameForNumber('+14085555000'))?.userId).toBe('ann');

    await slapd.restart();
    const recovered = new Promise<void>((resolve) => {
      const off = provider.onSnapshot(() => {
        off();
        resolve();
      });
    });
    clock.advance(10_000);
    await recovered;
    expect(provider.status()).toMatchObject({
      state: DirectoryProviderState.Ready,
      alarms: [],
      consecutiveFailures: 0,
    });
    expect(logger.find('directory alarm cleared: a load was accepted')).toHaveLength(1);
    // The lookup connection is opened anew.
    expect((await lookup.searchPeople('tester')).people).toHaveLength(3);
  });

  it('a lookup connection that died while idle is replaced without an error', async () => {
    const { provider } = providerOf();
    const lookup = provider.lookup;
    if (lookup === undefined) throw new Error('no lookup');
    expect((await lookup.searchPeople('ann')).people).toHaveLength(1);
    await slapd.stop();
    await slapd.restart();
    expect((await lookup.searchPeople('ann')).people).toHaveLength(1);
  });

  it('a server that stops answering: the operation times out, naming operationTimeoutMs', async () => {
    const { provider } = providerOf({ operationTimeoutMs: 500 });
    await slapd.freeze();
    try {
      const error = failure(await provider.load());
      expect(error.problem, error.message).toBe(DirectoryProblem.Timeout);
      expect(error.setting).toBe('directory.ldap.operationTimeoutMs');
    } finally {
      slapd.thaw();
    }
    expect((await provider.load()).kind).toBe('accepted');
  });

  it('disposing during a load waits for it and leaves nothing running', async () => {
    const { provider } = providerOf();
    const load = provider.load();
    await provider.dispose();
    expect(['accepted', 'failed']).toContain((await load).kind);
    expect(provider.status().state).toBe(DirectoryProviderState.Disposed);
    const after = await provider.load();
    expect(after.kind).toBe('failed');
    if (after.kind === 'failed') expect(after.error.problem).toBe(DirectoryProblem.Disposed);
  });
});

/** Polls a condition on the event loop (a socket closes a few turns after destroy()); bounded. */
async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('resources', () => {
  const sockets = (): number =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;

  it('a disposed provider leaves no socket and no timer behind', async () => {
    const before = sockets();
    const { provider, clock } = providerOf();
    provider.start();
    await new Promise<void>((resolve) => {
      const off = provider.onSnapshot(() => {
        off();
        resolve();
      });
    });
    const lookup = provider.lookup;
    if (lookup === undefined) throw new Error('no lookup');
    await lookup.searchPeople('tester');
    await lookup.nameForNumber('+15555550199');
    expect(sockets()).toBeGreaterThan(before); // the lookup connection stays open between lookups
    // ... until idle for search.idleCloseSec.
    clock.advance(59_000);
    expect(sockets()).toBeGreaterThan(before);
    clock.advance(1_000);
    await until(() => sockets() === before);
    await lookup.searchPeople('tester'); // opened again on demand
    expect(sockets()).toBeGreaterThan(before);
    await provider.dispose();
    await until(() => sockets() === before);
    expect(clock.pendingTimers()).toBe(0);
  });
});
