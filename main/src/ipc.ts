// Main's side of the typed IPC contract (docs/architecture.md §4.3): one `ipcMain.handle` per method of
// the contract's table, each of which
//   1. checks the sender: the frame must be a top-level page of our app (VS Code's habit),
//      else the call is refused and logged;
//   2. validates the request with the contract's schema (parseRequest);
//   3. calls the handler;
//   4. validates the handler's result against the method's response schema (a bug in main
//      must not hand the renderer something the contract does not describe);
//   5. answers an Envelope, errors as { code, message }; an unknown throw is wrapped here,
//      and its text (it may describe internals) is only logged.
import {
  READY_CHANNEL,
  channelOf,
  methods,
  type Envelope,
  type ErrorView,
  type MethodHandlers,
  type MethodName,
} from '../../common/src/api/contract.js';
import { ErrorCode, type Logger } from '../../gateway/src/index.js';
import { callMethod, toErrorView as sharedToErrorView } from '../../host/src/dispatch.js';
import { senderRefusal, type SenderFrameLike, type SenderPolicy } from './security.js';

/** Code of a call refused because of who sent it. */
export const SENDER_REFUSED = ErrorCode.SenderRefused;

/** Electron's IpcMainInvokeEvent / IpcMainEvent, reduced to what the handlers use. */
export interface IpcEventLike {
  readonly senderFrame: SenderFrameLike | null;
  readonly sender: { readonly id: number };
}

/** Electron's ipcMain, reduced to what registration uses (docs/architecture.md §4.9: small adapters). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

export interface IpcDeps {
  handlers: MethodHandlers;
  policy: SenderPolicy;
  logger: Logger;
}

/** What a handler's throw becomes (shared with the browser shell). */
export const toErrorView = (error: unknown, method: MethodName, logger: Logger): ErrorView =>
  sharedToErrorView(error, method, logger, 'ipc');

/** Longest sender URL written to the log. */
const LOGGED_URL_MAX = 200;

/** One method call from the renderer, from sender check to envelope. Never throws. */
export async function invokeMethod<M extends MethodName>(
  method: M,
  event: IpcEventLike,
  request: unknown,
  deps: IpcDeps,
): Promise<Envelope<unknown>> {
  const refusal = senderRefusal(event.senderFrame, deps.policy);
  if (refusal !== undefined) {
    deps.logger.warn(
      { method, reason: refusal, url: event.senderFrame?.url.slice(0, LOGGED_URL_MAX) },
      'ipc: call refused',
    );
    return { ok: false, error: { code: SENDER_REFUSED, message: `${method}: refused (${refusal})` } };
  }
  return callMethod(deps.handlers, method, request, deps.logger, 'ipc');
}

/**
 * Registers a handler for every method of the contract, and the READY listener. Returns the
 * function that removes them all.
 */
export function registerIpc(
  ipcMain: IpcMainLike,
  deps: IpcDeps & { onReady: (event: IpcEventLike) => void },
): () => void {
  const names = Object.keys(methods) as MethodName[];
  for (const method of names) {
    ipcMain.handle(channelOf(method), (event, request) => invokeMethod(method, event, request, deps));
  }
  const onReady = (event: IpcEventLike): void => {
    const refusal = senderRefusal(event.senderFrame, deps.policy);
    if (refusal !== undefined) {
      deps.logger.warn({ channel: READY_CHANNEL, reason: refusal }, 'ipc: ready refused');
      return;
    }
    deps.onReady(event);
  };
  ipcMain.on(READY_CHANNEL, onReady);
  return () => {
    for (const method of names) ipcMain.removeHandler(channelOf(method));
    ipcMain.removeListener(READY_CHANNEL, onReady);
  };
}
