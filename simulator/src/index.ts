// Public API of the CTI Manager simulator (docs/simulator.md). Import from here.
export {
  startSimulator,
  DEFAULT_ADMIN_PORT,
  DEFAULT_CTI_PORT,
  MAX_NODES,
  type Simulator,
  type SimulatorNode,
  type SimulatorOptions,
} from './simulator.js';
export {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  DEMO_NUMBERS,
  DEMO_NUMBERING_RULES,
  DEMO_USER_ID,
  demoCluster,
  demoClusterConfig,
  generateCluster,
  generatedDeviceName,
  generatedDn,
  type GenerateClusterOptions,
} from './demo-cluster.js';
export { loadClusterFile, loadClusterYaml, parseClusterConfig, parseClusterYaml } from './cluster-file.js';
export {
  appearanceId,
  buildClusterModel,
  ClusterModel,
  DEVICE_MODELS,
  type AppearanceRecord,
  type ClusterConfig,
  type ClusterSummary,
  type DeviceConfig,
  type DeviceRecord,
  type FarEndRuleConfig,
  type LineConfig,
  type LineRecord,
  type UserConfig,
  type UserRecord,
} from './model.js';
export {
  CallModel,
  CallModelError,
  ConnectionState,
  type CallEvent,
  type CallModelEvent,
  type CallSnapshot,
  type ConnectionRef,
  type CstaErrorValue,
  type DeviceEvent,
  type ForwardingSetting,
} from './call-model.js';
export { NodeState, type NodeView } from './cti-server.js';
