// The layers of the house, as lint rules (docs/architecture.md, "Layers"). Each element is a
// folder (or one entry file); each policy says which elements an element may import. Anything
// not allowed is refused, so an import in the wrong direction fails `npm run lint`;
// gateway/test/architecture/layers.test.ts proves it on fixtures.
//
// Inside the engine (gateway/src), lowest first:
//   util < csta | sip | numbering | observability < cti-link < config | cti < directory < core
//        < faces (msrcc, desk) < gateway.ts (composition) < index.ts (the hosts' entry)
// Beside and above it:
//   simulator/src  sees the engine only through gateway/src/protocol.ts (util, csta, cti-link)
//   host/src, service/src, main/src, bench/  see the engine only through gateway/src/index.ts
//   common/src/api (the UI's views and contract): faces and above only, never lower layers
// Tests are not elements: they may reach into what they test.
import boundaries from 'eslint-plugin-boundaries';

/** Element types, most specific first (the first pattern that matches a file wins). */
export const ELEMENTS = [
  { type: 'engine-index', pattern: 'gateway/src/index.ts', mode: 'file' },
  { type: 'engine-protocol', pattern: 'gateway/src/protocol.ts', mode: 'file' },
  { type: 'composition', pattern: 'gateway/src/gateway.ts', mode: 'file' },
  { type: 'util', pattern: 'gateway/src/util' },
  { type: 'csta', pattern: 'gateway/src/csta' },
  { type: 'sip', pattern: 'gateway/src/sip' },
  { type: 'numbering', pattern: 'gateway/src/numbering' },
  { type: 'observability', pattern: 'gateway/src/observability' },
  { type: 'cti-link', pattern: 'gateway/src/cti-link' },
  { type: 'config', pattern: 'gateway/src/config' },
  { type: 'cti', pattern: 'gateway/src/cti' },
  { type: 'directory', pattern: 'gateway/src/directory' },
  { type: 'core', pattern: 'gateway/src/core' },
  { type: 'face-msrcc', pattern: 'gateway/src/faces/msrcc' },
  { type: 'face-desk', pattern: 'gateway/src/faces/desk' },
  { type: 'simulator', pattern: 'simulator/src' },
  { type: 'host', pattern: 'host/src' },
  { type: 'service', pattern: 'service/src' },
  { type: 'main', pattern: 'main/src' },
  { type: 'bench', pattern: 'bench' },
  { type: 'ui-api', pattern: 'common/src/api' },
  { type: 'common', pattern: 'common/src' },
  { type: 'renderer', pattern: 'renderer/src' },
];

const ENGINE_BELOW_FACES = [
  'util',
  'csta',
  'sip',
  'numbering',
  'observability',
  'cti-link',
  'config',
  'cti',
  'directory',
  'core',
];

/** Element type → the element types it may import (besides its own files). */
export const ALLOWED = {
  util: [],
  csta: ['util'],
  sip: ['util'],
  numbering: ['util'],
  observability: ['util'],
  'cti-link': ['util', 'csta', 'common'],
  config: ['util', 'numbering', 'cti-link', 'common'],
  cti: ['util', 'csta', 'cti-link', 'common'],
  directory: ['util', 'csta', 'sip', 'numbering', 'observability', 'cti-link', 'config', 'cti', 'common'],
  core: [
    'util',
    'csta',
    'sip',
    'numbering',
    'observability',
    'cti-link',
    'config',
    'cti',
    'directory',
    'common',
  ],
  'face-msrcc': [...ENGINE_BELOW_FACES, 'ui-api', 'common'],
  'face-desk': [...ENGINE_BELOW_FACES, 'ui-api', 'common'],
  composition: [...ENGINE_BELOW_FACES, 'face-msrcc', 'face-desk', 'common'],
  'engine-protocol': ['util', 'csta', 'cti-link'],
  'engine-index': [
    ...ENGINE_BELOW_FACES,
    'face-msrcc',
    'face-desk',
    'composition',
    'engine-protocol',
    'common',
  ],
  simulator: ['engine-protocol'],
  host: ['engine-index', 'simulator', 'ui-api', 'common'],
  service: ['engine-index', 'host', 'ui-api', 'common'],
  main: ['engine-index', 'host', 'ui-api', 'common'],
  bench: ['engine-index', 'simulator', 'common'],
  'ui-api': ['common'],
  common: [],
  renderer: ['ui-api', 'common'],
};

/** The ESLint flat-config block that enforces ALLOWED. */
export function layersConfig() {
  return {
    files: ['{gateway,simulator,host,service,main,common,renderer}/src/**/*.{ts,tsx}', 'bench/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': {
        // Our sources import `./x.js` for `./x.ts`; the TypeScript resolver maps them.
        typescript: { alwaysTryTypes: true },
      },
      'boundaries/elements': ELEMENTS,
      // `mode: 'file'` (one entry file as an element) still works in v7 but warns as legacy.
      'boundaries/legacy-warnings': false,
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          message:
            'layer rule: {{from.type}} may not import {{to.type}} (docs/architecture.md, "Layers"; allowed: see eslint.layers.js)',
          policies: Object.entries(ALLOWED)
            .filter(([, to]) => to.length > 0)
            .map(([from, to]) => ({
              from: { element: { type: from } },
              allow: [{ to: { element: { type: to } } }],
            })),
        },
      ],
    },
  };
}
