// Live number normalisation as the user types: desk.normalizeNumber after a short pause,
// latest answer wins (an older, slower answer never overwrites a newer one).
import { useEffect, useRef, useState } from 'react';
import type { DomainApi } from '../../../common/src/api/contract.js';
import type { NumberView } from '../../../common/src/api/views.js';

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
