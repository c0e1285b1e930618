// The CTI client: one connection per CTI Manager node and the pool over them (docs/cti-link.md).
export * from './cti-connection.js';
export * from './cti-pool.js';
export * from './link-profile.js';
