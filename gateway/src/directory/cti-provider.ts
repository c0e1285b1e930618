// The `cti` directory source (docs/cti-link.md §4): the simulator's `dl:directory`, loaded over the
// CTI link in node priority order — from the highest-priority node that is up and answering
// requests; if that load fails or its directory is refused (empty, or shrunk by more than
// `cti.directoryMaxShrinkPercent`), from the next. Each refused node is an alarm of its own in
// /health (`directory.refused`), a `directory refused` log line and a count in
// `deskline_directory_refusals_total{reason}`; when no node gives an acceptable directory the last
// good one stays in force. DirectoryRefresher does the rest (periodic refresh, status).
import type { CtiConnection } from '../cti/cti-connection.js';
import type { CtiPool } from '../cti/cti-pool.js';
import type { Clock } from '../util/clock.js';
import { wrapError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, DirectoryProblem } from './errors.js';
import { RecordFindings } from './record-findings.js';
import { DirectoryRefresher, RefreshedProvider, countsOf, type DirectoryContent } from './refresher.js';
import type { DirectoryLookup, DirectoryProvider } from './provider.js';

/** Why a node's directory was not taken: empty, shrunk beyond `cti.directoryMaxShrinkPercent`, or
 *  the load failed (timeout, undecodable, over `cti.directoryMaxSegments`, connection lost). */
export type DirectoryRefusalReason = 'empty' | 'shrink' | 'error';

/** An alarm for /health: one node's directory refused in the latest load. */
export interface DirectoryRefusal {
  /** The node's `host:port`. */
  cti: string;
  reason: DirectoryRefusalReason;
  message: string;
  /** Epoch ms. */
  at: number;
}

/** What the provider reports through (the gateway's metrics). */
export interface CtiDirectoryMetrics {
  directoryRefused(reason: DirectoryRefusalReason): void;
}

export interface CtiDirectoryProviderOptions {
  readonly pool: Pick<CtiPool, 'usableByPriority'>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `cti.directoryRefreshSec` × 1000. */
  readonly refreshMs: number;
  /** `cti.directoryMaxShrinkPercent`. */
  readonly maxShrinkPercent: number;
  readonly metrics?: CtiDirectoryMetrics;
}

export class CtiDirectoryProvider extends RefreshedProvider implements DirectoryProvider {
  readonly kind = 'cti' as const;
  /** The simulator's directory offers no people search: the desk face builds its own from the
   *  snapshot (docs/directory.md §7). */
  readonly lookup: DirectoryLookup | undefined = undefined;
  protected readonly refresher: DirectoryRefresher;
  private readonly log: Logger;
  private refusalsValue: readonly DirectoryRefusal[] = [];
  private skipChecks = false;
  private started = false;

  constructor(private readonly options: CtiDirectoryProviderOptions) {
    super();
    this.log = options.logger.child({ component: 'directory-cti' });
    this.refresher = new DirectoryRefresher({
      kind: 'cti',
      source: 'CTI Managers in priority order',
      clock: options.clock,
      logger: options.logger,
      intervalMs: options.refreshMs,
      // No directory yet: try again soon (a node may come up with one); else at the next refresh.
      retryMs: Math.min(5_000, options.refreshMs),
      retryWhileServingMs: options.refreshMs,
      // Each node's directory is checked here, against the one in force: the shared check would
      // refuse what a lower-priority node gives after a refused one.
      maxShrinkPercent: 100,
      allowEmpty: true,
      settings: { empty: 'cti.addresses', shrink: 'cti.directoryMaxShrinkPercent' },
      fetch: () => this.fetch(),
    });
  }

  /** Nodes refused in the latest load (empty when it had none). */
  get refusals(): readonly DirectoryRefusal[] {
    return this.refusalsValue;
  }

  start(): void {
    this.started = true;
    this.refresher.start();
  }
  override acceptNextLoad(): void {
    this.skipChecks = true;
    super.acceptNextLoad();
  }
  dispose(): Promise<void> {
    return this.refresher.dispose();
  }

