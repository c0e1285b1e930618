// A readable form of a dial string, for display as the user types (docs/numbering.md).
/** ITU-T E.164 country codes of one and two digits; every other country code has three. */
const CC_ONE = new Set(['1', '7']);
const CC_TWO = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

function countryCodeLength(digits: string): number {
  if (CC_ONE.has(digits.slice(0, 1))) return 1;
  if (CC_TWO.has(digits.slice(0, 2))) return 2;
  return 3;
}

/** Groups of three from the left; the last group has 2 to 4 digits. */
function groupDigits(digits: string): string {
  if (digits.length <= 4) return digits;
  let out = '';
  let i = 0;
  while (digits.length - i > 4) {
    out += digits.slice(i, i + 3) + ' ';
    i += 3;
  }
  return out + digits.slice(i);
}

/**
 * A readable form of a dial string: NANP as `+1 408 555 1234`, other E.164 as country code and groups
 * (`+32 222 202 20`), anything else (internal extensions, service codes) unchanged. Partial numbers are
 * grouped as far as they go, for display as the user types.
 */
export function formatNumberForDisplay(dialString: string): string {
  // Not E.164 (internal numbers, service codes), or not a country code (+0…): shown as it is.
  if (
    dialString.length < 3 ||
    dialString.charCodeAt(0) !== 0x2b ||
    dialString.charCodeAt(1) === 0x30 ||
    !/^\+\d+$/.test(dialString)
  )
    return dialString;
  const digits = dialString.slice(1);
  if (digits.charCodeAt(0) === 0x31) {
    // North American Numbering Plan: +1 NPA NXX XXXX.
    const rest = digits.slice(1);
    let out = '+1';
    if (rest.length > 0) out += ' ' + rest.slice(0, 3);
    if (rest.length > 3) out += ' ' + rest.slice(3, 6);
    if (rest.length > 6) out += ' ' + rest.slice(6);
    return out;
  }
  const cc = countryCodeLength(digits);
  if (digits.length <= cc) return dialString;
  return `+${digits.slice(0, cc)} ${groupDigits(digits.slice(cc))}`;
}
