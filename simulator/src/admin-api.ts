// The simulator's admin HTTP API (node:http, JSON, loopback only): look at nodes, calls and the
// directory, place inbound calls, clear calls, and stop/start/freeze/thaw/mute nodes to drive failover.
// See docs/simulator.md for curl examples.
//
// Only loopback is served, and two browser tricks are closed: a Host header that is not a
// loopback name is refused (DNS rebinding), and a POST must say `Content-Type: application/json`
// (which a cross-site form cannot send without a CORS preflight, which is never granted).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { ErrorCode, wrapError, type Logger, type Result } from '../../gateway/src/protocol.js';
import { CallModelError, type CallSnapshot } from './call-model.js';
import type { NodeView } from './cti-server.js';
import type { ClusterModel } from './model.js';

export const MAX_ADMIN_BODY_BYTES = 16 * 1024;
/** GET /directory?detail=1 lists at most this many users and devices. */
export const MAX_DIRECTORY_DETAIL = 1_000;

/** What the admin API drives: implemented by the Simulator. */
export interface AdminTarget {
  readonly cluster: ClusterModel;
  nodeViews(): NodeView[];
  stopNode(index: number): Promise<Result<NodeView>>;
  startNode(index: number): Promise<Result<NodeView>>;
  freezeNode(index: number): Result<NodeView>;
  thawNode(index: number): Result<NodeView>;
  muteRequestsNode(index: number): Result<NodeView>;
  unmuteRequestsNode(index: number): Result<NodeView>;
  calls(): CallSnapshot[];
  call(callId: string): CallSnapshot | undefined;
  placeInboundCall(from: string, to: string): Result<CallSnapshot>;
  clearCall(callId: string): Result<void>;
}

export interface AdminApiOptions {
  target: AdminTarget;
  host: string;
  /** 0 = any free port. */
  port: number;
  logger: Logger;
}

export interface AdminApi {
  readonly url: string;
  readonly port: number;
  dispose(): Promise<void>;
}

const InboundCallBody = z.strictObject({
  from: z.string({ error: 'from must be a number, such as "+14155550123"' }).min(1).max(64),
  to: z.string({ error: 'to must be a line of the cluster, such as "1001"' }).min(1).max(64),
});

const NODE_OPERATIONS = ['stop', 'start', 'freeze', 'thaw', 'mute-requests', 'unmute-requests'] as const;
type NodeOperation = (typeof NODE_OPERATIONS)[number];

class HttpError {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly message: string,
    readonly extra?: Record<string, unknown>,
  ) {}
}

