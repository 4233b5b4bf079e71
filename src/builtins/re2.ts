// Go RE2 syntax → JavaScript RegExp. Rego regexes are Go's: what RE2 rejects (backreferences,
// lookaround) is an error here too, and RE2-only syntax (\A, \z, \Q…\E, [[:alpha:]], (?P<n>…),
// \pN, \x{…}) is rewritten. Matching loops follow Go's rules for empty matches.
import { fail } from './common.js';

const SYNTAX_CHARS = '^$\\.*+?()[]{}|/';
const SPACE_CLASS = '\\t\\n\\f\\r ';

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function parseError(message: string): never {
  fail(`error parsing regexp: ${message}`);
}

/** Escapes one literal character for use inside or outside a JS character class. */
function literal(ch: string, inClass: boolean): string {
  if (SYNTAX_CHARS.includes(ch) || (inClass && ch === '-')) return `\\${ch}`;
  if (ch === '\n') return '\\n';
  return ch;
}

interface Escape {
  /** JS text for the escape (a class body fragment when `classBody` is set). */
  text: string;
  /** The escape stands for a class (\d, \s, \pL …), not a single character. */
  isClass: boolean;
  length: number;
}

/** Reads the escape starting at pattern[i] === '\\'. */
function readEscape(pattern: string, i: number, inClass: boolean): Escape {
  const c = pattern[i + 1];
  if (c === undefined) parseError('trailing backslash at end of expression: ``');
  const simple: Record<string, string> = { a: '\\x07', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v' };
  if (simple[c] !== undefined) return { text: simple[c], isClass: false, length: 2 };
  if ('dDwW'.includes(c)) return { text: `\\${c}`, isClass: true, length: 2 };
  if (c === 's') return { text: inClass ? SPACE_CLASS : `[${SPACE_CLASS}]`, isClass: true, length: 2 };
  if (c === 'S') {
    if (inClass) parseError('invalid escape sequence: `\\S` in class');
    return { text: `[^${SPACE_CLASS}]`, isClass: true, length: 2 };
  }
  if (c === 'p' || c === 'P') {
    let name: string;
    let length: number;
    if (pattern[i + 2] === '{') {
      const end = pattern.indexOf('}', i + 3);
      if (end < 0) parseError(`invalid character class range: \`${pattern.slice(i)}\``);
      name = pattern.slice(i + 3, end);
      length = end + 1 - i;
    } else {
      name = pattern[i + 2] ?? '';
      length = 3;
    }
    let negate = c === 'P';
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    if (!/^[A-Za-z_]+$/.test(name)) parseError(`invalid character class range: \`${pattern.slice(i, i + length)}\``);
    const prop = name === 'Any' ? null : name.length <= 2 ? name : `Script=${name}`;
    const text = prop === null ? (negate ? '' : '\\s\\S') : `\\${negate ? 'P' : 'p'}{${prop}}`;
    try {
      new RegExp(`[${text}]`, 'u');
    } catch {
      parseError(`invalid character class range: \`${pattern.slice(i, i + length)}\``);
    }
    return { text: inClass ? text : `[${text}]`, isClass: true, length };
  }
  if (c === 'x') {
    if (pattern[i + 2] === '{') {
      const end = pattern.indexOf('}', i + 3);
      const hex = end < 0 ? '' : pattern.slice(i + 3, end);
      if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) parseError(`invalid escape sequence: \`${pattern.slice(i, end + 1)}\``);
      return { text: literal(String.fromCodePoint(parseInt(hex, 16)), inClass), isClass: false, length: end + 1 - i };
    }
    const hex = pattern.slice(i + 2, i + 4);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) parseError(`invalid escape sequence: \`${pattern.slice(i, i + 4)}\``);
    return { text: literal(String.fromCodePoint(parseInt(hex, 16)), inClass), isClass: false, length: 4 };
  }
  if (/[0-7]/.test(c) && c !== '0' && !/[0-7]/.test(pattern[i + 2] ?? '')) {
    // \1 … \7 alone would be a backreference, which RE2 does not have.
    parseError(`invalid escape sequence: \`\\${c}\``);
  }
  if (/[0-7]/.test(c)) {
    const m = /^[0-7]{1,3}/.exec(pattern.slice(i + 1))!;
    return { text: literal(String.fromCodePoint(parseInt(m[0], 8)), inClass), isClass: false, length: 1 + m[0].length };
  }
  if (/[A-Za-z0-9]/.test(c)) parseError(`invalid escape sequence: \`\\${c}\``);
  return { text: literal(c, inClass), isClass: false, length: 2 };
}

