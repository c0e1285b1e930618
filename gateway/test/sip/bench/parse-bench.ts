// Parse-rate micro-benchmark: an INFO carrying a CSTA MonitorStart body (ms-rcc sample 05),
// parsed by our stream framer (+ header validation) and by sip.js 0.21's Parser.parseMessage.
// Not a test (no timed assertions in tests): run `npx tsx gateway/test/sip/bench/parse-bench.ts`.
import { LoggerFactory, Parser } from 'sip.js/lib/core/index.js';
import { StreamFramer } from '../../../src/sip/framing.js';
import { SipRequest } from '../../../src/sip/message.js';
import { parseDatagram, validateRequest } from '../../../src/sip/parser.js';
import { msRccMessage } from '../vectors.js';

const message = msRccMessage('05-info-monitor-start.txt');
const text = message.toString('utf8');
const DURATION_MS = Number(process.env.BENCH_MS ?? 2000);

/** CPU time of this process in ms (user + system): robust on a machine shared with other work. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function rate(name: string, run: () => void, batch = 1000): number {
  for (let i = 0; i < 20 * batch; i++) run(); // warm-up (JIT)
  let n = 0;
  const start = cpuMs();
  let now = start;
  while (now - start < DURATION_MS) {
    for (let i = 0; i < batch; i++) run();
    n += batch;
    now = cpuMs();
  }
  const perSecond = Math.round((n * 1000) / (now - start));
  console.log(`${name.padEnd(52)} ${perSecond.toLocaleString('en-US').padStart(12)} msg/s (per CPU-second)`);
  return perSecond;
}

let sink = 0;
const framer = new StreamFramer({
  onMessage: (result) => {
    if (result.ok) sink += result.value.headers.length;
  },
  onPing: () => undefined,
  onFatal: () => {
    throw new Error('framing failed');
  },
});
const framerValidating = new StreamFramer({
  onMessage: (result) => {
    if (result.ok && result.value instanceof SipRequest && validateRequest(result.value).ok) sink++;
  },
  onPing: () => undefined,
  onFatal: () => {
    throw new Error('framing failed');
  },
});
const loggerFactory = new LoggerFactory();
loggerFactory.builtinEnabled = false;
const logger = loggerFactory.getLogger('bench');

console.log(
  `INFO with CSTA body: ${message.length} bytes; ${DURATION_MS} ms per measurement; node ${process.version}`,
);
rate('Deskline StreamFramer (frame + parse head)', () => framer.push(message));
rate('Deskline StreamFramer + validateRequest', () => framerValidating.push(message));
rate('Deskline parseDatagram (WebSocket path)', () => {
  const r = parseDatagram(message);
  if (r.ok) sink++;
});
rate(
  'sip.js 0.21 Parser.parseMessage (string)',
  () => {
    if (Parser.parseMessage(text, logger) !== undefined) sink++;
  },
  10,
);
if (sink === 0) console.log('nothing parsed?');
