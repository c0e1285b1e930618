// String helpers for what long-lived records keep.

/**
 * A copy of `text` that shares no memory with the document it was cut from. V8 keeps a substring
 * of 13 characters or more as a slice of its parent string, so a record that keeps one pins the
 * whole parent — a SIP header section, a CSTA XML body — for as long as the record lives
 * (docs/benchmarks.md, "Memory per session"). Round-tripping through UTF-8 bytes gives a flat
 * string of its own; cheap enough for the few strings a session keeps, not for a hot path.
 */
export function detachString(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}
