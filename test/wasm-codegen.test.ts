// The code generator and linker driven by hand-written IR (no parser or planner in the loop),
// loaded with the official opa-wasm SDK.
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { describe, expect, it } from 'vitest';
import type { Block, Operand, Policy, Stmt } from '../src/plan/ir.js';
import { LinkError, linkPolicy } from '../src/wasm/link.js';

const local = (n: number): Operand => ({ type: 'local', local: n });
const bool = (value: boolean): Operand => ({ type: 'bool', value });
const block = (...stmts: Stmt[]): Block => ({ stmts });

const strings = ['user', 'admins', 'result', 'role', 'guest', '12345678901234567890', 'alice'];
const str = (s: string): Operand => ({ type: 'string', index: strings.indexOf(s) });

/** allow if input.user is one of data.admins; default false. */
const allowFunc = {
  name: 'g0.data.test.allow',
  path: ['test', 'allow'],
  params: [0, 1],
  result: 2,
  blocks: [
    block(
      { type: 'Dot', source: local(0), key: str('user'), target: 3 },
      { type: 'Dot', source: local(1), key: str('admins'), target: 4 },
      {
        type: 'Scan',
        source: 4,
        key: 5,
        value: 6,
        block: block({ type: 'Equal', a: local(6), b: local(3) }, { type: 'AssignVarOnce', source: bool(true), target: 2 }),
      },
    ),
    block({ type: 'IsUndefined', source: 2 }, { type: 'AssignVar', source: bool(false), target: 2 }),
  ],
} satisfies Policy['funcs'][number];

/** The plan of an entrypoint returning `{"result": <local>}` after `stmts`. */
function resultPlan(name: string, stmts: Stmt[], resultLocal: number): Policy['plans'][number] {
  return {
    name,
    blocks: [
      block(
        ...stmts,
        { type: 'MakeObject', target: 90 },
        { type: 'ObjectInsert', key: str('result'), value: local(resultLocal), object: 90 },
        { type: 'ResultSetAdd', value: 90 },
      ),
    ],
  };
}

function policy(): Policy {
  return {
    static: { strings, builtins: [], files: ['test.rego'] },
    funcs: [allowFunc],
    plans: [
      resultPlan('test/allow', [{ type: 'Call', func: allowFunc.name, args: [local(0), local(1)], result: 10 }], 10),
      // not input.role == "guest" → true, via Not
      resultPlan(
        'test/not_guest',
        [
          { type: 'Dot', source: local(0), key: str('role'), target: 11 },
          { type: 'Not', block: block({ type: 'Equal', a: local(11), b: str('guest') }) },
          { type: 'AssignVar', source: bool(true), target: 12 },
        ],
        12,
      ),
      // allow with input.user as "alice" → true whatever the input
      resultPlan(
        'test/with_alice',
        [
          {
            type: 'With',
            local: 0,
            path: [strings.indexOf('user')],
            value: str('alice'),
            block: block({ type: 'Call', func: allowFunc.name, args: [local(0), local(1)], result: 13 }),
          },
        ],
        13,
      ),
      // a collection: [count(admins), big number literal, {"admins": set(admins)}]
      resultPlan(
        'test/values',
        [
          { type: 'Dot', source: local(1), key: str('admins'), target: 20 },
          { type: 'Len', source: local(20), target: 21 },
          { type: 'MakeNumberRef', index: 5, target: 22 },
          { type: 'MakeSet', target: 23 },
          {
            type: 'Scan',
            source: 20,
            key: 24,
            value: 25,
            block: block({ type: 'SetAdd', value: local(25), set: 23 }),
          },
          { type: 'MakeObject', target: 26 },
          { type: 'ObjectInsert', key: str('admins'), value: local(23), object: 26 },
          { type: 'MakeArray', capacity: 3, target: 27 },
          { type: 'ArrayAppend', value: local(21), array: 27 },
          { type: 'ArrayAppend', value: local(22), array: 27 },
          { type: 'ArrayAppend', value: local(26), array: 27 },
        ],
        27,
      ),
      // Break: the first block leaves both blocks before assigning 1, so the result is 2.
      resultPlan(
        'test/break',
        [
          { type: 'Block', blocks: [block({ type: 'Block', blocks: [block({ type: 'Break', index: 1 })] }, { type: 'MakeNumberInt', value: 1, target: 30 })] },
          { type: 'IsUndefined', source: 30 },
          { type: 'MakeNumberInt', value: 2, target: 30 },
        ],
        30,
      ),
      // A complete rule assigned two different values: conflict error with the location.
      resultPlan(
        'test/conflict',
        [
          { type: 'AssignVarOnce', source: bool(true), target: 40 },
          { type: 'AssignVarOnce', source: bool(false), target: 40, where: { file: 0, row: 7, col: 3 } },
        ],
        40,
      ),
    ],
  };
}

