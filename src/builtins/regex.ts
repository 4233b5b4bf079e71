// regex.* builtins with Go RE2 semantics (see re2.ts for the syntax translation).
import { type BuiltinFamily, fail, int, str } from './common.js';
import { compileRe2, expandTemplate, findAll, quoteMeta } from './re2.js';

function matches(pattern: string, value: string): boolean {
  const re = compileRe2(pattern);
  re.lastIndex = 0;
  return re.test(value);
}

/** Go's Regexp.Split(s, -1). */
function split(pattern: string, value: string): string[] {
  const re = compileRe2(pattern);
  if (pattern.length > 0 && value.length === 0) return [''];
  const out: string[] = [];
  let begin = 0;
  let end = 0;
  for (const m of findAll(re, value, -1)) {
    end = m.index;
    if (m.index + m[0].length !== 0) out.push(value.slice(begin, end));
    begin = m.index + m[0].length;
  }
  if (end !== value.length) out.push(value.slice(begin));
  return out;
}

/** Start/end indices of the outermost delimited parts of a template (gorilla/mux style). */
function delimiterIndices(template: string, open: string, close: string): number[] {
  let level = 0;
  let start = 0;
  const idxs: number[] = [];
  for (let i = 0; i < template.length; i++) {
    if (template[i] === open) {
      if (level++ === 0) start = i;
    } else if (template[i] === close) {
      if (--level === 0) idxs.push(start, i + 1);
      else if (level < 0) fail(`unbalanced braces in "${template}"`);
    }
  }
  if (level !== 0) fail(`unbalanced braces in "${template}"`);
  return idxs;
}

function templateMatch(template: string, value: string, open: string, close: string): boolean {
  const idxs = delimiterIndices(template, open, close);
  let pattern = '^';
  let end = 0;
  for (let i = 0; i < idxs.length; i += 2) {
    const raw = template.slice(end, idxs[i]);
    end = idxs[i + 1]!;
    const part = template.slice(idxs[i]! + 1, end - 1);
    compileRe2(`^${part}$`); // each part must be a valid regex on its own
    pattern += `${quoteMeta(raw)}(${part})`;
  }
  pattern += `${quoteMeta(template.slice(end))}$`;
  return matches(pattern, value);
}

// --- regex.globs_match: do two glob-like regexes match a common string? ---------------------

/** One position of a glob-like regex: a set of characters and how often it may repeat. */
interface GlobToken {
  chars: CharSet;
  repeat: 'one' | 'optional' | 'star';
}

/** A character set: ranges of code points, possibly negated; `any` for dot. */
interface CharSet {
  negated: boolean;
  ranges: [number, number][];
}

const ANY: CharSet = { negated: true, ranges: [] };

function parseGlobRegex(pattern: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    let chars: CharSet;
    if (c === '.') {
      chars = ANY;
      i++;
    } else if (c === '[') {
      let j = i + 1;
      const negated = pattern[j] === '^';
      if (negated) j++;
      const ranges: [number, number][] = [];
      let first = true;
      while (j < pattern.length && (pattern[j] !== ']' || first)) {
        first = false;
        let lo = pattern.codePointAt(j)!;
        if (pattern[j] === '\\') {
          j++;
          if (j >= pattern.length) fail(`input:${pattern} is not a valid glob-like regex`);
          lo = pattern.codePointAt(j)!;
        }
        j += String.fromCodePoint(lo).length;
        let hi = lo;
        if (pattern[j] === '-' && pattern[j + 1] !== undefined && pattern[j + 1] !== ']') {
          j++;
          if (pattern[j] === '\\') j++;
          hi = pattern.codePointAt(j)!;
          j += String.fromCodePoint(hi).length;
        }
        ranges.push([lo, hi]);
      }
      if (j >= pattern.length) fail(`input:${pattern} is not a valid glob-like regex: missing closing ]`);
      chars = { negated, ranges };
      i = j + 1;
    } else if (c === '\\') {
      const next = pattern.codePointAt(i + 1);
      if (next === undefined) fail(`input:${pattern} is not a valid glob-like regex: trailing backslash`);
      chars = { negated: false, ranges: [[next, next]] };
      i += 1 + String.fromCodePoint(next).length;
    } else if ('*+?'.includes(c)) {
      fail(`input:${pattern} is not a valid glob-like regex: missing argument to repetition operator`);
    } else if ('()|{}^$'.includes(c)) {
      fail(`input:${pattern} is not a valid glob-like regex: unsupported character ${c}`);
    } else {
      const cp = pattern.codePointAt(i)!;
      chars = { negated: false, ranges: [[cp, cp]] };
      i += String.fromCodePoint(cp).length;
    }
    const q = pattern[i];
    if (q === '*') {
      tokens.push({ chars, repeat: 'star' });
      i++;
    } else if (q === '+') {
      tokens.push({ chars, repeat: 'one' }, { chars, repeat: 'star' });
      i++;
    } else if (q === '?') {
      tokens.push({ chars, repeat: 'optional' });
      i++;
    } else tokens.push({ chars, repeat: 'one' });
  }
  return tokens;
}

