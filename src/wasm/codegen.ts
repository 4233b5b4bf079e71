// IR → Wasm functions, written through an Emitter: binaryen's module API (link.ts, when the
// optimiser runs) or our own byte writer (emit.ts, the fast path with no binaryen at all).
//
// Each IR Block becomes a labelled wasm `block`; a statement that does not hold branches to the
// innermost block's label, and `Break n` branches to the label n blocks further out. Because
// binaryen labels are names, no branch depth arithmetic is needed. Every value is an i32 pointer
// into memory (0 = undefined), handled by the runtime's exports listed in its README.
import type { Block, Func, Operand, Plan, Policy, Stmt, Where } from '../plan/ir.js';
import { DATA, INPUT } from '../plan/ir.js';

/** An expression of the emitter in use (a binaryen expression ref, or our writer's node). */
export type Expr = unknown;
export type ValType = 'none' | 'i32';
const i32: ValType = 'i32';

/** The few Wasm instructions the code generator needs; every local and parameter is an i32. */
export interface Emitter {
  block(label: string | null, body: Expr[], type: ValType): Expr;
  loop(label: string, body: Expr): Expr;
  if(condition: Expr, ifTrue: Expr): Expr;
  br(label: string, condition?: Expr): Expr;
  /** Calls a function by its name (a runtime function's internal name, or a generated one). */
  call(func: string, args: Expr[], result: ValType): Expr;
  return(value: Expr): Expr;
  localGet(index: number): Expr;
  localSet(index: number, value: Expr): Expr;
  /** Sets a runtime global by its internal name. */
  globalSet(global: string, value: Expr): Expr;
  i32Const(value: number): Expr;
  i32Eq(a: Expr, b: Expr): Expr;
  i32Ne(a: Expr, b: Expr): Expr;
  i32And(a: Expr, b: Expr): Expr;
  i32LtS(a: Expr, b: Expr): Expr;
  i32Eqz(a: Expr): Expr;
  i64Const(value: bigint): Expr;
  i64ExtendI32S(a: Expr): Expr;
  /** Adds a function of `params` i32 parameters and `vars` extra i32 locals. */
  addFunction(name: string, params: number, result: ValType, vars: number, body: Expr): void;
}

/** Addresses of the policy's static data, laid out by the linker before code generation. */
export interface StaticLayout {
  /** Address of the 16-byte string value for static string `index`. */
  stringValue(index: number): number;
  /** Address and byte length of static string `index`'s UTF-8 bytes (for number literals). */
  stringBytes(index: number): { ptr: number; len: number };
  /** Address of the NUL-terminated `file:row:col` text of a location. */
  location(where: Where): number;
  /** Address of a NUL-terminated text registered with the linker before code generation. */
  text(value: string): number;
}

/**
 * The full abort message of a conflicting complete rule or function (OPA's wording, naming the
 * rule), or undefined outside a rule. Registered as static text by the linker.
 */
export function conflictMessage(
  files: string[],
  path: string[] | undefined,
  stmt: { where?: Where; conflict?: 'rule' | 'function' },
): string | undefined {
  if (!path || path.length === 0) return undefined;
  const where = stmt.where ? `${files[stmt.where.file] ?? '?'}:${stmt.where.row}:${stmt.where.col}: ` : '';
  const name = ['data', ...path].join('.');
  return stmt.conflict === 'function'
    ? `${where}eval_conflict_error: functions must not produce multiple outputs for same inputs: function ${name} produced conflicting values for the same inputs`
    : `${where}eval_conflict_error: complete rules must not produce multiple outputs: rule ${name} produced conflicting values`;
}

/** How a builtin the policy calls is reached. */
export type BuiltinTarget =
  | { kind: 'runtime'; func: string; params: number }
  /** `marksSets`: the call sets rt_host_args, so sets among the arguments reach the host as sets. */
  | { kind: 'host'; id: number; import: string; marksSets: boolean };

