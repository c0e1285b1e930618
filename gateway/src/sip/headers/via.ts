// Via (RFC 3261 §20.42, ABNF §25.1; RFC 3581 rport; RFC 5118 §4.5 received with IPv6):
//   via-parm = sent-protocol LWS sent-by *( SEMI via-params )
//   sent-protocol = protocol-name SLASH protocol-version SLASH transport
//   sent-by = host [ COLON port ]
import { Scanner, fail, isDigit, isHost, isIPv4Address, isIPv6Address, isWsp } from '../grammar.js';
import { parseParams, type SipParams } from './params.js';

export interface Via {
  readonly protocolName: string;
  readonly protocolVersion: string;
  /** Upper-cased transport token (UDP, TCP, TLS, SCTP, WS, WSS or an extension: RFC 4475 §3.1.1.10). */
  readonly transport: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: SipParams;
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** RFC 3581: true when present without a value, the number when filled in. */
  readonly rport: number | true | undefined;
  /** host[:port], lower-cased: the sent-by compared by RFC 3261 §17.2.3. */
  readonly sentBy: string;
  /** This via-parm as written. */
  readonly text: string;
}

function viaSpecialParam(name: string, scanner: Scanner): string | null | undefined {
  switch (name) {
    case 'received': {
      // via-received = "received" EQUAL (IPv4address / IPv6address); RFC 5118 §4.5: accept
      // the IPv6 address with or without brackets.
      scanner.expectSeparator(0x3d, '"=" after received');
      const start = scanner.pos;
      while (!scanner.done && scanner.peek() !== 0x3b && scanner.peek() !== 0x2c && !isWsp(scanner.peek()))
        scanner.pos++;
      const value = scanner.text.slice(start, scanner.pos);
      const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
      if (!isIPv4Address(bare) && !isIPv6Address(bare)) fail(`invalid received parameter "${value}"`);
      return value;
    }
    case 'ttl': {
      scanner.expectSeparator(0x3d, '"=" after ttl');
      return String(scanner.digits('ttl', 255));
    }
    case 'rport': {
      // RFC 3581 §7: response-port = "rport" [EQUAL 1*DIGIT]
      if (!scanner.eatSeparator(0x3d)) return null;
      return String(scanner.digits('rport', 65535));
    }
    default:
      return undefined;
  }
}

/** A token, as the constant `usual` when it is spelt exactly so (no string cut out). */
function knownToken(scanner: Scanner, usual: string, what: string): string {
  const start = scanner.pos;
  scanner.skipToken(what);
  return scanner.pos - start === usual.length && scanner.text.startsWith(usual, start)
    ? usual
    : scanner.text.slice(start, scanner.pos);
}

const TRANSPORTS = ['TCP', 'TLS', 'UDP', 'WS', 'WSS', 'SCTP'];

/** The transport token, upper-cased. */
function transportToken(scanner: Scanner): string {
  const start = scanner.pos;
  scanner.skipToken('transport');
  const length = scanner.pos - start;
  const text = scanner.text;
  for (let k = 0; k < TRANSPORTS.length; k++) {
    const name = TRANSPORTS[k]!;
    if (name.length !== length) continue;
    let i = 0;
    // Letters only: a character matches in either case (c & ~0x20 maps exactly the two cases onto the upper).
    while (i < length && (text.charCodeAt(start + i) & ~0x20) === name.charCodeAt(i)) i++;
    if (i === length) return name;
  }
  return text.slice(start, scanner.pos).toUpperCase();
}

function parseViaParm(scanner: Scanner): Via {
  scanner.skipWs();
  const start = scanner.pos;
  const protocolName = knownToken(scanner, 'SIP', 'protocol-name');
  scanner.expectSeparator(0x2f, '"/"');
  const protocolVersion = knownToken(scanner, '2.0', 'protocol-version');
  scanner.expectSeparator(0x2f, '"/"');
  const transport = transportToken(scanner);
  if (!scanner.skipWs()) fail('expected LWS before sent-by');
  // sent-by = host [ COLON port ]
  let host: string;
  const hostStart = scanner.pos;
  if (scanner.peek() === 0x5b) {
    const close = scanner.text.indexOf(']', scanner.pos);
    if (close < 0) fail('unterminated IPv6 reference in sent-by');
    host = scanner.text.slice(scanner.pos, close + 1);
    scanner.pos = close + 1;
  } else {
    while (!scanner.done) {
      const code = scanner.peek();
      if (code === 0x3a || code === 0x3b || code === 0x2c || isWsp(code)) break;
      scanner.pos++;
    }
    host = scanner.text.slice(hostStart, scanner.pos);
  }
  if (!isHost(host)) fail(`invalid sent-by host "${host}"`);
  let port: number | undefined;
  let sentByEnd = -1;
  if (scanner.eatSeparator(0x3a)) {
    if (!isDigit(scanner.peek())) fail('invalid sent-by port');
    const portStart = scanner.pos;
    port = scanner.digits('port', 65535);
    // sent-by exactly as `${host}:${port}` would write it: no space around the colon, no leading zero.
    sentByEnd =
      portStart === hostStart + host.length + 1 &&
      (scanner.text.charCodeAt(portStart) !== 0x30 || scanner.pos === portStart + 1)
        ? scanner.pos
        : -1;
  }
  const params = parseParams(scanner, viaSpecialParam);
  const branch = params.get('branch');
  if (branch === null) fail('branch parameter without a value');
  const received = params.get('received') ?? undefined;
  const rportValue = params.get('rport');
  const rport = rportValue === undefined ? undefined : rportValue === null ? true : Number(rportValue);
  const end = scanner.pos;
  scanner.skipWs();
  return {
    protocolName,
    protocolVersion,
    transport,
    host,
    port,
    params,
    branch,
    received: received === null ? undefined : received,
    rport,
    sentBy: (sentByEnd >= 0
      ? scanner.text.slice(hostStart, sentByEnd)
      : port === undefined
        ? host
        : `${host}:${port}`
    ).toLowerCase(),
    text: scanner.text.slice(start, end),
  };
}

/** One Via header value: via-parm *(COMMA via-parm). RFC 4475 §3.1.2.1 badinv01: empty elements are errors. */
export function parseViaList(value: string, into: Via[]): void {
  const scanner = new Scanner(value);
  for (;;) {
    into.push(parseViaParm(scanner));
    if (scanner.done) return;
    scanner.expectSeparator(0x2c, 'comma between Via values');
  }
}