function inSet(set: CharSet, cp: number): boolean {
  const hit = set.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  return set.negated ? !hit : hit;
}

/** Whether some character is in both sets. */
function setsIntersect(a: CharSet, b: CharSet): boolean {
  if (a.negated && b.negated) return true; // finitely many exclusions each: something remains
  if (!a.negated) return a.ranges.some(([lo, hi]) => rangeHits(lo, hi, b));
  return b.ranges.some(([lo, hi]) => rangeHits(lo, hi, a));
}

function rangeHits(lo: number, hi: number, set: CharSet): boolean {
  // candidate points: the range ends and the neighbours of the other set's range ends
  const candidates = new Set<number>([lo, hi]);
  for (const [l, h] of set.ranges) for (const p of [l - 1, l, h, h + 1]) if (p >= lo && p <= hi) candidates.add(p);
  for (const p of candidates) if (inSet(set, p)) return true;
  return false;
}

/** Breadth-first search over pairs of positions: can both reach their ends together? */
function globsIntersect(a: GlobToken[], b: GlobToken[]): boolean {
  const seen = new Set<string>();
  const queue: [number, number][] = [[0, 0]];
  while (queue.length > 0) {
    const [i, j] = queue.shift()!;
    const key = `${i},${j}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const ta = a[i];
    const tb = b[j];
    if (ta && ta.repeat !== 'one') queue.push([i + 1, j]);
    if (tb && tb.repeat !== 'one') queue.push([i, j + 1]);
    if (ta && tb && setsIntersect(ta.chars, tb.chars)) {
      const nextA = ta.repeat === 'star' ? [i, i + 1] : [i + 1];
      const nextB = tb.repeat === 'star' ? [j, j + 1] : [j + 1];
      for (const x of nextA) for (const y of nextB) queue.push([x, y]);
    }
  }
  return false;
}

export const regexBuiltins: BuiltinFamily = {
  'regex.match': (_ctx, pattern, value) => matches(str(pattern, 1), str(value, 2)),
  re_match: (_ctx, pattern, value) => matches(str(pattern, 1), str(value, 2)),
  'regex.is_valid': (_ctx, pattern) => {
    if (typeof pattern !== 'string') return false;
    try {
      compileRe2(pattern);
      return true;
    } catch {
      return false;
    }
  },
  'regex.find_n': (_ctx, pattern, value, n) => {
    const re = compileRe2(str(pattern, 1));
    return findAll(re, str(value, 2), int(n, 3)).map((m) => m[0]);
  },
  'regex.find_all_string_submatch_n': (_ctx, pattern, value, n) => {
    const re = compileRe2(str(pattern, 1));
    return findAll(re, str(value, 2), int(n, 3)).map((m) => [...m].map((g) => g ?? ''));
  },
  'regex.replace': (_ctx, value, pattern, replacement) => {
    const s = str(value, 1);
    const re = compileRe2(str(pattern, 2));
    const template = str(replacement, 3);
    let out = '';
    let last = 0;
    for (const m of findAll(re, s, -1)) {
      out += s.slice(last, m.index) + expandTemplate(template, m);
      last = m.index + m[0].length;
    }
    return out + s.slice(last);
  },
  'regex.split': (_ctx, pattern, value) => split(str(pattern, 1), str(value, 2)),
  'regex.template_match': (_ctx, template, value, open, close) => {
    const o = str(open, 3);
    const c = str(close, 4);
    if ([...o].length !== 1 || [...c].length !== 1) fail('delimiters must be exactly one character');
    return templateMatch(str(template, 1), str(value, 2), o, c);
  },
  'regex.globs_match': (_ctx, glob1, glob2) => globsIntersect(parseGlobRegex(str(glob1, 1)), parseGlobRegex(str(glob2, 2))),
};
