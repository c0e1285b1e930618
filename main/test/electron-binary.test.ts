import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { locateElectron } from '../../scripts/electron-binary.mjs';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-electron-pkg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('locateElectron (never downloads)', () => {
  it('reports a package whose binary was never downloaded (no path.txt)', () => {
    const result = locateElectron({ electronDir: dir, env: {} });
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/never downloaded/) });
  });

  it('reports a path.txt pointing at a missing binary', async () => {
    await writeFile(join(dir, 'path.txt'), 'electron');
    expect(locateElectron({ electronDir: dir, env: {} })).toEqual({
      ok: false,
      reason: expect.stringMatching(/binary is missing/),
    });
  });

  it('finds the binary named by path.txt in dist/', async () => {
    await writeFile(join(dir, 'path.txt'), 'electron');
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), '#!/bin/sh\n');
    await chmod(join(dir, 'dist', 'electron'), 0o755);
    expect(locateElectron({ electronDir: dir, env: {} })).toEqual({
      ok: true,
      path: join(dir, 'dist', 'electron'),
    });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH as electron/index.js does', async () => {
    const override = join(dir, 'custom');
    await mkdir(override);
    expect(locateElectron({ electronDir: dir, env: { ELECTRON_OVERRIDE_DIST_PATH: override } }).ok).toBe(
      false,
    );
    await writeFile(join(override, 'electron'), '');
    expect(locateElectron({ electronDir: dir, env: { ELECTRON_OVERRIDE_DIST_PATH: override } })).toEqual({
      ok: true,
      path: join(override, 'electron'),
    });
  });

  it('reports a missing electron package', () => {
    expect(locateElectron({ electronDir: undefined, env: {} })).toEqual({
      ok: false,
      reason: expect.stringMatching(/not installed/),
    });
  });

  it('the real install is checked without touching the network (here: reported missing or found, never thrown)', () => {
    const result = locateElectron();
    expect(typeof result.ok).toBe('boolean');
    if (!result.ok) expect(result.reason).toMatch(/Electron|electron/);
  });
});
