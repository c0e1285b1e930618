// First run (docs/desktop.md "First run"): locating the Electron binary, and getting it with
// Electron's own installer when it is missing. Both outcomes run the REAL installer
// (node_modules/electron/install.js → @electron/get → @electron-internal/extract-zip) in a copy of
// the electron package: ONLINE against a mirror on 127.0.0.1 serving a zip and its
// SHASUMS256.txt, OFFLINE against a mirror on a loopback port where nothing listens — the same
// failure as a machine without network, on any machine. The decisions around it (Node floor,
// override, an installer that lies) use an injected installer port.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { crc32 } from 'node:zlib';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DESKTOP_NODE_MIN,
  cannotStartLine,
  electronPackageDir,
  ensureElectron,
  installerFailureReason,
  locateElectron,
  nodeAtLeast,
  runElectronInstaller,
  type ElectronEnv,
} from '../../scripts/electron-binary.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-electron-pkg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A loopback port where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A copy of the installed electron package (its installer and version files; its
 *  dependencies linked), in `<into>/node_modules/electron`, with no binary. */
async function electronPackageCopy(into: string): Promise<string> {
  const real = electronPackageDir();
  if (real === undefined) throw new Error('the electron package is not installed');
  const modules = join(into, 'node_modules');
  const copy = join(modules, 'electron');
  await mkdir(copy, { recursive: true });
  for (const file of ['install.js', 'package.json', 'checksums.json', 'index.js'])
    await copyFile(join(real, file), join(copy, file));
  // install.js requires these two; link them where Node's resolution looks from the copy.
  const realModules = dirname(real);
  for (const dep of ['@electron/get', '@electron-internal/extract-zip']) {
    await mkdir(join(modules, dirname(dep)), { recursive: true });
    await symlink(join(realModules, dep), join(modules, dep), 'dir');
  }
  return copy;
}

/** The environment of an offline machine: Electron's mirror on a closed loopback port, an
 *  empty download cache, nothing that would place the binary elsewhere. */
async function offlineEnv(cache: string): Promise<ElectronEnv> {
  const env: ElectronEnv = { ...process.env };
  for (const key of Object.keys(env))
    if (/^(ELECTRON_|npm_config_electron|NPM_CONFIG_ELECTRON|electron_)/i.test(key)) delete env[key];
  return {
    ...env,
    ELECTRON_MIRROR: `http://127.0.0.1:${await closedPort()}/`,
    electron_config_cache: cache,
    ELECTRON_GET_NO_PROGRESS: '1',
  };
}

/** A zip (PKWARE APPNOTE 6.3.10 §4.3: local header, data, central directory, end record) holding
 *  one stored file, marked executable (Unix mode in the external attributes, made-by = Unix). */
function zipOne(name: string, data: Buffer): Buffer {
  const file = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(0x21, 12); // 1980-01-01
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(file.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE((3 << 8) | 20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(file.length, 28);
  central.writeUInt32LE((0o100755 << 16) >>> 0, 38);
  central.writeUInt32LE(0, 42);
  const centralOffset = local.length + file.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + file.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, file, data, central, file, end]);
}

describe('locateElectron (never downloads)', () => {
  it('reports a package whose binary was never downloaded (no path.txt)', () => {
    expect(locateElectron({ electronDir: dir, env: {} })).toEqual({
      ok: false,
      missing: 'binary',
      reason: expect.stringMatching(/never downloaded/),
    });
  });

  it('reports a path.txt pointing at a missing binary', async () => {
    await writeFile(join(dir, 'path.txt'), 'electron');
    expect(locateElectron({ electronDir: dir, env: {} })).toEqual({
      ok: false,
      missing: 'binary',
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
      missing: 'package',
      reason: expect.stringMatching(/not installed/),
    });
  });
});