/** Translates a character class starting at pattern[i] === '['; returns JS text and length. */
function readClass(pattern: string, start: number): { text: string; length: number } {
  let i = start + 1;
  let negate = false;
  if (pattern[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  // A range is only valid between single characters; remember the last one.
  let lastChar: number | undefined;
  while (true) {
    if (i >= pattern.length) parseError(`missing closing ]: \`${pattern.slice(start)}\``);
    const c = pattern[i]!;
    if (c === ']' && !first) break;
    first = false;
    if (c === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end > 0) {
        let name = pattern.slice(i + 2, end);
        const neg = name.startsWith('^');
        if (neg) name = name.slice(1);
        const cls = POSIX_CLASSES[name];
        if (cls === undefined) parseError(`invalid character class range: \`${pattern.slice(i, end + 2)}\``);
        if (neg) {
          // JS classes cannot nest a negation; RE2 allows it. Rare enough to reject clearly.
          parseError(`invalid character class range: \`${pattern.slice(i, end + 2)}\``);
        }
        body += cls;
        lastChar = undefined;
        i = end + 2;
        continue;
      }
    }
    let text: string;
    let code: number | undefined;
    if (c === '\\') {
      const esc = readEscape(pattern, i, true);
      text = esc.text;
      i += esc.length;
      if (!esc.isClass) code = decodeLiteral(esc.text);
    } else {
      const cp = pattern.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      text = literal(ch, true);
      code = cp;
      i += ch.length;
    }
    // range a-z
    if (pattern[i] === '-' && pattern[i + 1] !== ']' && pattern[i + 1] !== undefined && code !== undefined) {
      let hiText: string;
      let hi: number;
      if (pattern[i + 1] === '\\') {
        const esc = readEscape(pattern, i + 1, true);
        if (esc.isClass) parseError(`invalid character class range: \`${pattern.slice(i - 1, i + 1 + esc.length)}\``);
        hiText = esc.text;
        hi = decodeLiteral(esc.text);
        i += 1 + esc.length;
      } else {
        hi = pattern.codePointAt(i + 1)!;
        hiText = literal(String.fromCodePoint(hi), true);
        i += 1 + String.fromCodePoint(hi).length;
      }
      if (hi < code) parseError(`invalid character class range: \`${String.fromCodePoint(code)}-${String.fromCodePoint(hi)}\``);
      body += `${text}-${hiText}`;
      lastChar = undefined;
      continue;
    }
    body += text;
    lastChar = code;
  }
  void lastChar;
  const length = i + 1 - start;
  if (body === '') return { text: negate ? '[\\s\\S]' : '[]', length };
  return { text: `[${negate ? '^' : ''}${body}]`, length };
}

/** The code point of a translated single-character escape text. */
function decodeLiteral(text: string): number {
  if (text.startsWith('\\x')) return parseInt(text.slice(2), 16);
  const named: Record<string, number> = { '\\f': 12, '\\t': 9, '\\n': 10, '\\r': 13, '\\v': 11 };
  if (named[text] !== undefined) return named[text];
  return (text.startsWith('\\') ? text.slice(1) : text).codePointAt(0)!;
}

export interface TranslatedRegex {
  source: string;
  flags: string;
}

export function translateRe2(pattern: string): TranslatedRegex {
  let flags = 'u';
  let out = '';
  let i = 0;
  // Leading flag group (?ims) applies to the whole pattern, which JS flags can express.
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    if (lead[1]!.includes('U')) parseError('invalid or unsupported Perl syntax: `(?U`');
    for (const f of new Set(lead[1]!)) flags += f;
    i = lead[0].length;
  }
  let depth = 0;
  // Whether the last emitted item can take a repetition operator.
  let canRepeat = false;
  let lastWasRepeat = false;
  let lazyDone = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const text = end < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, end);
        out += [...text].map((ch) => literal(ch, false)).join('');
        i = end < 0 ? pattern.length : end + 2;
        canRepeat = text.length > 0;
        lastWasRepeat = false;
        continue;
      }
      if (pattern[i + 1] === 'A' || pattern[i + 1] === 'z') {
        out += pattern[i + 1] === 'A' ? '(?<![\\s\\S])' : '(?![\\s\\S])';
        i += 2;
        canRepeat = false;
        lastWasRepeat = false;
        continue;
      }
      if (pattern[i + 1] === 'b' || pattern[i + 1] === 'B') {
        out += `\\${pattern[i + 1]}`;
        i += 2;
        canRepeat = false;
        lastWasRepeat = false;
        continue;
      }
      const esc = readEscape(pattern, i, false);
      out += esc.text;
      i += esc.length;
      canRepeat = true;
      lastWasRepeat = false;
      continue;
    }
    if (c === '[') {
      const cls = readClass(pattern, i);
      out += cls.text;
      i += cls.length;
      canRepeat = true;
      lastWasRepeat = false;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i);
        let m: RegExpExecArray | null;
        if ((m = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(rest))) {
          out += `(?<${m[1]}>`;
          i += m[0].length;
        } else if (rest.startsWith('(?:')) {
          out += '(?:';
          i += 3;
        } else if ((m = /^\(\?(-?[ims]+|[ims]+-[ims]*):/.exec(rest)) || (m = /^\(\?(-?[imsU]+)\)/.exec(rest))) {
          parseError(`invalid or unsupported Perl syntax: \`${m[0].slice(0, 3)}\``);
        } else {
          parseError(`invalid or unsupported Perl syntax: \`${rest.slice(0, 3)}\``);
        }
      } else {
        out += '(';
        i++;
      }
      depth++;
      canRepeat = false;
      lastWasRepeat = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) parseError(`unexpected ): \`${pattern}\``);
      depth--;
      out += ')';
      i++;
      canRepeat = true;
      lastWasRepeat = false;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (c === '?' && lastWasRepeat && !lazyDone) {
        // "x*?" is a lazy repeat, after which no other operator may follow
        out += c;
        i++;
        lazyDone = true;
        continue;
      }
      if (lastWasRepeat) parseError(`invalid nested repetition operator: \`${pattern.slice(i - 1, i + 1)}\``);
      if (!canRepeat) parseError(`missing argument to repetition operator: \`${c}\``);
      out += c;
      i++;
      lastWasRepeat = true;
      lazyDone = false;
      canRepeat = false;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        const min = Number(m[1]);
        const max = m[3] ? Number(m[3]) : min;
        if (min > 1000 || max > 1000 || (m[3] && max < min)) parseError(`invalid repeat count: \`${m[0]}\``);
        if (lastWasRepeat) parseError(`invalid nested repetition operator: \`${m[0]}\``);
        if (!canRepeat) parseError(`missing argument to repetition operator: \`${m[0]}\``);
        out += m[0];
        i += m[0].length;
        lastWasRepeat = true;
        lazyDone = false;
        canRepeat = false;
        continue;
      }
      out += '\\{';
      i++;
      canRepeat = true;
      lastWasRepeat = false;
      continue;
    }
    if (c === '}' || c === ']' || c === '/') {
      out += `\\${c}`;
      i++;
      canRepeat = true;
      lastWasRepeat = false;
      continue;
    }
    if (c === '|' || c === '^' || c === '$') {
      out += c;
      i++;
      canRepeat = false;
      lastWasRepeat = false;
      continue;
    }
    const cp = pattern.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out += ch === '\n' ? '\\n' : ch;
    i += ch.length;
    canRepeat = true;
    lastWasRepeat = false;
  }
  if (depth > 0) parseError(`missing closing ): \`${pattern}\``);
  return { source: out, flags };
}

