// Dial-box suggestions: favourites by name or number, then recent numbers, then history
// names. Pure; at most a handful, de-duplicated by digits.
import type { FavouriteView, HistoryEntryView } from '../../../common/src/api/views.js';

export interface Suggestion {
  key: string;
  name?: string;
  number: string;
  source: 'favourite' | 'recent' | 'history';
}

export const MAX_SUGGESTIONS = 6;

const digitsOf = (text: string): string => text.replace(/[^0-9+*#]/g, '');

export function suggest(
  query: string,
  favourites: readonly FavouriteView[],
  recent: readonly string[],
  history: readonly HistoryEntryView[],
  max = MAX_SUGGESTIONS,
): Suggestion[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const qDigits = digitsOf(q);
  const numberMatches = (number: string): boolean => qDigits !== '' && digitsOf(number).includes(qDigits);
  const out: Suggestion[] = [];
  const seen = new Set<string>();
  const add = (s: Omit<Suggestion, 'key'>): void => {
    const id = digitsOf(s.number) || s.number;
    if (seen.has(id) || out.length >= max) return;
    seen.add(id);
    out.push({ ...s, key: `${s.source}:${id}` });
  };
  for (const f of favourites)
    if (f.name.toLowerCase().includes(q) || numberMatches(f.number))
      add({ name: f.name, number: f.number, source: 'favourite' });
  for (const number of recent) if (numberMatches(number)) add({ number, source: 'recent' });
  for (const h of history) {
    const display = h.display?.trim();
    if (
      (display !== undefined && display !== '' && display.toLowerCase().includes(q)) ||
      numberMatches(h.number)
    ) {
      add(
        display === undefined || display === ''
          ? { number: h.number, source: 'history' }
          : { name: display, number: h.number, source: 'history' },
      );
    }
  }
  return out;
}
