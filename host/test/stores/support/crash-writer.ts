// Child process for the crash tests: opens the settings store in `dir`, starts saving
// `userId`, and at `point` stops dead (prints CRASH-POINT and hangs) so the parent can
// SIGKILL it there: a real process killed in the middle of a real save.
//   node --import tsx crash-writer.ts <dir> <point> <userId>
// point: mid-write | before-backup | before-replace | before-dir-sync
import { open } from 'node:fs/promises';
import { nodeDurableFs, type DurableFs } from '../../../src/stores/durable-fs.js';
import { MemorySecretStore } from '../../../src/stores/secret-store.js';
import { SettingsStore } from '../../../src/stores/settings-store.js';
import { nullLogger } from '../../../../gateway/src/index.js';

const [dir, point, userId] = process.argv.slice(2);
if (dir === undefined || point === undefined || userId === undefined) {
  console.error('usage: crash-writer <dir> <point> <userId>');
  process.exit(2);
}

// Never outlive a parent that failed to kill us.
setTimeout(() => process.exit(3), 20_000).unref();

function hang(): Promise<never> {
  process.stdout.write(`CRASH-POINT ${point}\n`);
  // A ref'd timer keeps the process alive until the parent's SIGKILL.
  setInterval(() => undefined, 1_000);
  return new Promise<never>(() => undefined);
}

let renames = 0;
const crashFs: DurableFs = {
  ...nodeDurableFs,
  async writeFileSynced(path, data, mode) {
    if (point !== 'mid-write') return nodeDurableFs.writeFileSynced(path, data, mode);
    // Half the document really reaches the disk, then the process dies.
    const handle = await open(path, 'w', mode);
    await handle.write(data.subarray(0, Math.floor(data.length / 2)));
    await handle.sync();
    return hang();
  },
  async rename(from, to) {
    renames += 1;
    if (point === 'before-backup' && renames === 1) return hang();
    if (point === 'before-replace' && renames === 2) return hang();
    return nodeDurableFs.rename(from, to);
  },
  async fsyncDir(target) {
    if (point === 'before-dir-sync') return hang();
    return nodeDurableFs.fsyncDir(target);
  },
};

const store = await SettingsStore.open({
  dir,
  secrets: new MemorySecretStore(),
  logger: nullLogger,
  fs: crashFs,
});
process.stdout.write('READY\n');
await store.update({ userId });
process.stdout.write('SAVED\n');
process.exit(0);
