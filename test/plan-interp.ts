// A small reference interpreter of the IR (src/plan/ir.ts), so the planner's output can be run in
// tests without the Wasm code generator. Values: null, boolean, number, string, arrays as JS arrays,
// objects and sets as RObject / RSet (insertion-ordered maps keyed by a canonical string).
import type { Block, Func, Operand, Policy, Stmt } from '../src/plan/ir.js';

export type Value = null | boolean | number | string | Value[] | RObject | RSet;

export class RObject {
  readonly entries = new Map<string, [Value, Value]>();
  get(k: Value): Value | undefined {
    return this.entries.get(canon(k))?.[1];
  }
  set(k: Value, v: Value): void {
    this.entries.set(canon(k), [k, v]);
  }
}

export class RSet {
  readonly items = new Map<string, Value>();
  add(v: Value): void {
    this.items.set(canon(v), v);
  }
}

export function canon(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (v instanceof RObject) return '{' + [...v.entries.keys()].sort().map((k) => k + ':' + canon(v.entries.get(k)![1])).join(',') + '}';
  return 'set(' + [...v.items.keys()].sort().join(',') + ')';
}

export function fromJS(x: unknown): Value {
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x;
  if (Array.isArray(x)) return x.map(fromJS);
  const o = new RObject();
  for (const [k, v] of Object.entries(x as object)) o.set(k, fromJS(v));
  return o;
}

/** Plain JS (sets become sorted arrays) for assertions. */
export function toJS(v: Value): unknown {
  if (Array.isArray(v)) return v.map(toJS);
  if (v instanceof RObject) {
    const out: Record<string, unknown> = {};
    for (const [k, val] of v.entries.values()) out[typeof k === 'string' ? k : canon(k)] = toJS(val);
    return out;
  }
  if (v instanceof RSet) return [...v.items.keys()].sort().map((k) => toJS(v.items.get(k)!));
  return v;
}

type U = Value | undefined;

const BUILTINS: Record<string, (...a: Value[]) => U> = {
  count: (x) => (Array.isArray(x) ? x.length : x instanceof RObject ? x.entries.size : x instanceof RSet ? x.items.size : typeof x === 'string' ? [...x].length : undefined),
  plus: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : undefined),
  minus: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : undefined),
  mul: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : undefined),
  gt: (a, b) => (a as number) > (b as number),
  lt: (a, b) => (a as number) < (b as number),
  gte: (a, b) => (a as number) >= (b as number),
  lte: (a, b) => (a as number) <= (b as number),
  equal: (a, b) => canon(a) === canon(b),
  neq: (a, b) => canon(a) !== canon(b),
  upper: (s) => (typeof s === 'string' ? s.toUpperCase() : undefined),
  concat: (sep, xs) => (Array.isArray(xs) ? xs.join(sep as string) : xs instanceof RSet ? [...xs.items.values()].join(sep as string) : undefined),
  'internal.member_2': (x, c) => members(c).some((m) => canon(m) === canon(x)),
  'internal.template_string': (parts) =>
    (parts as Value[])
      .map((p) => {
        if (typeof p === 'string') return p;
        const vals = [...(p as RSet).items.values()];
        if (vals.length === 0) return '<undefined>';
        const v = vals[0]!;
        return typeof v === 'string' ? v : canon(v);
      })
      .join(''),
  'time.now_ns': () => 1000,
};

function members(c: Value): Value[] {
  if (Array.isArray(c)) return c;
  if (c instanceof RObject) return [...c.entries.values()].map(([, v]) => v);
  if (c instanceof RSet) return [...c.items.values()];
  return [];
}

export class EvalError extends Error {}

type Frame = U[];

export class Interpreter {
  private readonly funcs = new Map<string, Func>();
  constructor(
    private readonly policy: Policy,
    /** Builtins the interpreter lacks, called with JSON values (as the SDK calls host builtins). */
    private readonly host: Record<string, (...args: any[]) => unknown> = {},
  ) {
    for (const f of policy.funcs) this.funcs.set(f.name, f);
  }

  /** Runs a plan; returns the result set as plain JS. */
  run(planName: string, input?: unknown, data: unknown = {}): unknown[] {
    const plan = this.policy.plans.find((p) => p.name === planName);
    if (!plan) throw new Error(`no plan ${planName}`);
    const results = new RSet();
    const frame: Frame = [];
    frame[0] = input === undefined ? undefined : fromJS(input);
    frame[1] = fromJS(data);
    for (const b of plan.blocks) this.block(b, frame, results);
    return [...results.items.values()].map(toJS);
  }

  private operand(op: Operand, frame: Frame): U {
    if (op.type === 'local') return frame[op.local];
    if (op.type === 'bool') return op.value;
    return this.policy.static.strings[op.index]!;
  }

  /** -1: the block ran to its end; n >= 0: it was left, and n more enclosing blocks are to be left. */
  private block(b: Block, frame: Frame, results: RSet): number {
    for (const s of b.stmts) {
      const leave = this.stmt(s, frame, results);
      if (leave > 0) return leave - 1;
    }
    return -1;
  }