export interface CodegenContext {
  module: Emitter;
  policy: Policy;
  layout: StaticLayout;
  /** Internal name of a runtime export (throws if the runtime lacks it). */
  rt(exportName: string): string;
  /** Internal name of a runtime global export. */
  rtGlobal(exportName: string): string;
  /** Internal name of the runtime's `env.opa_abort` import. */
  abortImport: string;
  builtins: Map<string, BuiltinTarget>;
}

/** Internal wasm name of an IR function (prefixed so it can never clash with the runtime's). */
export function funcName(name: string): string {
  return `policy/func/${name}`;
}

export function planName(index: number): string {
  return `policy/plan/${index}`;
}

export class CodegenError extends Error {
  constructor(
    message: string,
    readonly where?: Where,
  ) {
    super(message);
    this.name = 'CodegenError';
  }
}

/** Builds the body of one plan or function. */
class FunctionBuilder {
  private readonly m: Emitter;
  private readonly localIndex = new Map<number, number>();
  private readonly varTypes: ValType[] = [];
  private readonly labels: string[] = [];
  private labelCount = 0;

  constructor(
    private readonly ctx: CodegenContext,
    private readonly paramCount: number,
    /** For plans: the wasm index of the ctx parameter (ResultSetAdd needs it). */
    private readonly ctxParam: number | undefined,
    /** The rule path of the function being built (for conflict messages). */
    private readonly path?: string[],
  ) {
    this.m = ctx.module;
  }

  /** Binds IR local `local` to wasm parameter `index`. */
  bindParam(local: number, index: number): void {
    this.localIndex.set(local, index);
  }

  local(local: number): number {
    let index = this.localIndex.get(local);
    if (index === undefined) {
      index = this.paramCount + this.varTypes.length;
      this.varTypes.push(i32);
      this.localIndex.set(local, index);
    }
    return index;
  }

  temp(type: ValType = i32): number {
    const index = this.paramCount + this.varTypes.length;
    this.varTypes.push(type);
    return index;
  }

  get vars(): number {
    return this.varTypes.length;
  }

  get(local: number): Expr {
    return this.m.localGet(this.local(local));
  }

  set(local: number, value: Expr): Expr {
    return this.m.localSet(this.local(local), value);
  }

  private call(exportName: string, args: Expr[], result: ValType = i32): Expr {
    return this.m.call(this.ctx.rt(exportName), args, result);
  }

  operand(op: Operand): Expr {
    switch (op.type) {
      case 'local':
        return this.get(op.local);
      case 'bool':
        return this.call('opa_boolean', [this.m.i32Const(op.value ? 1 : 0)]);
      case 'string':
        return this.m.i32Const(this.ctx.layout.stringValue(op.index));
    }
  }

  /** Branch to the innermost block's end: the statement did not hold. */
  private fail(): Expr {
    return this.m.br(this.labels[this.labels.length - 1]!);
  }

  private failIf(condition: Expr): Expr {
    return this.m.br(this.labels[this.labels.length - 1]!, condition);
  }

  private setLocation(where: Where | undefined): Expr[] {
    if (!where) return [];
    return [this.m.globalSet(this.ctx.rtGlobal('rt_location'), this.m.i32Const(this.ctx.layout.location(where)))];
  }

  /** A labelled wasm block for an IR block; `after` runs when the IR block completes. */
  block(block: Block, after: Expr[] = []): Expr {
    const label = `B${this.labelCount++}`;
    this.labels.push(label);
    const body: Expr[] = [];
    for (const stmt of block.stmts) body.push(...this.stmt(stmt));
    this.labels.pop();
    body.push(...after);
    return this.m.block(label, body, 'none');
  }

  blocks(blocks: Block[]): Expr[] {
    return blocks.map((b) => this.block(b));
  }

