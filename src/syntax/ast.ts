// The Rego abstract syntax tree. Every node carries the place in the source it came from, and the
// whole tree is plain data (no classes, no cycles) so it serialises to JSON as it is.
//
// The shape follows OPA's own AST where that helps later stages: infix operators become calls to
// the builtin of the same meaning (`x + y` is `plus(x, y)`, `x = y` is `eq(x, y)`, `x := y` is
// `assign(x, y)`), and a reference is a head term followed by its path (`a.b[c]` is
// [var a, "b", var c]).

/** A position in a source file; `row` and `col` count from 1, `col` in UTF-16 code units. */
export interface Location {
  file: string;
  row: number;
  col: number;
  /** Offset of the node's first character in the source text. */
  offset: number;
  /** The node's source text length, so the exact text can be shown again. */
  length: number;
}

export type Term =
  | NullTerm
  | BooleanTerm
  | NumberTerm
  | StringTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | SetTerm
  | ObjectTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm
  | TemplateStringTerm;

export interface NullTerm { type: 'null'; location: Location }
export interface BooleanTerm { type: 'boolean'; value: boolean; location: Location }
/** The literal's text as written (`1e400`, `0.1`, `123456789012345678901234567890`): never rounded here. */
export interface NumberTerm { type: 'number'; value: string; location: Location }
/** The decoded string (escapes resolved); `raw` is true for back-tick strings. */
export interface StringTerm { type: 'string'; value: string; raw?: boolean; location: Location }
/** `_` is a wildcard; the parser renames each `_` to a fresh `$wildcardN` with `wildcard: true`. */
export interface VarTerm { type: 'var'; name: string; wildcard?: boolean; location: Location }
/**
 * `head.path[...]`: terms[0] is the head (a var such as `data`, `input`, a local, or for
 * `f(x)[0]` / `[1,2][i]` a call or composite), the rest are the path segments. `a.b` stores the
 * segment as the string term "b".
 */
export interface RefTerm { type: 'ref'; terms: Term[]; location: Location }
export interface ArrayTerm { type: 'array'; items: Term[]; location: Location }
export interface SetTerm { type: 'set'; items: Term[]; location: Location }
export interface ObjectTerm { type: 'object'; entries: [Term, Term][]; location: Location }
export interface ArrayComprehension { type: 'arraycomprehension'; head: Term; body: Body; location: Location }
export interface SetComprehension { type: 'setcomprehension'; head: Term; body: Body; location: Location }
export interface ObjectComprehension {
  type: 'objectcomprehension';
  key: Term;
  value: Term;
  body: Body;
  location: Location;
}
/**
 * A call: `operator` is a ref naming the function (`count`, `data.lib.f`, `plus` for `+`,
 * `internal.member_2` for `x in xs`, `internal.member_3` for `k, v in xs`).
 */
export interface CallTerm { type: 'call'; operator: RefTerm; args: Term[]; location: Location }
/**
 * `$"a {x} b"`: literal parts are strings, expression parts are terms (empty literal parts are
 * left out). A part written with `with` (`{x with input as y}`) arrives as the term
 * `[$templateN | $templateN := x with input as y][0]`, which has the same value.
 */
export interface TemplateStringTerm {
  type: 'templatestring';
  parts: (StringTerm | Term)[];
  location: Location;
}

/**
 * Statements of a rule body, query or comprehension body, in order. Rules written without a body
 * (`p := 1`, `default p := 0`, `p contains "a"`) get the body `[true]`. Under
 * `import future.keywords.not` / `import rego.v2`, `not <expr>` and `not { body }` (whole-body
 * negation) arrive as `[true | body] == []` (equal call, not negated); plain `not ref` stays negated.
 */
export type Body = Expr[];

export interface Expr {
  /** Position of the expression within its body, from 0 (kept stable through reordering). */
  index: number;
  negated: boolean;
  /** What the expression is: a single term, a call (incl. `=`/`:=`/operators), `some`, or `every`. */
  value: Term | SomeDecl | Every;
  with: With[];
  location: Location;
}

/**
 * `some x, y` declares locals (vars are VarTerm); `some x in xs` / `some k, v in xs` is kept as
 * the member call (`internal.member_2(x, xs)` / `internal.member_3(k, v, xs)`) in `symbols`.
 */
export interface SomeDecl { type: 'some'; symbols: Term[]; location: Location }

/** `every k, v in domain { body }`; `key` is absent for `every v in domain`. */
export interface Every {
  type: 'every';
  key?: Term;
  value: Term;
  domain: Term;
  body: Body;
  location: Location;
}

/** `with target as value`; target is a ref to `input…`, `data…`, or a function/builtin name. */
export interface With { target: RefTerm; value: Term; location: Location }

export interface Import {
  /** `data.foo.bar`, `input.x`, `future.keywords.in`, `rego.v1`. */
  path: RefTerm;
  alias?: string;
  location: Location;
}

export interface Package {
  /** The full path as a ref starting with `data`: `package a.b` is data.a.b. */
  path: RefTerm;
  location: Location;
}

/**
 * A rule head. `ref` is the name as a ref relative to the package (`p` is [var p];
 * `a.b[x]` is [var a, "b", var x]).
 * - complete / default:  `p := 1`, `p = 1`, `p if …` (value defaults to true), `default p := 0`
 * - partial set:         `p contains x if …` → `key` is x, no `value`
 * - partial object / ref head: `p[k] := v if …` → the last ref segment is the key, `value` is v
 * - function:            `f(a, b) := v if …` → `args`
 */
export interface RuleHead {
  ref: RefTerm;
  args?: Term[];
  key?: Term;
  value?: Term;
  /** How the value was attached: `:=`, `=`, or none (implicit `true`). */
  assign: ':=' | '=' | null;
  location: Location;
}

export type RuleKind = 'complete' | 'partial_set' | 'partial_object' | 'function';

export interface Rule {
  kind: RuleKind;
  default: boolean;
  head: RuleHead;
  body: Body;
  /** The `else` chain: each link has its own value (or implicit true) and body. */
  else?: Rule;
  /** Attached `# METADATA` annotations, if any. */
  annotations?: Annotation[];
  location: Location;
}

export interface Annotation {
  scope: 'rule' | 'document' | 'package' | 'subpackages';
  /** The parsed YAML mapping (title, description, entrypoint, custom, …). */
  value: Record<string, unknown>;
  location: Location;
}

export interface Module {
  file: string;
  /** 'v1' (default) or 'v0' (when asked for with --v0-compatible). */
  regoVersion: 'v0' | 'v1';
  package: Package;
  imports: Import[];
  rules: Rule[];
  annotations: Annotation[];
  comments: Comment[];
}

export interface Comment { text: string; location: Location }

/** A query as `govern eval QUERY` or a conformance case gives it: a body. */
export interface Query { body: Body; file: string }