const hostBuiltins = new Set<string>();

describe('codegen + link (hand-written IR)', () => {
  it('links a module the plain SDK loads and evaluates', async () => {
    const wasm = linkPolicy(policy(), { hostBuiltins });
    const opa = await loadPolicy(wasm);
    expect(opa.entrypoints).toEqual({
      'test/allow': 0,
      'test/not_guest': 1,
      'test/with_alice': 2,
      'test/values': 3,
      'test/break': 4,
      'test/conflict': 5,
    });
    opa.setData({ admins: ['alice', 'bob'] });
    expect(opa.evaluate({ user: 'bob' }, 'test/allow')).toEqual([{ result: true }]);
    expect(opa.evaluate({ user: 'carol' }, 'test/allow')).toEqual([{ result: false }]);
    expect(opa.evaluate({ user: 'carol', role: 'admin' }, 'test/not_guest')).toEqual([{ result: true }]);
    expect(opa.evaluate({ user: 'carol', role: 'guest' }, 'test/not_guest')).toEqual([]);
    expect(opa.evaluate({ user: 'carol' }, 'test/with_alice')).toEqual([{ result: true }]);
    expect(opa.evaluate({}, 'test/values')).toEqual([{ result: [2, 12345678901234567890, { admins: ['alice', 'bob'] }] }]);
    expect(opa.evaluate({}, 'test/break')).toEqual([{ result: 2 }]);
    expect(() => opa.evaluate({}, 'test/conflict')).toThrow(/test\.rego:7:3: eval_conflict_error: complete rules must not produce multiple outputs/);
  });

  it('evaluates many times with flat memory', async () => {
    const opa = await loadPolicy(linkPolicy(policy(), { hostBuiltins }));
    opa.setData({ admins: ['alice', 'bob'] });
    opa.evaluate({ user: 'bob' }, 'test/allow');
    const pages = opa.mem.buffer.byteLength;
    for (let i = 0; i < 2000; i++) opa.evaluate({ user: i % 2 ? 'bob' : 'x', pad: 'y'.repeat(i % 50) }, 'test/values');
    expect(opa.mem.buffer.byteLength).toBe(pages);
  });

  it('is deterministic: the same IR gives byte-identical wasm', () => {
    const a = linkPolicy(policy(), { hostBuiltins });
    const b = linkPolicy(policy(), { hostBuiltins });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('exports only the OPA ABI', async () => {
    const mod = await WebAssembly.compile(linkPolicy(policy(), { hostBuiltins }));
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name);
    expect(exports).toContain('opa_eval');
    expect(exports).toContain('entrypoints');
    expect(exports.filter((e) => e.startsWith('rt_'))).toEqual([]);
  });

  it('declares host builtins through env.opa_builtinN and lists them in builtins()', async () => {
    const p = policy();
    p.static.builtins.push({ name: 'custom.twice', arity: 1 });
    p.plans.push(resultPlan('test/host', [{ type: 'Dot', source: local(0), key: str('user'), target: 50 }, { type: 'Call', func: 'custom.twice', args: [local(50)], result: 51 }], 51));
    const wasm = linkPolicy(p, { hostBuiltins: new Set(['custom.twice']) });
    const opa = await loadPolicy(wasm, undefined, { 'custom.twice': (s: string) => s + s });
    expect(opa.evaluate({ user: 'ab' }, 'test/host')).toEqual([{ result: 'abab' }]);
  });

  it('names a builtin nobody implements, with its location', () => {
    const p = policy();
    p.plans.push(resultPlan('test/missing', [{ type: 'Call', func: 'no.such_builtin', args: [local(0)], result: 60, where: { file: 0, row: 3, col: 9 } }], 60));
    let error: unknown;
    try {
      linkPolicy(p, { hostBuiltins });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LinkError);
    expect((error as LinkError).message).toMatch(/no\.such_builtin/);
    expect((error as LinkError).where).toEqual({ file: 0, row: 3, col: 9 });
  });
});
