// The 8-node limit is written once, in common/ (the settings screen shows it too).
export { MAX_CTI_NODES } from '../../../common/src/limits.js';