  private stmt(s: Stmt): Expr[] {
    const m = this.m;
    switch (s.type) {
      case 'Block':
        return this.blocks(s.blocks);
      case 'Break': {
        const label = this.labels[this.labels.length - 1 - s.index];
        if (label === undefined) throw new CodegenError(`IR: Break ${s.index} leaves more blocks than enclose it`);
        return [m.br(label)];
      }
      case 'Nop':
        return [];
      case 'Not': {
        // The Not holds when its block does not reach its end.
        const enclosing = this.labels[this.labels.length - 1]!;
        return [this.block(s.block, [m.br(enclosing)])];
      }
      case 'Scan': {
        const cursor = this.temp();
        const exit = `S${this.labelCount++}`;
        const loop = `L${this.labelCount++}`;
        const src = (): Expr => this.get(s.source);
        const c = (): Expr => m.localGet(cursor);
        const body = [
          m.localSet(cursor, this.call('rt_iter_next', [src(), c()])),
          m.br(exit, m.i32Eq(c(), m.i32Const(-1))),
          this.set(s.key, this.call('rt_iter_key', [src(), c()])),
          this.set(s.value, this.call('rt_iter_value', [src(), c()])),
          this.block(s.block),
          m.br(loop),
        ];
        return [m.localSet(cursor, m.i32Const(-1)), m.block(exit, [m.loop(loop, m.block(null, body, 'none'))], 'none')];
      }
      case 'Call':
        return this.callStmt(s.func, s.args.map((a) => this.operand(a)), s.args.length, s.result, s.where);
      case 'CallDynamic':
        return this.callDynamic(s);
      case 'Dot':
        return [this.set(s.target, this.call('opa_value_get', [this.operand(s.source), this.operand(s.key)])), this.failIf(m.i32Eqz(this.get(s.target)))];
      case 'Len': {
        const n = this.temp();
        return [
          m.localSet(n, this.call('opa_value_length', [this.operand(s.source)])),
          this.failIf(m.i32LtS(m.localGet(n), m.i32Const(0))),
          this.set(s.target, this.call('opa_number_int', [m.i64ExtendI32S(m.localGet(n))])),
        ];
      }
      case 'Equal':
        return [this.failIf(m.i32Eqz(this.call('opa_value_equal', [this.operand(s.a), this.operand(s.b)])))];
      case 'NotEqual':
        return [this.failIf(this.call('opa_value_equal', [this.operand(s.a), this.operand(s.b)]))];
      case 'IsArray':
        return [this.failIf(m.i32Eqz(this.call('rt_is_array', [this.operand(s.source)])))];
      case 'IsObject':
        return [this.failIf(m.i32Eqz(this.call('rt_is_object', [this.operand(s.source)])))];
      case 'IsSet':
        return [this.failIf(m.i32Eqz(this.call('rt_is_set', [this.operand(s.source)])))];
      case 'IsDefined':
        return [this.failIf(m.i32Eqz(this.get(s.source)))];
      case 'IsUndefined':
        return [this.failIf(this.get(s.source))];
      case 'AssignInt':
        return [this.set(s.target, this.int64(s.value))];
      case 'AssignVar':
        return [this.set(s.target, this.operand(s.source))];
      case 'AssignVarOnce': {
        // A complete rule (or function): a second, different value is a conflict.
        const message = conflictMessage(this.ctx.policy.static.files, this.path, s);
        const raise = message
          ? [m.call(this.ctx.abortImport, [m.i32Const(this.ctx.layout.text(message))], 'none')]
          : [...this.setLocation(s.where), this.call(s.conflict === 'function' ? 'rt_abort_function_conflict' : 'rt_abort_conflict', [], 'none')];
        const conflict = m.i32And(
          m.i32Ne(this.get(s.target), m.i32Const(0)),
          m.i32Eqz(this.call('opa_value_equal', [this.get(s.target), this.operand(s.source)])),
        );
        return [
          m.if(conflict, m.block(null, raise, 'none')),
          this.set(s.target, this.operand(s.source)),
        ];
      }
      case 'ResetLocal':
        return [this.set(s.target, m.i32Const(0))];
      case 'MakeNull':
        return [this.set(s.target, this.call('opa_null', []))];
      case 'MakeNumberInt':
        return [this.set(s.target, this.int64(s.value))];
      case 'MakeNumberRef': {
        const { ptr, len } = this.ctx.layout.stringBytes(s.index);
        return [this.set(s.target, this.call('opa_number_ref', [m.i32Const(ptr), m.i32Const(len)])), this.failIf(m.i32Eqz(this.get(s.target)))];
      }
      case 'MakeArray':
        return [this.set(s.target, this.call('opa_array_with_cap', [m.i32Const(s.capacity)]))];
      case 'MakeObject':
        return [this.set(s.target, this.call('opa_object', []))];
      case 'MakeSet':
        return [this.set(s.target, this.call('opa_set', []))];
      case 'ArrayAppend':
        return [this.call('opa_array_append', [this.get(s.array), this.operand(s.value)], 'none')];
      case 'SetAdd':
        return [this.call('opa_set_add', [this.get(s.set), this.operand(s.value)], 'none')];
      case 'ObjectInsert':
        return [this.call('opa_object_insert', [this.get(s.object), this.operand(s.key), this.operand(s.value)], 'none')];
      case 'ObjectInsertOnce':
        return [
          m.if(
            this.call('rt_object_insert_once', [this.get(s.object), this.operand(s.key), this.operand(s.value)]),
            m.block(null, [...this.setLocation(s.where), this.call('rt_abort_object_conflict', [], 'none')], 'none'),
          ),
        ];
      case 'ObjectMerge':
        return [this.set(s.target, this.call('opa_value_merge', [this.get(s.a), this.get(s.b)])), this.failIf(m.i32Eqz(this.get(s.target)))];
      case 'ResultSetAdd': {
        if (this.ctxParam === undefined) throw new CodegenError('IR: ResultSetAdd outside a plan');
        const result = this.call('rt_ctx_result', [m.localGet(this.ctxParam)]);
        return [this.call('opa_set_add', [result, this.get(s.value)], 'none')];
      }
      case 'ReturnLocal':
        return [m.return(this.get(s.source))];
      case 'With':
        return this.withStmt(s);
    }
  }

