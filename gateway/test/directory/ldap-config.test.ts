// The LDAP provider's settings (docs/directory.md §3): Active Directory defaults, and a bad value
// stops start-up with a message naming the field. Line-server matching and device naming rules.
import { describe, expect, it } from 'vitest';
import {
  AD_PEOPLE_FILTER,
  RCC_OPTION_FLAG,
  deviceNameFor,
  lineServerMatches,
  numbersMatch,
  parseLdapDirectoryConfig,
  parseLineServer,
  type LineServerName,
} from '../../src/directory/index.js';
import { validateDeviceName } from '../../src/numbering/index.js';
import { ErrorCode } from '../../src/util/errors.js';

const MINIMAL = {
  urls: ['ldaps://dc1.example.com'],
  caFile: '/etc/deskline/ad-ca.pem',
  bindDn: 'CN=Deskline,OU=Services,DC=example,DC=com',
  passwordFile: '/etc/deskline/ldap.pw',
  users: { baseDn: 'OU=People,DC=example,DC=com' },
  licence: { groupDn: 'CN=RCC Users,OU=Groups,DC=example,DC=com' },
  lineServers: ['gateway.example.com'],
};

function errorOf(input: unknown): string {
  const parsed = parseLdapDirectoryConfig(input);
  if (parsed.ok) throw new Error('expected the configuration to be refused');
  expect(parsed.error.code).toBe(ErrorCode.ConfigInvalid);
  return parsed.error.message;
}

describe('LDAP settings', () => {
  it('fills in the Active Directory defaults', () => {
    const parsed = parseLdapDirectoryConfig(MINIMAL);
    if (!parsed.ok) throw parsed.error;
    expect(parsed.value).toMatchObject({
      startTls: true,
      allowPlaintext: false,
      pageSize: 500,
      users: { scope: 'sub', filter: AD_PEOPLE_FILTER, maxEntries: 200_000 },
      attributes: {
        userId: 'sAMAccountName',
        sipUri: 'msRTCSIP-PrimaryUserAddress',
        lineUri: 'msRTCSIP-Line',
        lineServer: 'msRTCSIP-LineServer',
        optionFlags: 'msRTCSIP-OptionFlags',
        displayName: 'displayName',
        telephoneNumber: 'telephoneNumber',
        mobile: 'mobile',
      },
      remoteCallControl: { optionFlagsMask: 16 },
      licence: {
        membership: 'memberOf',
        memberOfAttribute: 'memberOf',
        memberAttribute: 'member',
        memberValue: 'dn',
        grants: 'CUWL',
      },
      devices: { namePrefix: 'LDAP-' },
      refresh: { intervalSec: 300, retrySec: 30, maxShrinkPercent: 20, allowEmpty: false },
      search: { nameAttributes: ['displayName'], maxResults: 25, minQueryLength: 2, maxConcurrent: 8 },
    });
    expect(RCC_OPTION_FLAG).toBe(16);
  });

  it('names the field of every mistake', () => {
    expect(errorOf({ ...MINIMAL, urls: [] })).toContain('directory.ldap.urls: ');
    expect(errorOf({ ...MINIMAL, urls: ['http://dc1'] })).toContain(
      'directory.ldap.urls[0]: scheme must be ldap: or ldaps:',
    );
    expect(errorOf({ ...MINIMAL, urls: ['ldaps://dc1/dc=example,dc=com'] })).toContain(
      'directory.ldap.urls[0]: give the server only',
    );
    expect(errorOf({ ...MINIMAL, users: { baseDn: 'OU=People', filter: '(&(objectClass=user)' } })).toMatch(
      /directory\.ldap\.users\.filter: not an LDAP filter/,
    );
    expect(errorOf({ ...MINIMAL, attributes: { lineUri: 'msRTCSIP Line' } })).toContain(
      'directory.ldap.attributes.lineUri: an LDAP attribute name',
    );
    expect(errorOf({ ...MINIMAL, licence: {} })).toContain('directory.ldap.licence.groupDn');
    expect(errorOf({ ...MINIMAL, passwordFile: undefined })).toContain(
      'directory.ldap.passwordFile: bindDn is set',
    );
    expect(errorOf({ ...MINIMAL, lineServers: [] })).toContain(
      'directory.ldap.lineServers: list this gateway',
    );
    expect(errorOf({ ...MINIMAL, lineServers: ['sip:a@b@c d'] })).toContain(
      'directory.ldap.lineServers[0]: expected a host name',
    );
    expect(errorOf({ ...MINIMAL, urls: ['ldap://dc1'], startTls: false })).toContain(
      'directory.ldap.startTls: ldap://dc1 without StartTLS',
    );
    expect(errorOf({ ...MINIMAL, refresh: { maxShrinkPercent: 120 } })).toContain(
      'directory.ldap.refresh.maxShrinkPercent',
    );
    expect(errorOf({ ...MINIMAL, users: { baseDn: 'OU=a\u0000b' } })).toContain(
      'directory.ldap.users.baseDn: control characters',
    );
    expect(errorOf({ ...MINIMAL, surprise: true })).toContain('directory.ldap: ');
    // Another embedding path for the messages.
    const other = parseLdapDirectoryConfig({ ...MINIMAL, urls: [] }, 'ldap');
    expect(other.ok ? '' : other.error.message).toContain('ldap.urls: ');
  });

  it('a plain OpenLDAP needs no msRTCSIP attribute but the line URI', () => {
    const parsed = parseLdapDirectoryConfig({
      ...MINIMAL,
      lineServers: [],
      users: { baseDn: 'ou=people,dc=example,dc=org', filter: '(objectClass=inetOrgPerson)' },
      attributes: { userId: 'uid', lineUri: 'telephoneNumber', lineServer: null, optionFlags: null },
      licence: { groupDn: 'cn=rcc,ou=groups,dc=example,dc=org', membership: 'member' },
    });
    expect(parsed.ok).toBe(true);
  });
});

