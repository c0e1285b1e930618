// A JSON document persisted atomically, with the previous good copy kept beside it.
//
// A save is: write `<file>.<pid>.<n>.tmp` and fsync it; move the current good file to
// `<file>.bak`; rename the temp file over `<file>`; fsync the directory. rename(2) is atomic
// (POSIX.1-2017 rename: "a link named new shall remain visible to other threads throughout
// the renaming operation"), so at every instant one of `<file>` or `<file>.bak` holds a
// complete, valid document, and a crash at any step loses nothing that was saved before.
// A load reads `<file>`, and if it is missing, unparseable (a partial write) or fails the
// schema, falls back to `<file>.bak` with a logged warning naming what was wrong.
//
// Saves are serialized and coalesced: while one is in flight, later values replace each
// other and only the newest is written next; every caller learns when its value (or a newer
// one) is durable.
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import {
  DesklineError,
  ErrorCode,
  wrapError,
  type Logger,
  err,
  ok,
  type Result,
} from '../../../gateway/src/index.js';
import { fsErrorCode, nodeDurableFs, type DurableFs } from './durable-fs.js';

/** Where a loaded document came from. */
export type LoadSource = 'current' | 'backup' | 'none';

export interface LoadOutcome<T> {
  /** Undefined when neither file holds a valid document (first run, or both damaged). */
  value: T | undefined;
  source: LoadSource;
  /** What was wrong with the files skipped, for logs and notices ("settings.json: heartbeatIntervalSec: ..."). */
  problems: string[];
}

export interface AtomicJsonFileOptions<T> {
  path: string;
  /** Validates what is read back; its output is what load() returns. */
  schema: z.ZodType<T>;
  logger: Logger;
  fs?: DurableFs;
  /** File mode of the documents (0o600: settings and secrets are the user's alone). */
  mode?: number;
}

interface PendingSave<T> {
  value: T;
  waiters: Array<(result: Result<void>) => void>;
}

const DIR_MODE = 0o700;
let tempSequence = 0;

/** Zod issues as "a.b: message; c: message", naming the bad fields (never their values: they may be secrets). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

export class AtomicJsonFile<T> {
  readonly path: string;
  readonly backupPath: string;
  private readonly dir: string;
  private readonly fs: DurableFs;
  private readonly mode: number;
  private readonly logger: Logger;
  private readonly schema: z.ZodType<T>;
  /** Whether `path` holds a valid document: only then is it rotated to `.bak` before a replace,
   *  so a damaged file never overwrites the good backup. */
  private currentIsGood = false;
  private dirReady = false;
  private writing = false;
  private pending: PendingSave<T> | undefined;
  private idleWaiters: Array<() => void> = [];
  private disposed = false;

  constructor(options: AtomicJsonFileOptions<T>) {
    this.path = options.path;
    this.backupPath = `${options.path}.bak`;
    this.dir = dirname(options.path);
    this.fs = options.fs ?? nodeDurableFs;
    this.mode = options.mode ?? 0o600;
    this.logger = options.logger;
    this.schema = options.schema;
  }

  async load(): Promise<LoadOutcome<T>> {
    await this.removeStaleTemps();
    const problems: string[] = [];
    const current = await this.readValid(this.path);
    if (current.ok) {
      this.currentIsGood = true;
      return { value: current.value, source: 'current', problems };
    }
    this.currentIsGood = false;
    if (current.error !== 'absent') problems.push(`${basename(this.path)}: ${current.error}`);
    const backup = await this.readValid(this.backupPath);
    if (backup.ok) {
      if (problems.length > 0)
        this.logger.warn({ file: this.path, problems }, 'store: file damaged, using the last good copy');
      else
        this.logger.warn(
          { file: this.path },
          'store: file missing, using the last good copy (a save was interrupted)',
        );
      return { value: backup.value, source: 'backup', problems };
    }
    if (backup.error !== 'absent') problems.push(`${basename(this.backupPath)}: ${backup.error}`);
    if (problems.length > 0)
      this.logger.warn({ file: this.path, problems }, 'store: no valid copy, starting from defaults');
    return { value: undefined, source: 'none', problems };
  }

  /** Resolves when `value` (or a newer value saved after it) is durable on disk. */
  save(value: T): Promise<Result<void>> {
    if (this.disposed)
      return Promise.resolve(
        err(new DesklineError(ErrorCode.Disposed, `${basename(this.path)}: store disposed`)),
      );
    return new Promise((resolve) => {
      if (this.pending === undefined) this.pending = { value, waiters: [resolve] };
      else {
        this.pending.value = value;
        this.pending.waiters.push(resolve);
      }
      this.pump();
    });
  }

  /** Resolves once nothing is being written or waiting to be. */
  flush(): Promise<void> {
    if (!this.writing && this.pending === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Finishes the saves already asked for, then refuses new ones. */
  async dispose(): Promise<void> {
    await this.flush();
    this.disposed = true;
  }

  private pump(): void {
    if (this.writing) return;
    const job = this.pending;
    if (job === undefined) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const waiter of waiters) waiter();
      return;
    }
    this.pending = undefined;
    this.writing = true;
    void this.writeNow(job.value).then((result) => {
      this.writing = false;
      for (const waiter of job.waiters) waiter(result);
      this.pump();
    });
  }

  private async writeNow(value: T): Promise<Result<void>> {
    const bytes = Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    const temp = join(this.dir, `${basename(this.path)}.${process.pid}.${++tempSequence}.tmp`);
    let step = 'create directory';
    try {
      if (!this.dirReady) {
        await this.fs.mkdir(this.dir, DIR_MODE);
        this.dirReady = true;
      }
      step = 'write';
      await this.fs.writeFileSynced(temp, bytes, this.mode);
      if (this.currentIsGood) {
        step = 'keep previous copy';
        try {
          await this.fs.rename(this.path, this.backupPath);
        } catch (error) {
          if (fsErrorCode(error) !== 'ENOENT') throw error;
        }
        // From here until the next rename, `.bak` is the only good copy: load() falls back to it.
        this.currentIsGood = false;
      }
      step = 'replace';
      await this.fs.rename(temp, this.path);
      this.currentIsGood = true;
      step = 'sync directory';
      await this.fs.fsyncDir(this.dir);
      return ok(undefined);
    } catch (error) {
      await this.fs.unlink(temp).catch(() => undefined);
      const wrapped = wrapError(
        error,
        ErrorCode.Internal,
        `${basename(this.path)} could not be saved (${step})`,
      );
      this.logger.error({ file: this.path, step, code: fsErrorCode(error) }, 'store: save failed');
      return err(wrapped);
    }
  }

  private async readValid(path: string): Promise<Result<T, string>> {
    let raw: Buffer;
    try {
      raw = await this.fs.readFile(path);
    } catch (error) {
      return err(
        fsErrorCode(error) === 'ENOENT' ? 'absent' : `unreadable (${fsErrorCode(error) ?? 'error'})`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      // A truncated write ends mid-token: this is the "partial file" case.
      return err(raw.length === 0 ? 'empty' : 'not valid JSON (truncated or corrupt)');
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) return err(`invalid: ${describeIssues(parsed.error)}`);
    return ok(parsed.data);
  }

  /** Temp files of saves that a crash interrupted are never read; remove them. */
  private async removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.dir);
    } catch {
      return;
    }
    const prefix = `${basename(this.path)}.`;
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp'))
        await this.fs.unlink(join(this.dir, name)).catch(() => undefined);
    }
  }
}