  private int64(value: number): Expr {
    const big = BigInt.asIntN(64, BigInt(Math.trunc(value)));
    return this.call('opa_number_int', [this.m.i64Const(big)]);
  }

  private callStmt(func: string, args: Expr[], argCount: number, result: number, where: Where | undefined): Expr[] {
    const m = this.m;
    const target = this.ctx.policy.funcs.find((f) => f.name === func);
    let call: Expr;
    let hostArgs: string | undefined; // set around a host call that reads sets (see BuiltinTarget)
    if (target) {
      let callArgs = args;
      if (argCount + 2 === target.params.length) callArgs = [this.get(INPUT), this.get(DATA), ...args];
      else if (argCount !== target.params.length)
        throw new CodegenError(`IR: call of ${func} with ${argCount} argument(s), it takes ${target.params.length}`, where);
      call = m.call(funcName(func), callArgs, i32);
    } else {
      const builtin = this.ctx.builtins.get(func);
      if (!builtin) throw new CodegenError(`IR: call of unknown function ${func}`, where);
      if (builtin.kind === 'runtime') {
        if (builtin.params !== argCount) throw new CodegenError(`builtin ${func} takes ${builtin.params} argument(s), called with ${argCount}`, where);
        call = m.call(builtin.func, args, i32);
      } else {
        call = m.call(builtin.import, [m.i32Const(builtin.id), m.i32Const(0), ...args], i32);
        if (builtin.marksSets) hostArgs = this.ctx.rtGlobal('rt_host_args');
      }
    }
    const assign = this.set(result, call);
    const invoke = hostArgs ? [m.globalSet(hostArgs, m.i32Const(1)), assign, m.globalSet(hostArgs, m.i32Const(0))] : [assign];
    return [...this.setLocation(where), ...invoke, this.failIf(m.i32Eqz(this.get(result)))];
  }

