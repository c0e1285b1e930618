// The file-system port of the app's persistent stores (docs/architecture.md §4.2: injected ports).
// Only the handful of operations an atomic replace needs, so a test can fail or "crash"
// at any one of them and check that nothing was lost.
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';

export interface DurableFs {
  /** Whole file; rejects with a Node error (`code` 'ENOENT' when absent). */
  readFile(path: string): Promise<Buffer>;
  /** Creates or truncates `path` with `mode`, writes all of `data`, fsyncs it, closes it. */
  writeFileSynced(path: string, data: Uint8Array, mode: number): Promise<void>;
  /** POSIX rename(2): atomically replaces `to` when it exists. */
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Makes a rename inside `dir` durable (fsync of the directory). */
  fsyncDir(dir: string): Promise<void>;
  /** mkdir -p with `mode` for the directories it creates. */
  mkdir(dir: string, mode: number): Promise<void>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeDurableFs: DurableFs = {
  readFile: (path) => readFile(path),
  async writeFileSynced(path, data, mode) {
    const handle = await open(path, 'w', mode);
    try {
      await handle.writeFile(data);
      // The data must be on disk before the rename publishes it, or a power cut can leave a
      // renamed but empty file (the ext4 "zero-length file" problem).
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  async fsyncDir(dir) {
    // Windows cannot open a directory for fsync (EPERM/EISDIR); NTFS journals the rename itself.
    if (process.platform === 'win32') return;
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  async mkdir(dir, mode) {
    await mkdir(dir, { recursive: true, mode });
  },
  readdir: (dir) => readdir(dir),
};

/** The Node error code of a rejected fs call, if any. */
export function fsErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
