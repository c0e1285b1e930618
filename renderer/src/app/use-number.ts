// Live number normalisation as the user types: desk.normalizeNumber after a short pause,
// latest answer wins (an older, slower answer never overwrites a newer one).
import { useEffect, useRef, useState } from 'react';
import type { DomainApi } from '../../../common/src/api/contract.js';
import type { NumberView, PersonView } from '../../../common/src/api/views.js';

export const NORMALIZE_DEBOUNCE_MS = 120;

export function useNormalizedNumber(api: DomainApi, input: string): NumberView | null {
  const [latest, setLatest] = useState<{ input: string; view: NumberView } | null>(null);
  const seq = useRef(0);
  useEffect(() => {
    seq.current += 1;
    const mine = seq.current;
    if (input.trim() === '') return undefined;
    const timer = window.setTimeout(() => {
      api.desk.normalizeNumber({ input: input.slice(0, 128) }).then(
        (view) => {
          if (seq.current === mine) setLatest({ input, view });
        },
        () => undefined,
      );
    }, NORMALIZE_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [api, input]);
  // Only a view of the current input is shown: never a stale one while typing on.
  return latest !== null && latest.input === input ? latest.view : null;
}

/** What to send for a number the user entered: the engine's dial string when it has one. */
export const dialable = (input: string, view: NumberView | null): string =>
  view !== null && view.valid && view.dialString !== '' ? view.dialString : input.trim();

export const SEARCH_DEBOUNCE_MS = 200;
/** People the Dial screen asks the directory for, at most. */
export const SEARCH_LIMIT = 6;

/** Directory search as the user types (desk.searchDirectory, docs/directory.md §7): after a
 *  pause, from 2 characters; the latest answer wins; a refusal (too short, no directory) shows
 *  nothing rather than an error while typing. */
export function useDirectorySearch(api: DomainApi, input: string): PersonView[] {
  const [latest, setLatest] = useState<{ query: string; people: PersonView[] } | null>(null);
  const seq = useRef(0);
  const query = input.trim();
  useEffect(() => {
    seq.current += 1;
    const mine = seq.current;
    if (query.length < 2) return undefined;
    const timer = window.setTimeout(() => {
      api.desk.searchDirectory({ query: query.slice(0, 128), limit: SEARCH_LIMIT }).then(
        (found) => {
          if (seq.current === mine) setLatest({ query, people: found.people });
        },
        () => {
          if (seq.current === mine) setLatest({ query, people: [] });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [api, query]);
  return latest !== null && latest.query === query ? latest.people : [];
}
