// The engine's public API: the only import path into gateway/src for the hosts (host/, service/,
// main/) and for bench/ (docs/architecture.md, "Layers"; the lint rules enforce it).
export {
  createGateway,
  DESKLINE_VERSION,
  type Gateway,
  type GatewayHealth,
  type CreateGatewayOptions,
  type DirectoryProviderHealth,
} from './gateway.js';
export {
  DeskSession,
  type DeskHandlers,
  type DeskEventListener,
  type DeskEventName,
} from './faces/desk/desk-session.js';
export {
  parseGatewayConfig,
  loadGatewayConfigFile,
  GatewayConfigSchema,
  type GatewayConfig,
  type GatewayConfigInput,
} from './config/config.js';
export { NumberingRulesConfig, type NumberingRulesConfigInput } from './numbering/index.js';
export {
  troubleshoot,
  formatTroubleshootReport,
  type TroubleshootReport,
  type TroubleshootInput,
} from './core/troubleshoot.js';
export type {
  DirectoryLookup,
  DirectoryPerson,
  DirectoryProvider,
  DirectorySnapshot,
  DirectoryStatus,
  PeopleSearchResult,
} from './directory/index.js';
export type { CtiPoolHealth, CtiNodeHealth, CtiNodeState } from './cti/index.js';
// The util base, the CSTA codec and the CTI link protocol (the simulator's narrow entry).
export * from './protocol.js';
// The SIP message codec, for benchmarks and tools.
export { parseMessage, validateRequest, SipRequest, SipResponse } from './sip/index.js';
