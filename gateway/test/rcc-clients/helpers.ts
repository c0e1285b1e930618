// Shared support for the "real clients" suites: the Microsoft RCC face driven by sip.js over
// WebSocket, by pidgin-sipe's exact bodies over TCP, by TLS peers and by SIPp (docs/msrcc.md; docs/sip-stack.md §10).
// Nothing here sleeps for a fixed time: waits poll a condition with a deadline.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  decodeCsta,
  type CstaEdition,
  type CstaMessage,
  type CstaMessageOf,
  type CstaMessageType,
} from '../../src/csta/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { Simulator } from '../../../simulator/src/index.js';
import type { SipJsAnswer, SipJsSession } from '../support/sip-sipjs-client.js';
import { listener } from '../faces/msrcc/helpers.js';

export const ED3 = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';

/** The gateway's Server URI as a Lync/Skype user would be provisioned with it (docs/msrcc.md). */
export const SERVER_URI = 'sip:deskline@gw.deskline.test';

const MS_RCC = new URL('../vectors/ms-rcc/', import.meta.url);

/** A file of gateway/test/vectors/ms-rcc exactly as stored (no trailing newline is added or removed). */
export function vector(name: string): string {
  return readFileSync(new URL(name, MS_RCC), 'utf8');
}

/** Polls `check` every 10 ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** ws://host:port/ of the gateway's WebSocket listener (RFC 7118). */
export function wsUrl(gateway: Gateway): string {
  const { host, port } = listener(gateway, 'WS');
  return `ws://${host}:${port}/`;
}

/** Decodes a CSTA body and returns the message with the edition it was written in. */
export function decoded(body: string | Buffer): { message: CstaMessage; edition: CstaEdition } {
  const result = decodeCsta(body);
  if (!result.ok) throw result.error;
  return { message: result.value.message, edition: result.value.edition };
}

/** The CSTA message of a body, which must be of `type` (the test fails with the body otherwise). */
export function expectCsta<T extends CstaMessageType>(body: string | Buffer, type: T): CstaMessageOf<T> {
  const { message } = decoded(body);
  if (message.type !== type)
    throw new Error(`expected ${type}, got ${message.type}: ${JSON.stringify(message)}`);
  return message as CstaMessageOf<T>;
}

/** A sip.js answer: 200 with a CSTA body of `type`. */
export function answerOf<T extends CstaMessageType>(answer: SipJsAnswer, type: T): CstaMessageOf<T> {
  expect(answer.status, `${type}: ${answer.reason} ${answer.body}`).toBe(200);
  return expectCsta(answer.body, type);
}

/** The next CSTA event INFO of `type` on a sip.js session (other event types are skipped). */
export async function sipJsEvent<T extends CstaMessageType>(
  session: SipJsSession,
  type: T,
): Promise<CstaMessageOf<T>> {
  for (;;) {
    const incoming = await session.nextIncoming('INFO');
    expect(incoming.contentType).toBe('application/csta+xml');
    const { message } = decoded(incoming.body);
    if (message.type === type) return message as CstaMessageOf<T>;
  }
}

/** Monitors the simulator holds for the gateway's CTI connections, over all nodes. */
export function simulatorMonitors(
  gateway: Gateway & { simulator?: Simulator | undefined },
  simulator: Simulator | undefined = gateway.simulator,
): number {
  if (simulator === undefined) throw new Error('no simulator to count monitors in');
  return simulator.nodes.reduce((n, node) => n + node.monitors, 0);
}

/** Waits until every RCC session, SIP dialog, core session and CTI monitor is gone. */
export async function expectAllReleased(
  gateway: Gateway & { simulator?: Simulator | undefined },
  simulator: Simulator | undefined = gateway.simulator,
): Promise<void> {
  const state = (): string => {
    const sip = gateway.sip;
    return JSON.stringify({
      rcc: sip?.dialogCount ?? 0,
      dialogs: sip?.userAgent.stats().dialogs ?? 0,
      core: gateway.core.sessionCount,
      monitors: simulatorMonitors(gateway, simulator),
    });
  };
  const released = JSON.stringify({ rcc: 0, dialogs: 0, core: 0, monitors: 0 });
  await until(() => state() === released, `everything released (now ${state()})`);
}

/** RFC 4028 header value `delta;refresher=x` → its parts. */
export function sessionExpires(value: string | undefined): {
  seconds: number;
  refresher: string | undefined;
} {
  const match = /^\s*(\d+)\s*(?:;\s*refresher\s*=\s*(uac|uas))?/i.exec(value ?? '');
  if (match === null) throw new Error(`no Session-Expires in ${JSON.stringify(value)}`);
  return { seconds: Number(match[1]), refresher: match[2]?.toLowerCase() };
}
