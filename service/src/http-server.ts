// The operator's HTTP endpoints: GET /health (JSON), GET /metrics (Prometheus text format),
// GET /troubleshoot?user=…&lineUri=…&number=… (the per-user troubleshooter, JSON).
// Read-only; bound to what the config says (default 127.0.0.1).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { troubleshoot, wrapError, type Logger } from '../../gateway/src/index.js';
import type { HostedGateway } from '../../host/src/demo.js';

export interface HttpServer {
  readonly url: string;
  readonly port: number;
  dispose(): Promise<void>;
}

const HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, {
    ...HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startHttpServer(
  gateway: HostedGateway,
  options: { host: string; port: number; logger: Logger },
): Promise<HttpServer> {
  const log = options.logger.child({ component: 'http' });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD' });
      res.end();
      return;
    }
    switch (url.pathname) {
      case '/health': {
        const health = gateway.health();
        // 503 only when no CTI Manager is reachable: a load balancer should stop sending here.
        json(res, health.status === 'down' ? 503 : 200, health);
        return;
      }
      case '/metrics': {
        const text = await gateway.metrics.registry.metrics();
        res.writeHead(200, { ...HEADERS, 'content-type': gateway.metrics.registry.contentType });
        res.end(text);
        return;
      }
      case '/troubleshoot': {
        const user = url.searchParams.get('user');
        if (user === null || user === '' || user.length > 256)
          return json(res, 400, {
            code: 'INVALID_ARGUMENT',
            message: 'give ?user=<CUCM user ID or SIP URI>',
          });
        const lineUri = url.searchParams.get('lineUri') ?? undefined;
        const number = url.searchParams.get('number') ?? undefined;
        const peers = url.searchParams.getAll('tlsPeer');
        const report = troubleshoot(
          gateway.core,
          gateway.rules,
          {
            identity: gateway.config.users.identity,
            trustedPeers: gateway.config.sip.tls.flatMap((t) => t.trustedPeers),
          },
          {
            user,
            ...(lineUri === undefined ? {} : { lineUri }),
            ...(number === undefined ? {} : { number }),
            ...(peers.length === 0 ? {} : { tlsPeerNames: peers }),
          },
        );
        json(res, 200, report);
        return;
      }
      case '/':
        json(res, 200, {
          service: 'deskline-gateway',
          endpoints: ['/health', '/metrics', '/troubleshoot?user=&lineUri=&number=&tlsPeer='],
        });
        return;
      default:
        json(res, 404, { code: 'NOT_FOUND', message: `no endpoint ${url.pathname}` });
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      log.error({ error: wrapError(cause).message }, 'HTTP handler failed');
      if (!res.headersSent) json(res, 500, { code: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  log.info({ url: `http://${host}:${port}` }, 'health and metrics endpoints up');
  return {
    url: `http://${host}:${port}`,
    port,
    dispose: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
