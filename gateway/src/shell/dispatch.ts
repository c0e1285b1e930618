// Host-side dispatch of one contract method: validate with the contract's schema, call the
// handler, and answer an Envelope. Errors cross as { code, message } (STYLE habit 3); an
// unexpected throw is wrapped here, at the boundary (STYLE habit 6), and its text is not
// sent to the client — it may describe internals — only logged.
import {
  parseRequest,
  type Envelope,
  type ErrorView,
  type MethodHandlers,
  type MethodName,
  type MethodResponse,
} from '../../../common/src/api/contract.js';
import { ErrorCode } from '../util/errors.js';
import type { Logger } from '../util/logger.js';

const isErrorWithCode = (value: unknown): value is Error & { code: string } =>
  value instanceof Error && typeof (value as { code?: unknown }).code === 'string';

/** Turns a handler's throw into what crosses the boundary. Coded errors (DesklineError, and
 *  DeskApiError passed through) keep their code and message: "a refused action shows why". */
export function toErrorView(error: unknown, method: MethodName, logger: Logger): ErrorView {
  if (isErrorWithCode(error)) return { code: error.code, message: error.message };
  logger.error(
    { method, err: error instanceof Error ? { name: error.name, stack: error.stack } : String(error) },
    'shell: handler threw',
  );
  return { code: ErrorCode.Internal, message: `${method} failed unexpectedly` };
}

export async function callMethod<M extends MethodName>(
  handlers: MethodHandlers,
  method: M,
  request: unknown,
  logger: Logger,
): Promise<Envelope<MethodResponse<M>>> {
  const parsed = parseRequest(method, request);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  try {
    const handler: MethodHandlers[M] = handlers[method];
    // The mapped type's parameter for a generic M is exactly what parseRequest<M> returned.
    const value = await handler(parsed.value);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: toErrorView(error, method, logger) };
  }
}
