// The Rego lexer: turns source text into a flat token array in one pass over char codes.
//
// Keywords are not decided here (whether `if` or `in` is a keyword depends on the Rego version and
// on imports seen so far), so every word is an IDENT and the parser asks `isKeyword`. What the
// parser needs from the layout is recorded on each token: whether whitespace or a newline came
// before it (a ref continues only when `.`/`[`/`(` touches the previous token, and a newline ends
// a body expression).
//
// Template strings (`$"a {x} b"`, `` $`…{x}…` ``) are split into text tokens around the
// embedded expressions, which are lexed as ordinary tokens: TEMPLATE_FULL (no expression),
// TEMPLATE_HEAD (`$"text{`), TEMPLATE_MID (`}text{`) and TEMPLATE_TAIL (`}text"`).

export enum Tok {
  EOF,
  ILLEGAL,
  IDENT,
  NUMBER,
  STRING,
  TEMPLATE_FULL,
  TEMPLATE_HEAD,
  TEMPLATE_MID,
  TEMPLATE_TAIL,
  DOT,
  COMMA,
  SEMICOLON,
  COLON,
  LPAREN,
  RPAREN,
  LBRACK,
  RBRACK,
  LBRACE,
  RBRACE,
  OR,
  AND,
  ADD,
  SUB,
  MUL,
  QUO,
  REM,
  UNIFY,
  ASSIGN,
  EQUAL,
  NEQ,
  LT,
  LTE,
  GT,
  GTE,
}

/** How OPA names each token in its messages (`unexpected assign token`). */
export const TOKEN_NAMES: readonly string[] = [
  'eof',
  'illegal',
  'ident',
  'number',
  'string',
  'template-string',
  'template-string',
  'template-string',
  'template-string',
  '.',
  ',',
  ';',
  ':',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  'or',
  'and',
  'plus',
  'minus',
  'mul',
  'div',
  'rem',
  'eq',
  'assign',
  'equal',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
];

export interface Token {
  type: Tok;
  /** Offset of the first character and one past the last one. */
  start: number;
  end: number;
  row: number;
  col: number;
  /** Whitespace or a comment comes right before this token. */
  spaced: boolean;
  /** A newline comes between the previous token and this one. */
  newline: boolean;
  /**
   * IDENT: the name; NUMBER: the literal text; STRING / TEMPLATE_*: the decoded text;
   * ILLEGAL: what is wrong.
   */
  value: string;
  /** STRING: written with back-ticks. TEMPLATE_*: the multi-line back-tick form. */
  raw: boolean;
}

export interface LexedComment {
  /** The text after `#`. */
  text: string;
  offset: number;
  length: number;
  row: number;
  col: number;
}

export interface LexResult {
  tokens: Token[];
  comments: LexedComment[];
}

const CH_TAB = 9;
const CH_LF = 10;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_BANG = 33;
const CH_QUOTE = 34;
const CH_HASH = 35;
const CH_DOLLAR = 36;
const CH_BACKSLASH = 92;
const CH_BACKTICK = 96;
const CH_LBRACE = 123;
const CH_RBRACE = 125;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

interface TemplateFrame {
  raw: boolean;
  /** Open `{` inside the current embedded expression (a `}` at depth 0 resumes the text). */
  depth: number;
}

