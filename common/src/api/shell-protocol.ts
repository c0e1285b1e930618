// The browser shell's WebSocket protocol, version 1 (docs/ui.md §5): the frame shapes both ends
// speak — the shell server (host/src/shell/) and the renderer's client
// (renderer/src/bridge/ws-bridge.ts). One JSON object per text frame:
//
//   client → server   { id, method, request }        call a contract method
//                     { subscribe: [eventName...] }   (re)declare the events wanted; replaces the set
//   server → client   { id, envelope }                the Envelope answering request `id`
//                     { event, payload }              a pushed event
import type { Envelope, EventName, MethodName } from './contract.js';

/** Path of the WebSocket endpoint on the shell's origin. */
export const SHELL_WS_PATH = '/ws';
/** Query parameter carrying the per-start token on the upgrade request (and the page URL). */
export const SHELL_TOKEN_PARAM = 'token';
/** Request IDs are positive integers a client picks; 2^31 keeps them small in JSON. */
export const SHELL_MAX_REQUEST_ID = 2 ** 31 - 1;
/** Event names in one subscribe frame, at most. */
export const SHELL_MAX_SUBSCRIBED = 64;

/** client → server: call a contract method. */
export interface ShellCallFrame {
  id: number;
  method: MethodName;
  request: unknown;
}
/** client → server: the events wanted (replaces the set). */
export interface ShellSubscribeFrame {
  subscribe: EventName[];
}
export type ShellClientFrame = ShellCallFrame | ShellSubscribeFrame;

/** server → client: the answer to request `id`. */
export interface ShellResponseFrame {
  id: number;
  envelope: Envelope<unknown>;
}
/** server → client: a pushed event. */
export interface ShellEventFrame {
  event: EventName;
  payload: unknown;
}
export type ShellServerFrame = ShellResponseFrame | ShellEventFrame;
