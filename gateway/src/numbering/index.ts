// Line URIs, device identifiers and number normalisation (docs/numbering.md).
export * from './tel.js';
export * from './party.js';
export * from './appearance.js';
export * from './regex-safety.js';
export * from './rule-schema.js';
export * from './rules.js';
export * from './display.js';
export * from './dial.js';
export * from './line-uri.js';
export * from './lookup.js';