/** Lexes the whole source. Never throws: problems become ILLEGAL tokens the parser reports. */
export function lex(src: string): LexResult {
  const tokens: Token[] = [];
  const comments: LexedComment[] = [];
  const n = src.length;
  let pos = 0;
  let row = 1;
  let lineStart = 0;
  let spaced = false;
  let newline = false;
  const templates: TemplateFrame[] = [];

  // A byte-order mark at the very start is not part of the text.
  if (n > 0 && src.charCodeAt(0) === 0xfeff) pos = 1;
  if (pos === 1) lineStart = 1;

  const push = (type: Tok, start: number, startRow: number, startCol: number, value: string, raw = false): void => {
    tokens.push({ type, start, end: pos, row: startRow, col: startCol, spaced, newline, value, raw });
    spaced = false;
    newline = false;
  };

  /**
   * Scans template text from `pos` (just after the opening quote or the closing `}` of an
   * expression) up to the next unescaped `{` or the closing quote. Returns the decoded text and
   * whether the template ended, or an error message.
   */
  const scanTemplateText = (raw: boolean): { text: string; ended: boolean } | string => {
    let out = '';
    let chunk = pos;
    const close = raw ? CH_BACKTICK : CH_QUOTE;
    while (pos < n) {
      const c = src.charCodeAt(pos);
      if (c === close) {
        out += src.slice(chunk, pos);
        pos++;
        return { text: out, ended: true };
      }
      if (c === CH_LBRACE) {
        out += src.slice(chunk, pos);
        pos++;
        return { text: out, ended: false };
      }
      if (c === CH_LF) {
        if (!raw) return 'non-terminated string';
        pos++;
        row++;
        lineStart = pos;
        continue;
      }
      if (c === CH_BACKSLASH) {
        const d = pos + 1 < n ? src.charCodeAt(pos + 1) : -1;
        if (d === CH_LBRACE || (!raw && d === CH_RBRACE)) {
          out += src.slice(chunk, pos) + String.fromCharCode(d);
          pos += 2;
          chunk = pos;
          continue;
        }
        if (raw) {
          pos++;
          continue;
        }
        out += src.slice(chunk, pos);
        const decoded = decodeEscape();
        if (decoded === null) return 'illegal escape sequence';
        out += decoded;
        chunk = pos;
        continue;
      }
      pos++;
    }
    return 'non-terminated string';
  };

  /** Decodes the escape at `pos` (a backslash) and moves past it; null when it is not valid. */
  const decodeEscape = (): string | null => {
    if (pos + 1 >= n) {
      pos = n;
      return null;
    }
    const c = src.charCodeAt(pos + 1);
    pos += 2;
    switch (c) {
      case CH_QUOTE:
        return '"';
      case CH_BACKSLASH:
        return '\\';
      case 47:
        return '/';
      case 98:
        return '\b';
      case 102:
        return '\f';
      case 110:
        return '\n';
      case 114:
        return '\r';
      case 116:
        return '\t';
      case 117: {
        const unit = readHex4(pos);
        if (unit < 0) return null;
        pos += 4;
        // JSON pairs surrogates; a lone half becomes U+FFFD as in OPA (Go's decoder).
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (src.charCodeAt(pos) === CH_BACKSLASH && src.charCodeAt(pos + 1) === 117) {
            const low = readHex4(pos + 2);
            if (low >= 0xdc00 && low <= 0xdfff) {
              pos += 6;
              return String.fromCharCode(unit, low);
            }
          }
          return '\ufffd';
        }
        if (unit >= 0xdc00 && unit <= 0xdfff) return '\ufffd';
        return String.fromCharCode(unit);
      }
      default:
        return null;
    }
  };

  const readHex4 = (at: number): number => {
    if (at + 4 > n) return -1;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const h = hexValue(src.charCodeAt(at + k));
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  };

  const pushTemplatePart = (start: number, startRow: number, startCol: number, raw: boolean, first: boolean): void => {
    const result = scanTemplateText(raw);
    if (typeof result === 'string') {
      push(Tok.ILLEGAL, start, startRow, startCol, result);
      templates.length = 0;
      return;
    }
    let type: Tok;
    if (first) type = result.ended ? Tok.TEMPLATE_FULL : Tok.TEMPLATE_HEAD;
    else type = result.ended ? Tok.TEMPLATE_TAIL : Tok.TEMPLATE_MID;
    push(type, start, startRow, startCol, result.text, raw);
    if (first && !result.ended) templates.push({ raw, depth: 0 });
    if (!first && result.ended) templates.pop();
  };

  while (pos < n) {
    const c = src.charCodeAt(pos);
    // Whitespace.
    if (c === CH_SPACE || c === CH_TAB || c === CH_CR) {
      pos++;
      spaced = true;
      continue;
    }
    if (c === CH_LF) {
      pos++;
      row++;
      lineStart = pos;
      spaced = true;
      newline = true;
      continue;
    }
    const start = pos;
    const col = pos - lineStart + 1;
    if (c === CH_HASH) {
      let end = pos + 1;
      while (end < n && src.charCodeAt(end) !== CH_LF) end++;
      let textEnd = end;
      if (textEnd > pos + 1 && src.charCodeAt(textEnd - 1) === CH_CR) textEnd--;
      comments.push({ text: src.slice(pos + 1, textEnd), offset: pos, length: textEnd - pos, row, col });
      pos = end;
      spaced = true;
      continue;
    }
    if (isIdentStart(c)) {
      pos++;
      while (pos < n && isIdentPart(src.charCodeAt(pos))) pos++;
      push(Tok.IDENT, start, row, col, src.slice(start, pos));
      continue;
    }
    if (isDigit(c)) {
      // As OPA's scanner: a `.` after digits needs a fraction, `e` an exponent, and letters
      // glued to a number make the whole run one bad number.
      let error: string | null = null;
      pos++;
      while (pos < n && isDigit(src.charCodeAt(pos))) pos++;
      if (pos < n && src.charCodeAt(pos) === 46) {
        pos++;
        const from = pos;
        while (pos < n && isDigit(src.charCodeAt(pos))) pos++;
        if (pos === from) error = 'expected fraction';
      }
      const e = pos < n ? src.charCodeAt(pos) : -1;
      if (e === 101 || e === 69) {
        pos++;
        const sign = pos < n ? src.charCodeAt(pos) : -1;
        if (sign === 43 || sign === 45) pos++;
        const from = pos;
        while (pos < n && isDigit(src.charCodeAt(pos))) pos++;
        if (pos === from) error ??= 'expected exponent';
      }
      if (pos < n && isIdentStart(src.charCodeAt(pos))) {
        error ??= 'illegal number format';
        while (pos < n && isIdentPart(src.charCodeAt(pos))) pos++;
      }
      if (error !== null) push(Tok.ILLEGAL, start, row, col, error);
      else push(Tok.NUMBER, start, row, col, src.slice(start, pos));
      continue;
    }
    if (c === CH_QUOTE) {
      pos++;
      let chunk = pos;
      let out = '';
      let error: string | null = null;
      for (;;) {
        if (pos >= n) {
          error = 'non-terminated string';
          break;
        }
        const d = src.charCodeAt(pos);
        if (d === CH_QUOTE) {
          out += src.slice(chunk, pos);
          pos++;
          break;
        }
        if (d === CH_LF) {
          error = 'non-terminated string';
          break;
        }
        if (d === CH_BACKSLASH) {
          out += src.slice(chunk, pos);
          const decoded = decodeEscape();
          if (decoded === null) {
            error = 'illegal escape sequence';
            // Skip to the end of the string so lexing can go on after it.
            while (pos < n && src.charCodeAt(pos) !== CH_QUOTE && src.charCodeAt(pos) !== CH_LF) pos++;
            if (pos < n && src.charCodeAt(pos) === CH_QUOTE) pos++;
            break;
          }
          out += decoded;
          chunk = pos;
          continue;
        }
        pos++;
      }
      if (error !== null) push(Tok.ILLEGAL, start, row, col, error);
      else push(Tok.STRING, start, row, col, out);
      continue;
    }
    if (c === CH_BACKTICK) {
      const startRow = row;
      pos++;
      while (pos < n && src.charCodeAt(pos) !== CH_BACKTICK) {
        if (src.charCodeAt(pos) === CH_LF) {
          row++;
          lineStart = pos + 1;
        }
        pos++;
      }
      if (pos >= n) {
        push(Tok.ILLEGAL, start, startRow, col, 'non-terminated string');
        continue;
      }
      pos++;
      push(Tok.STRING, start, startRow, col, src.slice(start + 1, pos - 1), true);
      continue;
    }
    if (c === CH_DOLLAR) {
      const q = pos + 1 < n ? src.charCodeAt(pos + 1) : -1;
      if (q === CH_QUOTE || q === CH_BACKTICK) {
        const startRow = row;
        pos += 2;
        pushTemplatePart(start, startRow, col, q === CH_BACKTICK, true);
        continue;
      }
      pos++;
      push(Tok.ILLEGAL, start, row, col, 'illegal $ character');
      continue;
    }
    if (c === CH_LBRACE) {
      pos++;
      if (templates.length > 0) templates[templates.length - 1]!.depth++;
      push(Tok.LBRACE, start, row, col, '{');
      continue;
    }
    if (c === CH_RBRACE) {
      const frame = templates.length > 0 ? templates[templates.length - 1]! : undefined;
      if (frame !== undefined && frame.depth === 0) {
        const startRow = row;
        pos++;
        pushTemplatePart(start, startRow, col, frame.raw, false);
        continue;
      }
      if (frame !== undefined) frame.depth--;
      pos++;
      push(Tok.RBRACE, start, row, col, '}');
      continue;
    }
    const next = pos + 1 < n ? src.charCodeAt(pos + 1) : -1;
    let type: Tok;
    let width = 1;
    switch (c) {
      case 46:
        type = Tok.DOT;
        break;
      case 44:
        type = Tok.COMMA;
        break;
      case 59:
        type = Tok.SEMICOLON;
        break;
      case 58:
        if (next === 61) {
          type = Tok.ASSIGN;
          width = 2;
        } else type = Tok.COLON;
        break;
      case 40:
        type = Tok.LPAREN;
        break;
      case 41:
        type = Tok.RPAREN;
        break;
      case 91:
        type = Tok.LBRACK;
        break;
      case 93:
        type = Tok.RBRACK;
        break;
      case 124:
        type = Tok.OR;
        break;
      case 38:
        type = Tok.AND;
        break;
      case 43:
        type = Tok.ADD;
        break;
      case 45:
        type = Tok.SUB;
        break;
      case 42:
        type = Tok.MUL;
        break;
      case 47:
        type = Tok.QUO;
        break;
      case 37:
        type = Tok.REM;
        break;
      case 61:
        if (next === 61) {
          type = Tok.EQUAL;
          width = 2;
        } else type = Tok.UNIFY;
        break;
      case CH_BANG:
        if (next === 61) {
          type = Tok.NEQ;
          width = 2;
          break;
        }
        pos++;
        push(Tok.ILLEGAL, start, row, col, 'illegal ! character');
        continue;
      case 60:
        if (next === 61) {
          type = Tok.LTE;
          width = 2;
        } else type = Tok.LT;
        break;
      case 62:
        if (next === 61) {
          type = Tok.GTE;
          width = 2;
        } else type = Tok.GT;
        break;
      default:
        type = Tok.ILLEGAL;
    }
    if (type === Tok.ILLEGAL) {
      // Take a whole surrogate pair so the message and the caret point at one character.
      width = c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff ? 2 : 1;
      pos += width;
      push(Tok.ILLEGAL, start, row, col, c === 0 ? 'illegal null character' : 'illegal token');
      continue;
    }
    pos += width;
    push(type, start, row, col, '');
  }
  tokens.push({
    type: Tok.EOF,
    start: n,
    end: n,
    row,
    col: n - lineStart + 1,
    spaced,
    newline,
    value: '',
    raw: false,
  });
  return { tokens, comments };
}
