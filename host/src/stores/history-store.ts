// Call history, kept across restarts: built from the `desk.state` snapshots the engine
// pushes, bounded, and persisted through AtomicJsonFile like the settings.
//
// A call becomes one entry when it ends: when a snapshot shows it `cleared` or `failed`, or
// when it disappears from the snapshot. Its outcome, from what was seen of it:
//   answered   it was ever connected (or held), whatever ended it;
//   missed     inbound, never connected (rang out, declined, answered elsewhere, deflected);
//   failed     outbound, ended by the far end or the network before answer (ECMA-269 §12.2.13
//              event causes such as busy, callNotAnswered, destNotObtainable), or `failed`;
//   cancelled  outbound, we cleared it before it was answered.
// Duration is connected time (0 when never connected).
//
// File format (`history.json`): { "version": 1, "entries": [HistoryEntryView, ...] }, oldest first.
import { join } from 'node:path';
import { z } from 'zod';
import { HistoryEntryView, type CallView, type DeskStateView } from '../../../common/src/api/views.js';
import {
  type Clock,
  DesklineError,
  ErrorCode,
  type Logger,
  err,
  ok,
  type Result,
} from '../../../gateway/src/index.js';
import { AtomicJsonFile, type LoadSource } from './atomic-json-file.js';
import type { DurableFs } from './durable-fs.js';

export const HISTORY_FILE = 'history.json';
export const HISTORY_LIMIT = 1_000;
export const RECENT_NUMBERS_LIMIT = 10;

/** ECMA-269 §12.2.13 event causes that mean the far end or the network refused the call. */
const FAILURE_CAUSES = new Set([
  'busy',
  'callNotAnswered',
  'destNotObtainable',
  'doNotDisturb',
  'blocked',
  'networkCongestion',
  'networkNotObtainable',
  'reorderTone',
  'trunksBusy',
  'invalidNumberFormat',
  'numberChanged',
  'resourcesNotAvailable',
  'incompatibleDestination',
  'outOfService',
  'noAvailableAgents',
  'callRejected',
]);

interface HistoryDocument {
  version: 1;
  entries: HistoryEntryView[];
  /** When the user last saw the history (epoch ms): missed calls after it are "not yet seen"
   *  (the tray's and the History tab's badge). Absent from files written before it existed. */
  seenAt?: number;
}

const HistoryDocumentSchema: z.ZodType<HistoryDocument> = z.object({
  version: z.literal(1),
  entries: z.array(HistoryEntryView),
  seenAt: z.number().int().min(0).optional(),
});

/** What is remembered of a live call between snapshots. */
interface TrackedCall {
  call: CallView;
  /** Epoch ms it was first seen connected (when the view carries no connectedAt). */
  connectedSeenAt: number | undefined;
  /** The far end's name as last shown (a final snapshot may no longer carry it). */
  display: string | undefined;
}

export type HistoryChangeListener = (entries: readonly HistoryEntryView[]) => void;

export interface HistoryStoreOptions {
  dir: string;
  logger: Logger;
  clock: Clock;
  fs?: DurableFs;
  limit?: number;
}

export class HistoryStore {
  /** Oldest first; at most `limit`. */
  private entries: HistoryEntryView[];
  private readonly live = new Map<string, TrackedCall>();
  /** Calls already turned into an entry while they linger in snapshots as cleared/failed. */
  private readonly recorded = new Set<string>();
  private readonly listeners = new Set<HistoryChangeListener>();
  private lastSave: Promise<Result<void>> = Promise.resolve(ok(undefined));
  private disposed = false;
  private seenAt: number;

  private constructor(
    private readonly file: AtomicJsonFile<HistoryDocument>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limit: number,
    entries: HistoryEntryView[],
    readonly loadedFrom: LoadSource,
    seenAt: number,
  ) {
    this.entries = entries.slice(-limit);
    this.seenAt = seenAt;
  }

  static async open(options: HistoryStoreOptions): Promise<HistoryStore> {
    const logger = options.logger.child({ component: 'history' });
    const file = new AtomicJsonFile<HistoryDocument>({
      path: join(options.dir, HISTORY_FILE),
      schema: HistoryDocumentSchema,
      logger,
      mode: 0o600,
      ...(options.fs ? { fs: options.fs } : {}),
    });
    const loaded = await file.load();
    return new HistoryStore(
      file,
      options.clock,
      logger,
      options.limit ?? HISTORY_LIMIT,
      loaded.value?.entries ?? [],
      loaded.source,
      loaded.value?.seenAt ?? 0,
    );
  }

