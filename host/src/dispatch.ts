// Host-side dispatch of one contract method: validate with the contract's schema, call the
// handler, and answer an Envelope. Errors cross as { code, message } (docs/architecture.md §4.3); an
// unexpected throw is wrapped here, at the boundary (docs/architecture.md §4.6), and its text is not
// sent to the client — it may describe internals — only logged.
import {
  methods,
  parseRequest,
  type Envelope,
  type ErrorView,
  type MethodHandlers,
  type MethodName,
  type MethodResponse,
} from '../../common/src/api/contract.js';
import { ErrorCode, type Logger } from '../../gateway/src/index.js';

const isErrorWithCode = (value: unknown): value is Error & { code: string } =>
  value instanceof Error && typeof (value as { code?: unknown }).code === 'string';

/** Turns a handler's throw into what crosses the boundary. Coded errors (DesklineError, and
 *  DeskApiError passed through) keep their code and message: "a refused action shows why".
 *  Anything else is logged (it may describe internals) and crosses as INTERNAL. */
export function toErrorView(
  error: unknown,
  method: MethodName,
  logger: Logger,
  boundary = 'shell',
): ErrorView {
  if (isErrorWithCode(error)) return { code: error.code, message: error.message };
  logger.error(
    {
      method,
      err:
        error instanceof Error
          ? { name: error.name, message: error.message, stack: error.stack }
          : String(error),
    },
    `${boundary}: handler threw`,
  );
  return { code: ErrorCode.Internal, message: `${method} failed unexpectedly` };
}

/**
 * One contract method, from request validation to Envelope; never throws. Shared by the browser
 * shell's WebSocket server and Electron's IPC handlers (main/src/ipc.ts adds the sender check).
 * The handler's answer is validated too: nothing outside the contract reaches a renderer.
 */
export async function callMethod<M extends MethodName>(
  handlers: MethodHandlers,
  method: M,
  request: unknown,
  logger: Logger,
  boundary = 'shell',
): Promise<Envelope<MethodResponse<M>>> {
  const parsed = parseRequest(method, request);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  let value: unknown;
  try {
    const handler: MethodHandlers[M] = handlers[method];
    // The mapped type's parameter for a generic M is exactly what parseRequest<M> returned.
    value = await handler(parsed.value);
  } catch (error) {
    return { ok: false, error: toErrorView(error, method, logger, boundary) };
  }
  const checked = methods[method].response.safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    logger.error(
      { method, path: issue?.path.join('.'), problem: issue?.message },
      `${boundary}: handler answered outside the contract`,
    );
    return {
      ok: false,
      error: { code: ErrorCode.Internal, message: `${method} answered an invalid response` },
    };
  }
  return { ok: true, value: checked.data as MethodResponse<M> };
}
