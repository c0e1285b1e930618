// The `file` directory source (docs/directory.md "The file source"): users, licences, lines and
// devices from a YAML file in the simulator's cluster-file schema — the same schema and validator
// the simulator uses (gateway/src/cti-link/cluster-file.ts), so a file is judged the same way by
// both, every problem named by its row and field (`users[2].controlledDevices[0]: unknown device …`).
//
// Reloaded when it changes: a watch on the file's folder (editors and configuration tools replace a
// file by renaming a new one over it, which a watch on the file itself would not see), debounced,
// then loaded through DirectoryRefresher like any source: the same sanity check (an empty or sharply
// shrunk file keeps the last good directory and raises an alarm), the same alarms and status. A
// periodic read catches what a watch misses (network file systems).
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { clusterDirectory, readClusterFile, validateCluster } from '../cti-link/cluster-file.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { wrapError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, DirectoryProblem } from './errors.js';
import { RecordFindings } from './record-findings.js';
import { DirectoryRefresher, RefreshedProvider, type DirectoryContent } from './refresher.js';
import type { DirectoryLookup, DirectoryProvider } from './provider.js';

export interface FileDirectoryConfig {
  /** Absolute (the configuration resolves it against the config file's folder). */
  readonly path: string;
  readonly debounceMs: number;
  readonly refreshSec: number;
  readonly retrySec: number;
  readonly maxShrinkPercent: number;
  readonly allowEmpty: boolean;
}

export interface FileDirectoryProviderOptions {
  readonly config: FileDirectoryConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Where the settings sit in the gateway's config, for messages (default `directory.file`). */
  readonly settingsPath?: string;
}

export class FileDirectoryProvider extends RefreshedProvider implements DirectoryProvider {
  readonly kind = 'file' as const;
  /** A cluster file offers no people search of its own: the desk face builds one from the
   *  snapshot (docs/directory.md §7). */
  readonly lookup: DirectoryLookup | undefined = undefined;
  protected readonly refresher: DirectoryRefresher;
  private readonly prefix: string;
  private readonly log: Logger;
  private watcher: FSWatcher | undefined;
  private debounce: TimerHandle | undefined;
  private disposed = false;

  constructor(private readonly options: FileDirectoryProviderOptions) {
    super();
    const config = options.config;
    this.prefix = options.settingsPath ?? 'directory.file';
    this.log = options.logger.child({ component: 'directory-file' });
    this.refresher = new DirectoryRefresher({
      kind: 'file',
      source: config.path,
      clock: options.clock,
      logger: options.logger,
      intervalMs: config.refreshSec * 1000,
      retryMs: config.retrySec * 1000,
      maxShrinkPercent: config.maxShrinkPercent,
      allowEmpty: config.allowEmpty,
      settings: {
        empty: `${this.prefix}.path (the file has no users)`,
        shrink: `${this.prefix}.maxShrinkPercent`,
      },
      fetch: () => this.fetch(),
    });
  }

  /** Loads now, watches the file, and refreshes periodically. */
  start(): void {
    if (this.disposed) return;
    this.watchFolder();
    this.refresher.start();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.options.clock.clearTimeout(this.debounce);
    this.debounce = undefined;
    await this.refresher.dispose();
  }

  // ------------------------------------------------------------------ watching

  private watchFolder(): void {
    if (this.watcher !== undefined) return;
    const path = this.options.config.path;
    const name = basename(path);
    try {
      this.watcher = watch(dirname(path), { persistent: false }, (_event, changed) => {
        // Linux and macOS name the entry; elsewhere a change of any entry is taken as ours.
        if (changed !== null && changed !== name) return;
        this.changed();
      });
      this.watcher.on('error', (cause) => {
        // The folder went away (or the watch broke): the periodic read still runs.
        this.log.warn(
          { error: wrapError(cause).message, path },
          'directory file watch stopped; changes are read at the periodic refresh',
        );
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (cause) {
      this.log.warn(
        { error: wrapError(cause).message, path },
        'cannot watch the directory file; changes are read at the periodic refresh',
      );
    }
  }

  /** A change seen: load once the writes have settled (an editor saves in several writes). */
  private changed(): void {
    if (this.disposed) return;
    this.options.clock.clearTimeout(this.debounce);
    this.debounce = this.options.clock.setTimeout(() => {
      this.debounce = undefined;
      this.log.info({ path: this.options.config.path }, 'directory file changed: loading it');
      void this.refresher.load();
    }, this.options.config.debounceMs);
  }

  // ------------------------------------------------------------------ one load

  private async fetch(): Promise<DirectoryContent> {
    const path = this.options.config.path;
    const read = await readClusterFile(path);
    if (!read.ok) {
      const unreadable = read.error.detail?.['unreadable'] === true;
      throw new DirectoryError(
        unreadable ? DirectoryProblem.FileUnreadable : DirectoryProblem.FileInvalid,
        read.error.message,
        { setting: `${this.prefix}.path`, cause: read.error, detail: issuesOf(read.error.detail) },
      );
    }
    const validated = validateCluster(read.value);
    if (!validated.ok)
      throw new DirectoryError(DirectoryProblem.FileInvalid, `${path}: ${validated.error.message}`, {
        setting: `${this.prefix}.path`,
        cause: validated.error,
        detail: issuesOf(validated.error.detail),
      });
    const { users, devices } = clusterDirectory(validated.value);
    return {
      users,
      devices,
      findings: new RecordFindings(users, devices, (i) => `users[${i}] in ${path}`),
      skipped: 0,
    };
  }
}

function issuesOf(detail: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  const issues = detail?.['issues'];
  return Array.isArray(issues) ? { issues: issues.slice(0, 20) } : {};
}