  /** 0: continue; n > 0: leave n blocks (1 = the current one). */
  private stmt(s: Stmt, f: Frame, results: RSet): number {
    const op = (o: Operand): U => this.operand(o, f);
    const must = (ok: boolean): number => (ok ? 0 : 1);
    switch (s.type) {
      case 'Block':
        for (const b of s.blocks) {
          const r = this.block(b, f, results);
          if (r > 0) return r;
        }
        return 0;
      case 'Break':
        return s.index + 1;
      case 'Not': {
        const r = this.block(s.block, f, results);
        if (r > 0) return r;
        return must(r === 0);
      }
      case 'Scan': {
        const src = f[s.source];
        let entries: [Value, Value][] = [];
        if (Array.isArray(src)) entries = src.map((v, i) => [i, v]);
        else if (src instanceof RObject) entries = [...src.entries.values()];
        else if (src instanceof RSet) entries = [...src.items.values()].map((v) => [v, v]);
        for (const [k, v] of entries) {
          f[s.key] = k;
          f[s.value] = v;
          const r = this.block(s.block, f, results);
          if (r > 0) return r;
        }
        return 0;
      }
      case 'Nop':
        return 0;
      case 'Call': {
        const args = s.args.map(op);
        const fn = this.funcs.get(s.func);
        let result: U;
        if (fn) result = this.call(fn, args);
        else {
          const b = BUILTINS[s.func];
          const h = this.host[s.func];
          if (!b && !h) throw new Error(`test interpreter lacks builtin ${s.func}`);
          if (args.some((a) => a === undefined)) result = undefined;
          else if (b) result = b(...(args as Value[]));
          else {
            const out = h!(...args.map((a) => toJS(a as Value)));
            result = out === undefined ? undefined : fromJS(out);
          }
        }
        f[s.result] = result;
        return must(result !== undefined);
      }
      case 'CallDynamic':
        throw new Error('CallDynamic not supported by the test interpreter');
      case 'Dot': {
        const src = op(s.source);
        const key = op(s.key);
        let v: U;
        if (Array.isArray(src) && typeof key === 'number') v = src[key];
        else if (src instanceof RObject && key !== undefined) v = src.get(key);
        else if (src instanceof RSet && key !== undefined) v = src.items.get(canon(key));
        f[s.target] = v;
        return must(v !== undefined);
      }
      case 'Len': {
        const v = op(s.source);
        const n = Array.isArray(v) ? v.length : v instanceof RObject ? v.entries.size : v instanceof RSet ? v.items.size : typeof v === 'string' ? [...v].length : -1;
        if (n < 0) return 1;
        f[s.target] = n;
        return 0;
      }
      case 'Equal': {
        const a = op(s.a), b = op(s.b);
        return must(a !== undefined && b !== undefined && canon(a) === canon(b));
      }
      case 'NotEqual': {
        const a = op(s.a), b = op(s.b);
        return must(a !== undefined && b !== undefined && canon(a) !== canon(b));
      }
      case 'IsArray':
        return must(Array.isArray(op(s.source)));
      case 'IsObject':
        return must(op(s.source) instanceof RObject);
      case 'IsSet':
        return must(op(s.source) instanceof RSet);
      case 'IsDefined':
        return must(f[s.source] !== undefined);
      case 'IsUndefined':
        return must(f[s.source] === undefined);
      case 'AssignInt':
        f[s.target] = s.value;
        return 0;
      case 'AssignVar':
        f[s.target] = op(s.source);
        return 0;
      case 'AssignVarOnce': {
        const v = op(s.source);
        const cur = f[s.target];
        if (cur !== undefined && v !== undefined && canon(cur) !== canon(v)) {
          throw new EvalError(
            s.conflict === 'function'
              ? 'eval_conflict_error: functions must not produce multiple outputs for same inputs'
              : 'eval_conflict_error: complete rules must not produce multiple outputs',
          );
        }
        f[s.target] = v;
        return 0;
      }
      case 'ResetLocal':
        f[s.target] = undefined;
        return 0;
      case 'MakeNull':
        f[s.target] = null;
        return 0;
      case 'MakeNumberInt':
        f[s.target] = s.value;
        return 0;
      case 'MakeNumberRef':
        f[s.target] = Number(this.policy.static.strings[s.index]);
        return 0;
      case 'MakeArray':
        f[s.target] = [];
        return 0;
      case 'MakeObject':
        f[s.target] = new RObject();
        return 0;
      case 'MakeSet':
        f[s.target] = new RSet();
        return 0;
      case 'ArrayAppend':
        (f[s.array] as Value[]).push(op(s.value)!);
        return 0;
      case 'SetAdd':
        (f[s.set] as RSet).add(op(s.value)!);
        return 0;
      case 'ObjectInsert':
        (f[s.object] as RObject).set(op(s.key)!, op(s.value)!);
        return 0;
      case 'ObjectInsertOnce': {
        const obj = f[s.object] as RObject;
        const k = op(s.key)!;
        const v = op(s.value)!;
        const cur = obj.get(k);
        if (cur !== undefined && canon(cur) !== canon(v)) throw new EvalError('eval_conflict_error: object keys must be unique');
        obj.set(k, v);
        return 0;
      }
      case 'ObjectMerge':
        throw new Error('ObjectMerge not used by the planner');
      case 'ResultSetAdd':
        results.add(f[s.value]!);
        return 0;
      case 'ReturnLocal':
        throw new Error('ReturnLocal not used by the planner');
      case 'With': {
        const saved = f[s.local];
        const path = s.path.map((i) => this.policy.static.strings[i]!);
        f[s.local] = upsert(saved, path, op(s.value)!);
        const r = this.block(s.block, f, results);
        f[s.local] = saved;
        if (r > 0) return r;
        return must(r === -1);
      }
    }
  }

  private call(fn: Func, args: U[]): U {
    const frame: Frame = [];
    fn.params.forEach((p, i) => (frame[p] = args[i]));
    const results = new RSet();
    for (const b of fn.blocks) this.block(b, frame, results);
    return frame[fn.result];
  }
}

function upsert(base: U, path: string[], v: Value): Value {
  if (path.length === 0) return v;
  const copy = new RObject();
  if (base instanceof RObject) for (const [k, [key, val]] of base.entries) copy.entries.set(k, [key, val]);
  copy.set(path[0]!, upsert(copy.get(path[0]!), path.slice(1), v));
  return copy;
}
