// Auto-update against a REAL feed: an HTTP server on 127.0.0.1 serving latest*.yml and the
// installer, as a generic electron-builder feed does, and the REAL electron-updater (its
// GenericProvider, version check, download, sha512 verification and cache) behind our
// UpdaterPort. Only what needs Electron is replaced at the boundary: the app adapter (version,
// paths) and the HTTP executor (Electron's net → builder-util's Node executor, the one
// electron-builder itself uses). Installing (dpkg/NSIS/Squirrel) is the one step not run here.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { DebUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import { ElectronHttpExecutor } from 'electron-updater/out/electronHttpExecutor.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '../../gateway/src/index.js';
import { FakeClock } from '../../gateway/test/support/fake-clock.js';
import {
  DEFAULT_CHECK_INTERVAL_MS,
  FIRST_CHECK_DELAY_MS,
  RETRY_INITIAL_MS,
  UpdateController,
  electronUpdaterPort,
  type UpdatePolicy,
  type UpdateStatus,
  type UpdaterPort,
} from '../src/updates.js';

interface Feed {
  server: Server;
  url: string;
  requests: string[];
  /** What the feed offers. */
  offer: { version: string; payload: Buffer; sha512?: string };
}

async function startFeed(version: string): Promise<Feed> {
  const feed = {
    requests: [] as string[],
    offer: { version, payload: randomBytes(200 * 1024) } as Feed['offer'],
  };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://feed').pathname;
    feed.requests.push(path);
    const file = `deskline_${feed.offer.version}_amd64.deb`;
    if (/^\/desktop\/latest[^/]*\.yml$/.test(path)) {
      const sha512 = feed.offer.sha512 ?? createHash('sha512').update(feed.offer.payload).digest('base64');
      // The shape electron-builder writes for a generic feed.
      response.setHeader('content-type', 'text/yaml');
      response.end(
        [
          `version: ${feed.offer.version}`,
          'files:',
          `  - url: ${file}`,
          `    sha512: ${sha512}`,
          `    size: ${feed.offer.payload.length}`,
          `path: ${file}`,
          `sha512: ${sha512}`,
          "releaseDate: '2026-03-01T09:00:00.000Z'",
          '',
        ].join('\n'),
      );
    } else if (path === `/desktop/${file}`) {
      response.setHeader('content-length', String(feed.offer.payload.length));
      response.end(feed.offer.payload);
    } else {
      response.statusCode = 404;
      response.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { ...feed, server, url: `http://127.0.0.1:${address.port}/desktop` };
}

let dir: string;
let feed: Feed | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-updates-'));
});
afterEach(async () => {
  if (feed !== undefined) await new Promise((resolve) => feed!.server.close(resolve));
  feed = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** electron-updater's app adapter for a packaged Deskline 0.1.0 whose data and cache live in `dir`. */
function nodeApp(appUpdateConfigPath: string): AppAdapter {
  return {
    version: '0.1.0',
    name: 'Deskline',
    isPackaged: true,
    appUpdateConfigPath,
    userDataPath: join(dir, 'userData'),
    baseCachePath: join(dir, 'cache'),
    whenReady: () => Promise.resolve(),
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  };
}

/** electron-updater's own HTTP executor with the one Electron call (net.request) made by Node's
 *  http.request: its download, redirects, retries and checksum handling stay electron-updater's. */
class NodeNetExecutor extends ElectronHttpExecutor {
  override createRequest(
    options: object,
    callback: (response: IncomingMessage) => void,
  ): ReturnType<ElectronHttpExecutor['createRequest']> {
    // HttpExecutor uses what both requests have (on 'response'/'error', end, abort); Electron's
    // type adds members it never calls here (followRedirect: no redirect on this feed).
    const request: ClientRequest = httpRequest(options, callback);
    return request as unknown as ReturnType<ElectronHttpExecutor['createRequest']>;
  }
}

/** The port over a real electron-updater DebUpdater, as main builds it over autoUpdater. The
 *  app-update.yml is what electron-builder writes from electron-builder.yml's `publish`. */
async function realPort(
  packagedFeedUrl: string,
  logger = new MemoryLogger(),
): Promise<{ port: UpdaterPort; installs: string[] }> {
  const configPath = join(dir, 'app-update.yml');
  await writeFile(
    configPath,
    `provider: generic\nurl: ${packagedFeedUrl}\nchannel: latest\nupdaterCacheDirName: deskline-updater\n`,
  );
  const updater = new DebUpdater(null, nodeApp(configPath));
  // Electron's net module is the boundary.
  Object.defineProperty(updater, 'httpExecutor', { value: new NodeNetExecutor() });
  const port = electronUpdaterPort(updater, logger);
  const installs: string[] = [];
  // Installing runs dpkg through sudo: recorded, not run.
  return { port: { ...port, installAndRestart: () => void installs.push('install') }, installs };
}

function controller(
  port: UpdaterPort | undefined,
  policy: Partial<UpdatePolicy> = {},
  restartBlocker: () => string | undefined = () => undefined,
) {
  const clock = new FakeClock();
  const statuses: UpdateStatus[] = [];
  const logger = new MemoryLogger();
  const updates = new UpdateController({
    port,
    policy: { enabled: true, autoDownload: true, checkIntervalMs: DEFAULT_CHECK_INTERVAL_MS, ...policy },
    clock,
    logger,
    restartBlocker,
    onStatus: (status) => statuses.push(status),
  });
  return { updates, clock, statuses, logger };
}

async function downloadedFiles(): Promise<string[]> {
  const cache = join(dir, 'cache', 'deskline-updater');
  if (!existsSync(cache)) return [];
  const out: string[] = [];
  for (const entry of await readdir(cache, { recursive: true })) out.push(String(entry));
  return out;
}

describe('auto-update against a real feed on 127.0.0.1', () => {
  it('finds a newer version, downloads and verifies it, and installs on restart only when no call is on', async () => {
    feed = await startFeed('0.2.0');
    const { port, installs } = await realPort('http://127.0.0.1:9/unused');
    let onCall = true;
    const { updates, statuses } = controller(port, { feed: { url: feed.url, channel: 'latest' } }, () =>
      onCall ? 'Finish your call first' : undefined,
    );
    const status = await updates.checkNow();
    expect(status).toMatchObject({ state: 'downloaded', version: '0.2.0', currentVersion: '0.1.0' });
    expect(statuses.map((s) => s.state)).toEqual(
      expect.arrayContaining(['checking', 'downloading', 'downloaded']),
    );
    expect(feed.requests).toEqual(['/desktop/latest-linux.yml', '/desktop/deskline_0.2.0_amd64.deb']);
    // The verified file is in electron-updater's cache, byte for byte.
    const files = await downloadedFiles();
    const deb = files.find((file) => file.endsWith('.deb'));
    expect(deb).toBeDefined();
    expect((await readFile(join(dir, 'cache', 'deskline-updater', deb!))).equals(feed.offer.payload)).toBe(
      true,
    );

    expect(updates.restartToUpdate()).toBe('Finish your call first');
    expect(installs).toEqual([]);
    onCall = false;
    expect(updates.restartToUpdate()).toBeUndefined();
    expect(installs).toEqual(['install']);
  });

  it('the packaged app-update.yml (electron-builder.yml publish) is the feed when the administrator names none', async () => {
    feed = await startFeed('0.1.0');
    const { port } = await realPort(feed.url);
    const { updates, clock } = controller(port);
    updates.start();
    expect(feed.requests).toEqual([]);
    clock.advance(FIRST_CHECK_DELAY_MS);
    await expect.poll(() => updates.status.state).toBe('idle');
    expect(updates.status.checkedAt).toBeDefined();
    expect(feed.requests).toEqual(['/desktop/latest-linux.yml']);
    // Up to date: the next check follows the interval.
    clock.advance(DEFAULT_CHECK_INTERVAL_MS - 1);
    expect(feed.requests).toHaveLength(1);
    clock.advance(1);
    await expect.poll(() => feed!.requests.length).toBe(2);
    updates.dispose();
  });

  it('a download whose sha512 does not match the feed is refused and retried later', async () => {
    feed = await startFeed('0.3.0');
    feed.offer.sha512 = createHash('sha512').update('something else').digest('base64');
    const { port } = await realPort(feed.url);
    const { updates, clock } = controller(port);
    const status = await updates.checkNow();
    expect(status.state).toBe('failed');
    expect(status.reason).toMatch(/download failed: .*sha512 checksum mismatch/);
    expect((await downloadedFiles()).filter((file) => file.endsWith('.deb'))).toEqual([]);
    // Retried after RETRY_INITIAL_MS, with the right file this time.
    feed.offer.sha512 = undefined;
    clock.advance(RETRY_INITIAL_MS);
    await expect.poll(() => updates.status.state, { timeout: 10_000 }).toBe('downloaded');
    updates.dispose();
  });

  it('a feed that cannot be reached fails the check and backs off, doubling', async () => {
    feed = await startFeed('0.2.0');
    const { port } = await realPort(feed.url);
    await new Promise((resolve) => feed!.server.close(resolve));
    feed = undefined;
    let checks = 0;
    const check = port.check.bind(port);
    const counted: UpdaterPort = {
      ...port,
      check: () => {
        checks += 1;
        return check();
      },
    };
    const { updates, clock } = controller(counted);
    expect((await updates.checkNow()).reason).toMatch(/check failed: .*ECONNREFUSED/);
    clock.advance(RETRY_INITIAL_MS - 1);
    expect(checks).toBe(1);
    clock.advance(1);
    expect(checks).toBe(2);
    // electron-updater itself retries a refused connection a few times before giving up.
    await expect.poll(() => updates.status.state, { timeout: 20_000 }).toBe('failed');
    clock.advance(RETRY_INITIAL_MS * 2 - 1);
    expect(checks).toBe(2);
    clock.advance(1);
    expect(checks).toBe(3);
    updates.dispose();
  }, 60_000);

  it('with autoDownload off it only says an update is available, and downloads when asked', async () => {
    feed = await startFeed('0.2.0');
    const { port } = await realPort(feed.url);
    const { updates } = controller(port, { autoDownload: false });
    expect(await updates.checkNow()).toMatchObject({ state: 'available', version: '0.2.0' });
    expect(feed.requests.filter((path) => path.endsWith('.deb'))).toEqual([]);
    expect(await updates.downloadNow()).toMatchObject({ state: 'downloaded', version: '0.2.0' });
  });

  it('an older version on the feed is not offered (no downgrade)', async () => {
    feed = await startFeed('0.0.9');
    const { port } = await realPort(feed.url);
    const { updates } = controller(port);
    expect((await updates.checkNow()).state).toBe('idle');
  });

  it('off when the administrator turns updates off, or when no feed exists', () => {
    const off = controller({ currentVersion: '0.1.0' } as UpdaterPort, { enabled: false });
    off.updates.start();
    expect(off.updates.status).toMatchObject({
      state: 'disabled',
      reason: /turned off by the administrator/,
    });
    expect(off.clock.pendingTimers()).toBe(0);
    const none = controller(undefined);
    expect(none.updates.status).toMatchObject({ state: 'disabled', reason: /no update feed/ });
    expect(none.updates.restartToUpdate()).toBe('no update is ready to install');
  });
});