describe('line servers', () => {
  const accepted = (...names: string[]): LineServerName[] =>
    names.map((n) => {
      const parsed = parseLineServer(n);
      if (parsed === undefined) throw new Error(n);
      return parsed;
    });

  it('reads host names and SIP URIs', () => {
    expect(parseLineServer('Gateway.Example.COM.')).toEqual({ host: 'gateway.example.com', user: undefined });
    expect(parseLineServer('sip:RCC@gateway.example.com:5061;transport=tls')).toEqual({
      host: 'gateway.example.com',
      user: 'rcc',
    });
    expect(parseLineServer('<sips:73124@[2001:db8::1]:5061>')).toEqual({
      host: '2001:db8::1',
      user: '73124',
    });
    expect(parseLineServer('rcc@gateway.example.com')).toEqual({ host: 'gateway.example.com', user: 'rcc' });
    expect(parseLineServer('sip:@gateway.example.com')).toBeUndefined();
    expect(parseLineServer('gateway.example.com:port')).toBeUndefined();
    expect(parseLineServer('gate way')).toBeUndefined();
  });

  it('a host matches any user part and port; a URI only its own user part', () => {
    const hostOnly = accepted('gateway.example.com');
    expect(lineServerMatches('sip:73124@gateway.example.com', hostOnly)).toBe(true);
    expect(lineServerMatches('sip:GATEWAY.example.com:5061;transport=tls', hostOnly)).toBe(true);
    expect(lineServerMatches('sip:73124@gateway.example.com.evil.test', hostOnly)).toBe(false);
    expect(lineServerMatches('sip:73124@other.example.com', hostOnly)).toBe(false);
    const uri = accepted('sip:rcc@gateway.example.com');
    expect(lineServerMatches('sip:RCC@gateway.example.com', uri)).toBe(true);
    expect(lineServerMatches('sip:other@gateway.example.com', uri)).toBe(false);
    expect(lineServerMatches('sip:gateway.example.com', uri)).toBe(false);
    expect(lineServerMatches('not a uri at all', hostOnly)).toBe(false);
  });
});

describe('synthetic device names', () => {
  it('prefix + user ID when valid, else cleaned with a hash: always a valid, distinct device name', () => {
    expect(deviceNameFor('alice', 'LDAP-')).toBe('LDAP-alice');
    const spaced = deviceNameFor('a b', 'LDAP-');
    const underscored = deviceNameFor('a_b', 'LDAP-');
    expect(underscored).toBe('LDAP-a_b');
    expect(spaced).toMatch(/^LDAP-a_b-[0-9a-f]{10}$/);
    const long = deviceNameFor('x'.repeat(100), 'LDAP-');
    for (const name of [spaced, long, deviceNameFor("o'brien/é", 'LDAP-')])
      expect(validateDeviceName(name).ok).toBe(true);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(deviceNameFor('x'.repeat(100), 'LDAP-')).not.toBe(deviceNameFor('x'.repeat(101), 'LDAP-'));
  });
});

describe('number matching', () => {
  it('equal digits, or a number of 7 digits or more ending a longer one', () => {
    expect(numbersMatch('14085551001', '14085551001')).toBe(true);
    expect(numbersMatch('4085551001', '14085551001')).toBe(true);
    expect(numbersMatch('5551001', '14085551001')).toBe(true);
    expect(numbersMatch('1001', '14085551001')).toBe(false);
    expect(numbersMatch('4085551002', '14085551001')).toBe(false);
  });
});
