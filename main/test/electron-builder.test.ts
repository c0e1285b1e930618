// The installers cannot be built here (no Electron binary to package), so the configuration
// is checked the way electron-builder itself checks it before building: its own loader
// (electron-builder.yml + package.json + defaults) and validateConfiguration(), which
// validates against the JSON schema it ships (node_modules/app-builder-lib/scheme.json).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { TRAY_ICON_FILES } from '../src/tray-icon.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const resolve = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

type Config = Awaited<ReturnType<typeof getConfig>>;
const load = (): Promise<Config> => getConfig(root, resolve('electron-builder.yml'), null);

/** Width and height from a PNG's IHDR chunk (PNG spec §11.2.2), after checking the signature. */
function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
    `${path} is a PNG`,
  ).toBe(true);
  expect(bytes.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's own schema", async () => {
    const config = await load();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validation is real: a misspelt option is refused', async () => {
    const config = await load();
    const misspelt = { ...config, appID: 'x' } as Config;
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(
      /unknown property 'appID'/,
    );
    const nested = { ...config, linux: { ...config.linux, tagret: ['AppImage'] } } as Config;
    await expect(validateConfiguration(nested, new DebugLogger(false))).rejects.toThrow(
      /configuration\.linux/,
    );
    const badProtocol = { ...config, protocols: [{ schemes: ['tel'] }] } as unknown as Config;
    await expect(validateConfiguration(badProtocol, new DebugLogger(false))).rejects.toThrow(/name/);
  });

  it('declares the app ID, product name and the tel, callto and sip protocols', async () => {
    const config = await load();
    expect(config.appId).toBe('dev.deskline.app');
    expect(config.productName).toBe('Deskline');
    const protocols = Array.isArray(config.protocols) ? config.protocols : [config.protocols];
    expect(protocols.flatMap((p) => p?.schemes ?? []).sort()).toEqual(['callto', 'sip', 'tel']);
  });

  it('builds AppImage and deb, NSIS, and dmg', async () => {
    const config = await load();
    expect(config.linux?.target).toEqual(['AppImage', 'deb']);
    expect(config.win?.target).toEqual(['nsis']);
    expect(config.mac?.target).toEqual(['dmg', 'zip']);
    expect(config.mac?.extendInfo).toMatchObject({ LSUIElement: true });
  });

  it('packs the bundles and the renderer, no node_modules, and the tray icons as resources', async () => {
    const config = await load();
    const files = (config.files as Array<string | { filter?: string[] }>).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : (entry.filter ?? []),
    );
    expect(files).toEqual(
      expect.arrayContaining(['dist/main/**/*', 'dist/renderer/**/*', '!node_modules/**/*']),
    );
    // main.ts loads tray icons from process.resourcesPath/tray when packaged.
    expect(config.extraResources).toEqual([{ from: 'build/tray', to: 'tray', filter: ['*.png'] }]);
  });

  it('the icons it names exist and are real PNGs of the right sizes', async () => {
    expect(pngSize(resolve('build/icon.png'))).toEqual({ width: 1024, height: 1024 });
    for (const size of [16, 32, 48, 64, 128, 256, 512])
      expect(pngSize(resolve(`build/icons/${size}x${size}.png`))).toEqual({ width: size, height: size });
    for (const file of Object.values(TRAY_ICON_FILES)) {
      expect(pngSize(resolve(`build/tray/${file}`))).toEqual({ width: 16, height: 16 });
      expect(pngSize(resolve(`build/tray/${file.replace('.png', '@2x.png')}`))).toEqual({
        width: 32,
        height: 32,
      });
    }
    const config = await load();
    expect(existsSync(resolve(String(config.nsis?.include)))).toBe(true);
    const nsh = readFileSync(resolve('build/installer.nsh'), 'utf8');
    for (const scheme of ['tel', 'callto', 'sip'])
      expect(nsh).toContain(`Capabilities\\URLAssociations" "${scheme}" "Deskline.DialLink"`);
  });
});

describe('the update feed (publish)', () => {
  it('publishes to a generic feed on the latest channel, and builds the zip the macOS updater needs', async () => {
    const config = await load();
    const publish = (Array.isArray(config.publish) ? config.publish : [config.publish]) as Array<{
      provider: string;
      url?: string;
      channel?: string;
    }>;
    expect(publish).toEqual([
      { provider: 'generic', url: expect.stringMatching(/^https:\/\//), channel: 'latest' },
    ]);
    expect(config.mac?.target).toEqual(['dmg', 'zip']);
  });

  it('the validation covers publish: a provider without its url is refused', async () => {
    const config = await load();
    const broken = { ...config, publish: [{ provider: 'generic', channel: 'latest' }] } as unknown as Config;
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(
      /configuration\.publish/,
    );
  });
});
