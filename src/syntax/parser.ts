// The Rego parser: recursive descent over the token array from lexer.ts, with the operator
// precedence of OPA's parser (loosest first): `=`/`:=`, `in`, comparisons, `|`, `&`, `+ -`,
// `* / %`. Errors are collected (never thrown to the caller); inside one statement the first error
// ends the statement and parsing resumes at the next line that starts in column 1.
import { parse as parseYaml } from 'yaml';
import type {
  Annotation,
  Body,
  CallTerm,
  Comment,
  Every,
  Expr,
  Import,
  Location,
  Module,
  Package,
  Query,
  RefTerm,
  Rule,
  RuleHead,
  RuleKind,
  SomeDecl,
  StringTerm,
  Term,
  VarTerm,
  With,
} from './ast.js';
import type { RegoError } from './diagnostics.js';
import { lex, Tok, TOKEN_NAMES, type LexedComment, type Token } from './lexer.js';
import { isGround, someTerm } from './terms.js';

export interface ParseOptions {
  /** 'v1' (default): OPA 1.x syntax. 'v0': the older syntax, keywords only after imports. */
  regoVersion?: 'v0' | 'v1';
}

export interface ParseResult<T> {
  value?: T;
  errors: RegoError[];
}

/** Keywords of every Rego version. */
const BASE_KEYWORDS = ['package', 'import', 'as', 'default', 'else', 'not', 'some', 'with', 'null', 'true', 'false'];
/** Keywords that v0 only knows after `import future.keywords…` / `import rego.v1`. */
const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'];
const ALL_KEYWORDS = new Set([...BASE_KEYWORDS, ...FUTURE_KEYWORDS]);
const ROOT_DOCUMENTS = new Set(['data', 'input']);
const ANNOTATION_SCOPES = new Set(['rule', 'document', 'package', 'subpackages']);

/** Nesting deeper than this is reported instead of risking the JavaScript stack. */
const MAX_DEPTH = 400;
/** One file's error list stops growing here; the first errors are the useful ones. */
const MAX_ERRORS = 100;

/** Thrown inside the parser to abandon a statement after its error was recorded. */
const FAIL = { parseFailure: true };

const RELATION_OPS: Partial<Record<Tok, string>> = {
  [Tok.EQUAL]: 'equal',
  [Tok.NEQ]: 'neq',
  [Tok.LT]: 'lt',
  [Tok.LTE]: 'lte',
  [Tok.GT]: 'gt',
  [Tok.GTE]: 'gte',
};
const ARITH_OPS: Partial<Record<Tok, string>> = { [Tok.ADD]: 'plus', [Tok.SUB]: 'minus' };
const FACTOR_OPS: Partial<Record<Tok, string>> = { [Tok.MUL]: 'mul', [Tok.QUO]: 'div', [Tok.REM]: 'rem' };
const INFIX_TOKENS = new Set<Tok>([
  Tok.ADD,
  Tok.SUB,
  Tok.MUL,
  Tok.QUO,
  Tok.REM,
  Tok.AND,
  Tok.OR,
  Tok.EQUAL,
  Tok.NEQ,
  Tok.GT,
  Tok.GTE,
  Tok.LT,
  Tok.LTE,
]);

interface SavedState {
  i: number;
  errors: number;
  wildcard: number;
  depth: number;
}

/** What the v1 checks need to know about how a rule was written (not part of the AST). */
interface RuleSyntax {
  rule: Rule;
  hasIf: boolean;
  hasContains: boolean;
  generatedBody: boolean;
  generatedValue: boolean;
}

class Parser {
  private readonly toks: Token[];
  private i = 0;
  private tok: Token;
  readonly errors: RegoError[] = [];
  private wildcard = 0;
  private templateVars = 0;
  private readonly termCache = new Map<number, { term: Term; end: number; wildcard: number; templateVars: number }>();
  private depth = 0;
  private readonly keywords: Set<string>;
  readonly ruleSyntax: RuleSyntax[] = [];
  /** `import future.keywords.not` or `import rego.v2`: negation covers the whole expression. */
  improvedNot = false;
  /** Set by `import rego.v1` in a v0 module: the v1 rule checks apply. */
  regoV1Compatible: boolean;

  constructor(
    readonly file: string,
    tokens: Token[],
    readonly v1: boolean,
  ) {
    this.toks = tokens;
    this.tok = tokens[0]!;
    this.keywords = new Set(v1 ? [...BASE_KEYWORDS, ...FUTURE_KEYWORDS] : BASE_KEYWORDS);
    this.regoV1Compatible = v1;
  }

  // ---- token helpers ----------------------------------------------------------------------

  /** The current token's type (a call, so TypeScript does not narrow it across `next()`). */
  private ty(): Tok {
    return this.tok.type;
  }

  private next(): void {
    if (this.tok.type !== Tok.EOF) this.tok = this.toks[++this.i]!;
  }

  private peek(k = 1): Token {
    const j = Math.min(this.i + k, this.toks.length - 1);
    return this.toks[j]!;
  }

  private get lastEnd(): number {
    return this.i > 0 ? this.toks[this.i - 1]!.end : 0;
  }

  private save(): SavedState {
    return { i: this.i, errors: this.errors.length, wildcard: this.wildcard, depth: this.depth };
  }

  private restore(s: SavedState): void {
    this.i = s.i;
    this.tok = this.toks[s.i]!;
    this.errors.length = s.errors;
    this.wildcard = s.wildcard;
    this.depth = s.depth;
  }

  isKeyword(word: string): boolean {
    return this.keywords.has(word);
  }

  private isKw(tok: Token, word: string): boolean {
    return tok.type === Tok.IDENT && tok.value === word && this.keywords.has(word);
  }

  /** A keyword used as the first part of a ref (`else.x`, `if[0]`) is an ordinary name. */
  private startsRef(k = 0): boolean {
    const after = this.peek(k + 1);
    return !after.spaced && (after.type === Tok.DOT || after.type === Tok.LBRACK);
  }

  private loc(start: Token, end = this.lastEnd): Location {
    return {
      file: this.file,
      row: start.row,
      col: start.col,
      offset: start.start,
      length: Math.max(0, end - start.start),
    };
  }

  private locFrom(from: Location, end = this.lastEnd): Location {
    return { file: this.file, row: from.row, col: from.col, offset: from.offset, length: Math.max(0, end - from.offset) };
  }

  // ---- errors -----------------------------------------------------------------------------

  error(location: Location, message: string): void {
    if (this.errors.length >= MAX_ERRORS) return;
    // Recovery can meet the same bad token twice; say it once.
    const last = this.errors[this.errors.length - 1];
    if (last && last.location.offset === location.offset && last.message === message) return;
    this.errors.push({ code: 'rego_parse_error', message, location });
  }

  private fail(location: Location, message: string): never {
    this.error(location, message);
    throw FAIL;
  }

  private describe(tok: Token): string {
    if (tok.type === Tok.IDENT) return this.keywords.has(tok.value) ? `${tok.value} keyword` : 'ident token';
    return `${TOKEN_NAMES[tok.type]} token`;
  }

  /** `unexpected <token>: <note>` at the current token, as OPA words it. */
  private illegal(note = ''): never {
    const tok = this.tok;
    if (tok.type === Tok.ILLEGAL) this.fail(this.loc(tok, tok.end), tok.value);
    const what = `unexpected ${this.describe(tok)}`;
    this.fail(this.loc(tok, tok.end), note ? `${what}: ${note}` : what);
  }

