// The refresh loop every provider shares (docs/directory.md §2): load, sanity-check against the
// last good snapshot, keep that one when a load fails or looks wrong, raise an alarm, retry sooner,
// and say all of it through one status. A provider supplies only `fetch()`.
//
// Sanity check: a directory that suddenly comes back empty, or with far fewer users than before,
// is far more often a broken filter, a renamed OU or a replication hiccup than a real change —
// and acting on it would sign out everyone at once. So it is refused and an operator decides
// (acceptNextLoad), as Cisco IM and Presence does not, and as a demanding operator expects.
import type { DirectoryDevice, DirectoryUser } from '../cti-link/directory-codec.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { assertNever } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { DirectoryError, DirectoryProblem } from './errors.js';
import {
  DirectoryAlarmKind,
  DirectoryProviderState,
  type DirectoryAlarm,
  type DirectoryCounts,
  type DirectorySnapshot,
  type DirectorySourceKind,
  type DirectoryStatus,
  type RefreshOutcome,
  type UserFinding,
} from './provider.js';

/** What a provider's fetch returns: the records and, for the troubleshooter, the findings. */
export interface DirectoryContent {
  readonly users: readonly DirectoryUser[];
  readonly devices: readonly DirectoryDevice[];
  readonly findings: ReadonlyMap<string, UserFinding>;
  /** Where this load came from, when it differs from the configured source (a failover URL). */
  readonly source?: string;
  /** Entries that did not become users, when the source knows it without reading every finding
   *  (records sources: 0). Default: counted from `findings`. */
  readonly skipped?: number;
}

export interface RefresherOptions {
  readonly kind: DirectorySourceKind;
  readonly source: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
  /** Delay before the next attempt after a failed or refused load. */
  readonly retryMs: number;
  /** The same while a good snapshot is in force (default retryMs): a source whose refusals are
   *  its own business (the CTI source's per-node checks) need not be asked again at once. */
  readonly retryWhileServingMs?: number;
  /** Refuse a load with fewer users, licensed users or appearances than this share (percent)
   *  below the last good snapshot's. 100 disables the check. */
  readonly maxShrinkPercent: number;
  readonly allowEmpty: boolean;
  /** Config paths named by the alarms. */
  readonly settings: { readonly empty: string; readonly shrink: string };
  /** Reads the source. Throws a DirectoryError (anything else is wrapped). */
  readonly fetch: () => Promise<DirectoryContent>;
}

const S = DirectoryProviderState;

// STYLE habit 5: one table of legal transitions; transition() refuses anything else.
const TRANSITIONS: Readonly<Record<DirectoryProviderState, readonly DirectoryProviderState[]>> = {
  [S.Starting]: [S.Ready, S.Failed, S.Disposed],
  [S.Failed]: [S.Ready, S.Failed, S.Disposed],
  [S.Ready]: [S.Ready, S.Degraded, S.Disposed],
  [S.Degraded]: [S.Ready, S.Degraded, S.Disposed],
  [S.Disposed]: [],
};

export function countsOf(
  content: Pick<DirectoryContent, 'users' | 'devices' | 'findings' | 'skipped'>,
): DirectoryCounts {
  const lines = new Set<string>();
  let appearances = 0;
  for (const device of content.devices) {
    for (const line of device.lines) {
      lines.add(`${line.dn}/${line.partition}`);
      appearances++;
    }
  }
  let skipped = content.skipped ?? 0;
  if (content.skipped === undefined)
    for (const finding of content.findings.values()) if (!finding.included) skipped++;
  return {
    users: content.users.length,
    licensedUsers: content.users.filter((u) => u.licence !== null).length,
    devices: content.devices.length,
    lines: lines.size,
    appearances,
    skipped,
  };
}

const SHRINK_METRICS: readonly { key: keyof DirectoryCounts; words: string }[] = [
  { key: 'users', words: 'users' },
  { key: 'licensedUsers', words: 'licensed users' },
  { key: 'appearances', words: 'line appearances' },
];

export class DirectoryRefresher {
  private stateValue: DirectoryProviderState = S.Starting;
  private snapshot: DirectorySnapshot | undefined;
  private inFlight: Promise<RefreshOutcome> | undefined;
  private timer: TimerHandle | undefined;
  private nextRefreshAt: number | undefined;
  private started = false;
  private acceptNext = false;
  private alarm: DirectoryAlarm | undefined;
  private lastAttemptAt: number | undefined;
  private lastError: DirectoryStatus['lastError'];
  private consecutiveFailures = 0;
  private readonly snapshotListeners = new Set<(snapshot: DirectorySnapshot) => void>();
  private readonly statusListeners = new Set<(status: DirectoryStatus) => void>();
  private readonly log: Logger;

  constructor(private readonly options: RefresherOptions) {
    this.log = options.logger.child({ component: 'directory', source: options.source });
  }

  get state(): DirectoryProviderState {
    return this.stateValue;
  }