export async function startAdminApi(options: AdminApiOptions): Promise<AdminApi> {
  const { target, logger } = options;
  const server: Server = createServer((req, res) => {
    handle(target, req, res).catch((cause: unknown) => {
      logger.error({ err: wrapError(cause).message }, 'sim admin: request failed');
      if (!res.headersSent)
        sendJson(res, 500, { error: { code: ErrorCode.Internal, message: 'internal error' } });
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (cause) => logger.error({ err: cause.message }, 'sim admin: listener error'));
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  logger.info({ url }, 'sim admin: listening');
  return {
    url,
    port,
    async dispose() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handle(target: AdminTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (!isLoopbackHost(req.headers.host))
      throw new HttpError(403, 'FORBIDDEN', 'the admin API answers loopback host names only');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const method = req.method ?? 'GET';
    const route = `${method} /${parts[0] ?? ''}`;

    if (parts.length === 1 && route === 'GET /health') {
      const nodes = target.nodeViews();
      const running = nodes.filter((n) => n.state === 'running').length;
      return sendJson(res, 200, {
        status: running === nodes.length ? 'ok' : running === 0 ? 'down' : 'degraded',
        nodes: nodes.map((n) => ({ index: n.index, state: n.state, address: n.address })),
        calls: target.calls().length,
      });
    }
    if (parts.length === 1 && route === 'GET /nodes') return sendJson(res, 200, target.nodeViews());
    if (parts.length === 3 && route === 'POST /nodes')
      return sendJson(res, 200, await nodeOperation(target, parts[1] as string, parts[2] as string));
    if (parts.length === 1 && route === 'GET /calls') return sendJson(res, 200, target.calls());
    if (parts.length === 1 && route === 'POST /calls') {
      const body = InboundCallBody.safeParse(await readJson(req));
      if (!body.success)
        throw new HttpError(
          400,
          ErrorCode.InvalidArgument,
          body.error.issues
            .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
            .join('; '),
        );
      return sendJson(res, 201, unwrapOr422(target.placeInboundCall(body.data.from, body.data.to)));
    }
    if (parts.length === 2 && route === 'GET /calls') {
      const call = target.call(decodeURIComponent(parts[1] as string));
      if (call === undefined) throw new HttpError(404, 'NOT_FOUND', `no call ${parts[1] as string}`);
      return sendJson(res, 200, call);
    }
    if (parts.length === 2 && route === 'DELETE /calls') {
      const id = decodeURIComponent(parts[1] as string);
      const result = target.clearCall(id);
      if (!result.ok) throw new HttpError(404, 'NOT_FOUND', `no call ${id}`);
      res.writeHead(204).end();
      return;
    }
    if (parts.length === 1 && route === 'GET /directory')
      return sendJson(res, 200, directory(target.cluster, url.searchParams.get('detail') === '1'));
    const known = ['health', 'nodes', 'calls', 'directory'].includes(parts[0] ?? '');
    throw known
      ? new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} ${url.pathname} is not supported`)
      : new HttpError(404, 'NOT_FOUND', `no such resource ${url.pathname}`);
  } catch (cause) {
    if (cause instanceof HttpError)
      return sendJson(res, cause.status, {
        error: { code: cause.code, message: cause.message, ...cause.extra },
      });
    throw cause;
  }
}

async function nodeOperation(target: AdminTarget, indexText: string, operation: string): Promise<NodeView> {
  if (!/^[0-9]{1,3}$/.test(indexText)) throw new HttpError(404, 'NOT_FOUND', `no node ${indexText}`);
  const index = Number(indexText);
  if (index >= target.nodeViews().length)
    throw new HttpError(404, 'NOT_FOUND', `no node ${index} (there are ${target.nodeViews().length})`);
  if (!(NODE_OPERATIONS as readonly string[]).includes(operation))
    throw new HttpError(404, 'NOT_FOUND', `no node operation "${operation}" (${NODE_OPERATIONS.join(', ')})`);
  let result: Result<NodeView>;
  switch (operation as NodeOperation) {
    case 'stop':
      result = await target.stopNode(index);
      break;
    case 'start':
      result = await target.startNode(index);
      break;
    case 'freeze':
      result = target.freezeNode(index);
      break;
    case 'thaw':
      result = target.thawNode(index);
      break;
    case 'mute-requests':
      result = target.muteRequestsNode(index);
      break;
    case 'unmute-requests':
      result = target.unmuteRequestsNode(index);
      break;
  }
  if (!result.ok)
    throw new HttpError(
      result.error.code === ErrorCode.InvalidState ? 409 : 500,
      result.error.code,
      result.error.message,
    );
  return result.value;
}

function unwrapOr422<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  const csta =
    result.error instanceof CallModelError
      ? { csta: { errorClass: result.error.csta.errorClass, value: result.error.csta.value } }
      : undefined;
  throw new HttpError(422, result.error.code, result.error.message, csta);
}

function directory(cluster: ClusterModel, detail: boolean): unknown {
  const summary = cluster.summary();
  if (!detail) return summary;
  return {
    ...summary,
    truncated: cluster.users.length > MAX_DIRECTORY_DETAIL || cluster.devices.length > MAX_DIRECTORY_DETAIL,
    users: cluster.users.slice(0, MAX_DIRECTORY_DETAIL).map((u) => ({
      id: u.id,
      displayName: u.displayName,
      licence: u.licence,
      sipUri: u.sipUri,
      appearances: u.controlledDevices.flatMap((d) => d.appearances.map((a) => a.id)),
    })),
    devices: cluster.devices.slice(0, MAX_DIRECTORY_DETAIL).map((d) => ({
      name: d.name,
      model: d.model,
      description: d.description,
      ctiAllowed: d.ctiAllowed,
      appearances: d.appearances.map((a) => ({
        id: a.id,
        dn: a.line.dn,
        partition: a.line.partition,
        label: a.label,
        e164: a.line.e164,
        shared: a.line.appearances.length > 1,
      })),
    })),
    farEnds: cluster.farEndRules.map((r) => ({
      match: r.match.source,
      behaviour: r.behaviour,
      answerAfterMs: r.answerAfterMs,
    })),
  };
}

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as Content-Type: application/json');
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_ADMIN_BODY_BYTES)
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `bodies are limited to ${MAX_ADMIN_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_ADMIN_BODY_BYTES)
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `bodies are limited to ${MAX_ADMIN_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (cause) {
    throw new HttpError(400, ErrorCode.InvalidArgument, `the body is not JSON: ${wrapError(cause).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