  /** A CTI connection came up: the first one starts the loads; with no directory yet, this node
   *  may have one where the nodes tried so far had none (or refused theirs). */
  connectionUp(): void {
    if (!this.started) {
      this.start();
      return;
    }
    if (this.current() !== undefined) return;
    if (!this.refresher.loading) {
      void this.load();
      return;
    }
    void this.load().then(() => {
      if (this.current() === undefined) void this.load();
    });
  }

  // ------------------------------------------------------------------ one load

  private async fetch(): Promise<DirectoryContent> {
    const candidates = this.options.pool.usableByPriority();
    if (candidates.length === 0)
      throw new DirectoryError(
        DirectoryProblem.NoCtiManager,
        'no CTI Manager is up to load the directory from',
        {
          setting: 'cti.addresses',
        },
      );
    const skipChecks = this.skipChecks;
    this.skipChecks = false;
    const refusals: DirectoryRefusal[] = [];
    try {
      for (const connection of candidates) {
        if (!connection.isUsable) continue; // changed while an earlier node was tried
        const taken = await this.loadFrom(connection, skipChecks, refusals);
        if (taken !== undefined) return taken;
      }
    } finally {
      this.refusalsValue = refusals;
    }
    const kept = this.current()?.meta.counts;
    this.log.error(
      { refusals: refusals.map((r) => `${r.cti}: ${r.message}`), kept: kept ?? 'none' },
      'no CTI Manager gave an acceptable directory; keeping the previous one',
    );
    const reasons = new Set(refusals.map((r) => r.reason));
    const problem = reasons.has('shrink')
      ? DirectoryProblem.Shrunk
      : reasons.has('empty')
        ? DirectoryProblem.Empty
        : DirectoryProblem.CtiLoadFailed;
    throw new DirectoryError(
      problem,
      `no CTI Manager gave an acceptable directory: ${refusals.map((r) => `${r.cti}: ${r.message}`).join('; ')}`,
      {
        setting:
          problem === DirectoryProblem.Shrunk
            ? 'cti.directoryMaxShrinkPercent'
            : "the CTI Managers' directories",
        detail: { refusals: refusals.map((r) => ({ cti: r.cti, reason: r.reason })) },
      },
    );
  }

  /** One node's directory: the content when taken, undefined (and a refusal) when not. */
  private async loadFrom(
    connection: CtiConnection,
    skipChecks: boolean,
    refusals: DirectoryRefusal[],
  ): Promise<DirectoryContent | undefined> {
    const refuse = (reason: DirectoryRefusalReason, message: string): undefined => {
      this.options.metrics?.directoryRefused(reason);
      this.log.warn({ cti: connection.addressText, reason, message }, 'directory refused');
      refusals.push({ cti: connection.addressText, reason, message, at: this.options.clock.now() });
      return undefined;
    };
    let content: DirectoryContent;
    let segments: number;
    try {
      const loaded = await connection.loadDirectory();
      segments = loaded.length;
      const users = loaded.flatMap((s) => s.users);
      const devices = loaded.flatMap((s) => s.devices);
      const source = connection.addressText;
      content = {
        users,
        devices,
        findings: new RecordFindings(users, devices, (i) => `user ${i + 1} of the directory from ${source}`),
        skipped: 0,
        source,
      };
    } catch (cause) {
      return refuse('error', `load failed: ${wrapError(cause).message}`);
    }
    const size = countsOf(content);
    if (skipChecks) return content;
    if (size.users === 0)
      return refuse('empty', `empty directory (0 users, ${size.appearances} line appearances)`);
    const previous = this.current()?.meta.counts;
    if (previous !== undefined) {
      const max = this.options.maxShrinkPercent;
      const shrink = (before: number, after: number): number =>
        before === 0 ? 0 : ((before - after) / before) * 100;
      if (shrink(previous.users, size.users) > max || shrink(previous.appearances, size.appearances) > max)
        return refuse(
          'shrink',
          `directory shrank from ${previous.users} to ${size.users} users and from ${previous.appearances} to ${size.appearances} line appearances, more than cti.directoryMaxShrinkPercent (${max} %)`,
        );
    }
    this.log.debug({ cti: connection.addressText, segments }, 'directory taken from a CTI Manager');
    return content;
  }
}
