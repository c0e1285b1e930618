// Line URIs, device identifiers and number normalisation (docs/numbering.md).
export * from './tel.js';
export * from './party.js';
export * from './appearance.js';
export * from './rules.js';