  /** A load is in progress. */
  get loading(): boolean {
    return this.inFlight !== undefined;
  }

  current(): DirectorySnapshot | undefined {
    return this.snapshot;
  }

  status(): DirectoryStatus {
    return {
      kind: this.options.kind,
      source: this.options.source,
      state: this.stateValue,
      current: this.snapshot?.meta,
      lastAttemptAt: this.lastAttemptAt,
      lastError: this.lastError,
      consecutiveFailures: this.consecutiveFailures,
      alarms: this.alarm === undefined ? [] : [this.alarm],
      nextRefreshAt: this.nextRefreshAt,
    };
  }

  onSnapshot(listener: (snapshot: DirectorySnapshot) => void): () => void {
    this.snapshotListeners.add(listener);
    return () => this.snapshotListeners.delete(listener);
  }

  onStatus(listener: (status: DirectoryStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  acceptNextLoad(): void {
    this.acceptNext = true;
    this.log.info({}, 'directory: the next load skips the sanity check (operator confirmation)');
  }

  start(): void {
    if (this.started || this.stateValue === S.Disposed) return;
    this.started = true;
    void this.load();
  }

  load(): Promise<RefreshOutcome> {
    if (this.stateValue === S.Disposed) {
      return Promise.resolve({
        kind: 'failed',
        snapshot: this.snapshot,
        error: new DirectoryError(DirectoryProblem.Disposed, 'the directory provider is disposed'),
      });
    }
    if (this.inFlight !== undefined) return this.inFlight;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRefreshAt = undefined;
    const run = this.run().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    this.inFlight = run;
    return run;
  }

  async dispose(): Promise<void> {
    if (this.stateValue === S.Disposed) return;
    this.transition(S.Disposed);
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextRefreshAt = undefined;
    const running = this.inFlight;
    if (running !== undefined) await running;
    this.snapshotListeners.clear();
    this.statusListeners.clear();
  }

  // ------------------------------------------------------------------ internals

  private transition(to: DirectoryProviderState): void {
    const from = this.stateValue;
    if (!TRANSITIONS[from].includes(to)) throw new Error(`assertion failed: directory state ${from} → ${to}`);
    this.stateValue = to;
  }

  private schedule(): void {
    if (!this.started || this.stateValue === S.Disposed) return;
    // After a failed or refused load, try again sooner: the alarm clears as soon as it can.
    const delay =
      this.stateValue === S.Ready
        ? this.options.intervalMs
        : this.snapshot !== undefined
          ? (this.options.retryWhileServingMs ?? this.options.retryMs)
          : this.options.retryMs;
    this.nextRefreshAt = this.options.clock.now() + delay;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.nextRefreshAt = undefined;
      void this.load();
    }, delay);
    this.emitStatus();
  }

  private async run(): Promise<RefreshOutcome> {
    const { clock } = this.options;
    const started = clock.monotonic();
    this.lastAttemptAt = clock.now();
    let content: DirectoryContent;
    try {
      content = await this.options.fetch();
    } catch (cause) {
      const error =
        cause instanceof DirectoryError
          ? cause
          : new DirectoryError(
              DirectoryProblem.LdapError,
              `directory load failed: ${cause instanceof Error ? cause.message : String(cause)}`,
              { cause },
            );
      return this.failed(error);
    }
    if (this.stateValue === S.Disposed)
      return {
        kind: 'failed',
        snapshot: this.snapshot,
        error: new DirectoryError(
          DirectoryProblem.Disposed,
          'the directory provider was disposed during a load',
        ),
      };
    const counts = countsOf(content);
    const refusal = this.acceptNext ? undefined : this.sanityCheck(counts);
    this.acceptNext = false;
    if (refusal !== undefined) return this.refused(refusal);

    const snapshot: DirectorySnapshot = {
      users: content.users,
      devices: content.devices,
      findings: content.findings,
      meta: {
        kind: this.options.kind,
        source: content.source ?? this.options.source,
        loadedAt: clock.now(),
        durationMs: Math.round(clock.monotonic() - started),
        counts,
      },
    };
    this.snapshot = snapshot;
    this.consecutiveFailures = 0;
    this.lastError = undefined;
    this.transition(S.Ready);
    if (this.alarm !== undefined) {
      this.log.info({ alarm: this.alarm.kind }, 'directory alarm cleared: a load was accepted');
      this.alarm = undefined;
    }
    this.log.info(
      { ...counts, ms: snapshot.meta.durationMs, from: snapshot.meta.source },
      'directory loaded',
    );
    for (const listener of [...this.snapshotListeners]) {
      try {
        listener(snapshot);
      } catch (cause) {
        this.log.error(
          { error: cause instanceof Error ? cause.message : String(cause) },
          'directory snapshot listener threw',
        );
      }
    }
    this.emitStatus();
    return { kind: 'accepted', snapshot };
  }

