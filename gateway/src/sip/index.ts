// The gateway's SIP stack (server side). See docs/sip-stack.md.
export { SipUserAgentCore, IncomingInvite, IncomingDialogRequest } from './user-agent-core.js';
export type {
  SipUserAgentCoreDelegate,
  SipUserAgentCoreOptions,
  ResponseInit,
  SipCoreStats,
} from './user-agent-core.js';
export { ServerDialog, DialogState } from './dialog.js';
export type { DialogTerminationReason, DialogRequestOptions } from './dialog.js';
export { SipRequest, SipResponse, SipHeaderList } from './message.js';
export {
  parseDatagram,
  parseMessage,
  parseHead,
  validateRequest,
  validateResponse,
  SipParseError,
} from './parser.js';
export { serializeRequest, serializeResponse, serializeMessage, buildResponse } from './serializer.js';
export type { HeaderFields, Body } from './serializer.js';
export { StreamFramer, frameAll } from './framing.js';
export { parseUri, parseSipUri, nextHopOf } from './uri.js';
export type { Uri, SipUri, AbsoluteUri, NextHop } from './uri.js';
export type { NameAddr } from './headers/name-addr.js';
export type { Via } from './headers/via.js';
export type { CSeq, MediaType, SessionExpires, ContentDisposition } from './headers/simple.js';
export { negotiateSessionTimer, DEFAULT_SESSION_TIMER_POLICY } from './session-timer.js';
export type { SessionTimerPolicy, SessionTimerDecision } from './session-timer.js';
export type {
  SipTransportConfig,
  SipTlsConfig,
  ListenAddress,
  BoundListener,
  SipTransportLimitCounts,
} from './transport/transport-layer.js';
export type { ConnectionInfo, SipTransportProtocol } from './transport/connection.js';
export { certificateNames, isTrustedPeer } from './transport/tls-peers.js';
export * from './constants.js';
