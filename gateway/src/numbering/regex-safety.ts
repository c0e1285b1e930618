// Regular expressions an administrator writes (numbering rules, line URI rewrites) are checked
// before they are compiled: bounded length, valid syntax, no exponential backtracking, and
// replacements that refer to real groups and dial only dialable characters (docs/numbering.md).

const REGEX_SOURCE_MAX_LENGTH = 200;

interface Quantifier {
  length: number;
  /** More than one repetition possible. */
  repeats: boolean;
  /** The number of repetitions is not fixed (*, +, ?, {n,}, {n,m} with m > n). */
  variable: boolean;
}

function readQuantifier(src: string, i: number): Quantifier | undefined {
  const ch = src[i];
  let q: Quantifier | undefined;
  if (ch === '*' || ch === '+') q = { length: 1, repeats: true, variable: true };
  else if (ch === '?') q = { length: 1, repeats: false, variable: true };
  else if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 16));
    if (m === null) return undefined; // a literal "{" (Annex B)
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    q = { length: m[0].length, repeats: max > 1, variable: max !== min };
  }
  if (q !== undefined && src[i + q.length] === '?') q.length++; // lazy
  return q;
}

/**
 * Rejects the patterns that backtrack exponentially: a repeated group whose body is itself of variable
 * length, or has alternatives (`(\d+)+`, `(1|12)*`). A conservative star-height check: admins write
 * phone-number patterns, which never need either, and a runaway regex would stall the event loop.
 */
function backtrackingProblem(src: string): string | undefined {
  const stack: { variable: boolean; alternation: boolean }[] = [{ variable: false, alternation: false }];
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    const top = stack[stack.length - 1];
    if (top === undefined) return 'unbalanced parentheses';
    if (ch === '\\') {
      i += 2;
    } else if (ch === '[') {
      i++;
      if (src[i] === '^') i++;
      if (src[i] === ']') i++;
      while (i < src.length && src[i] !== ']') i += src[i] === '\\' ? 2 : 1;
      i++;
    } else if (ch === '(') {
      stack.push({ variable: false, alternation: false });
      i++;
      continue; // a group's "(?:", "(?<name>" are not quantifiers: nothing below applies
    } else if (ch === '|') {
      top.alternation = true;
      i++;
      continue;
    } else if (ch === ')') {
      const inner = stack.pop();
      const outer = stack[stack.length - 1];
      if (inner === undefined || outer === undefined) return 'unbalanced parentheses';
      i++;
      const q = readQuantifier(src, i);
      if (q !== undefined && q.repeats && inner.variable)
        return 'a repeated group whose body has a variable length (such as "(\\d+)+") can take exponential time: write it without the nesting';
      if (q !== undefined && q.repeats && inner.alternation)
        return 'a repeated group with alternatives (such as "(1|12)*") can take exponential time: use a character class';
      if (inner.variable || (q !== undefined && q.variable)) outer.variable = true;
      if (q !== undefined) i += q.length;
      continue;
    } else {
      i++;
    }
    // After an atom (escape, class or plain character): its quantifier, if any.
    const q = readQuantifier(src, i);
    if (q !== undefined) {
      if (q.variable) top.variable = true;
      i += q.length;
    }
  }
  return undefined;
}

/** Why a regex source is refused, or undefined when it is fine. Shared by the schema and tests. */
export function regexProblem(source: string): string | undefined {
  if (source.length > REGEX_SOURCE_MAX_LENGTH)
    return `the pattern is ${source.length} characters long; the limit is ${REGEX_SOURCE_MAX_LENGTH}`;
  try {
    new RegExp(source);
  } catch (error) {
    // The RegExp constructor is the boundary with the engine's own parser.
    return `not a valid regular expression: ${error instanceof Error ? error.message : String(error)}`;
  }
  return backtrackingProblem(source);
}

/** Number of capture groups and their names, learnt by matching the empty alternative. */
function groupsOf(pattern: RegExp): { count: number; names: ReadonlySet<string> } {
  const probe = new RegExp(`${pattern.source}|`).exec('');
  return { count: probe === null ? 0 : probe.length - 1, names: new Set(Object.keys(probe?.groups ?? {})) };
}

/**
 * Checks a String.prototype.replace replacement: its references must name existing groups, and its literal
 * characters must be dialable (digits, `*`, `#`, `+`), so that a typo is a config error, not a failed call.
 */
export function replacementProblem(replace: string, source: string): string | undefined {
  let groups: { count: number; names: ReadonlySet<string> };
  try {
    groups = groupsOf(new RegExp(source));
  } catch {
    return undefined; // the pattern itself is reported by regexProblem()
  }
  for (let i = 0; i < replace.length; i++) {
    const ch = replace[i] ?? '';
    if (ch === '$') {
      const next = replace[i + 1] ?? '';
      if (next === '$' || next === '&') {
        i++;
        continue;
      }
      if (next === '<') {
        const close = replace.indexOf('>', i);
        const name = close < 0 ? '' : replace.slice(i + 2, close);
        if (!groups.names.has(name)) return `"$<${name}>" names no group of the pattern`;
        i = close;
        continue;
      }
      if (next >= '0' && next <= '9') {
        const two = replace.slice(i + 1, i + 3);
        const n2 = /^\d\d$/.test(two) ? Number(two) : -1;
        const n = n2 >= 1 && n2 <= groups.count ? n2 : Number(next);
        if (n < 1 || n > groups.count)
          return `"$${n}" refers to group ${n}, and the pattern has ${groups.count}`;
        i += n === n2 ? 2 : 1;
        continue;
      }
      return `"$${next}" is not a replacement reference this engine supports ($$, $&, $1-$99, $<name>)`;
    }
    if (!/[0-9*#+]/.test(ch))
      return `"${ch}" in the replacement cannot be dialled: literals are digits, "*", "#" and "+"`;
  }
  return undefined;
}
