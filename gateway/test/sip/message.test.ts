// Message model, header grammar, parser and serializer: the torture vectors at the parser
// level (what each valid one means, why each invalid one is refused), the Microsoft RCC samples,
// and round trips with Content-Length counted in bytes.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNameAddrList, parseSingleNameAddr } from '../../src/sip/headers/name-addr.js';
import {
  acceptsMediaType,
  parseAccept,
  parseCSeq,
  parseSessionExpires,
  type MediaType,
} from '../../src/sip/headers/simple.js';
import { parseViaList, type Via } from '../../src/sip/headers/via.js';
import { SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseDatagram, parseMessage, validateRequest, validateResponse } from '../../src/sip/parser.js';
import { buildResponse, serializeMessage, serializeRequest } from '../../src/sip/serializer.js';
import { MS_RCC_DIR, TORTURE_VECTORS, msRccMessage, vectorBytes } from './vectors.js';

function request(bytes: Buffer): SipRequest {
  const result = parseDatagram(bytes);
  if (!result.ok) throw result.error;
  if (!(result.value instanceof SipRequest)) throw new Error('not a request');
  return result.value;
}

function must<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) throw result.error;
  return result.value;
}

describe('headers', () => {
  it('Via: folding, LWS around separators, several values, IPv6 and received (RFC 3261 §20.42, RFC 5118 §4.5)', () => {
    const vias: Via[] = [];
    parseViaList(
      'SIP  / 2.0  / TCP     spindle.example.com   ;   branch  =   z9hG4bK9ikj8  ,  SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239',
      vias,
    );
    expect(vias.map((v) => [v.transport, v.host, v.branch])).toEqual([
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    const six: Via[] = [];
    parseViaList(
      'SIP/2.0/UDP [2001:db8::9:1]:6050;received=2001:db8::9:255;branch=z9hG4bKas3;rport=5061',
      six,
    );
    expect(six[0]).toMatchObject({
      host: '[2001:db8::9:1]',
      port: 6050,
      received: '2001:db8::9:255',
      rport: 5061,
      sentBy: '[2001:db8::9:1]:6050',
    });
    const bracketed: Via[] = [];
    parseViaList('SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3;rport', bracketed);
    expect(bracketed[0]).toMatchObject({ received: '[2001:db8::9:255]', rport: true });
    for (const bad of [
      'SIP/2.0/UDP 192.0.2.15;;,;,,',
      'SIP/2.0 host',
      'SIP/2.0/UDP',
      'SIP/2.0/UDP host;received=example.com',
      'SIP/2.0/UDP host;branch',
    ]) {
      expect(() => parseViaList(bad, [])).toThrow();
    }
  });

  it('From/To/Contact: name-addr and addr-spec forms (RFC 3261 §20.10)', () => {
    const quoted = parseSingleNameAddr(
      '"J Rosenberg \\\\\\""       <sip:jdrosen@example.com>   ;   tag = 98asjd8',
    );
    expect(quoted.displayName).toBe('J Rosenberg \\"');
    expect(quoted.params.get('tag')).toBe('98asjd8');
    const tokens = parseSingleNameAddr(
      "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-.",
    );
    expect(tokens.displayName).toBe("token1~` token2'+_ token3*%!.-");
    expect(parseSingleNameAddr('caller<sip:caller@example.com>;tag=323').displayName).toBe('caller'); // lwsdisp
    // cparam01 vs cparam02: where ";unknownparam" belongs
    const header = parseNameAddrList('sip:+19725552222@gw1.example.net;unknownparam')[0]!;
    expect(header.params.has('unknownparam')).toBe(true);
    expect(header.uri.kind === 'sip' && header.uri.params.size).toBe(0);
    const uriParam = parseNameAddrList('<sip:+19725552222@gw1.example.net;unknownparam>')[0]!;
    expect(uriParam.params.size).toBe(0);
    expect(uriParam.uri.kind === 'sip' && uriParam.uri.params.has('unknownparam')).toBe(true);
    // unksm2: other schemes parse
    expect(parseSingleNameAddr('isbn:2983792873').uri.kind).toBe('absolute');
    expect(() => parseSingleNameAddr('"Mr. J. User <sip:j.user@example.com>')).toThrow(); // quotbal
    expect(() => parseSingleNameAddr('"Watson, Thomas" < sip:t.watson@example.org >')).toThrow(); // badaspec
    expect(() => parseSingleNameAddr('Watson, Thomas <sip:t.watson@example.org>')).toThrow(); // baddn
    expect(() => parseNameAddrList('sip:user@example.com?Route=%3Csip:sip.example.com%3E')).toThrow(); // regbadct
    expect(parseNameAddrList('<sip:user@example.com?Route=%3Csip:sip.example.com%3E>')).toHaveLength(1); // regescrt
    expect(parseNameAddrList('<sip:a@x.example.com>, "B" <sip:b@y.example.com>;q=0.5')).toHaveLength(2);
    expect(() => parseNameAddrList('sip:a@x.example.com', { requireBrackets: true })).toThrow();
  });

  it('CSeq range (RFC 3261 §8.1.1.5, RFC 4475 scalar02)', () => {
    expect(parseCSeq('0009\t INVITE')).toEqual({ seq: 9, method: 'INVITE' });
    expect(parseCSeq('4294967295 INFO').seq).toBe(4294967295);
    expect(() => parseCSeq('4294967296 INFO')).toThrow();
    expect(() => parseCSeq('36893488147419103232 REGISTER')).toThrow();
    expect(() => parseCSeq('12INFO')).toThrow();
  });

  it('Accept and media ranges (RFC 3261 §20.1)', () => {
    const ranges: MediaType[] = [];
    parseAccept('application/sdp, application/*;q=0.5, */*;q=0', ranges);
    expect(ranges.map((r) => r.essence)).toEqual(['application/sdp', 'application/*', '*/*']);
    expect(acceptsMediaType(ranges, 'application/csta+xml')).toBe(true);
    expect(acceptsMediaType(ranges, 'text/plain')).toBe(false);
    const none: MediaType[] = [];
    parseAccept('', none);
    expect(acceptsMediaType(none, 'application/csta+xml')).toBe(false);
  });

  it('Session-Expires (RFC 4028 §4)', () => {
    expect(parseSessionExpires('1800;refresher=uac')).toMatchObject({ deltaSeconds: 1800, refresher: 'uac' });
    expect(parseSessionExpires('90')).toMatchObject({ deltaSeconds: 90, refresher: undefined });
    expect(() => parseSessionExpires('1800;refresher=both')).toThrow();
    expect(() => parseSessionExpires('-1')).toThrow();
  });
});

describe('message model', () => {
  it('looks headers up case-insensitively and by compact form (RFC 3261 §7.3.3)', () => {
    const message = request(vectorBytes('wsinv.dat'));
    expect(message.header('TO')).toBe('sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n');
    expect(message.header('t')).toBe(message.header('to'));
    expect(message.header('max-forwards')).toBe('0068');
    expect(message.header('Subject')).toBe('');
    expect(message.header('newfangledheader')).toBe('newfangled value continued newfangled value');
    expect(message.header('unknownheaderwithunusualvalue')).toBe(';;,,;;,;');
    expect(must(message.via()).map((v) => v.branch)).toEqual(['390skdjuw', 'z9hG4bK9ikj8', 'z9hG4bK30239']);
    expect(must(message.cseq())).toEqual({ seq: 9, method: 'INVITE' });
    expect(must(message.maxForwards())).toBe(68);
    const contact = must(message.contact());
    expect(contact !== '*' && contact[0]!.params.get('q')).toBe('0.33');
    expect(must(message.route())[0]!.text).toBe(
      '<sip:services.example.com;lr;unknownwith=value;unknown-no-value>',
    );
    expect(message.body.length).toBe(150);
  });

  it('reads the other valid torture messages as the RFC describes', () => {
    const intmeth = request(vectorBytes('intmeth.dat'));
    expect(intmeth.method).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(must(intmeth.to()).displayName).toBe('BEL:\u0007 NUL:\u0000 DEL:\u007f');
    expect(must(intmeth.callId())).toBe('intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
    expect(intmeth.header("extensionHeader-!.%*+_`'~")).toBe('\ufeff大停電');
    const esc02 = request(vectorBytes('esc02.dat'));
    expect(esc02.method).toBe('RE%47IST%45R');
    const esc02Contact = must(esc02.contact());
    expect(esc02Contact !== '*' && esc02Contact.length).toBe(2);
    const transports = request(vectorBytes('transports.dat'));
    expect(must(transports.via()).map((v) => v.transport)).toEqual(['UDP', 'SCTP', 'TLS', 'UNKNOWN', 'TCP']);
    const mpart = request(vectorBytes('mpart01.dat'));
    expect(mpart.body.length).toBe(553);
    expect(must(request(vectorBytes('longreq.dat')).via())).toHaveLength(34);
    const badbranch = request(vectorBytes('badbranch.dat'));
    expect(must(badbranch.topVia()).branch).toBe('z9hG4bK');
  });

  it('reads responses, including odd reason phrases (unreason, noreason)', () => {
    const unreason = must(parseDatagram(vectorBytes('unreason.dat')));
    expect(unreason).toBeInstanceOf(SipResponse);
    expect(unreason instanceof SipResponse && unreason.reason).toBe(
      '= 2**3 * 5**2 но сто девяносто девять - простое',
    );
    const noreason = must(parseDatagram(vectorBytes('noreason.dat')));
    expect(noreason instanceof SipResponse && [noreason.status, noreason.reason]).toEqual([100, '']);
    const bigcode = parseDatagram(vectorBytes('bigcode.dat'));
    expect(bigcode.ok).toBe(false);
    if (!bigcode.ok) expect(bigcode.error.status).toBeUndefined();
    const scalarlg = must(parseDatagram(vectorBytes('scalarlg.dat')));
    expect(scalarlg instanceof SipResponse && validateResponse(scalarlg).ok).toBe(false);
  });

  it('accepts every valid torture message and refuses the invalid ones with the right status', () => {
    // Those the parser alone refuses; mismatch01/02, baddate and insuf's siblings are the core's business.
    const refusedByParser = new Map<string, number | undefined>([
      ['badinv01.dat', 400],
      ['clerr.dat', 400],
      ['ncl.dat', 400],
      ['scalar02.dat', 400],
      ['scalarlg.dat', undefined],
      ['quotbal.dat', 400],
      ['ltgtruri.dat', 400],
      ['lwsruri.dat', 400],
      ['lwsstart.dat', 400],
      ['trws.dat', 400],
      ['escruri.dat', 400],
      ['regbadct.dat', 400],
      ['badaspec.dat', 400],
      ['baddn.dat', 400],
      ['extras/baddn-with-final-crlf.dat', 400],
      ['badvers.dat', 505],
      ['bigcode.dat', undefined],
      ['insuf.dat', 400],
      ['multi01.dat', 400],
      ['mcl01.dat', 400],
      ['rfc5118/ipv6-bad', 400],
      ['rfc5118/ipv6-bug-abnf-3-colons', 400],
    ]);
    for (const vector of TORTURE_VECTORS) {
      const parsed = parseDatagram(vectorBytes(vector.file));
      let verdict: { ok: true } | { ok: false; status: number | undefined };
      if (!parsed.ok) verdict = { ok: false, status: parsed.error.status };
      else {
        const valid =
          parsed.value instanceof SipRequest ? validateRequest(parsed.value) : validateResponse(parsed.value);
        verdict = valid.ok ? { ok: true } : { ok: false, status: valid.error.status };
      }
      if (refusedByParser.has(vector.file))
        expect({ file: vector.file, ...verdict }).toEqual({
          file: vector.file,
          ok: false,
          status: refusedByParser.get(vector.file),
        });
      else expect({ file: vector.file, ...verdict }).toEqual({ file: vector.file, ok: true });
      if (vector.valid) expect({ file: vector.file, ...verdict }).toEqual({ file: vector.file, ok: true });
    }
  });

  it('parses every Microsoft RCC sample unchanged (CRLF on the wire)', () => {
    const files = readdirSync(MS_RCC_DIR).filter(
      (name) => name.endsWith('.txt') && !name.includes('verbatim'),
    );
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const message = must(parseMessage(msRccMessage(file)));
      const valid = message instanceof SipRequest ? validateRequest(message) : validateResponse(message);
      expect({ file, ok: valid.ok }).toEqual({ file, ok: true });
      const declared = must(message.contentLength());
      expect({ file, length: message.body.length }).toEqual({ file, length: declared ?? 0 });
    }
  });
});

describe('serializer', () => {
  it('always writes Content-Length in bytes, ignoring any given', () => {
    const body = '<x>Grüße — 大</x>';
    const bytes = serializeRequest(
      'INFO',
      'sip:gw@example.com',
      [
        ['Content-Length', '1'],
        ['l', '2'],
        ['Call-ID', 'a@b'],
      ],
      body,
    );
    const text = bytes.toString('utf8');
    expect(text.match(/Content-Length/gi)).toHaveLength(1);
    expect(text).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
    const back = must(parseMessage(bytes));
    expect(back.bodyText()).toBe(body);
  });

  it('round-trips every parseable torture message and the RCC samples (golden: same headers and body)', () => {
    const samples = [
      ...TORTURE_VECTORS.map((v) => vectorBytes(v.file)),
      ...readdirSync(MS_RCC_DIR)
        .filter((n) => n.endsWith('.txt') && !n.includes('verbatim'))
        .map((n) => msRccMessage(n)),
    ];
    let roundTripped = 0;
    for (const bytes of samples) {
      const first = parseDatagram(bytes);
      if (!first.ok) continue;
      const again = must(parseMessage(serializeMessage(first.value)));
      const fields = (m: SipRequest | SipResponse): [string, string][] =>
        m.headers.names.flatMap((name, i): [string, string][] =>
          name === 'content-length' ? [] : [[name, m.headers.values[i]!]],
        );
      expect(fields(again)).toEqual(fields(first.value));
      expect(again.body.equals(first.value.body)).toBe(true);
      if (again instanceof SipRequest && first.value instanceof SipRequest)
        expect([again.method, again.uri]).toEqual([first.value.method, first.value.uri]);
      roundTripped++;
    }
    expect(roundTripped).toBeGreaterThan(60);
  });

  it('builds responses per RFC 3261 §8.2.6.2: Via, From, To + tag, Call-ID, CSeq copied', () => {
    const invite = request(msRccMessage('01-invite-request-system-status.txt'));
    const response = must(
      parseMessage(
        buildResponse(invite.headers, false, 200, {
          toTag: 'abc',
          body: '<x/>',
          contentType: 'application/csta+xml',
          headers: [['Contact', '<sip:gw@127.0.0.1>']],
        }),
      ),
    );
    expect(response instanceof SipResponse && response.status).toBe(200);
    expect(response.header('via')).toBe(invite.header('via'));
    expect(response.header('from')).toBe(invite.header('from'));
    expect(must(response.to()).params.get('tag')).toBe('abc');
    expect(response.header('call-id')).toBe(invite.header('call-id'));
    expect(response.header('cseq')).toBe('1 INVITE');
    expect(response.header('content-type')).toBe('application/csta+xml');
    expect(response.bodyText()).toBe('<x/>');
  });
});
