// Dial-box suggestions: favourites by name or number, then recent numbers, then history
// names, then people the directory found (desk.searchDirectory). Pure; at most a handful,
// de-duplicated by digits.
import type { FavouriteView, HistoryEntryView, PersonView } from '../../../common/src/api/views.js';

export interface Suggestion {
  key: string;
  name?: string;
  number: string;
  source: 'favourite' | 'recent' | 'history' | 'directory';
  /** For a directory number: which of the person's numbers it is. */
  kind?: 'work' | 'mobile' | 'line';
}

export const MAX_SUGGESTIONS = 6;
/** Local suggestions leave room for this many from the directory. */
export const DIRECTORY_SUGGESTIONS = 4;

/** A person's numbers in the order people call them: their line, then work, then mobile. */
const KIND_ORDER = { line: 0, work: 1, mobile: 2 } as const;

const digitsOf = (text: string): string => text.replace(/[^0-9+*#]/g, '');

export function suggest(
  query: string,
  favourites: readonly FavouriteView[],
  recent: readonly string[],
  history: readonly HistoryEntryView[],
  max = MAX_SUGGESTIONS,
  directory: readonly PersonView[] = [],
): Suggestion[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const qDigits = digitsOf(q);
  const numberMatches = (number: string): boolean => qDigits !== '' && digitsOf(number).includes(qDigits);
  const out: Suggestion[] = [];
  const seen = new Set<string>();
  const localMax = directory.length === 0 ? max : Math.max(1, max - DIRECTORY_SUGGESTIONS);
  const add = (s: Omit<Suggestion, 'key'>): void => {
    const id = digitsOf(s.number) || s.number;
    if (seen.has(id) || out.length >= (s.source === 'directory' ? max : localMax)) return;
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
  // The directory matched the whole query already (name words or digits): every person counts.
  for (const person of directory)
    for (const n of [...person.numbers].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]))
      add({ name: person.name, number: n.number, source: 'directory', kind: n.kind });
  return out;
}
