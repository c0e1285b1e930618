// Phone numbers for people: "+14085550199" is shown as "+1 408 555 0199", grouped the way
// its country writes it (ITU-T E.123 international notation), with the E.164 form kept for
// a tooltip. Internal extensions and anything that is not a possible E.164 number are shown
// as they are. The grouping rules per country come from libphonenumber-js (Google's
// libphonenumber metadata): hand-written grouping gets most countries wrong ("+44 207 …").
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

export interface PeopleNumber {
  /** What to show. */
  text: string;
  /** The number as the phone system has it (E.164 for outside numbers), for a tooltip;
   *  absent when it reads the same as `text`. */
  e164?: string;
}

const cache = new Map<string, PeopleNumber>();
const CACHE_MAX = 500;

export function peopleNumber(number: string): PeopleNumber {
  const cached = cache.get(number);
  if (cached !== undefined) return cached;
  let result: PeopleNumber = { text: number };
  const trimmed = number.trim();
  if (/^\+\d{6,15}$/.test(trimmed)) {
    const parsed = parsePhoneNumberFromString(trimmed);
    if (parsed !== undefined && parsed.isPossible()) {
      const text = parsed.formatInternational();
      result = text === trimmed ? { text } : { text, e164: parsed.number };
    }
  }
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(number, result);
  return result;
}

/** The number formatted for people (see peopleNumber). */
export const formatNumber = (number: string): string => peopleNumber(number).text;

/** The tooltip for a shown number: its E.164 form, when that differs from what is shown. */
export const numberTitle = (number: string): string | undefined => {
  const { e164 } = peopleNumber(number);
  return e164 === undefined ? undefined : `E.164: ${e164}`;
};
