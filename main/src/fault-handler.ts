// The main process's last line of defence (docs/desktop.md "Logs and crashes"). An exception
// nobody caught, a promise rejection nobody handled, a renderer or helper process that died:
// each is logged with its stack, written to the crash log, and — for the first of a burst —
// told to the user in one plain sentence. The process carries on: a tray app that vanishes
// takes the user's phone control with it, while the failed action has already been answered
// with an error. Native crashes of the whole process are Electron's crashReporter's (minidumps
// in app.getPath('crashDumps')), started beside this in main.ts.
import type { Clock, Logger } from '../../gateway/src/index.js';
import type { CrashLog } from './log-files.js';

/** What the handler listens to (Node's process). */
export interface ProcessLike {
  on(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  removeListener(event: 'uncaughtException', listener: (error: Error, origin: string) => void): unknown;
  removeListener(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export type FaultKind = 'uncaughtException' | 'unhandledRejection' | 'rendererGone' | 'childProcessGone';

export interface FaultRecord {
  kind: FaultKind;
  at: string;
  version: string;
  message: string;
  stack?: string;
  detail?: Record<string, unknown>;
}

/** Faults recorded per minute; a storm beyond it is counted, not written (the disk stays usable). */
export const FAULTS_PER_MINUTE = 20;
/** The user hears about a fault at most this often. */
export const NOTIFY_EVERY_MS = 10 * 60_000;

export interface FaultHandlerDeps {
  logger: Logger;
  crashLog: Pick<CrashLog, 'append'>;
  clock: Clock;
  version: string;
  /** Tells the user (a notice and, with the popup closed, a notification). */
  notify(message: string): void;
}

export class FaultHandler {
  private windowStart = 0;
  private inWindow = 0;
  private dropped = 0;
  private lastNotified = Number.NEGATIVE_INFINITY;
  private total = 0;

  constructor(private readonly deps: FaultHandlerDeps) {}

  /** Faults seen since start. */
  get count(): number {
    return this.total;
  }

  /** Listens on the process; returns the function that stops listening. */
  install(target: ProcessLike): () => void {
    const onException = (error: Error, origin: string): void =>
      this.record('uncaughtException', error, { origin });
    const onRejection = (reason: unknown): void => this.record('unhandledRejection', reason);
    target.on('uncaughtException', onException);
    target.on('unhandledRejection', onRejection);
    return () => {
      target.removeListener('uncaughtException', onException);
      target.removeListener('unhandledRejection', onRejection);
    };
  }

  /** Records one fault. Never throws (it runs where nothing else would catch). */
  record(kind: FaultKind, error: unknown, detail?: Record<string, unknown>): void {
    try {
      this.total += 1;
      const now = this.deps.clock.monotonic();
      if (now - this.windowStart >= 60_000) {
        if (this.dropped > 0)
          this.deps.logger.error({ dropped: this.dropped }, 'faults: more faults than could be recorded');
        this.windowStart = now;
        this.inWindow = 0;
        this.dropped = 0;
      }
      this.inWindow += 1;
      if (this.inWindow > FAULTS_PER_MINUTE) {
        this.dropped += 1;
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const stack = error instanceof Error ? error.stack : undefined;
      const record: FaultRecord = {
        kind,
        at: new Date(this.deps.clock.now()).toISOString(),
        version: this.deps.version,
        message: message.slice(0, 2000),
        ...(stack === undefined ? {} : { stack: stack.slice(0, 8000) }),
        ...(detail === undefined ? {} : { detail }),
      };
      this.deps.logger.error(
        { kind, err: record.message, stack: record.stack, ...detail },
        'fault: the app carries on',
      );
      this.deps.crashLog.append({ ...record });
      if (kind !== 'childProcessGone' && now - this.lastNotified >= NOTIFY_EVERY_MS) {
        this.lastNotified = now;
        this.deps.notify(
          kind === 'rendererGone'
            ? 'The Deskline window stopped unexpectedly and was reopened. Your calls are not affected.'
            : 'Deskline hit an unexpected problem and carried on. If something does not work, restart it; details are in the log.',
        );
      }
    } catch {
      // Recording a fault must never become one.
    }
  }
}
