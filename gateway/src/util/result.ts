// Parsers return results, never sentinels (docs/architecture.md §4.6).
import type { DesklineError } from './errors.js';

export type Result<T, E = DesklineError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** Returns the value or throws the error: for call sites where failure is a bug or already handled. */
export function unwrap<T, E>(result: Result<T, E>): T {
  if (result.ok) return result.value;
  throw result.error;
}
