// The browser shell's WebSocket protocol, version 1 (docs/ui.md §5). One JSON object per
// text frame. The renderer's client (renderer/src/bridge/ws-bridge.ts) speaks the same
// shapes; the two cannot share a module (lint direction rules, STYLE habit 1), so the doc
// is the single statement of the format and both sides are tested against each other.
//
//   client → server   { id, method, request }        call a contract method
//                     { subscribe: [eventName...] }   (re)declare the events wanted; replaces the set
//   server → client   { id, envelope }                the Envelope answering request `id`
//                     { event, payload }              a pushed event
//
// A client that sends anything else (not JSON, not one of these shapes, an unknown method
// or event name, a frame over the size limit) is closed with 1008/1009: a correct client
// never does, so there is nothing to recover.
import {
  isEventName,
  isMethodName,
  type EventName,
  type MethodName,
} from '../../../common/src/api/contract.js';
import { ErrorCode, DesklineError } from '../../../gateway/src/index.js';
import { err, ok, type Result } from '../../../gateway/src/index.js';

/** Path of the WebSocket endpoint on the shell's origin. */
export const SHELL_WS_PATH = '/ws';
/** Query parameter carrying the per-start token on the upgrade request. */
export const SHELL_TOKEN_PARAM = 'token';

/** Request IDs are positive integers a client picks; 2^31 keeps them small in JSON. */
const MAX_REQUEST_ID = 2 ** 31 - 1;

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
    if (!Array.isArray(names) || names.length > 64) {
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
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_REQUEST_ID) {
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