describe('ensureElectron (first run: Electron’s own installer)', () => {
  it('runs the installer when the binary is missing, then finds what it put there', async () => {
    const calls: string[] = [];
    const result = await ensureElectron({
      electronDir: dir,
      env: {},
      nodeVersion: DESKTOP_NODE_MIN,
      onInstalling: () => calls.push('note'),
      // What install.js does on success: extract into dist/ and write path.txt.
      install: async ({ electronDir }) => {
        calls.push(`install ${electronDir}`);
        await mkdir(join(electronDir, 'dist'));
        await writeFile(join(electronDir, 'dist', 'electron'), '#!/bin/sh\n');
        await writeFile(join(electronDir, 'path.txt'), 'electron');
        return { ok: true };
      },
    });
    expect(calls).toEqual(['note', `install ${dir}`]);
    expect(result).toEqual({ ok: true, path: join(dir, 'dist', 'electron'), installed: true });
  });

  it('does not run the installer when the binary is there', async () => {
    await writeFile(join(dir, 'path.txt'), 'electron');
    await mkdir(join(dir, 'dist'));
    await writeFile(join(dir, 'dist', 'electron'), '');
    let ran = false;
    const result = await ensureElectron({
      electronDir: dir,
      env: {},
      install: async () => {
        ran = true;
        return { ok: true };
      },
    });
    expect(ran).toBe(false);
    expect(result).toMatchObject({ ok: true, installed: false });
  });

  it('an installer that succeeds without leaving a binary is reported, not trusted', async () => {
    const result = await ensureElectron({
      electronDir: dir,
      env: {},
      nodeVersion: '24.0.0',
      install: async () => ({ ok: true }),
    });
    expect(result).toEqual({
      ok: false,
      installerRan: true,
      reason: expect.stringMatching(/installer finished but the Electron binary was never downloaded/),
    });
  });

  it('below Node 22.12 it does not run the installer and says why', async () => {
    let ran = false;
    const result = await ensureElectron({
      electronDir: dir,
      env: {},
      nodeVersion: '20.19.0',
      install: async () => {
        ran = true;
        return { ok: true };
      },
    });
    expect(ran).toBe(false);
    expect(result).toEqual({
      ok: false,
      installerRan: false,
      reason: expect.stringMatching(/installer needs Node 22\.12\.0 or newer \(this is Node 20\.19\.0\)/),
    });
  });

  it('a binary placed elsewhere (ELECTRON_OVERRIDE_DIST_PATH) is not downloaded over', async () => {
    const result = await ensureElectron({
      electronDir: dir,
      env: { ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'nowhere') },
      nodeVersion: '24.0.0',
      install: async () => {
        throw new Error('must not run');
      },
    });
    expect(result).toMatchObject({ ok: false, installerRan: false });
  });

  it('ONLINE: the real installer downloads from a mirror, checks the checksum, extracts, and the binary is found', async () => {
    const electronDir = await electronPackageCopy(dir);
    const { version } = JSON.parse(await readFile(join(electronDir, 'package.json'), 'utf8')) as {
      version: string;
    };
    const zipName = `electron-v${version}-${process.platform}-${process.arch}.zip`;
    const binary = process.platform === 'win32' ? 'electron.exe' : 'electron';
    const zip = zipOne(binary, Buffer.from('#!/bin/sh\necho "a stand-in for Electron"\n'));
    const sha256 = createHash('sha256').update(zip).digest('hex');
    const requests: string[] = [];
    // Electron's mirror layout: <mirror>v<version>/<file>, SHASUMS256.txt beside the zips.
    const mirror = createHttpServer((request, response) => {
      requests.push(request.url ?? '');
      if (request.url === `/v${version}/${zipName}`) response.end(zip);
      else if (request.url === `/v${version}/SHASUMS256.txt`) response.end(`${sha256} *${zipName}\n`);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    try {
      const address = mirror.address() as { port: number };
      const env = {
        ...(await offlineEnv(join(dir, 'cache'))),
        ELECTRON_MIRROR: `http://127.0.0.1:${address.port}/`,
        // The package's checksums.json knows only the real zips: take the mirror's SHASUMS256.txt.
        electron_use_remote_checksums: '1',
      };
      const result = await ensureElectron({ electronDir, env, nodeVersion: DESKTOP_NODE_MIN });
      expect(result).toEqual({ ok: true, installed: true, path: join(electronDir, 'dist', binary) });
      expect(requests).toEqual(
        expect.arrayContaining([`/v${version}/${zipName}`, `/v${version}/SHASUMS256.txt`]),
      );
      expect(await readFile(join(electronDir, 'path.txt'), 'utf8')).toBe(binary);
      // A second start finds it without asking the mirror.
      const count = requests.length;
      expect(await ensureElectron({ electronDir, env, nodeVersion: DESKTOP_NODE_MIN })).toMatchObject({
        ok: true,
        installed: false,
      });
      expect(requests).toHaveLength(count);
    } finally {
      await new Promise((resolve) => mirror.close(resolve));
    }
  }, 60_000);

  it('OFFLINE: the real installer runs, fails, and the outcome is one line pointing at npm run shell', async () => {
    const electronDir = await electronPackageCopy(dir);
    const env = await offlineEnv(join(dir, 'cache'));
    const ran: string[] = [];
    const result = await ensureElectron({
      electronDir,
      env,
      // The installer's declared floor; on this runner's Node it is run all the same, which is
      // what a machine on 22.12+ does.
      nodeVersion: DESKTOP_NODE_MIN,
      install: (options) => {
        ran.push(options.electronDir);
        return runElectronInstaller(options);
      },
    });
    expect(ran).toEqual([electronDir]);
    if (result.ok) throw new Error('an offline install cannot succeed');
    expect(result.installerRan).toBe(true);
    expect(result.reason).toMatch(
      /^the Electron binary could not be downloaded \(no network\? .*fetch failed/,
    );
    const line = cannotStartLine(result.reason);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(
      /^deskline: cannot start the desktop app: .*; open the browser shell instead with: npm run shell$/,
    );
  }, 60_000);
});

describe('npm start on a machine without the binary (scripts/start.mjs as a process)', () => {
  it('prints exactly one line and exits 1 before building', async () => {
    // A copy of the project's start scripts beside a copy of the electron package, so the
    // installer (when this Node may run it) writes only there.
    await electronPackageCopy(dir);
    await mkdir(join(dir, 'scripts'));
    for (const file of ['start.mjs', 'electron-binary.mjs'])
      await copyFile(join(root, 'scripts', file), join(dir, 'scripts', file));
    // build.mjs is deliberately absent: reaching the build would fail loudly.
    const env = await offlineEnv(join(dir, 'cache'));
    const child = spawn(process.execPath, [join(dir, 'scripts', 'start.mjs')], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^deskline: cannot start the desktop app: .*; open the browser shell instead with: npm run shell$/,
    );
    // Node 22.12+ runs the installer (and fails offline); older Node is told why it cannot.
    if (nodeAtLeast(process.versions.node, DESKTOP_NODE_MIN))
      expect(lines[0]).toMatch(/could not be downloaded \(no network\?/);
    else expect(lines[0]).toMatch(/installer needs Node 22\.12\.0 or newer/);
  }, 60_000);
});

describe('installer failures in words', () => {
  it.each([
    [
      'TypeError: fetch failed\n    at node:internal/deps/undici',
      /could not be downloaded \(no network\? TypeError: fetch failed\)/,
    ],
    ['Error: getaddrinfo ENOTFOUND github.com', /no network\?/],
    [
      'HTTPError: Response code 404 (Not Found) for https://mirror/v45/x.zip',
      /installer failed \(HTTPError: Response code 404/,
    ],
    [
      'Error: Generated checksum for "electron.zip" did not match expected checksum.',
      /installer failed \(Error: Generated checksum/,
    ],
    ['', /installer failed \(exit code 1\)/],
  ])('%s', (output, expected) => {
    expect(installerFailureReason(output, 1)).toMatch(expected);
  });

  it('compares Node versions numerically', () => {
    expect(nodeAtLeast('20.19.0', '22.12.0')).toBe(false);
    expect(nodeAtLeast('22.11.9', '22.12.0')).toBe(false);
    expect(nodeAtLeast('v22.12.0', '22.12.0')).toBe(true);
    expect(nodeAtLeast('22.100.0', '22.12.0')).toBe(true);
    expect(nodeAtLeast('24.1.0', '22.12.0')).toBe(true);
  });
});
