// The intermediate representation between the planner (checked Rego → IR) and the code generator
// (IR → Wasm). It is deliberately small and close to OPA's own planner IR, so OPA's documentation of
// its IR explains ours too: blocks of statements over numbered locals; a statement that does not
// hold (an undefined lookup, a failed comparison) leaves its block, and `Break` leaves enclosing
// blocks. Everything here is plain data, so `govern build --dump-ir` can print it as JSON.
//
// Semantics in one paragraph: a Block runs its statements in order; when one *fails* (Dot on a
// missing key, Equal on unequal values, IsDefined on an undefined local, Not whose block reached its
// end, Len/Scan on a non-collection…) the rest of the block is skipped and execution continues
// after it. `Break n` leaves the n+1 innermost enclosing blocks (Break 0 = leave the current block).
// Scan runs its block once per element of a collection. A local holds a value or is undefined (0).
//
// Conventions the planner (src/plan/planner.ts) follows and the code generator relies on:
// - Call convention: every Func takes INPUT and DATA as its first two params (so `with input …` /
//   `with data …` reach everything called inside the expression), then the function's own args.
//   Rule Funcs (a rule tree node's value) take only INPUT and DATA. A Func returns its `result`
//   local after running its blocks in order (locals start undefined).
// - `Call` fails when the callee's result is undefined (a rule that does not hold, a builtin that is
//   undefined). Calls of rule/user Funcs pass INPUT and DATA explicitly as the first two args.
// - Values are references: ObjectInsert / SetAdd / ArrayAppend change the collection in place, so a
//   collection fetched with Dot and then changed is changed inside its parent too (the planner builds
//   nested ref-head objects that way: Dot, or MakeObject + ObjectInsert when missing).
// - Scan over a set gives each element as both key and value; over an object key/value; over an
//   array index/element. Scan of a non-collection runs its block zero times.
// - With: `path` are static string indexes; the copy gets intermediate objects created as needed.
//   With fails (like any statement) when its block did not reach its end. The planner puts the rest
//   of the body inside the block (to keep bindings) and re-assigns the saved original local before
//   it, so the replacement is scoped to the one expression.
// - `with f as <value>` (a function or builtin replaced by a value) is planned as a With on DATA at
//   ["$mock", "<name>"]; calls of the mocked name in the expression (and in Funcs planned for that
//   mock set) read the value from there. `with f as g` calls g instead (no IR support needed).
// - Template strings call the builtin `internal.template_string` with one array: literal parts are
//   strings, each `{expr}` part is the *set* of the expression's values (empty: undefined), as OPA.
// - Relation builtins (`walk`) are called with their inputs only; the planner Scans the result
//   (an array of results) and unifies each element with the output argument.
// - Rule values are remembered per plan/function invocation: a reference to a rule emits
//   Block[ Block[IsDefined m; Break 1]; Call rule → m ]; IsDefined m — so Break may leave a Block
//   from inside a nested Block, and `m` keeps its value across loop iterations (reset with
//   ResetLocal at the start of a With block, whose replacement may change per iteration).
// - A complete rule or function definition with a constant value emits `Break n` right after its
//   AssignVarOnce, leaving every block (Scans included) up to the definition's own top-level block:
//   the first solution decides. Never emitted from inside a With block.
// - Funcs have `path` (the rule's data path); conflict messages may name it (`data.<path>`).
// - `rego.metadata.chain()` / `rego.metadata.rule()` never reach the code generator: they are
//   planned as constants.

/** A local variable slot. Locals 0 and 1 hold `input` and `data` in every plan and function. */
export type Local = number;
export const INPUT: Local = 0;
export const DATA: Local = 1;

/** A value a statement reads: a local, a boolean constant, or a string from the static table. */
export type Operand =
  | { type: 'local'; local: Local }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; index: number };

export interface Policy {
  static: Static;
  /** One plan per entrypoint, in `-e` order: the plan's index is the entrypoint id. */
  plans: Plan[];
  /** Rules and user functions, called from plans and from each other. */
  funcs: Func[];
}

