// Decoding the browser shell's client frames (the shapes: common/src/api/shell-protocol.ts,
// docs/ui.md §5). A client that sends anything else (not JSON, not one of these shapes, an
// unknown method or event name, a frame over the size limit) is closed with 1008/1009: a
// correct client never does, so there is nothing to recover.
import {
  isEventName,
  isMethodName,
  type EventName,
  type MethodName,
} from '../../../common/src/api/contract.js';
import {
  SHELL_MAX_REQUEST_ID,
  SHELL_MAX_SUBSCRIBED,
  SHELL_TOKEN_PARAM,
  SHELL_WS_PATH,
} from '../../../common/src/api/shell-protocol.js';
import { DesklineError, ErrorCode, err, ok, type Result } from '../../../gateway/src/index.js';

export { SHELL_TOKEN_PARAM, SHELL_WS_PATH };

/** A decoded client frame (ShellClientFrame, told apart by `kind`). */
export type ClientMessage =
  | { kind: 'call'; id: number; method: MethodName; request: unknown }
  | { kind: 'subscribe'; events: EventName[] };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Decodes one text frame from a client. Never throws: bad input is a ProtocolViolation result. */
export function decodeClientMessage(text: string): Result<ClientMessage> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return err(new DesklineError(ErrorCode.InvalidArgument, 'frame is not JSON', { cause }));
  }
  if (!isRecord(value))
    return err(new DesklineError(ErrorCode.InvalidArgument, 'frame is not a JSON object'));

  if ('subscribe' in value) {
    const names = value.subscribe;
    if (!Array.isArray(names) || names.length > SHELL_MAX_SUBSCRIBED) {
      return err(new DesklineError(ErrorCode.InvalidArgument, 'subscribe: expected an array of event names'));
    }
    const events: EventName[] = [];
    for (const name of names) {
      if (typeof name !== 'string' || !isEventName(name)) {
        return err(
          new DesklineError(
            ErrorCode.InvalidArgument,
            `subscribe: unknown event ${JSON.stringify(name).slice(0, 64)}`,
          ),
        );
      }
      events.push(name);
    }
    return ok({ kind: 'subscribe', events });
  }

  const { id, method } = value;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > SHELL_MAX_REQUEST_ID) {
    return err(new DesklineError(ErrorCode.InvalidArgument, 'call: id must be an integer from 1 to 2^31-1'));
  }
  if (typeof method !== 'string' || !isMethodName(method)) {
    return err(
      new DesklineError(
        ErrorCode.InvalidArgument,
        `call: unknown method ${JSON.stringify(method).slice(0, 64)}`,
      ),
    );
  }
  return ok({ kind: 'call', id, method, request: value.request });
}
