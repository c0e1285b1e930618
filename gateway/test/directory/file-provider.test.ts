// The `file` directory source (docs/directory.md "The file source"): a cluster file read with the
// simulator's own schema and validator — the same records the simulator serves over the CTI link —
// errors naming the row and field, reloaded when the file changes (a real file system watch), and
// the same sanity check and alarms as every source.
import { mkdtemp, rm, unlink, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DirectoryAlarmKind,
  DirectoryProblem,
  DirectoryProviderState,
  FileDirectoryProvider,
  isDirectoryError,
  type DirectorySnapshot,
  type FileDirectoryConfig,
} from '../../src/directory/index.js';
import { CtiConnection } from '../../src/cti/cti-connection.js';
import { Directory } from '../../src/core/directory.js';
import { ErrorCode } from '../../src/util/errors.js';
import { systemClock } from '../../src/util/clock.js';
import { MemoryLogger } from '../../src/util/logger.js';
import {
  DEMO_APPLICATION_PASSWORD,
  DEMO_APPLICATION_USER,
  demoClusterConfig,
  startSimulator,
  type ClusterConfig,
} from '../../../simulator/src/index.js';
import { clusterYaml } from '../profiles/worlds.js';

let dir: string;
const disposables: (() => Promise<void> | void)[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deskline-file-directory-'));
});
afterEach(async () => {
  for (const dispose of disposables.splice(0).reverse()) await dispose();
  await rm(dir, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function provider(path: string, more: Partial<FileDirectoryConfig> = {}, logger = new MemoryLogger()) {
  const p = new FileDirectoryProvider({
    config: {
      path,
      debounceMs: 50,
      refreshSec: 3600,
      retrySec: 3600,
      maxShrinkPercent: 20,
      allowEmpty: false,
      ...more,
    },
    clock: systemClock,
    logger,
  });
  disposables.push(() => p.dispose());
  return p;
}

/** The demo cluster without some of its users (and nothing else). */
function without(config: ClusterConfig, ids: readonly string[]): ClusterConfig {
  return { ...config, users: config.users.filter((u) => !ids.includes(u.id)) };
}

describe('the file source', () => {
  it('reads the records the simulator serves over the CTI link from the same cluster', async () => {
    const path = join(dir, 'users.yaml');
    await writeFile(path, clusterYaml(demoClusterConfig()));
    const file = provider(path);
    const outcome = await file.load();
    if (outcome.kind !== 'accepted') throw new Error(JSON.stringify(outcome));

    const sim = await startSimulator({ cluster: 'demo' });
    disposables.push(() => sim.dispose());
    const address = sim.nodes[0]?.address ?? '';
    const ups: string[] = [];
    const link = new CtiConnection(
      {
        index: 0,
        address: { host: '127.0.0.1', port: Number(address.split(':')[1]) },
        applicationUser: DEMO_APPLICATION_USER,
        password: DEMO_APPLICATION_PASSWORD,
        applicationId: 'test',
        heartbeatIntervalMs: 1000,
        heartbeatMissLimit: 2,
        requestTimeoutMs: 2000,
        reconnectInitialMs: 100,
        reconnectMaxMs: 500,
        clock: systemClock,
        logger: new MemoryLogger(),
      },
      { onUp: (_c, id) => ups.push(id), onDown: () => undefined },
    );
    disposables.push(() => link.dispose());
    link.start();
    await until(() => ups.length > 0, 'CTI link up');
    const segments = await link.loadDirectory();
    expect(outcome.snapshot.users).toEqual(segments.flatMap((s) => s.users));
    expect(outcome.snapshot.devices).toEqual(segments.flatMap((s) => s.devices));

    expect(outcome.snapshot.meta).toMatchObject({
      kind: 'file',
      source: path,
      counts: { users: 8, licensedUsers: 7, skipped: 0 },
    });
    // What the troubleshooter shows for a user.
    const frank = outcome.snapshot.findings.get('FRANK');
    expect(frank?.included).toBe(true);
    expect(frank?.entry).toBe(`users[5] in ${path}`);
    expect(frank?.checks.find((c) => c.check === 'licence')).toMatchObject({ ok: false });
    const grace = outcome.snapshot.findings.get('grace');
    expect(grace?.checks.find((c) => c.check === 'remoteCallControl')).toMatchObject({
      ok: true,
      detail: 'CTI control is not allowed on SEP00AABB000017',
    });
    // The session core's indexes from it: Carol's three appearances, the shared line.
    const index = new Directory(outcome.snapshot.users, outcome.snapshot.devices, 1, path);
    const carol = index.userById('carol');
    if (carol === undefined) throw new Error('no carol');
    expect(index.appearancesOfUser(carol).map((a) => a.id)).toEqual([
      'SEP00AABB000003/1003/INTERNAL',
      'SEP00AABB000003/1004/INTERNAL',
      'SEP00AABB000013/1003/INTERNAL',
    ]);
  });

  it('refuses a file that breaks the schema: every problem named by its row and field, nothing loaded', async () => {
    const path = join(dir, 'users.yaml');
    const config = demoClusterConfig();
    const broken = {
      ...config,
      users: config.users.map((u, i) => (i === 1 ? { ...u, controlledDevices: ['SEP00AABB0000FF'] } : u)),
      devices: config.devices.map((d, i) =>
        i === 3 ? { ...d, lines: [{ dn: '1999', partition: 'INTERNAL' }] } : d,
      ),
    };
    await writeFile(path, clusterYaml(broken));
    const logger = new MemoryLogger();
    const file = provider(path, {}, logger);
    const outcome = await file.load();
    if (outcome.kind !== 'failed') throw new Error(`expected a failure, got ${outcome.kind}`);
    expect(isDirectoryError(outcome.error, DirectoryProblem.FileInvalid)).toBe(true);
    expect(outcome.error.code).toBe(ErrorCode.ConfigInvalid);
    expect(outcome.error.message).toContain('users[1].controlledDevices[0]: unknown device SEP00AABB0000FF');
    expect(outcome.error.message).toContain(
      'devices[3].lines[0]: line 1999 in partition INTERNAL is not defined in lines',
    );
    expect(outcome.error.message).toMatch(/\(check directory\.file\.path\)$/);
    expect(file.status()).toMatchObject({
      state: DirectoryProviderState.Failed,
      alarms: [
        { kind: DirectoryAlarmKind.Unavailable, problem: 'fileInvalid', setting: 'directory.file.path' },
      ],
    });
    expect(logger.find(/^directory alarm: [\s\S]*users\[1\]\.controlledDevices\[0\]/).length).toBe(1);

    // A format mistake is caught by the schema, with its field path too.
    await writeFile(
      path,
      clusterYaml({
        ...config,
        devices: config.devices.map((d, i) =>
          i === 3 ? { ...d, lines: [{ dn: '1004', partition: 'NO SUCH' }] } : d,
        ),
      }),
    );
    const format = await file.load();
    if (format.kind !== 'failed') throw new Error(format.kind);
    expect(format.error.message).toContain('devices[3].lines[0].partition: must not contain "/" or spaces');
  });

  it('reloads when the file changes — written in place or replaced by a rename — and keeps the last good one through a bad edit', async () => {
    const path = join(dir, 'users.yaml');
    const config = demoClusterConfig();
    await writeFile(path, clusterYaml(config));
    const file = provider(path);
    const snapshots: DirectorySnapshot[] = [];
    file.onSnapshot((s) => snapshots.push(s));
    file.start();
    await until(() => snapshots.length === 1, 'the first load');

    // An editor writing in place: one more user (and a device for her).
    const added: ClusterConfig = {
      ...config,
      lines: [...config.lines, { dn: '1010', partition: 'INTERNAL', label: 'Ivy Irwin' }],
      devices: [
        ...config.devices,
        {
          name: 'SEP00AABB000010',
          model: 'Cisco 8865',
          description: 'Ivy',
          ctiAllowed: true,
          lines: [{ dn: '1010', partition: 'INTERNAL' }],
        },
      ],
      users: [
        ...config.users,
        {
          id: 'ivy',
          displayName: 'Ivy Irwin',
          licence: 'UCL',
          sipUri: 'sip:ivy@deskline.example',
          controlledDevices: ['SEP00AABB000010'],
        },
      ],
    };
    await writeFile(path, clusterYaml(added));
    await until(() => snapshots.length === 2, 'the change loaded');
    expect(snapshots[1]?.meta.counts.users).toBe(9);

    // A broken edit: the last good directory stays, an alarm says where the mistake is.
    await writeFile(path, 'users:\n  - id: ivy\n    id: ivy\n');
    await until(() => file.status().alarms.length > 0, 'an alarm');
    expect(file.current()?.meta.counts.users).toBe(9);
    expect(file.status()).toMatchObject({
      state: DirectoryProviderState.Degraded,
      alarms: [{ kind: DirectoryAlarmKind.Unavailable, problem: 'fileInvalid' }],
    });
    expect(file.status().lastError?.message).toMatch(/not valid YAML/);

    // A configuration tool writes a new file beside it and renames it over the old one.
    const next = join(dir, 'users.yaml.new');
    await writeFile(next, clusterYaml(config));
    await rename(next, path);
    await until(() => snapshots.length === 3, 'the replaced file loaded');
    expect(snapshots[2]?.meta.counts.users).toBe(8);
    expect(file.status().alarms).toEqual([]);
    expect(file.status().state).toBe(DirectoryProviderState.Ready);
  });

  it('refuses a sharp shrink and an empty file until an operator accepts it; a vanished file keeps the last good one', async () => {
    const path = join(dir, 'users.yaml');
    const config = demoClusterConfig();
    await writeFile(path, clusterYaml(config));
    const file = provider(path);
    expect((await file.load()).kind).toBe('accepted');

    await writeFile(path, clusterYaml(without(config, ['bob', 'carol', 'dave', 'emma', 'frank', 'grace'])));
    const shrunk = await file.load();
    expect(shrunk).toMatchObject({
      kind: 'refused',
      alarm: { kind: 'shrinkRefused', setting: 'directory.file.maxShrinkPercent' },
    });
    expect(file.current()?.meta.counts.users).toBe(8);
    file.acceptNextLoad();
    expect((await file.load()).kind).toBe('accepted');
    expect(file.current()?.meta.counts.users).toBe(2);

    await writeFile(path, clusterYaml({ ...config, users: [] }));
    expect(await file.load()).toMatchObject({ kind: 'refused', alarm: { kind: 'emptyRefused' } });

    await unlink(path);
    const gone = await file.load();
    if (gone.kind !== 'failed') throw new Error(gone.kind);
    expect(gone.error.problem).toBe(DirectoryProblem.FileUnreadable);
    expect(gone.error.code).toBe(ErrorCode.DirectoryUnavailable);
    expect(file.current()?.meta.counts.users).toBe(2);
  });
});
