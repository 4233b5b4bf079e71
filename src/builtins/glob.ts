// glob.match / glob.quote_meta with the semantics of the Go glob library OPA uses:
// `*` any run of non-delimiter characters, `**` any run, `?` one non-delimiter character,
// `[abc]` `[a-z]` `[!abc]` character lists, `{a,b}` alternatives, `\` escapes.
import { type BuiltinFamily, fail, operandError, str, typeFail } from './common.js';

function escapeForClass(ch: string): string {
  return /[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch;
}

function escapeLiteral(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Compiles a glob into an anchored JS RegExp. */
function compileGlob(pattern: string, delimiters: string[]): RegExp {
  const notDelim = delimiters.length === 0 ? '[\\s\\S]' : `[^${delimiters.map(escapeForClass).join('')}]`;
  const chars = [...pattern];
  let i = 0;
  let braceDepth = 0;

  const parseSequence = (): string => {
    let out = '';
    while (i < chars.length) {
      const c = chars[i]!;
      if (c === '\\') {
        if (i + 1 >= chars.length) fail('unexpected end of input');
        out += escapeLiteral(chars[i + 1]!);
        i += 2;
      } else if (c === '*') {
        if (chars[i + 1] === '*') {
          out += '[\\s\\S]*';
          i += 2;
        } else {
          out += `${notDelim}*`;
          i++;
        }
      } else if (c === '?') {
        out += notDelim;
        i++;
      } else if (c === '[') {
        let j = i + 1;
        let negate = false;
        if (chars[j] === '!') {
          negate = true;
          j++;
        }
        let body = '';
        while (j < chars.length && chars[j] !== ']') {
          let lo = chars[j]!;
          if (lo === '\\') {
            j++;
            lo = chars[j] ?? '';
          }
          if (chars[j + 1] === '-' && chars[j + 2] !== undefined && chars[j + 2] !== ']') {
            const hi = chars[j + 2]!;
            if (hi < lo) fail(`hi character '${hi}' should be greater than lo '${lo}'`);
            body += `${escapeForClass(lo)}-${escapeForClass(hi)}`;
            j += 3;
          } else {
            body += escapeForClass(lo);
            j++;
          }
        }
        if (j >= chars.length) fail('unexpected end of input');
        if (body === '') fail('empty character list');
        out += `[${negate ? '^' : ''}${body}]`;
        i = j + 1;
      } else if (c === '{') {
        i++;
        braceDepth++;
        const alternatives = [parseSequence()];
        while (chars[i] === ',') {
          i++;
          alternatives.push(parseSequence());
        }
        if (chars[i] !== '}') fail('unexpected end of input');
        i++;
        braceDepth--;
        out += `(?:${alternatives.join('|')})`;
      } else if ((c === ',' || c === '}') && braceDepth > 0) {
        return out;
      } else {
        out += escapeLiteral(c);
        i++;
      }
    }
    return out;
  };

  const source = parseSequence();
  if (i < chars.length) fail('unexpected input');
  return new RegExp(`^${source}$`, 'u');
}

const cache = new Map<string, RegExp>();

function globMatch(pattern: unknown, delimiters: unknown, value: unknown): boolean {
  const p = str(pattern, 1);
  let delims: string[];
  if (delimiters === null) delims = [];
  else if (Array.isArray(delimiters)) {
    for (const d of delimiters) {
      if (typeof d !== 'string') typeFail(`operand 2 must be array of strings but got array containing ${typeof d}`);
    }
    // Each delimiter string contributes its characters; an empty list means the default ".".
    delims = (delimiters as string[]).flatMap((d) => [...d]);
    if (delimiters.length === 0) delims = ['.'];
  } else operandError(2, 'one of {array, null}', delimiters);
  const v = str(value, 3);
  const key = `${p}\u0000${delims.join('')}`;
  let re = cache.get(key);
  if (!re) {
    re = compileGlob(p, delims);
    if (cache.size > 1000) cache.clear();
    cache.set(key, re);
  }
  return re.test(v);
}

/** Escapes glob metacharacters so the string matches itself. */
function quoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

export const globBuiltins: BuiltinFamily = {
  'glob.match': (_ctx, pattern, delimiters, value) => globMatch(pattern, delimiters, value),
  'glob.quote_meta': (_ctx, s) => quoteMeta(str(s, 1)),
};