  private expect(type: Tok, note: string): void {
    if (this.ty() !== type) this.illegal(note);
    this.next();
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) {
      this.depth = 0;
      this.fail(this.loc(this.tok, this.tok.end), 'max parsing recursion depth exceeded');
    }
  }

  // ---- term constructors ------------------------------------------------------------------

  private varTerm(name: string, location: Location): VarTerm {
    return { type: 'var', name, location };
  }

  private opRef(name: string, tok: Token): RefTerm {
    const location = this.loc(tok, tok.end);
    const dot = name.indexOf('.');
    if (dot < 0) return { type: 'ref', terms: [this.varTerm(name, location)], location };
    return {
      type: 'ref',
      terms: [this.varTerm(name.slice(0, dot), location), { type: 'string', value: name.slice(dot + 1), location }],
      location,
    };
  }

  private call(op: RefTerm, args: Term[], start: Location): CallTerm {
    return { type: 'call', operator: op, args, location: this.locFrom(start) };
  }

  private parseVar(): VarTerm {
    const tok = this.tok;
    const location = this.loc(tok, tok.end);
    this.next();
    if (tok.value === '_') return { type: 'var', name: `$wildcard${this.wildcard++}`, wildcard: true, location };
    return { type: 'var', name: tok.value, location };
  }

  // ---- expressions ------------------------------------------------------------------------

  /** A full expression term: `in` and everything binding tighter. */
  parseTermInfixCall(keyVal = true): Term {
    const start = this.tok;
    let lhs = this.parseTermRelation();
    if (keyVal && this.ty() === Tok.COMMA) {
      // `k, v in xs`: only if a second term and `in` follow; otherwise the comma is not ours.
      const s = this.save();
      this.next();
      let member3: Term | undefined;
      try {
        const mhs = this.parseTermRelation();
        if (this.isKw(this.tok, 'in')) {
          const op = this.opRef('internal.member_3', this.tok);
          this.next();
          const rhs = this.parseTermRelation();
          member3 = this.call(op, [lhs, mhs, rhs], this.loc(start));
        }
      } catch (e) {
        if (e !== FAIL) throw e;
      }
      if (member3 === undefined) this.restore(s);
      else lhs = member3;
    }
    while (this.isKw(this.tok, 'in')) {
      const op = this.opRef('internal.member_2', this.tok);
      this.next();
      const rhs = this.parseTermRelation();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  private parseTermRelation(): Term {
    const start = this.tok;
    let lhs = this.parseTermOr();
    for (let name = RELATION_OPS[this.ty()]; name !== undefined; name = RELATION_OPS[this.ty()]) {
      const op = this.opRef(name, this.tok);
      this.next();
      const rhs = this.parseTermOr();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  private parseTermOr(): Term {
    const start = this.tok;
    let lhs = this.parseTermAnd();
    while (this.ty() === Tok.OR) {
      const op = this.opRef('or', this.tok);
      this.next();
      const rhs = this.parseTermAnd();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  private parseTermAnd(): Term {
    const start = this.tok;
    let lhs = this.parseTermArith();
    while (this.ty() === Tok.AND) {
      const op = this.opRef('and', this.tok);
      this.next();
      const rhs = this.parseTermArith();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  private parseTermArith(): Term {
    const start = this.tok;
    let lhs = this.parseTermFactor();
    for (let name = ARITH_OPS[this.ty()]; name !== undefined; name = ARITH_OPS[this.ty()]) {
      const op = this.opRef(name, this.tok);
      this.next();
      const rhs = this.parseTermFactor();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  private parseTermFactor(): Term {
    const start = this.tok;
    let lhs = this.parseTerm();
    for (let name = FACTOR_OPS[this.ty()]; name !== undefined; name = FACTOR_OPS[this.ty()]) {
      const op = this.opRef(name, this.tok);
      this.next();
      const rhs = this.parseTerm();
      lhs = this.call(op, [lhs, rhs], this.loc(start));
    }
    return lhs;
  }

  /** One operand: a scalar, var, composite, comprehension, parenthesised term, with any ref/call suffix. */
  parseTerm(): Term {
    const tok = this.tok;
    // Composite terms are remembered by position: when a guess (`{a}` read as a set head, then
    // again as an operand of `{a} + 1`) is undone and the same term read again, the second read
    // is free, so nested guesses stay linear instead of doubling per level.
    const start = this.i;
    let cacheable =
      tok.type === Tok.LBRACE || tok.type === Tok.LBRACK || tok.type === Tok.LPAREN || tok.type === Tok.TEMPLATE_HEAD;
    if (!cacheable && tok.type === Tok.IDENT) {
      // Calls and bracketed refs can hold such terms too.
      const after = this.toks[start + 1];
      cacheable = after !== undefined && !after.spaced && (after.type === Tok.LPAREN || after.type === Tok.LBRACK);
    }
    if (cacheable) {
      const hit = this.termCache.get(start);
      if (hit !== undefined) {
        this.i = hit.end;
        this.tok = this.toks[hit.end]!;
        this.wildcard = hit.wildcard;
        this.templateVars = hit.templateVars;
        return hit.term;
      }
    }
    this.enter();
    let term: Term;
    switch (tok.type) {
      case Tok.IDENT: {
        const v = tok.value;
        if (v === 'null') {
          term = { type: 'null', location: this.loc(tok, tok.end) };
          this.next();
        } else if (v === 'true' || v === 'false') {
          term = { type: 'boolean', value: v === 'true', location: this.loc(tok, tok.end) };
          this.next();
        } else if (v !== 'contains' && this.keywords.has(v) && !this.startsRef()) {
          this.illegal();
        } else {
          term = this.parseVar();
        }
        break;
      }
      case Tok.NUMBER:
      case Tok.SUB:
      case Tok.DOT:
        term = this.parseNumber();
        break;
      case Tok.STRING:
        term = tok.raw
          ? { type: 'string', value: tok.value, raw: true, location: this.loc(tok, tok.end) }
          : { type: 'string', value: tok.value, location: this.loc(tok, tok.end) };
        this.next();
        break;
      case Tok.TEMPLATE_FULL:
      case Tok.TEMPLATE_HEAD:
        term = this.parseTemplate();
        break;
      case Tok.LBRACK:
        term = this.parseArray();
        break;
      case Tok.LBRACE:
        term = this.parseSetOrObject();
        break;
      case Tok.LPAREN: {
        this.next();
        term = this.parseTermInfixCall();
        if (this.ty() !== Tok.RPAREN) this.fail(this.loc(this.tok, this.tok.end), 'non-terminated expression');
        this.next();
        break;
      }
      default:
        this.illegal();
    }
    term = this.parseTermFinish(term);
    this.depth--;
    if (cacheable) this.termCache.set(start, { term, end: this.i, wildcard: this.wildcard, templateVars: this.templateVars });
    return term;
  }

  /** Continues a term into a ref or call when `.`, `[` or `(` touches it. */
  private parseTermFinish(head: Term): Term {
    const t = this.tok;
    if (!t.spaced && (t.type === Tok.DOT || t.type === Tok.LBRACK || t.type === Tok.LPAREN)) return this.parseRef(head);
    if (head.type === 'var' && ROOT_DOCUMENTS.has(head.name)) return { type: 'ref', terms: [head], location: head.location };
    return head;
  }

  private parseRef(head: Term): Term {
    switch (head.type) {
      case 'var':
      case 'array':
      case 'object':
      case 'set':
      case 'arraycomprehension':
      case 'setcomprehension':
      case 'objectcomprehension':
      case 'call':
        break;
      default:
        this.fail(head.location, `illegal ref (head cannot be ${valueName(head)})`);
    }
    const start = head.location;
    const terms: Term[] = [head];
    for (;;) {
      const t = this.tok;
      if (t.spaced) break;
      if (t.type === Tok.DOT) {
        this.next();
        const name = this.tok;
        if (name.type !== Tok.IDENT || name.spaced) this.illegal('expected ident');
        terms.push({ type: 'string', value: name.value, location: this.loc(name, name.end) });
        this.next();
      } else if (t.type === Tok.LBRACK) {
        this.next();
        const key = this.parseTermInfixCall();
        if (this.ty() !== Tok.RBRACK) this.illegal('expected ]');
        terms.push(key);
        this.next();
      } else if (t.type === Tok.LPAREN) {
        const operator: RefTerm = { type: 'ref', terms, location: this.locFrom(start) };
        const callTerm = this.parseCall(operator, start);
        const after = this.tok;
        if (!after.spaced && (after.type === Tok.DOT || after.type === Tok.LBRACK)) return this.parseRef(callTerm);
        return callTerm;
      } else break;
    }
    return { type: 'ref', terms, location: this.locFrom(start) };
  }

  private parseCall(operator: RefTerm, start: Location): Term {
    this.next(); // (
    if (this.ty() === Tok.RPAREN) {
      this.next();
      const only = operator.terms.length === 1 ? operator.terms[0]! : undefined;
      if (only !== undefined && only.type === 'var' && only.name === 'set') {
        return { type: 'set', items: [], location: this.locFrom(start) };
      }
      return { type: 'call', operator, args: [], location: this.locFrom(start) };
    }
    const args = this.parseTermList(Tok.RPAREN, []);
    this.next(); // )
    return { type: 'call', operator, args, location: this.locFrom(start) };
  }

  /** Comma-separated terms up to `end` (a trailing comma is allowed); stops on `end`. */
  private parseTermList(end: Tok, items: Term[]): Term[] {
    if (this.ty() === end) return items;
    for (;;) {
      items.push(this.parseTermInfixCall(false));
      if (this.ty() === end) return items;
      if (this.ty() !== Tok.COMMA) this.illegal(`expected "," or "${TOKEN_NAMES[end]}"`);
      this.next();
      if (this.ty() === end) return items;
    }
  }

  private parseNumber(): Term {
    const start = this.tok;
    let prefix = '';
    if (this.ty() === Tok.SUB) {
      prefix = '-';
      this.next();
      if (this.ty() !== Tok.NUMBER && this.ty() !== Tok.DOT) this.illegal('expected number');
    }
    if (this.ty() === Tok.DOT) {
      prefix += '.';
      this.next();
      if (this.ty() !== Tok.NUMBER || this.tok.spaced) this.illegal('expected number');
    }
    const lit = this.tok.value;
    if (!prefix.endsWith('.') && lit.length > 1 && lit.charCodeAt(0) === 48) {
      const second = lit[1];
      if (second !== '.' && !(lit.length > 2 && (second === 'e' || second === 'E'))) {
        this.illegal('expected number without leading zero');
      }
    }
    const text = prefix + lit;
    if (numberTooBig(text)) this.fail(this.loc(this.tok, this.tok.end), 'number too big');
    this.next();
    return { type: 'number', value: text, location: this.loc(start) };
  }

  private parseTemplate(): Term {
    const start = this.tok;
    const parts: (StringTerm | Term)[] = [];
    let tok = this.tok;
    for (;;) {
      if (tok.value.length > 0) parts.push({ type: 'string', value: tok.value, location: this.loc(tok, tok.end) });
      this.next();
      if (tok.type === Tok.TEMPLATE_FULL || tok.type === Tok.TEMPLATE_TAIL) break;
      parts.push(this.parseTemplateExpr());
      tok = this.tok;
      if (tok.type !== Tok.TEMPLATE_MID && tok.type !== Tok.TEMPLATE_TAIL) {
        this.illegal('expected } to end template string expression');
      }
    }
    return { type: 'templatestring', parts, location: this.loc(start) };
  }

  /** The expression inside `{…}` of a template string: a term, no negation, assignment, some or every. */
  private parseTemplateExpr(): Term {
    const start = this.tok;
    if (this.isKw(start, 'not') && !this.startsRef()) {
      this.fail(this.loc(start, start.end), "unexpected negation ('not') in template-string expression");
    }
    if ((this.isKw(start, 'some') || this.isKw(start, 'every')) && !this.startsRef()) {
      this.fail(this.loc(start, start.end), `unexpected '${start.value}' in template-string expression`);
    }
    const term = this.parseTermInfixCall();
    if (this.ty() === Tok.UNIFY) this.fail(this.loc(start), "unexpected unification ('=') in template-string expression");
    if (this.ty() === Tok.ASSIGN) this.fail(this.loc(start), "unexpected assignment (':=') in template-string expression");
    if (!this.isKw(this.tok, 'with')) return term;
    // `{x with input as y}`: a term part cannot carry `with`, so the part becomes the value of the
    // expression computed under it: `[$t | $t := x with input as y][0]` (undefined when x is).
    const withs = this.parseWith();
    const location = this.loc(start);
    const name = `$template${this.templateVars++}`;
    const result: VarTerm = { type: 'var', name, location };
    const assign: CallTerm = {
      type: 'call',
      operator: { type: 'ref', terms: [this.varTerm('assign', location)], location },
      args: [result, term],
      location,
    };
    const body: Body = [{ index: 0, negated: false, value: assign, with: withs, location }];
    const values: Term = { type: 'arraycomprehension', head: { ...result }, body, location };
    return { type: 'ref', terms: [values, { type: 'number', value: '0', location }], location };
  }

  private parseArray(): Term {
    this.enter();
    const open = this.tok;
    this.next();
    if (this.ty() === Tok.RBRACK) {
      this.next();
      this.depth--;
      return { type: 'array', items: [], location: this.loc(open) };
    }
    let potentialComprehension = true;
    // A leading comma (`[, x]`) is accepted as OPA does, but then it is a plain array.
    if (this.ty() === Tok.COMMA) {
      potentialComprehension = false;
      this.next();
    }
    const s = this.save();
    // The head alone first: `[x | body]` is a comprehension, not `x | body` (set union).
    const head = this.parseTerm();
    let result: Term | undefined;
    if (this.ty() === Tok.RBRACK) {
      this.next();
      result = { type: 'array', items: [head], location: this.loc(open) };
    } else if (this.ty() === Tok.COMMA) {
      this.next();
      const items = this.parseTermList(Tok.RBRACK, [head]);
      this.next();
      result = { type: 'array', items, location: this.loc(open) };
    } else if (this.ty() === Tok.OR && potentialComprehension) {
      this.next();
      const body = this.tryBody(Tok.RBRACK);
      if (body !== undefined) {
        this.next();
        result = { type: 'arraycomprehension', head, body, location: this.loc(open) };
      }
    }
    if (result === undefined) {
      this.restore(s);
      const items = this.parseTermList(Tok.RBRACK, []);
      this.next();
      result = { type: 'array', items, location: this.loc(open) };
    }
    this.depth--;
    return result;
  }

  /**
   * A comprehension body after `|`. When it does not parse and a comma follows, the caller falls
   * back to reading a plain collection (`[a | b, c]`), so the error is kept only otherwise.
   */
  private tryBody(end: Tok): Body | undefined {
    try {
      return this.parseBody(end);
    } catch (e) {
      if (e !== FAIL || this.ty() !== Tok.COMMA) throw e;
      return undefined;
    }
  }

  private parseSetOrObject(): Term {
    this.enter();
    const open = this.tok;
    this.next();
    if (this.ty() === Tok.RBRACE) {
      this.next();
      this.depth--;
      return { type: 'object', entries: [], location: this.loc(open) };
    }
    let potentialComprehension = true;
    if (this.ty() === Tok.COMMA) {
      potentialComprehension = false;
      this.next();
    }
    const s = this.save();
    let result: Term | undefined;
    // A single term first so that `{a | b}` is a set comprehension rather than a set of `a | b`.
    const head = this.parseTerm();
    const t = this.ty();
    if ((t === Tok.OR && potentialComprehension) || t === Tok.RBRACE || t === Tok.COMMA) {
      result = this.parseSet(s, head, potentialComprehension, open);
    } else if (t === Tok.COLON) {
      result = this.parseObject(head, potentialComprehension, open);
    } else {
      this.restore(s);
      const head2 = this.parseTermInfixCall(false);
      const t2 = this.ty();
      if (t2 === Tok.RBRACE || t2 === Tok.COMMA) result = this.parseSet(s, head2, false, open);
      else if (t2 === Tok.COLON) result = this.parseObject(head2, potentialComprehension, open);
      else this.illegal('non-terminated set');
    }
    this.depth--;
    return result;
  }

  private parseSet(s: SavedState, head: Term, potentialComprehension: boolean, open: Token): Term {
    if (this.ty() === Tok.RBRACE) {
      this.next();
      return { type: 'set', items: [head], location: this.loc(open) };
    }
    if (this.ty() === Tok.COMMA) {
      this.next();
      const items = this.parseTermList(Tok.RBRACE, [head]);
      this.next();
      return { type: 'set', items, location: this.loc(open) };
    }
    // `|`
    if (potentialComprehension) {
      this.next();
      const body = this.tryBody(Tok.RBRACE);
      if (body !== undefined) {
        this.next();
        return { type: 'setcomprehension', head, body, location: this.loc(open) };
      }
    }
    this.restore(s);
    const items = this.parseTermList(Tok.RBRACE, []);
    if (this.ty() !== Tok.RBRACE) this.illegal('non-terminated set');
    this.next();
    return { type: 'set', items, location: this.loc(open) };
  }

  private parseObject(key: Term, potentialComprehension: boolean, open: Token): Term {
    this.next(); // :
    const s = this.save();
    // The value as a single term first, for `{k: v | body}`.
    let value = this.parseTerm();
    let potentialRelation = true;
    if (potentialComprehension) {
      const t = this.ty();
      if (t === Tok.RBRACE || t === Tok.COMMA) potentialRelation = false;
      if (t === Tok.RBRACE || t === Tok.COMMA || t === Tok.OR) {
        const done = this.parseObjectFinish(key, value, true, open);
        if (done !== undefined) return done;
      }
    }
    this.restore(s);
    if (potentialRelation) {
      value = this.parseTermInfixCall(false);
      const t = this.ty();
      if (t === Tok.RBRACE || t === Tok.COMMA) {
        const done = this.parseObjectFinish(key, value, false, open);
        if (done !== undefined) return done;
      }
    }
    this.illegal('non-terminated object');
  }

  private parseObjectFinish(key: Term, value: Term, potentialComprehension: boolean, open: Token): Term | undefined {
    const t = this.ty();
    if (t === Tok.RBRACE) {
      this.next();
      return { type: 'object', entries: [[key, value]], location: this.loc(open) };
    }
    if (t === Tok.OR) {
      if (!potentialComprehension) this.illegal('non-terminated object');
      this.next();
      const body = this.parseBody(Tok.RBRACE);
      this.next();
      return { type: 'objectcomprehension', key, value, body, location: this.loc(open) };
    }
    // `,`
    this.next();
    const entries: [Term, Term][] = [[key, value]];
    if (this.ty() === Tok.RBRACE) {
      this.next();
      return { type: 'object', entries, location: this.loc(open) };
    }
    for (;;) {
      const k = this.parseTermInfixCall(false);
      if (this.ty() !== Tok.COLON) this.illegal('expected ":"');
      this.next();
      const v = this.parseTermInfixCall(false);
      entries.push([k, v]);
      if (this.ty() === Tok.RBRACE) break;
      if (this.ty() !== Tok.COMMA) this.illegal('expected "," or "}"');
      this.next();
      if (this.ty() === Tok.RBRACE) break;
    }
    this.next();
    return { type: 'object', entries, location: this.loc(open) };
  }

  // ---- bodies and literals ----------------------------------------------------------------

  /** Expressions separated by newlines or `;` up to (not past) `end`. */
  parseBody(end: Tok): Body {
    this.enter();
    if (this.ty() === end) this.fail(this.loc(this.tok, this.tok.end), 'found empty body');
    const body: Body = [];
    for (;;) {
      body.push(this.parseLiteral(body.length));
      if (this.ty() === Tok.SEMICOLON) {
        this.next();
        continue;
      }
      if (this.ty() === end) break;
      if (!this.tok.newline) this.illegal(`expected \\n or ; or ${TOKEN_NAMES[end]}`);
    }
    this.depth--;
    return body;
  }

  parseLiteral(index: number): Expr {
    const start = this.tok;
    if (start.type === Tok.IDENT && this.keywords.has(start.value) && this.startsRef()) {
      return this.parseLiteralExpr(index, false, start);
    }
    let negated = false;
    if (this.isKw(this.tok, 'not') && !this.startsRef()) {
      this.next();
      negated = true;
    }
    if (this.isKw(this.tok, 'some') && !this.startsRef()) {
      if (negated) this.illegal("illegal negation of 'some'");
      return this.parseSome(index, start);
    }
    if (this.isKw(this.tok, 'every') && !this.startsRef()) {
      if (negated) this.illegal("illegal negation of 'every'");
      return this.parseEvery(index, start);
    }
    if (negated && this.improvedNot) return this.parseImprovedNot(index, start);
    return this.parseLiteralExpr(index, negated, start);
  }

  /**
   * `not` under `import future.keywords.not` / `import rego.v1`'s successor `rego.v2`: the whole
   * negated expression (or `{ body }`) is evaluated inside the negation, so an undefined operand
   * makes the negation succeed. Written here as `[true | body] == []`, which means exactly that and
   * needs nothing new from later stages. A plain ref or var keeps the ordinary negated form.
   */
  private parseImprovedNot(index: number, start: Token): Expr {
    let body: Body;
    if (this.ty() === Tok.LBRACE) {
      this.next();
      body = this.parseBody(Tok.RBRACE);
      this.next();
    } else {
      const inner = this.parseLiteralExpr(0, false, this.tok);
      if (inner.value.type === 'var' || (inner.value.type === 'ref' && !containsCall(inner.value))) {
        return { ...inner, index, negated: true, location: this.loc(start) };
      }
      body = [{ ...inner, with: [] }];
      const withs = inner.with;
      return this.negationOf(body, withs, index, start);
    }
    const withs = this.isKw(this.tok, 'with') ? this.parseWith() : [];
    return this.negationOf(body, withs, index, start);
  }

  private negationOf(body: Body, withs: With[], index: number, start: Token): Expr {
    const location = this.loc(start);
    const op: RefTerm = { type: 'ref', terms: [this.varTerm('equal', location)], location };
    const solutions: Term = {
      type: 'arraycomprehension',
      head: { type: 'boolean', value: true, location },
      body,
      location,
    };
    const value: CallTerm = { type: 'call', operator: op, args: [solutions, { type: 'array', items: [], location }], location };
    return { index, negated: false, value, with: withs, location };
  }

  private parseLiteralExpr(index: number, negated: boolean, start: Token): Expr {
    const first = this.tok;
    const lhs = this.parseTermInfixCall();
    let value: Term = lhs;
    if (this.ty() === Tok.ASSIGN || this.ty() === Tok.UNIFY) {
      const op = this.opRef(this.ty() === Tok.ASSIGN ? 'assign' : 'eq', this.tok);
      this.next();
      const rhs = this.parseTermInfixCall();
      value = this.call(op, [lhs, rhs], this.loc(first));
    }
    const withs = this.isKw(this.tok, 'with') ? this.parseWith() : [];
    return { index, negated, value, with: withs, location: this.loc(start) };
  }

  private parseWith(): With[] {
    const withs: With[] = [];
    while (this.isKw(this.tok, 'with')) {
      const start = this.tok;
      this.next();
      if (this.ty() !== Tok.IDENT) this.illegal('expected ident');
      const targetTerm = this.parseTerm();
      let target: RefTerm;
      if (targetTerm.type === 'ref') target = targetTerm;
      else if (targetTerm.type === 'var') target = { type: 'ref', terms: [targetTerm], location: targetTerm.location };
      else this.fail(targetTerm.location, 'unexpected term: expected with target path');
      if (!this.isKw(this.tok, 'as')) this.illegal('expected as keyword');
      this.next();
      const value = this.parseTermInfixCall();
      withs.push({ target, value, location: this.loc(start) });
    }
    return withs;
  }

  private parseSome(index: number, start: Token): Expr {
    const someTok = this.tok;
    const s = this.save();
    this.next();
    // `some x in xs` / `some k, v in xs` first.
    let term: Term | undefined;
    try {
      term = this.parseTermInfixCall();
    } catch (e) {
      if (e !== FAIL) throw e;
    }
    if (term !== undefined && term.type === 'call') {
      const name = refName(term.operator);
      if (name !== 'internal.member_2' && name !== 'internal.member_3') {
        this.illegal('expected `x in xs` or `x, y in xs` expression');
      }
      const decl: SomeDecl = { type: 'some', symbols: [term], location: this.loc(someTok) };
      const withs = this.isKw(this.tok, 'with') ? this.parseWith() : [];
      return { index, negated: false, value: decl, with: withs, location: this.loc(start) };
    }
    this.restore(s);
    const symbols: Term[] = [];
    for (;;) {
      this.next();
      if (this.ty() !== Tok.IDENT || (this.keywords.has(this.tok.value) && this.tok.value !== 'contains')) {
        this.illegal('expected var');
      }
      symbols.push(this.parseVar());
      if (this.ty() !== Tok.COMMA) break;
    }
    const decl: SomeDecl = { type: 'some', symbols, location: this.loc(someTok) };
    return { index, negated: false, value: decl, with: [], location: this.loc(start) };
  }

  private parseEvery(index: number, start: Token): Expr {
    const everyTok = this.tok;
    this.next();
    const term = this.parseTermInfixCall();
    if (term.type !== 'call') this.illegal('expected `x[, y] in xs { ... }` expression');
    const name = refName(term.operator);
    let key: Term | undefined;
    let value: Term;
    let domain: Term;
    if (name === 'internal.member_2') {
      [value, domain] = term.args as [Term, Term];
    } else if (name === 'internal.member_3') {
      [key, value, domain] = term.args as [Term, Term, Term];
      if (key.type !== 'var') this.illegal('expected key to be a variable');
    } else {
      this.illegal('expected `x[, y] in xs { ... }` expression');
    }
    if (value.type !== 'var') this.illegal('expected value to be a variable');
    if (this.ty() !== Tok.LBRACE) this.illegal('missing body');
    this.next();
    const body = this.parseBody(Tok.RBRACE);
    this.next();
    const every: Every = key
      ? { type: 'every', key, value, domain, body, location: this.loc(everyTok) }
      : { type: 'every', value, domain, body, location: this.loc(everyTok) };
    const withs = this.isKw(this.tok, 'with') ? this.parseWith() : [];
    return { index, negated: false, value: every, with: withs, location: this.loc(start) };
  }

  // ---- statements -------------------------------------------------------------------------

  atEOF(): boolean {
    return this.ty() === Tok.EOF;
  }

  /** The current token (where the next statement starts). */
  current(): Token {
    return this.tok;
  }

  skipSemicolon(): void {
    if (this.ty() === Tok.SEMICOLON) this.next();
  }

  /** Runs one statement parser; on failure skips to a likely statement start and returns undefined. */
  statement<T>(fn: () => T): T | undefined {
    const from = this.i;
    this.depth = 0;
    try {
      return fn();
    } catch (e) {
      if (e !== FAIL) {
        if (e instanceof RangeError) {
          this.error(this.loc(this.tok, this.tok.end), 'max parsing recursion depth exceeded');
        } else throw e;
      }
      this.recover(from);
      return undefined;
    }
  }

  /** After an error: continue at the first token after `from` that begins a line in column 1. */
  private recover(from: number): void {
    let j = from + 1;
    const last = this.toks.length - 1;
    while (j < last) {
      const t = this.toks[j]!;
      if (t.newline && t.col === 1) break;
      j++;
    }
    this.i = Math.min(j, last);
    this.tok = this.toks[this.i]!;
  }

  startsPackage(): boolean {
    return this.isKw(this.tok, 'package') && !this.startsRef();
  }

  startsImport(): boolean {
    return this.isKw(this.tok, 'import') && !this.startsRef();
  }

  parsePackage(): Package {
    const start = this.tok;
    this.next();
    const path = this.parseNamePath();
    const [head, ...rest] = path.terms as [VarTerm, ...Term[]];
    const terms: Term[] = [
      this.varTerm('data', head.location),
      { type: 'string', value: head.name, location: head.location },
      ...rest,
    ];
    return { path: { type: 'ref', terms, location: path.location }, location: this.loc(start) };
  }

  /**
   * A dotted path of names for `package` and `import`: `a.b["c"]`. Keywords are plain names here
   * (`package rules.if`, `import future.keywords.in`), and every segment must be a string.
   */
  private parseNamePath(): RefTerm {
    if (this.ty() !== Tok.IDENT) this.illegal('expected ident');
    const pathStart = this.tok;
    const terms: Term[] = [this.varTerm(pathStart.value, this.loc(pathStart, pathStart.end))];
    this.next();
    for (;;) {
      const t = this.tok;
      if (t.spaced) break;
      if (t.type === Tok.DOT) {
        this.next();
        const name = this.tok;
        if (name.type !== Tok.IDENT || name.spaced) this.illegal('expected ident');
        terms.push({ type: 'string', value: name.value, location: this.loc(name, name.end) });
        this.next();
      } else if (t.type === Tok.LBRACK) {
        this.next();
        const key = this.parseTermInfixCall();
        if (this.ty() !== Tok.RBRACK) this.illegal('expected ]');
        this.next();
        if (key.type !== 'string') this.fail(key.location, `unexpected ${valueName(key)} token: expecting string`);
        terms.push(key);
      } else break;
    }
    return { type: 'ref', terms, location: this.loc(pathStart) };
  }

  parseImport(): Import {
    const start = this.tok;
    this.next();
    const path = this.parseNamePath();
    const terms = path.terms;
    const root = (terms[0] as VarTerm).name;
    if (!['data', 'input', 'future', 'rego'].includes(root)) {
      this.fail(path.location, `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${root}`);
    }
    let alias: string | undefined;
    if (this.isKw(this.tok, 'as')) {
      this.next();
      if (this.ty() !== Tok.IDENT || this.keywords.has(this.tok.value)) this.illegal('expected var');
      alias = this.tok.value;
      this.next();
    }
    const imp: Import = alias === undefined ? { path, location: this.loc(start) } : { path, alias, location: this.loc(start) };
    const segs = terms.slice(1).map((t) => (t as StringTerm).value);
    if (root === 'future') this.futureImport(imp, segs);
    else if (root === 'rego') this.regoImport(imp, segs);
    else if (alias === undefined) {
      const lastName = segs.length > 0 ? segs[segs.length - 1]! : root;
      if (this.isKeywordIn(lastName)) {
        const lastTerm = terms[terms.length - 1]!;
        this.error(lastTerm.location, `unexpected import path, must not end with a keyword, got: ${lastName}`);
      }
    }
    return imp;
  }

  private isKeywordIn(name: string): boolean {
    return BASE_KEYWORDS.includes(name) || (FUTURE_KEYWORDS.includes(name) && (this.v1 || this.keywords.has(name)));
  }

  private futureImport(imp: Import, segs: string[]): void {
    if (segs.length === 0 || segs[0] !== 'keywords') {
      this.error(imp.path.location, 'invalid import, must be `future.keywords`');
      return;
    }
    if (imp.alias !== undefined) {
      this.error(imp.path.location, '`future` imports cannot be aliased');
      return;
    }
    if (segs.length > 2) {
      this.error(imp.path.location, 'invalid import, must be `future.keywords.x`, e.g. `import future.keywords.in`');
      return;
    }
    if (segs.length === 2) {
      if (segs[1] === 'not') {
        this.improvedNot = true;
        return;
      }
      if (!FUTURE_KEYWORDS.includes(segs[1]!)) {
        this.error(imp.path.location, `unexpected keyword, must be one of [${[...FUTURE_KEYWORDS, 'not'].sort().join(' ')}]`);
        return;
      }
      this.keywords.add(segs[1]!);
      return;
    }
    for (const kw of FUTURE_KEYWORDS) this.keywords.add(kw);
  }

  private regoImport(imp: Import, segs: string[]): void {
    if (segs.length !== 1 || (segs[0] !== 'v1' && segs[0] !== 'v2')) {
      const shown = ['rego', ...segs].join('.');
      this.error(imp.path.location, `invalid import \`${shown}\`, must be \`rego.v1\` or \`rego.v2\``);
      return;
    }
    // rego.v2 is v1 plus the improved negation.
    if (segs[0] === 'v2') this.improvedNot = true;
    if (this.v1) return;
    if (imp.alias !== undefined) {
      this.error(imp.path.location, '`rego` imports cannot be aliased');
      return;
    }
    this.regoV1Compatible = true;
    for (const kw of FUTURE_KEYWORDS) this.keywords.add(kw);
  }

  /**
   * A rule statement (with its `else` chain and any chained `{…}` bodies). Returns undefined when
   * the tokens do not start a rule, so the caller can report what they are instead.
   */
  parseRules(): Rule[] | undefined {
    const saved = this.save();
    const rules = this.parseRulesAt();
    if (rules === undefined) this.restore(saved);
    return rules;
  }

  private parseRulesAt(): Rule[] | undefined {
    const start = this.tok;
    let isDefault = false;
    if (this.isKw(this.tok, 'default') && !this.startsRef()) {
      isDefault = true;
      this.next();
    }
    const nameTok = this.tok;
    if (nameTok.type !== Tok.IDENT) return undefined;
    if (this.keywords.has(nameTok.value) && !this.startsRef() && nameTok.value !== 'contains') return undefined;

    const head = this.parseHead(isDefault);
    const syntax: RuleSyntax = {
      rule: undefined as unknown as Rule,
      hasIf: false,
      hasContains: head.usesContains,
      generatedBody: false,
      generatedValue: head.generatedValue,
    };

    if (isDefault) {
      this.validateDefault(head, start);
      const rule = this.makeRule(head, [this.trueExpr(this.loc(start))], true, start);
      syntax.rule = rule;
      syntax.generatedBody = true;
      this.ruleSyntax.push(syntax);
      return [rule];
    }

    const refLen = head.ref.terms.length;
    const hasIf = this.isKw(this.tok, 'if');
    // `p[x] if …` defines one key of an object (true unless a value is given).
    if (hasIf && !head.usesContains && refLen === 2 && !head.args) {
      const last = head.ref.terms[1]!;
      if (!isGround(last) || last.type === 'ref') head.key = last;
      if (head.value === undefined) {
        head.value = { type: 'boolean', value: true, location: head.location };
        syntax.generatedValue = true;
      }
    }
    // v0 `p[x] { … }` without a value is a partial set; with one, an object entry.
    if (!hasIf && !head.usesContains && !head.args && refLen === 2) {
      head.key = head.ref.terms[1];
      if (head.value === undefined) {
        head.ref = { type: 'ref', terms: head.ref.terms.slice(0, 1), location: head.ref.terms[0]!.location };
        head.multiValue = true;
      }
    }

    let body: Body;
    if (hasIf) {
      syntax.hasIf = true;
      this.next();
      body = this.parseIfBody();
    } else if (this.ty() === Tok.LBRACE) {
      this.next();
      body = this.parseBody(Tok.RBRACE);
      this.next();
    } else if (head.usesContains || head.value !== undefined || head.multiValue || head.args || refLen > 1) {
      // No body: `p := 1`, `p contains "a"`, or a bare `a.b.c` / `p[x]` / `f(x)` (checked for v1 below).
      const rule = this.makeRule(head, [this.trueExpr(head.location)], false, start);
      syntax.rule = rule;
      syntax.generatedBody = true;
      // OPA reads a bare `f(1, "a")` as a function that is true for those arguments.
      if (head.args) syntax.generatedValue = false;
      if (head.value === undefined && !head.usesContains && !head.multiValue) {
        head.value = { type: 'boolean', value: true, location: head.location };
        syntax.generatedValue = true;
      }
      this.ruleSyntax.push(syntax);
      return [rule];
    } else {
      return undefined;
    }

    const rule = this.makeRule(head, body, false, start);
    syntax.rule = rule;
    this.ruleSyntax.push(syntax);

    if (this.isKw(this.tok, 'else') && !this.startsRef()) {
      if (head.ref.terms.length > 1 && !head.ref.terms.slice(1).every(isGround)) {
        this.fail(this.loc(this.tok, this.tok.end), 'else keyword cannot be used on rules with variables in head');
      }
      if (head.key !== undefined || head.usesContains || head.multiValue) {
        this.fail(this.loc(this.tok, this.tok.end), 'else keyword cannot be used on multi-value rules');
      }
      rule.else = this.parseElse(head, rule);
      rule.location = this.loc(start);
    }

    const rules = [rule];
    // v0 allows `p { a } { b }`: the same head with another body.
    while (this.ty() === Tok.LBRACE) {
      if (rule.else) this.fail(this.loc(this.tok, this.tok.end), 'expected else keyword');
      const open = this.tok;
      this.next();
      const nextBody = this.parseBody(Tok.RBRACE);
      this.next();
      const copy = cloneHead(head.base, this.loc(open));
      const chained: Rule = { kind: rule.kind, default: false, head: copy, body: nextBody, location: this.loc(open) };
      this.ruleSyntax.push({ ...syntax, rule: chained });
      rules.push(chained);
    }
    return rules;
  }

  /** After `if`: a single expression, or a `{ … }` body (a set literal is never a body). */
  private parseIfBody(): Body {
    if (this.ty() === Tok.LBRACE && this.braceMayBeTerm()) {
      const s = this.save();
      try {
        const expr = this.parseLiteral(0);
        // A set literal is always true, so `p if { x }` means a body holding x, as in OPA.
        if (expr.value.type !== 'set') return [expr];
      } catch (e) {
        if (e !== FAIL) throw e;
      }
      this.restore(s);
      this.next();
      const body = this.parseBody(Tok.RBRACE);
      this.next();
      return body;
    }
    if (this.ty() === Tok.LBRACE) {
      this.next();
      const body = this.parseBody(Tok.RBRACE);
      this.next();
      return body;
    }
    return [this.parseLiteral(0)];
  }

  /**
   * Whether the `{` after `if` could open a term that is the whole body (an object, a
   * comprehension, or a set used with an operator) rather than a `{ … }` body. Only then is the
   * term parse tried first, as OPA does; a plain body is read directly. Looks at the tokens up to
   * the matching `}`: a `:` or `|` directly inside, or an operator right after it.
   */
  private braceMayBeTerm(): boolean {
    let depth = 0;
    const toks = this.toks;
    for (let j = this.i; j < toks.length; j++) {
      const t = toks[j]!.type;
      if (t === Tok.LBRACE || t === Tok.LBRACK || t === Tok.LPAREN || t === Tok.TEMPLATE_HEAD) depth++;
      else if (t === Tok.RBRACE || t === Tok.RBRACK || t === Tok.RPAREN || t === Tok.TEMPLATE_TAIL) {
        depth--;
        if (depth === 0) {
          const after = toks[j + 1];
          return after !== undefined && !after.newline && (INFIX_TOKENS.has(after.type) || after.type === Tok.UNIFY || after.type === Tok.ASSIGN || (after.type === Tok.IDENT && after.value === 'in'));
        }
      } else if (depth === 1 && (t === Tok.COLON || t === Tok.OR)) return true;
      else if (t === Tok.EOF) return true;
    }
    return true;
  }

  private parseElse(head: ParsedHead, parent: Rule): Rule {
    const start = this.tok;
    this.next(); // else
    let value: Term;
    let assign: ':=' | '=' | null = null;
    const syntax: RuleSyntax = {
      rule: undefined as unknown as Rule,
      hasIf: false,
      hasContains: false,
      generatedBody: false,
      generatedValue: false,
    };
    if (this.ty() === Tok.LBRACE || this.isKw(this.tok, 'if')) {
      value = { type: 'boolean', value: true, location: this.loc(start, start.end) };
      syntax.generatedValue = true;
    } else if (this.ty() === Tok.ASSIGN || this.ty() === Tok.UNIFY) {
      assign = this.ty() === Tok.ASSIGN ? ':=' : '=';
      this.next();
      value = this.parseTermInfixCall();
    } else {
      this.illegal('expected else value term or rule body');
    }
    const ruleHead: RuleHead = { ...cloneHead(head.base, this.loc(start)), value, assign };
    if (ruleHead.args) ruleHead.args = ruleHead.args.map((a) => this.freshWildcards(a));
    let body: Body;
    if (this.isKw(this.tok, 'if')) {
      syntax.hasIf = true;
      this.next();
      if (this.ty() === Tok.LBRACE) {
        this.next();
        body = this.parseBody(Tok.RBRACE);
        this.next();
      } else {
        body = [this.parseLiteral(0)];
      }
    } else if (this.ty() === Tok.LBRACE) {
      this.next();
      body = this.parseBody(Tok.RBRACE);
      this.next();
    } else {
      body = [this.trueExpr(this.loc(start))];
      syntax.generatedBody = true;
    }
    const rule: Rule = { kind: parent.kind, default: false, head: ruleHead, body, location: this.loc(start) };
    syntax.rule = rule;
    this.ruleSyntax.push(syntax);
    if (this.isKw(this.tok, 'else') && !this.startsRef()) {
      rule.else = this.parseElse(head, parent);
      rule.location = this.loc(start);
    }
    return rule;
  }

  private freshWildcards(t: Term): Term {
    if (t.type === 'var' && t.wildcard) return { ...t, name: `$wildcard${this.wildcard++}` };
    return t;
  }

  private parseHead(isDefault: boolean): ParsedHead {
    const start = this.tok;
    const name = this.parseVar();
    // An operator right after the name is not a rule head (`x == 1` at the top level).
    if (INFIX_TOKENS.has(this.ty())) this.illegal();
    let term: Term = name;
    const t = this.tok;
    if (!t.spaced && (t.type === Tok.DOT || t.type === Tok.LBRACK || t.type === Tok.LPAREN)) term = this.parseRef(name);

    let ref: RefTerm;
    let args: Term[] | undefined;
    if (term.type === 'var') ref = { type: 'ref', terms: [term], location: term.location };
    else if (term.type === 'ref') {
      if (term.terms[0]!.type !== 'var') this.fail(term.location, 'unexpected term: expected rule head name');
      ref = term;
    } else if (term.type === 'call') {
      ref = term.operator;
      args = term.args;
    } else {
      this.fail(term.location, 'unexpected term: expected rule head name');
    }
    const headName = (): string =>
      ref.terms.map((x, i) => (i === 0 ? (x as VarTerm).name : x.type === 'string' ? `.${x.value}` : '[…]')).join('');

    const head: ParsedHead = {
      ref,
      args,
      key: undefined,
      value: undefined,
      assign: null,
      location: this.loc(start),
      usesContains: false,
      generatedValue: false,
      multiValue: false,
      base: undefined as unknown as RuleHead,
    };
    if (this.isKw(this.tok, 'contains')) {
      if (args) this.illegal(`the contains keyword can only be used with multi-value rule definitions (e.g., ${headName()} contains <VALUE> { ... })`);
      this.next();
      head.key = this.parseTermInfixCall();
      head.usesContains = true;
    } else if (this.ty() === Tok.UNIFY || this.ty() === Tok.ASSIGN) {
      head.assign = this.ty() === Tok.ASSIGN ? ':=' : '=';
      this.next();
      if (this.ty() === Tok.EOF) {
        const note = args
          ? `expected function value term (e.g., ${headName()}(...) := <VALUE> { ... })`
          : isDefault
            ? `expected default rule value term (e.g., default ${headName()} := <VALUE>)`
            : `expected rule value term (e.g., ${headName()} := <VALUE> { ... })`;
        this.illegal(note);
      }
      head.value = this.parseTermInfixCall();
    }
    if (head.value === undefined && head.key === undefined && (ref.terms.length !== 2 || args)) {
      if (args || ref.terms.length !== 1 || this.isKw(this.tok, 'if') || this.ty() === Tok.LBRACE) {
        head.value = { type: 'boolean', value: true, location: this.loc(start) };
        head.generatedValue = true;
      }
    }
    head.location = this.loc(start);
    head.base = {
      ref: head.ref,
      ...(head.args ? { args: head.args } : {}),
      ...(head.key ? { key: head.key } : {}),
      ...(head.value ? { value: head.value } : {}),
      assign: head.assign,
      location: head.location,
    };
    return head;
  }

  private validateDefault(head: ParsedHead, start: Token): void {
    const location = this.loc(start);
    if (head.value === undefined || head.generatedValue) this.fail(location, 'illegal default rule (must have a value)');
    const bad = findNonConstant(head.value);
    if (bad) this.fail(location, `illegal default rule (value cannot contain ${bad})`);
    if (head.args) {
      const seen = new Set<string>();
      for (const a of head.args) {
        if (a.type !== 'var') this.fail(location, `illegal default rule (arguments cannot contain ${valueName(a)})`);
        if (!a.wildcard && seen.has(a.name)) this.fail(location, `illegal default rule (arguments cannot be repeated ${a.name})`);
        seen.add(a.name);
      }
    }
  }

  private trueExpr(location: Location): Expr {
    return { index: 0, negated: false, value: { type: 'boolean', value: true, location }, with: [], location };
  }

  private makeRule(head: ParsedHead, body: Body, isDefault: boolean, start: Token): Rule {
    const ruleHead: RuleHead = { ref: head.ref, assign: head.assign, location: head.location };
    if (head.args) ruleHead.args = head.args;
    if (head.value) ruleHead.value = head.value;
    let kind: RuleKind;
    if (head.args) kind = 'function';
    else if (head.usesContains || head.multiValue) kind = 'partial_set';
    else if (head.key !== undefined || !head.ref.terms.slice(1).every(isGround)) kind = 'partial_object';
    else kind = 'complete';
    if (kind === 'partial_set') ruleHead.key = head.key;
    else if (kind === 'partial_object') ruleHead.key = head.ref.terms[head.ref.terms.length - 1];
    head.base = { ...ruleHead };
    return { kind, default: isDefault, head: ruleHead, body, location: this.loc(start) };
  }

  /** A top-level statement that is not a package, import or rule: always an error, worded as OPA does. */
  reportStrayStatement(): void {
    const start = this.tok;
    const body: Body = [];
    for (;;) {
      body.push(this.parseLiteral(body.length));
      if (this.ty() !== Tok.SEMICOLON) break;
      this.next();
    }
    const location = this.loc(start);
    if (body.length !== 1) this.fail(location, 'multiple expressions cannot be used for rule head');
    const expr = body[0]!;
    if (expr.with.length > 0) this.fail(location, 'expressions using with keyword cannot be used for rule head');
    if (expr.negated) this.fail(location, 'negated expressions cannot be used for rule head');
    const v = expr.value;
    if (v.type === 'some') this.fail(location, "'some' declarations cannot be used for rule head");
    if (v.type === 'every') this.fail(location, 'every expressions cannot be used for rule head');
    if (v.type === 'call') this.fail(location, 'rule name conflicts with built-in function');
    this.fail(location, `${valueName(v)} cannot be used for rule name`);
  }

  // ---- v1 rule checks ---------------------------------------------------------------------

  checkRules(): void {
    for (const s of this.ruleSyntax) {
      const rule = s.rule;
      const what = rule.kind === 'function' ? 'function' : 'rule';
      const first = rule.head.ref.terms[0];
      if (first?.type === 'var' && ALL_KEYWORDS.has(first.name)) {
        this.error(rule.location, `${first.name} keyword cannot be used for rule name`);
      }
      if (s.generatedBody && s.generatedValue && !rule.default) {
        this.error(rule.location, `${what} must have value assignment and/or body declaration`);
      }
      if (!s.generatedBody && !s.hasIf && !rule.default) {
        this.error(rule.location, `\`if\` keyword is required before ${what} body`);
      }
      if (rule.kind === 'partial_set' && !s.hasContains) {
        this.error(rule.location, '`contains` keyword is required for partial set rules');
      }
    }
  }
}

interface ParsedHead {
  ref: RefTerm;
  args: Term[] | undefined;
  key: Term | undefined;
  value: Term | undefined;
  assign: ':=' | '=' | null;
  location: Location;
  usesContains: boolean;
  generatedValue: boolean;
  /** v0 `p[x] { … }`: a partial set written without `contains`. */
  multiValue: boolean;
  /** The head as the first rule got it, copied for `else` links and chained bodies. */
  base: RuleHead;
}

/** A head for an `else` link or a chained body: its own copy, so no two rules share nodes. */
/** Deep copy of plain AST data (objects, arrays, primitives): much cheaper than structuredClone. */
function cloneTree<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneTree) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = cloneTree((value as Record<string, unknown>)[key]);
  return copy as T;
}

function cloneHead(head: RuleHead, location: Location): RuleHead {
  const copy: RuleHead = { ref: cloneTree(head.ref), assign: head.assign, location };
  if (head.args) copy.args = cloneTree(head.args);
  if (head.key) copy.key = cloneTree(head.key);
  if (head.value) copy.value = cloneTree(head.value);
  return copy;
}

function refName(ref: RefTerm): string {
  return ref.terms.map((t) => (t.type === 'var' ? t.name : t.type === 'string' ? t.value : '?')).join('.');
}

/** OPA's name for a value's type in messages. */
function valueName(t: Term): string {
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
    case 'templatestring':
      return 'string';
    case 'var':
      return 'var';
    case 'ref':
      return 'ref';
    case 'array':
      return 'array';
    case 'set':
      return 'set';
    case 'object':
      return 'object';
    case 'arraycomprehension':
      return 'arraycomprehension';
    case 'setcomprehension':
      return 'setcomprehension';
    case 'objectcomprehension':
      return 'objectcomprehension';
    case 'call':
      return 'call';
  }
}

function containsCall(t: Term): boolean {
  return someTerm(t, (x) => x.type === 'call');
}

/** The first var/ref/call in a default rule's value (comprehensions are allowed), if any. */
function findNonConstant(t: Term): string | undefined {
  switch (t.type) {
    case 'var':
      return 'var';
    case 'ref':
      return 'ref';
    case 'call':
      return 'call';
    case 'templatestring':
      for (const p of t.parts) {
        const bad = p.type === 'string' ? undefined : findNonConstant(p);
        if (bad) return bad;
      }
      return undefined;
    case 'array':
    case 'set':
      for (const item of t.items) {
        const bad = findNonConstant(item);
        if (bad) return bad;
      }
      return undefined;
    case 'object':
      for (const [k, v] of t.entries) {
        const bad = findNonConstant(k) ?? findNonConstant(v);
        if (bad) return bad;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Whether a number literal's magnitude is beyond what OPA accepts (binary exponent past ±1e5). */
function numberTooBig(text: string): boolean {
  const e = text.search(/[eE]/);
  if (e < 0) return false;
  const exp = Number(text.slice(e + 1));
  if (!Number.isFinite(exp)) return true;
  const mantissa = text.slice(0, e).replace(/^-/, '');
  if (!/[1-9]/.test(mantissa)) return false;
  const [int = '', frac = ''] = mantissa.split('.');
  const intDigits = int.replace(/^0+/, '').length;
  const magnitude = intDigits > 0 ? exp + intDigits : exp - (frac.length - frac.replace(/^0+/, '').length);
  // 2^100000 ≈ 10^30103.
  return magnitude > 30103 || magnitude < -30103;
}

// ---- annotations ----------------------------------------------------------------------------

interface MetadataBlock {
  location: Location;
  endRow: number;
  comments: LexedComment[];
}

function metadataBlocks(comments: LexedComment[], file: string): MetadataBlock[] {
  const blocks: MetadataBlock[] = [];
  let current: MetadataBlock | undefined;
  for (let k = 0; k < comments.length; k++) {
    const c = comments[k]!;
    if (current) {
      const prev = comments[k - 1]!;
      if (c.row === prev.row + 1 && c.col === 1) {
        current.comments.push(c);
        current.endRow = c.row;
        continue;
      }
      current = undefined;
    }
    if (c.text.trim().startsWith('METADATA')) {
      current = {
        location: { file, row: c.row, col: c.col, offset: c.offset, length: c.length },
        endRow: c.row,
        comments: [],
      };
      blocks.push(current);
    }
  }
  return blocks;
}

const SIMPLE_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):[ ]+(.*)$/;
const BARE_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):()$/;
// A plain YAML scalar that can only be a string: no indicator characters, not a number/bool/null.
const SIMPLE_STRING = /^[A-Za-z_(/.][^:#'"[\]{},&*!|>%@`\t]*$/;
const NOT_A_STRING = /^(true|false|null|~|[-+]?(\.inf|\.nan|\d.*)|\.\d.*)$/i;

/**
 * The mapping of a METADATA block written as plain `key: text` lines (nested mappings by
 * indentation, values that are text, booleans or integers) without the YAML library, which costs
 * far more than the rest of parsing. Anything else (lists, quotes, flow style, …) returns undefined
 * and goes to the YAML parser.
 */
function simpleYamlMapping(comments: LexedComment[]): Record<string, unknown> | undefined {
  const lines: { indent: number; text: string }[] = [];
  for (const c of comments) {
    const line = c.text.startsWith(' ') ? c.text.slice(1) : c.text;
    if (line.trim() === '') continue;
    const text = line.trimStart();
    if (line.includes('\t')) return undefined;
    lines.push({ indent: line.length - text.length, text: text.trimEnd() });
  }
  if (lines.length === 0 || lines[0]!.indent !== 0) return undefined;
  let k = 0;
  const mapping = (indent: number): Record<string, unknown> | undefined => {
    const out: Record<string, unknown> = {};
    while (k < lines.length && lines[k]!.indent === indent) {
      const m = SIMPLE_KEY.exec(lines[k]!.text) ?? BARE_KEY.exec(lines[k]!.text);
      if (!m) return undefined;
      const key = m[1]!;
      const raw = m[2] ?? '';
      if (Object.prototype.hasOwnProperty.call(out, key) || key === '__proto__') return undefined;
      k++;
      if (raw === '') {
        if (k < lines.length && lines[k]!.indent > indent) {
          const child = mapping(lines[k]!.indent);
          if (child === undefined) return undefined;
          out[key] = child;
        } else out[key] = null;
      } else if (raw === 'true' || raw === 'false') out[key] = raw === 'true';
      else if (/^-?(0|[1-9][0-9]{0,14})$/.test(raw)) out[key] = Number(raw);
      else if (SIMPLE_STRING.test(raw) && !NOT_A_STRING.test(raw) && !raw.includes(' #')) out[key] = raw;
      else return undefined;
    }
    if (k < lines.length && lines[k]!.indent > indent) return undefined;
    return out;
  };
  const result = mapping(0);
  return result !== undefined && k === lines.length ? result : undefined;
}

interface StatementRef {
  row: number;
  node: { kind: 'package' } | { kind: 'import' } | { kind: 'rule'; rule: Rule };
}

function attachAnnotations(
  blocks: MetadataBlock[],
  statements: StatementRef[],
  module: Module,
  errors: RegoError[],
): void {
  for (const block of blocks) {
    const text = block.comments.map((c) => (c.text.startsWith(' ') ? c.text.slice(1) : c.text)).join('\n') + '\n';
    const last = block.comments.length > 0 ? block.comments[block.comments.length - 1]! : undefined;
    const length = last ? last.offset + last.length - block.location.offset : block.location.length;
    const location: Location = { ...block.location, length };
    if (text.trim() === '') {
      errors.push({ code: 'rego_parse_error', message: 'expected METADATA block, found whitespace', location });
      continue;
    }
    let value: unknown = simpleYamlMapping(block.comments);
    if (value === undefined) try {
      value = parseYaml(text);
    } catch (e) {
      const message = (e instanceof Error ? e.message.split('\n')[0]! : String(e)).replace(/:\s*$/, '');
      errors.push({ code: 'rego_parse_error', message: `yaml: ${message}`, location });
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      errors.push({ code: 'rego_parse_error', message: 'yaml: METADATA block must be a mapping', location });
      continue;
    }
    const mapping = value as Record<string, unknown>;
    const target = statements.find((s) => s.row > block.endRow);
    let scope = mapping.scope;
    if (scope !== undefined && (typeof scope !== 'string' || !ANNOTATION_SCOPES.has(scope))) {
      errors.push({ code: 'rego_parse_error', message: `invalid annotation scope '${String(scope)}'`, location });
      continue;
    }
    if (target === undefined || target.node.kind === 'import') {
      if (target?.node.kind === 'import' && scope === undefined) continue;
      errors.push({
        code: 'rego_parse_error',
        message: `annotation scope '${String(scope ?? 'rule')}' must be applied to ${scope === 'package' || scope === 'subpackages' ? 'package' : 'rule'}`,
        location,
      });
      continue;
    }
    if (scope === undefined) {
      if (target.node.kind === 'package') scope = 'package';
      else scope = mapping.entrypoint === true ? 'document' : 'rule';
    }
    const isPackageScope = scope === 'package' || scope === 'subpackages';
    if (isPackageScope !== (target.node.kind === 'package')) {
      errors.push({
        code: 'rego_parse_error',
        message: `annotation scope '${scope}' must be applied to ${isPackageScope ? 'package' : 'rule'} (have ${target.node.kind})`,
        location,
      });
      continue;
    }
    const annotation: Annotation = { scope: scope as Annotation['scope'], value: mapping, location };
    module.annotations.push(annotation);
    if (target.node.kind === 'rule') (target.node.rule.annotations ??= []).push(annotation);
  }
}

// ---- entry points ---------------------------------------------------------------------------

/** Parses one Rego module. Never throws; `value` is absent when there are errors. */
export function parseModule(source: string, file: string, options: ParseOptions = {}): ParseResult<Module> {
  const regoVersion = options.regoVersion ?? 'v1';
  const { tokens, comments } = lex(source);
  const p = new Parser(file, tokens, regoVersion === 'v1');
  const module: Module = {
    file,
    regoVersion,
    package: undefined as unknown as Package,
    imports: [],
    rules: [],
    annotations: [],
    comments: comments.map(
      (c): Comment => ({ text: c.text, location: { file, row: c.row, col: c.col, offset: c.offset, length: c.length } }),
    ),
  };
  const statements: StatementRef[] = [];
  let first = true;
  while (!p.atEOF()) {
    const startTok = p.current();
    const startLoc: Location = { file, row: startTok.row, col: startTok.col, offset: startTok.start, length: startTok.end - startTok.start };
    if (p.startsPackage()) {
      const pkg = p.statement(() => p.parsePackage());
      if (pkg) {
        if (first) module.package = pkg;
        else p.error(pkg.location, 'unexpected package');
        statements.push({ row: pkg.location.row, node: { kind: 'package' } });
      }
    } else {
      if (first) p.error(startLoc, 'package expected');
      if (p.startsImport()) {
        const imp = p.statement(() => p.parseImport());
        if (imp) {
          module.imports.push(imp);
          statements.push({ row: imp.location.row, node: { kind: 'import' } });
        }
      } else {
        const rules = p.statement(() => {
          const found = p.parseRules();
          if (found === undefined) p.reportStrayStatement();
          return found;
        });
        if (rules) {
          for (const rule of rules) {
            module.rules.push(rule);
            statements.push({ row: rule.location.row, node: { kind: 'rule', rule } });
          }
        }
      }
    }
    first = false;
  }
  if (first) {
    p.error({ file, row: 1, col: 1, offset: 0, length: 0 }, 'empty module');
  }
  if (p.regoV1Compatible) p.checkRules();
  const errors = p.errors;
  if (errors.length === 0) {
    attachAnnotations(metadataBlocks(comments, file), statements, module, errors);
  }
  if (errors.length > 0 || module.package === undefined) {
    return { errors: sortErrors(errors) };
  }
  return { value: module, errors: [] };
}

/** Parses a query (`x = data.p; y := x + 1`): expressions separated by `;` or newlines. */
export function parseQuery(source: string, file = 'query', options: ParseOptions = {}): ParseResult<Query> {
  const { tokens } = lex(source);
  const p = new Parser(file, tokens, (options.regoVersion ?? 'v1') === 'v1');
  const body: Body = [];
  if (p.atEOF()) {
    p.error({ file, row: 1, col: 1, offset: 0, length: 0 }, 'empty query');
    return { errors: p.errors };
  }
  while (!p.atEOF()) {
    const expr = p.statement(() => {
      const e = p.parseLiteral(body.length);
      p.skipSemicolon();
      return e;
    });
    if (expr) body.push(expr);
  }
  if (p.errors.length > 0) return { errors: sortErrors(p.errors) };
  return { value: { body, file }, errors: [] };
}

function sortErrors(errors: RegoError[]): RegoError[] {
  return [...errors].sort((a, b) => a.location.offset - b.location.offset);
}