  /** `data.lib[x](1)`: compare the computed path with every function's path, call the match. */
  private callDynamic(s: Extract<Stmt, { type: 'CallDynamic' }>): Expr[] {
    const m = this.m;
    const pathLocals = s.path.map((op) => {
      const t = this.temp();
      return { t, init: m.localSet(t, this.operand(op)) };
    });
    const candidates = this.ctx.policy.funcs.filter(
      (f) => f.path.length + 1 === s.path.length && (f.params.length === s.args.length || f.params.length === s.args.length + 2),
    );
    const done = `D${this.labelCount++}`;
    const tries: Expr[] = [];
    for (const f of candidates) {
      // Path segment 0 is `data`; segments 1.. are compared with the function's path.
      let matches: Expr = m.i32Const(1);
      f.path.forEach((segment, i) => {
        const strIndex = this.internedString(segment);
        const eq = this.call('opa_value_equal', [m.localGet(pathLocals[i + 1]!.t), m.i32Const(this.ctx.layout.stringValue(strIndex))]);
        matches = m.i32And(matches, eq);
      });
      const args = s.args.map((a) => this.get(a));
      const callArgs = f.params.length === s.args.length + 2 ? [this.get(INPUT), this.get(DATA), ...args] : args;
      tries.push(m.if(matches, m.block(null, [this.set(s.result, m.call(funcName(f.name), callArgs, i32)), m.br(done)], 'none')));
    }
    return [
      ...pathLocals.map((p) => p.init),
      this.set(s.result, m.i32Const(0)),
      ...this.setLocation(s.where),
      m.block(done, tries, 'none'),
      this.failIf(m.i32Eqz(this.get(s.result))),
    ];
  }

  private internedString(value: string): number {
    const index = this.ctx.policy.static.strings.indexOf(value);
    if (index < 0) throw new CodegenError(`IR: function path segment ${JSON.stringify(value)} is not a static string`);
    return index;
  }

  private withStmt(s: Extract<Stmt, { type: 'With' }>): Expr[] {
    const m = this.m;
    const saved = this.temp();
    const undefinedFlag = this.temp();
    const out: Expr[] = [m.localSet(saved, this.get(s.local))];
    if (s.path.length === 0) {
      out.push(this.set(s.local, this.operand(s.value)));
    } else {
      const path = this.temp();
      out.push(m.localSet(path, this.call('opa_array_with_cap', [m.i32Const(s.path.length)])));
      for (const index of s.path)
        out.push(this.call('opa_array_append', [m.localGet(path), m.i32Const(this.ctx.layout.stringValue(index))], 'none'));
      out.push(this.set(s.local, this.call('rt_value_upsert', [this.get(s.local), m.localGet(path), this.operand(s.value)])));
    }
    out.push(m.localSet(undefinedFlag, m.i32Const(1)));
    out.push(this.block(s.block, [m.localSet(undefinedFlag, m.i32Const(0))]));
    out.push(this.set(s.local, m.localGet(saved)));
    out.push(this.failIf(m.localGet(undefinedFlag)));
    return out;
  }
}

/** Adds one wasm function per IR function and per plan. Returns the plan function names. */
export function generateFunctions(ctx: CodegenContext): string[] {
  const m = ctx.module;
  for (const f of ctx.policy.funcs) addFunc(ctx, f);
  return ctx.policy.plans.map((plan, index) => {
    const name = planName(index);
    addPlan(ctx, plan, name);
    return name;
  });
  function addFunc(ctx: CodegenContext, f: Func): void {
    const b = new FunctionBuilder(ctx, f.params.length, undefined, f.path);
    f.params.forEach((local, i) => b.bindParam(local, i));
    b.local(f.result);
    const body = [...b.blocks(f.blocks), m.return(b.get(f.result))];
    m.addFunction(funcName(f.name), f.params.length, i32, b.vars, m.block(null, body, 'none'));
  }
}

function addPlan(ctx: CodegenContext, plan: Plan, name: string): void {
  const m = ctx.module;
  const b = new FunctionBuilder(ctx, 1, 0);
  const ctxArg = (): Expr => m.localGet(0);
  const body = [
    b.set(INPUT, m.call(ctx.rt('rt_ctx_input'), [ctxArg()], i32)),
    b.set(DATA, m.call(ctx.rt('rt_ctx_data'), [ctxArg()], i32)),
    ...b.blocks(plan.blocks),
  ];
  m.addFunction(name, 1, 'none', b.vars, m.block(null, body, 'none'));
}

