// The engine's narrow entry for a CTI-link peer: what the CTI Manager simulator (simulator/)
// may use of the engine, and nothing else — the util base (errors, results, clock, logger),
// the CSTA codec (csta/) and the CTI link protocol (cti-link/). The lint layer rules hold
// the simulator to this file (docs/architecture.md, "Layers").
export * from './util/errors.js';
export * from './util/result.js';
export * from './util/clock.js';
export * from './util/logger.js';
export * from './csta/index.js';
export * from './cti-link/index.js';