  private sanityCheck(counts: DirectoryCounts): Omit<DirectoryAlarm, 'raisedAt'> | undefined {
    const { settings } = this.options;
    const previous = this.snapshot?.meta.counts;
    if (counts.users === 0 && !this.options.allowEmpty) {
      return {
        kind: DirectoryAlarmKind.EmptyRefused,
        problem: DirectoryProblem.Empty,
        setting: settings.empty,
        message:
          previous === undefined
            ? `the directory source returned no user; nothing was loaded`
            : `the directory source returned no user; keeping the last good directory (${previous.users} users)`,
      };
    }
    if (previous === undefined) return undefined;
    const share = this.options.maxShrinkPercent / 100;
    for (const metric of SHRINK_METRICS) {
      const before = previous[metric.key];
      const after = counts[metric.key];
      if (before > 0 && after < before * (1 - share)) {
        return {
          kind: DirectoryAlarmKind.ShrinkRefused,
          problem: DirectoryProblem.Shrunk,
          setting: settings.shrink,
          message: `the directory would shrink from ${before} to ${after} ${metric.words}, more than ${this.options.maxShrinkPercent}%; keeping the last good directory until an operator accepts the change`,
        };
      }
    }
    return undefined;
  }

  private raise(alarm: Omit<DirectoryAlarm, 'raisedAt'>): DirectoryAlarm {
    const previous = this.alarm;
    const raised: DirectoryAlarm = {
      ...alarm,
      raisedAt: previous?.kind === alarm.kind ? previous.raisedAt : this.options.clock.now(),
    };
    this.alarm = raised;
    const fields = {
      alarm: alarm.kind,
      problem: alarm.problem,
      setting: alarm.setting,
      failures: this.consecutiveFailures,
    };
    if (previous?.kind !== alarm.kind || previous.message !== alarm.message)
      this.log.warn(fields, `directory alarm: ${alarm.message}`);
    else this.log.debug(fields, `directory alarm persists: ${alarm.message}`);
    return raised;
  }

  private degrade(): void {
    switch (this.stateValue) {
      case S.Starting:
      case S.Failed:
        this.transition(S.Failed);
        return;
      case S.Ready:
      case S.Degraded:
        this.transition(S.Degraded);
        return;
      case S.Disposed:
        return;
      default:
        assertNever(this.stateValue, 'directory state');
    }
  }

  private failed(error: DirectoryError): RefreshOutcome {
    this.consecutiveFailures++;
    this.lastError =
      error.setting === undefined
        ? { problem: error.problem, message: error.message }
        : { problem: error.problem, message: error.message, setting: error.setting };
    if (this.stateValue !== S.Disposed) {
      this.raise({
        // A source that refused its own content (the CTI source checks each node) says so.
        kind:
          error.problem === DirectoryProblem.Empty
            ? DirectoryAlarmKind.EmptyRefused
            : error.problem === DirectoryProblem.Shrunk
              ? DirectoryAlarmKind.ShrinkRefused
              : DirectoryAlarmKind.Unavailable,
        problem: error.problem,
        ...(error.setting === undefined ? {} : { setting: error.setting }),
        message:
          this.snapshot === undefined
            ? `the directory could not be loaded: ${error.message}`
            : `the directory could not be refreshed, keeping the last good one: ${error.message}`,
      });
      this.degrade();
      this.emitStatus();
    }
    return { kind: 'failed', snapshot: this.snapshot, error };
  }

  private refused(refusal: Omit<DirectoryAlarm, 'raisedAt'>): RefreshOutcome {
    this.consecutiveFailures++;
    this.lastError = {
      problem: refusal.problem,
      message: refusal.message,
      ...(refusal.setting === undefined ? {} : { setting: refusal.setting }),
    };
    const alarm = this.raise(refusal);
    this.degrade();
    this.emitStatus();
    return { kind: 'refused', snapshot: this.snapshot, alarm };
  }

  private emitStatus(): void {
    if (this.statusListeners.size === 0) return;
    const status = this.status();
    for (const listener of [...this.statusListeners]) {
      try {
        listener(status);
      } catch (cause) {
        this.log.error(
          { error: cause instanceof Error ? cause.message : String(cause) },
          'directory status listener threw',
        );
      }
    }
  }
}

/** What the three providers share: every DirectoryProvider method that is the refresher's own. A
 *  provider sets `refresher` in its constructor and adds its fetch, start and dispose. */
export abstract class RefreshedProvider {
  protected abstract readonly refresher: DirectoryRefresher;

  load(): Promise<RefreshOutcome> {
    return this.refresher.load();
  }
  current(): DirectorySnapshot | undefined {
    return this.refresher.current();
  }
  onSnapshot(listener: (snapshot: DirectorySnapshot) => void): () => void {
    return this.refresher.onSnapshot(listener);
  }
  onStatus(listener: (status: DirectoryStatus) => void): () => void {
    return this.refresher.onStatus(listener);
  }
  status(): DirectoryStatus {
    return this.refresher.status();
  }
  acceptNextLoad(): void {
    this.refresher.acceptNextLoad();
  }
}
