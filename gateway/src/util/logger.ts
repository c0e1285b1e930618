// The injected logger port. Production uses pino (structured JSON); tests use
// MemoryLogger to assert on what was logged. Secrets are never logged: anything
// that might carry one goes through redact().
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(fields: LogFields, message: string): void;
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(bindings: LogFields): Logger;
}

export const SECRET_KEYS = ['password', 'secret', 'token', 'authorization', 'passphrase', 'key'];

/** Copies fields, replacing the values of secret-looking keys (any depth) with "[redacted]". */
export function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    const lower = key.toLowerCase();
    if (SECRET_KEYS.some((secret) => lower.includes(secret))) out[key] = '[redacted]';
    else if (
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !(value instanceof Error)
    )
      out[key] = redact(value as LogFields);
    else out[key] = value;
  }
  return out;
}

// Disabled levels return before redact(): the hot paths log at debug, and copying their fields
// for nothing was measurable under load (docs/benchmarks.md, "Profile findings").
class PinoAdapter implements Logger {
  constructor(private readonly inner: PinoLogger) {}
  trace(fields: LogFields, message: string): void {
    if (this.inner.isLevelEnabled('trace')) this.inner.trace(redact(fields), message);
  }
  debug(fields: LogFields, message: string): void {
    if (this.inner.isLevelEnabled('debug')) this.inner.debug(redact(fields), message);
  }
  info(fields: LogFields, message: string): void {
    if (this.inner.isLevelEnabled('info')) this.inner.info(redact(fields), message);
  }
  warn(fields: LogFields, message: string): void {
    if (this.inner.isLevelEnabled('warn')) this.inner.warn(redact(fields), message);
  }
  error(fields: LogFields, message: string): void {
    this.inner.error(redact(fields), message);
  }
  child(bindings: LogFields): Logger {
    return new PinoAdapter(this.inner.child(redact(bindings)));
  }
}

export function createPinoLogger(
  options: { level?: LogLevel; name?: string; destination?: pino.DestinationStream } = {},
): Logger {
  const base = pino(
    {
      level: options.level ?? 'info',
      name: options.name ?? 'deskline',
      redact: { paths: ['password', '*.password', 'config.cti.password'], censor: '[redacted]' },
    },
    options.destination,
  );
  return new PinoAdapter(base);
}

export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

const LEVEL_RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

/** Keeps records in memory (tests, and the app's recent-log view); below `minLevel` is dropped. */
export class MemoryLogger implements Logger {
  constructor(
    readonly records: LogRecord[] = [],
    private readonly bindings: LogFields = {},
    private readonly limit = 10_000,
    private readonly minLevel: LogLevel = 'trace',
  ) {}
  private push(level: LogLevel, fields: LogFields, message: string): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.minLevel]) return;
    this.records.push({ level, message, fields: redact({ ...this.bindings, ...fields }) });
    // Drop the oldest half at once: amortised O(1) per record under load.
    if (this.records.length > this.limit) this.records.splice(0, Math.ceil(this.limit / 2));
  }
  trace(fields: LogFields, message: string): void {
    this.push('trace', fields, message);
  }
  debug(fields: LogFields, message: string): void {
    this.push('debug', fields, message);
  }
  info(fields: LogFields, message: string): void {
    this.push('info', fields, message);
  }
  warn(fields: LogFields, message: string): void {
    this.push('warn', fields, message);
  }
  error(fields: LogFields, message: string): void {
    this.push('error', fields, message);
  }
  child(bindings: LogFields): Logger {
    return new MemoryLogger(this.records, { ...this.bindings, ...bindings }, this.limit, this.minLevel);
  }
  /** Records whose message equals (or matches) `message`. */
  find(message: string | RegExp): LogRecord[] {
    return this.records.filter((r) =>
      typeof message === 'string' ? r.message === message : message.test(r.message),
    );
  }
}

export const nullLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => nullLogger,
};