  /** Feeds one `desk.state` snapshot; records the calls that ended since the last one. */
  observe(state: DeskStateView): void {
    if (this.disposed) return;
    const added: HistoryEntryView[] = [];
    const present = new Set<string>();
    for (const call of state.calls) {
      present.add(call.callId);
      if (this.recorded.has(call.callId)) continue;
      const previous = this.live.get(call.callId);
      const connected = call.state === 'connected' || call.state === 'held';
      const tracked: TrackedCall = {
        call,
        connectedSeenAt:
          previous?.connectedSeenAt ??
          (connected || call.connectedAt !== undefined ? this.clock.now() : undefined),
        display: call.remote.display ?? previous?.display,
      };
      if (call.state === 'cleared' || call.state === 'failed') {
        this.live.delete(call.callId);
        this.recorded.add(call.callId);
        added.push(this.entryFor(tracked, call.endedAt ?? this.clock.now()));
      } else {
        this.live.set(call.callId, tracked);
      }
    }
    // Calls gone from the snapshot without a final state ended now.
    for (const [callId, tracked] of this.live) {
      if (present.has(callId)) continue;
      this.live.delete(callId);
      added.push(this.entryFor(tracked, this.clock.now()));
    }
    for (const callId of this.recorded) if (!present.has(callId)) this.recorded.delete(callId);
    if (added.length > 0) this.append(added);
  }

  /** Newest first. */
  list(limit = this.limit): HistoryEntryView[] {
    const count = Math.max(0, Math.min(limit, this.entries.length));
    const out: HistoryEntryView[] = new Array<HistoryEntryView>(count);
    for (let i = 0; i < count; i++) out[i] = this.entries[this.entries.length - 1 - i] as HistoryEntryView;
    return out;
  }

  /** The most recent distinct numbers, newest first (for the tray menu and the dial screen). */
  recentNumbers(max = RECENT_NUMBERS_LIMIT): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    for (let i = this.entries.length - 1; i >= 0 && out.length < max; i--) {
      const number = (this.entries[i] as HistoryEntryView).number;
      if (number === '' || seen.has(number)) continue;
      seen.add(number);
      out.push(number);
    }
    return out;
  }

  async clear(): Promise<Result<void>> {
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'history store disposed'));
    const previous = this.entries;
    this.entries = [];
    const saved = await this.persist();
    if (!saved.ok) {
      // Nothing changes when the empty list cannot be saved.
      this.entries = previous;
      return saved;
    }
    this.emit();
    return ok(undefined);
  }

  /** Missed calls that started after the user last saw the history. */
  unseenMissed(): number {
    let count = 0;
    for (const entry of this.entries)
      if (entry.outcome === 'missed' && entry.startedAt > this.seenAt) count += 1;
    return count;
  }

  /** The user has seen the history (the app.historySeen method): the missed-call badge clears.
   *  Saved with the entries; listeners hear it like any change. */
  async markSeen(at = this.clock.now()): Promise<Result<void>> {
    if (this.disposed) return err(new DesklineError(ErrorCode.Disposed, 'history store disposed'));
    if (at <= this.seenAt) return ok(undefined);
    const previous = this.seenAt;
    this.seenAt = at;
    const saved = await this.persist();
    if (!saved.ok) {
      this.seenAt = previous;
      return saved;
    }
    this.emit();
    return ok(undefined);
  }

  onChange(listener: HistoryChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every entry recorded so far is on disk; the last save's result. */
  async flush(): Promise<Result<void>> {
    await this.file.flush();
    return this.lastSave;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.file.dispose();
    this.live.clear();
    this.recorded.clear();
    this.listeners.clear();
  }

  private entryFor(tracked: TrackedCall, endedAt: number): HistoryEntryView {
    const { call } = tracked;
    const connectedAt = call.connectedAt ?? tracked.connectedSeenAt;
    const answered = connectedAt !== undefined;
    let outcome: HistoryEntryView['outcome'];
    if (answered) outcome = 'answered';
    else if (call.direction === 'inbound') outcome = 'missed';
    else if (call.state === 'failed' || (call.cause !== undefined && FAILURE_CAUSES.has(call.cause)))
      outcome = 'failed';
    else outcome = 'cancelled';
    const entry: HistoryEntryView = {
      id: `${call.callId}@${call.startedAt}`,
      callId: call.callId,
      direction: call.direction,
      number: call.remote.number,
      startedAt: call.startedAt,
      durationMs: answered ? Math.max(0, endedAt - connectedAt) : 0,
      outcome,
    };
    if (tracked.display !== undefined) entry.display = tracked.display;
    return entry;
  }

  private append(added: HistoryEntryView[]): void {
    this.entries.push(...added);
    // Trim in one splice when over the bound (not one shift per call).
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    this.lastSave = this.persist();
    this.emit();
  }

  private persist(): Promise<Result<void>> {
    return this.file.save({ version: 1, entries: this.entries.slice(), seenAt: this.seenAt });
  }

  private emit(): void {
    if (this.listeners.size === 0) return;
    const view = this.list();
    for (const listener of this.listeners) {
      try {
        listener(view);
      } catch (error) {
        this.logger.error(
          { err: error instanceof Error ? error.message : String(error) },
          'history: change listener threw',
        );
      }
    }
  }
}
