// The engine's public API: what Electron's main process, the headless service and tests import.
export {
  createGateway,
  DESKLINE_VERSION,
  DEMO_CTI_USER,
  DEMO_CTI_PASSWORD,
  type Gateway,
  type GatewayHealth,
  type CreateGatewayOptions,
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
  MAX_CTI_ADDRESSES,
  type GatewayConfig,
  type GatewayConfigInput,
} from './config/config.js';
export { troubleshoot, type TroubleshootReport, type TroubleshootInput } from './core/troubleshoot.js';
export { startSimulator, type Simulator, type SimulatorOptions } from '../../simulator/src/index.js';
export { DesklineError, ErrorCode, isDesklineError } from './util/errors.js';
export { systemClock, type Clock } from './util/clock.js';
export { createPinoLogger, MemoryLogger, nullLogger, type Logger } from './util/logger.js';
