// The layer rules are real: ESLint, with the repository's own configuration, refuses an import
// in the wrong direction and accepts the right one (docs/architecture.md, "Layers";
// eslint.layers.js). Each case lints a small source text as if it were a file at that path.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The layer-rule messages ESLint gives for `source` placed at `path` (relative to the root). */
async function layerErrors(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${ROOT}${path}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

const importing = (specifier: string, name: string): string =>
  `import { ${name} } from '${specifier}';\nexport const used = [${name}];\n`;

describe('layer rules (eslint.layers.js)', () => {
  it.each([
    // [file, import, what is refused]
    ['gateway/src/csta/fixture.ts', '../core/session-core.js', 'SessionCore', 'csta may not import core'],
    ['gateway/src/util/fixture.ts', '../sip/parser.js', 'parseMessage', 'util may not import sip'],
    ['gateway/src/cti/fixture.ts', '../core/session-core.js', 'SessionCore', 'cti may not import core'],
    [
      'gateway/src/core/fixture.ts',
      '../faces/msrcc/msrcc-front.js',
      'MsRccFront',
      'core may not import face-msrcc',
    ],
    [
      'gateway/src/numbering/fixture.ts',
      '../../../common/src/api/views.js',
      'NumberView',
      'numbering may not import ui-api',
    ],
    [
      'gateway/src/faces/desk/fixture.ts',
      '../msrcc/msrcc-front.js',
      'MsRccFront',
      'face-desk may not import face-msrcc',
    ],
    [
      'simulator/src/fixture.ts',
      '../../gateway/src/core/session-core.js',
      'SessionCore',
      'simulator may not import core',
    ],
    [
      'simulator/src/fixture.ts',
      '../../gateway/src/index.js',
      'createGateway',
      'simulator may not import engine-index',
    ],
    ['host/src/fixture.ts', '../../gateway/src/util/errors.js', 'DesklineError', 'host may not import util'],
    [
      'service/src/fixture.ts',
      '../../gateway/src/gateway.js',
      'createGateway',
      'service may not import composition',
    ],
    [
      'main/src/fixture.ts',
      '../../gateway/src/faces/desk/desk-session.js',
      'DeskSession',
      'main may not import face-desk',
    ],
    [
      'main/src/fixture.ts',
      '../../simulator/src/index.js',
      'startSimulator',
      'main may not import simulator',
    ],
    ['bench/fixture.ts', '../gateway/src/sip/index.js', 'parseMessage', 'bench may not import sip'],
  ])('%s importing %s is refused', async (file, specifier, name, refusal) => {
    const errors = await layerErrors(file, importing(specifier, name));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(refusal);
  });

  it.each([
    ['gateway/src/csta/fixture.ts', '../util/errors.js', 'DesklineError'],
    ['gateway/src/core/fixture.ts', '../cti/cti-pool.js', 'CtiPool'],
    ['gateway/src/faces/desk/fixture.ts', '../../../../common/src/api/views.js', 'NumberView'],
    ['simulator/src/fixture.ts', '../../gateway/src/protocol.js', 'encodeFrame'],
    ['host/src/fixture.ts', '../../gateway/src/index.js', 'createGateway'],
    ['host/src/fixture.ts', '../../simulator/src/index.js', 'startSimulator'],
    ['main/src/fixture.ts', '../../host/src/demo.js', 'startDemoSimulator'],
    ['bench/fixture.ts', '../gateway/src/index.js', 'parseMessage'],
  ])('%s importing %s is accepted', async (file, specifier, name) => {
    expect(await layerErrors(file, importing(specifier, name))).toEqual([]);
  });
});
