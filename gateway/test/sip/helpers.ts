// Test support for the SIP stack: a user agent core on 127.0.0.1 port 0 with a recording
// delegate, a fake clock, and raw clients. No sleeping: tests wait on conditions.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '../support/fake-clock.js';
import { SipRawClient, type RawClientOptions, type RawTransport } from '../support/sip-raw-client.js';
import { MemoryLogger } from '../../src/util/logger.js';
import type { ServerDialog, DialogTerminationReason } from '../../src/sip/dialog.js';
import {
  type IncomingDialogRequest,
  type IncomingInvite,
  type SipUserAgentCoreDelegate,
  type SipUserAgentCoreOptions,
  SipUserAgentCore,
} from '../../src/sip/user-agent-core.js';
import type { SipTransportConfig } from '../../src/sip/transport/transport-layer.js';
import { msRccBody } from './vectors.js';

export const RSS_BODY = msRccBody('01-body-request-system-status.xml');
export const RSS_RESPONSE_BODY = msRccBody('02-body-request-system-status-response.xml');
export const MONITOR_START_BODY = msRccBody('05-body-monitor-start.xml');
export const MONITOR_START_RESPONSE_BODY = msRccBody('06-body-monitor-start-response.xml');
export const DELIVERED_EVENT_BODY = msRccBody('10-body-delivered-event.xml');

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
export function tlsFile(name: string): Buffer {
  return readFileSync(new URL(name, TLS_DIR));
}

/** Records what the core tells its delegate; answers like a CSTA session layer would by default. */
export class RecordingDelegate implements SipUserAgentCoreDelegate {
  readonly invites: IncomingInvite[] = [];
  readonly dialogs: ServerDialog[] = [];
  readonly requests: { dialog: ServerDialog; request: IncomingDialogRequest }[] = [];
  readonly terminated: { dialog: ServerDialog; reason: DialogTerminationReason }[] = [];
  /** Replace to change how INVITEs are answered; default: 200 with RequestSystemStatusResponse. */
  inviteHandler: (invite: IncomingInvite) => void = (invite) => {
    this.dialogs.push(
      invite.accept({
        body: RSS_RESPONSE_BODY,
        headers: [['Content-Disposition', 'signal;handling=required']],
      }),
    );
  };
  /** Replace to change how in-dialog requests are answered; default: 200 (INFO with a CSTA body). */
  requestHandler: (dialog: ServerDialog, request: IncomingDialogRequest) => void = (_dialog, request) => {
    if (request.method === 'INFO') request.respond(200, { body: MONITOR_START_RESPONSE_BODY });
    else if (request.method === 'INVITE') request.respond(200, { body: RSS_RESPONSE_BODY });
    else request.respond(200);
  };

  onInvite(invite: IncomingInvite): void {
    this.invites.push(invite);
    this.inviteHandler(invite);
  }
  /** Set to take over re-INVITEs in dialogs the core does not know (absent: they get 481). */
  onDialogTakeover?: (invite: IncomingInvite) => void;
  onRequest(dialog: ServerDialog, request: IncomingDialogRequest): void {
    this.requests.push({ dialog, request });
    this.requestHandler(dialog, request);
  }
  onDialogTerminated(dialog: ServerDialog, reason: DialogTerminationReason): void {
    this.terminated.push({ dialog, reason });
  }
}

export interface TestGateway {
  readonly core: SipUserAgentCore;
  readonly delegate: RecordingDelegate;
  readonly clock: FakeClock;
  readonly logger: MemoryLogger;
  port(protocol: RawTransport): number;
  connect(protocol: RawTransport, options?: Partial<RawClientOptions>): Promise<SipRawClient>;
  /** Closes clients and disposes the core; asserts nothing is left behind. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly transports?: Partial<SipTransportConfig>;
  readonly core?: Partial<Omit<SipUserAgentCoreOptions, 'transports' | 'delegate' | 'clock' | 'logger'>>;
  readonly tls?: boolean;
}

export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const delegate = new RecordingDelegate();
  const local = [{ host: '127.0.0.1', port: 0 }];
  const tlsConfig = options.tls
    ? {
        cert: tlsFile('server.crt'),
        key: tlsFile('server.key'),
        ca: tlsFile('ca.crt'),
        trustedPeers: ['lync-pool.test'],
      }
    : undefined;
  const core = new SipUserAgentCore({
    transports: {
      tcp: local,
      ws: local,
      ...(options.tls ? { tls: local, wss: local, tlsConfig } : {}),
      ...options.transports,
    },
    delegate,
    clock,
    logger,
    ...options.core,
  });
  await core.start();
  const clients: SipRawClient[] = [];
  const port = (protocol: RawTransport): number => {
    const bound = core.addresses().find((address) => address.protocol === protocol);
    if (bound === undefined) throw new Error(`no ${protocol} listener`);
    return bound.port;
  };
  return {
    core,
    delegate,
    clock,
    logger,
    port,
    async connect(protocol, extra = {}) {
      const client = await SipRawClient.connect({
        transport: protocol,
        host: '127.0.0.1',
        port: port(protocol),
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await core.dispose();
    },
  };
}

/** Waits (without sleeping blindly) until the core has read `bytes` more bytes on its connections. */
export async function untilServerRead(gateway: TestGateway, total: number): Promise<void> {
  await until(
    () => gateway.core.connectionBytesIn().reduce((a, b) => a + b, 0) >= total,
    `server read ${total} bytes`,
  );
}

/** Polls `condition` every few ms; fails after `timeoutMs`. */
export function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (condition()) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for: ${what}`));
      }
    }, 5);
  });
}

/** Active handles of a kind (TCP sockets and servers), for leak checks. */
export function activeResources(prefix: string): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith(prefix)).length;
}

/** The port a server listens on (address() is a string only for pipes). */
export function portOf(server: { address(): AddressInfo | string | null }): number {
  const info = server.address();
  if (info === null || typeof info === 'string') throw new Error('server not listening on a port');
  return info.port;
}

/** An OPTIONS probe used to check that a connection is still open and in step. */
export const PROBE_URI = 'sip:probe@127.0.0.1';
