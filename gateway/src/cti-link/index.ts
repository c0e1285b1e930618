// The CTI link protocol (docs/cti-link.md): frames, invoke IDs and the directory codec. Shared
// by the engine's CTI client (gateway/src/cti/) and the simulator's CTI server.
export * from './framing.js';
export * from './invoke-id.js';
export * from './directory-codec.js';
export * from './limits.js';
export * from './cluster-file.js';
export * from './profile.js';