const cache = new Map<string, RegExp>();

/** A compiled RE2 pattern (global + unicode); throws an eval_builtin_error when RE2 rejects it. */
export function compileRe2(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const { source, flags } = translateRe2(pattern);
  try {
    re = new RegExp(source, `${flags}g`);
  } catch (error) {
    parseError(`${(error as Error).message}: \`${pattern}\``);
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/**
 * All non-overlapping matches, Go style: an empty match directly after the previous match is
 * skipped. `limit` < 0 means all.
 */
export function findAll(re: RegExp, text: string, limit: number): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  if (limit === 0) return out;
  let pos = 0;
  let prevEnd = -1;
  while (pos <= text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0 && m.index === prevEnd) {
      // advance one code point and retry
      pos = m.index + (text.codePointAt(m.index)! > 0xffff ? 2 : 1);
      if (m.index >= text.length) break;
      continue;
    }
    out.push(m);
    if (limit > 0 && out.length >= limit) break;
    prevEnd = end;
    if (m[0].length === 0) {
      if (m.index >= text.length) break;
      pos = end + (text.codePointAt(end)! > 0xffff ? 2 : 1);
    } else pos = end;
  }
  return out;
}

/** Go's Regexp.Expand template: $1, ${1}, $name, ${name}, $$. */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end: number;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^[A-Za-z0-9_]+$/.test(inner)) {
        out += c;
        continue;
      }
      name = inner;
      end = close;
    } else {
      const mm = /^[A-Za-z0-9_]+/.exec(template.slice(i + 1));
      if (!mm) {
        out += c;
        continue;
      }
      name = mm[0];
      end = i + mm[0].length;
    }
    i = end;
    if (/^\d+$/.test(name)) {
      out += m[Number(name)] ?? '';
    } else {
      out += m.groups?.[name] ?? '';
    }
  }
  return out;
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
