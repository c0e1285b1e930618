// The app's log files, in the OS log location (Electron's app.getPath('logs'): Linux
// ~/.config/Deskline/logs, macOS ~/Library/Logs/Deskline, Windows %APPDATA%\Deskline\logs;
// docs/desktop.md "Logs and crashes"):
//   deskline.log, deskline.1.log … deskline.5.log   pino JSON lines, rotated at 5 MiB
//                                                  (rotating-file-stream, logrotate style)
//   crash.log, crash.1.log                          one JSON record per fault (fault-handler.ts)
// The crash log is written synchronously, unlike the main log: a record written while the
// process may be going down must be on disk when the call returns (an async stream may never
// flush). It is small and rare, so two files of 1 MiB are kept by renaming — no library needed.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { createPinoLogger, type Logger, type LogLevel } from '../../gateway/src/index.js';

export const LOG_FILE = 'deskline.log';
/** Rotated files kept beside the current one. */
export const LOG_ROTATED_FILES = 5;
export const LOG_ROTATE_SIZE = '5M';
export const CRASH_LOG_FILE = 'crash.log';
export const CRASH_LOG_MAX_BYTES = 1024 * 1024;

/** deskline.log, then deskline.1.log (newest rotated) … deskline.5.log. */
export function logFileName(index: number | null): string {
  return index === null || index === 0 ? LOG_FILE : LOG_FILE.replace(/\.log$/, `.${index}.log`);
}

export interface AppLog {
  logger: Logger;
  /** The directory holding the files. */
  dir: string;
  /** Flushes and closes the file (at quit). */
  dispose(): Promise<void>;
}

/** The app's logger writing to rotated files in `dir` (created 0700). */
export function openAppLog(
  dir: string,
  options: { level?: LogLevel; rotateSize?: string; /** Also to stdout (development). */ tee?: boolean } = {},
): AppLog {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // In logrotate mode the generator's only argument is the rotation index (null: current file).
  const stream: RotatingFileStream = createStream(
    (index) => logFileName(typeof index === 'number' ? index : null),
    {
      path: dir,
      size: options.rotateSize ?? LOG_ROTATE_SIZE,
      rotate: LOG_ROTATED_FILES,
      mode: 0o600,
    },
  );
  // A log file that cannot be written (disk full, removed) must not take the app down.
  stream.on('error', () => undefined);
  const logger = createPinoLogger({
    name: 'deskline',
    ...(options.level ? { level: options.level } : {}),
    destination: stream,
  });
  return {
    logger,
    dir,
    dispose: () =>
      new Promise<void>((resolve) => {
        if (stream.destroyed || stream.writableEnded) return resolve();
        stream.end(() => resolve());
      }),
  };
}

/** Appends one JSON record to crash.log synchronously; at 1 MiB the file becomes crash.1.log. */
export class CrashLog {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, CRASH_LOG_FILE);
  }

  append(record: Record<string, unknown>): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      let size = 0;
      try {
        size = statSync(this.path).size;
      } catch {
        size = 0;
      }
      if (size >= CRASH_LOG_MAX_BYTES)
        renameSync(this.path, join(this.dir, CRASH_LOG_FILE.replace(/\.log$/, '.1.log')));
      appendFileSync(this.path, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    } catch {
      // Nowhere left to say it: the main log has the error already.
    }
  }
}
