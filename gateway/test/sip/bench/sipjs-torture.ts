// Measures sip.js 0.21's own message parser (Core.Parser.parseMessage with its PEG Grammar)
// against the RFC 4475 / RFC 5118 torture vectors, next to ours, and prints a Markdown table
// for docs/sip-stack.md. Run: npx tsx gateway/test/sip/bench/sipjs-torture.ts
import { LoggerFactory, Parser, IncomingRequestMessage, Grammar } from 'sip.js/lib/core/index.js';
import { parseDatagram, validateRequest, validateResponse } from '../../../src/sip/parser.js';
import { SipRequest } from '../../../src/sip/message.js';
import { TORTURE_VECTORS, vectorBytes } from '../vectors.js';

const loggerFactory = new LoggerFactory();
loggerFactory.builtinEnabled = false;
const logger = loggerFactory.getLogger('torture');

function sipjs(bytes: Buffer): string {
  // sip.js receives WebSocket text messages as strings.
  const message = Parser.parseMessage(bytes.toString('utf8'), logger);
  if (message === undefined) return 'rejected';
  if (message instanceof IncomingRequestMessage) {
    // sip.js parses the Request-URI with its grammar in the first line; undefined means it could not.
    return message.ruri === undefined ? 'accepted (R-URI unparsed)' : `accepted (${message.method})`;
  }
  return `accepted (${message.statusCode})`;
}

function ours(bytes: Buffer): string {
  const result = parseDatagram(bytes);
  if (!result.ok)
    return result.error.status === undefined ? 'rejected (drop)' : `rejected (${result.error.status})`;
  const message = result.value;
  const valid = message instanceof SipRequest ? validateRequest(message) : validateResponse(message);
  if (!valid.ok)
    return valid.error.status === undefined ? 'rejected (drop)' : `rejected (${valid.error.status})`;
  return message instanceof SipRequest
    ? `accepted (${message.method.slice(0, 12)})`
    : `accepted (${message.status})`;
}

console.log('| vector | RFC expectation | sip.js 0.21 | Deskline parser |');
console.log('| --- | --- | --- | --- |');
for (const vector of TORTURE_VECTORS) {
  const bytes = vectorBytes(vector.file);
  console.log(
    `| ${vector.file} | ${vector.valid ? 'valid' : 'invalid'} | ${sipjs(bytes)} | ${ours(bytes)} |`,
  );
}
// sip.js's grammar on its own, for the URI cases it leaves to later stages.
for (const uri of [
  'sip:user@[2001:db8:::192.0.2.1]',
  'sip:2001:db8::10',
  '<sip:user@example.com>',
  'sip:user@example.com; lr',
]) {
  console.log(
    `Grammar.parse(${JSON.stringify(uri)}, 'SIP_URI') → ${Grammar.parse(uri, 'SIP_URI') === -1 ? 'rejected' : 'accepted'}`,
  );
}