export interface Static {
  /** String constants, referred to by index (Operand.string, MakeNumberRef). */
  strings: string[];
  /**
   * Builtins the policy calls, by OPA name (`count`, `sprintf`, `time.now_ns`): the code generator
   * calls the runtime's implementation when it has one and otherwise declares a host builtin.
   */
  builtins: BuiltinDecl[];
  /** Source file names, for error locations. */
  files: string[];
}

export interface BuiltinDecl {
  name: string;
  arity: number;
}

export interface Plan {
  /** The entrypoint as given to `-e`, slash-separated (`authz/allow`). */
  name: string;
  blocks: Block[];
}

export interface Func {
  /** Unique name, e.g. `g0.data.authz.allow`. */
  name: string;
  /** The rule's path, `["authz", "allow"]`, for messages. */
  path: string[];
  /** Parameters, always starting with INPUT and DATA, then the function's own arguments. */
  params: Local[];
  /** The local the function's result is left in (undefined when the rule does not hold). */
  result: Local;
  blocks: Block[];
}

export interface Block {
  stmts: Stmt[];
}

/** A source position attached to statements that can raise errors (conflicts, builtin errors). */
export interface Where {
  file: number;
  row: number;
  col: number;
}

export type Stmt =
  // Control flow
  | { type: 'Block'; blocks: Block[] }
  | { type: 'Break'; index: number }
  | { type: 'Not'; block: Block }
  | { type: 'Scan'; source: Local; key: Local; value: Local; block: Block }
  | { type: 'Nop' }
  // Calls: `func` is a Func name or a builtin's OPA name; args are operands.
  | { type: 'Call'; func: string; args: Operand[]; result: Local; where?: Where }
  /** Call the function whose data path is computed at run time (`data.lib[x](1)`). */
  | { type: 'CallDynamic'; path: Operand[]; args: Local[]; result: Local; where?: Where }
  // Reading values
  | { type: 'Dot'; source: Operand; key: Operand; target: Local }
  | { type: 'Len'; source: Operand; target: Local }
  | { type: 'Equal'; a: Operand; b: Operand }
  | { type: 'NotEqual'; a: Operand; b: Operand }
  | { type: 'IsArray'; source: Operand }
  | { type: 'IsObject'; source: Operand }
  | { type: 'IsSet'; source: Operand }
  | { type: 'IsDefined'; source: Local }
  | { type: 'IsUndefined'; source: Local }
  // Assigning locals
  | { type: 'AssignInt'; value: number; target: Local }
  | { type: 'AssignVar'; source: Operand; target: Local }
  /**
   * Assign, unless the target already holds a different value: then a conflict error (complete rules:
   * `complete rules must not produce multiple outputs`; with `conflict: 'function'`, user functions:
   * `functions must not produce multiple outputs for same inputs`). `conflict` is optional (additive).
   */
  | { type: 'AssignVarOnce'; source: Operand; target: Local; where?: Where; conflict?: 'rule' | 'function' }
  | { type: 'ResetLocal'; target: Local }
  // Making values
  | { type: 'MakeNull'; target: Local }
  | { type: 'MakeNumberInt'; value: number; target: Local }
  /** A number from its literal text (static string `index`): any size and precision. */
  | { type: 'MakeNumberRef'; index: number; target: Local }
  | { type: 'MakeArray'; capacity: number; target: Local }
  | { type: 'MakeObject'; target: Local }
  | { type: 'MakeSet'; target: Local }
  | { type: 'ArrayAppend'; value: Operand; array: Local }
  | { type: 'SetAdd'; value: Operand; set: Local }
  | { type: 'ObjectInsert'; key: Operand; value: Operand; object: Local }
  /** Insert, unless the key is present with a different value: then a conflict error (partial objects). */
  | { type: 'ObjectInsertOnce'; key: Operand; value: Operand; object: Local; where?: Where }
  /** Deep merge of two objects (virtual documents over base data); fails if they conflict. */
  | { type: 'ObjectMerge'; a: Local; b: Local; target: Local }
  // Results
  | { type: 'ResultSetAdd'; value: Local }
  | { type: 'ReturnLocal'; source: Local }
  /** Run `block` with `local` replaced by a copy whose value at `path` is `value` (`with … as`). */
  | { type: 'With'; local: Local; path: number[]; value: Operand; block: Block };

export type StmtType = Stmt['type'];
