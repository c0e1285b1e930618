// SIP URI grammar (RFC 3261 §19.1, §25.1) with escaping, and RFC 5118 IPv6 references.
import { describe, expect, it } from 'vitest';
import { nextHopOf, parseSipUri, parseUri } from '../../src/sip/uri.js';

function sip(text: string) {
  const result = parseSipUri(text);
  if (!result.ok) throw result.error;
  return result.value;
}

describe('SIP URI', () => {
  it('parses user, password, host, port, parameters and headers', () => {
    const uri = sip(
      'sips:alice:secret@Example.COM:5061;transport=tls;lr;maddr=10.0.0.1?subject=hi&priority=urgent',
    );
    expect(uri).toMatchObject({
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: 'Example.COM',
      port: 5061,
    });
    expect(uri.params.get('transport')).toBe('tls');
    expect(uri.params.get('lr')).toBeNull();
    expect(uri.params.get('maddr')).toBe('10.0.0.1');
    expect(uri.headers).toEqual([
      ['subject', 'hi'],
      ['priority', 'urgent'],
    ]);
  });

  it('decodes escapes, and an escaped "sips:" in the user part does not make a sips URI (RFC 4475 esc01)', () => {
    const uri = sip('sip:sips%3Auser%40example.com@example.net');
    expect(uri.scheme).toBe('sip');
    expect(uri.user).toBe('sips:user@example.com');
    expect(uri.host).toBe('example.net');
  });

  it('escaped parameter names and values (esc01 Contact)', () => {
    const uri = sip('sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31');
    expect(uri.user).toBe('caller');
    expect(uri.params.get('lr')).toBeNull();
    expect(uri.params.get('name')).toBe('value%41');
  });

  it('keeps ";" in the user part (RFC 4475 semiuri)', () => {
    const uri = sip('sip:user;par=u%40example.net@example.com');
    expect(uri.user).toBe('user;par=u@example.net');
    expect(uri.host).toBe('example.com');
    expect(uri.params.size).toBe(0);
  });

  it('decodes %00 (RFC 4475 escnull)', () => {
    expect(sip('sip:null-%00-null@example.com').user).toBe('null-\u0000-null');
  });

  it('accepts the intmeth user and password characters', () => {
    const uri = sip(
      "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
    );
    expect(uri.user).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(uri.password).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  });

  it('IPv6 references (RFC 5118)', () => {
    expect(sip('sip:[2001:db8::10]:5070').host).toBe('[2001:db8::10]');
    expect(sip('sip:[2001:db8::10]:5070').port).toBe(5070);
    // §4.3: a legal address, no port
    expect(sip('sip:[2001:db8::10:5070]').port).toBeUndefined();
    expect(sip('sip:user@[::ffff:192.0.2.10]').host).toBe('[::ffff:192.0.2.10]');
    expect(sip('sip:user@[2001:db8::192.0.2.1]').host).toBe('[2001:db8::192.0.2.1]');
    expect(parseSipUri('sip:user@[2001:db8:::192.0.2.1]').ok).toBe(false); // §4.10 three colons
    expect(parseSipUri('sip:2001:db8::10').ok).toBe(false); // §4.2 no brackets
  });

  it.each([
    'sip:',
    'sip:@example.com',
    'sip:user@',
    'sip:user@exa mple.com',
    'sip:user@example.com:99999',
    'sip:user@example.com:',
    'sip:user@-bad.example.com',
    'sip:user@example.com;',
    'sip:user@example.com;=x',
    'sip:user@example.com;ttl=300',
    'sip:user@example.com?x',
    'sip:us%zzer@example.com',
    'sip:user@1.2.3.4.5',
    '<sip:user@example.com>',
  ])('refuses %s', (text) => {
    expect(parseUri(text).ok).toBe(false);
  });

  it('keeps other schemes as absoluteURI so the core can answer 416', () => {
    for (const text of [
      'nobodyKnowsThisScheme:totallyopaquecontent',
      'soap.beep://192.0.2.103:3002',
      'tel:+14085551234;ext=1234',
      'isbn:2983792873',
      'http://www.example.com',
    ]) {
      const result = parseUri(text);
      expect(result.ok && result.value.kind).toBe('absolute');
    }
    expect(parseUri('tel:73124;phone-context=dialstring;partition=BE_BRS_INT').ok).toBe(true);
  });

  it('derives the next hop (RFC 3261 §18.1.1; default ports §19.1.2)', () => {
    expect(nextHopOf(sip('sip:pbx.example.com'))).toEqual({
      ok: true,
      value: { transport: 'TCP', host: 'pbx.example.com', port: 5060 },
    });
    expect(nextHopOf(sip('sip:pbx.example.com;transport=tls'))).toEqual({
      ok: true,
      value: { transport: 'TLS', host: 'pbx.example.com', port: 5061 },
    });
    expect(nextHopOf(sip('sips:[2001:db8::1]:7000'))).toEqual({
      ok: true,
      value: { transport: 'TLS', host: '2001:db8::1', port: 7000 },
    });
    expect(nextHopOf(sip('sip:a@b.example.com;maddr=10.1.1.1'))).toEqual({
      ok: true,
      value: { transport: 'TCP', host: '10.1.1.1', port: 5060 },
    });
    expect(nextHopOf(sip('sip:a@b.example.com;transport=sctp')).ok).toBe(false);
  });
});
