// The fast linker (src/wasm/emit.ts, our own Wasm writer, no binaryen) must give modules that
// behave exactly like binaryen's optimised ones under the official SDK, and rebuild byte-identically.
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { describe, expect, it } from 'vitest';
import { createHostBuiltins } from '../src/builtins/index.js';
import { compilePolicy, compilePolicyFast } from '../src/wasm/compile.js';
import { compileWith } from '../src/wasm/compile-core.js';
import { linkPolicy } from '../src/wasm/link.js';
import { linkPolicyFast } from '../src/wasm/emit.js';
import { ABI_EXPORTS, STATIC_LIMIT } from '../src/wasm/link-shared.js';
import { GOVERN_EXPORTS } from '../src/wasm/govern-abi.js';

const POLICY = `package app

default allow := false

allow if {
	some role in data.user_roles[input.user]
	some grant in data.role_grants[role]
	grant.action == input.action
}

roles contains r if some r in data.user_roles[input.user]

by_role[r] := count(data.role_grants[r]) if some r in roles

label(x) := y if { y := sprintf("%s/%d", [x, count(x)]) }

tag := label(input.user)

digest := crypto.sha256(input.user)

signed := crypto.hmac.sha256(input.user, "k")

big := 12345678901234567890 + 1

ratio := input.n / 4

dynamic := data.lib[input.fn]("q")

conflict := input.a if input.a
conflict := input.b if input.b
`;

const LIB = `package lib

f(x) := upper(x)

g(x) := lower(x)
`;

const DATA = { user_roles: { alice: ['admin', 'dev'] }, role_grants: { admin: [{ action: 'write' }], dev: [{ action: 'read' }, { action: 'run' }] } };
const ENTRYPOINTS = ['app/allow', 'app/roles', 'app/by_role', 'app/tag', 'app/digest', 'app/signed', 'app/big', 'app/ratio', 'app/dynamic', 'app/conflict'];
const INPUTS: Record<string, unknown>[] = [
  { user: 'alice', action: 'read', n: 3, fn: 'f' },
  { user: 'bob', action: 'write', n: 1.5, fn: 'g' },
  { user: 'alice', action: 'delete', a: 1, b: 2 },
  { user: 'alice', action: 'write', a: 1, b: 1, fn: 'h' },
];

async function answers(wasm: Uint8Array): Promise<string[]> {
  const policy = await loadPolicy(wasm, undefined, createHostBuiltins({}) as never);
  policy.setData(DATA);
  const out: string[] = [];
  for (const input of INPUTS)
    for (const entrypoint of ENTRYPOINTS) {
      try {
        out.push(`${entrypoint}: ${JSON.stringify(policy.evaluate(input, entrypoint))}`);
      } catch (err) {
        // the SDK throws the abort message as a plain object or string, not always an Error
        const message = err instanceof Error ? err.message : typeof err === 'object' ? JSON.stringify(err) : String(err);
        out.push(`${entrypoint}: error ${message}`);
      }
    }
  return out;
}

describe('fast linker (no binaryen)', () => {
  const sources = [
    { file: 'app.rego', text: POLICY },
    { file: 'lib.rego', text: LIB },
  ];

  it('evaluates like the binaryen-optimised module', async () => {
    const fast = compilePolicyFast(sources, { entrypoints: ENTRYPOINTS });
    const optimised = compilePolicy(sources, { entrypoints: ENTRYPOINTS, optimize: true });
    expect(fast.errors).toEqual([]);
    expect(optimised.errors).toEqual([]);
    const got = await answers(fast.wasm!);
    expect(got).toEqual(await answers(optimised.wasm!));
    expect(got).toContain('app/allow: [{"result":true}]');
    expect(got.some((line) => line.startsWith('app/conflict: error') && line.includes('eval_conflict_error'))).toBe(true);
    expect(got.some((line) => line.startsWith('app/digest: [{"result":"'))).toBe(true);
  });

  it('exports only the ABI and govern\'s step budget, and rebuilds byte-identically', () => {
    const a = compilePolicyFast(sources, { entrypoints: ENTRYPOINTS }).wasm!;
    const b = compilePolicyFast(sources, { entrypoints: ENTRYPOINTS }).wasm!;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const module = new WebAssembly.Module(a);
    const extra = WebAssembly.Module.exports(module).map((e) => e.name).filter((name) => !ABI_EXPORTS.has(name));
    expect(extra.sort()).toEqual([...GOVERN_EXPORTS].sort());
    expect(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`)).toEqual(expect.arrayContaining(['env.opa_builtin1', 'env.opa_builtin2']));
  });

  it('reports an unknown builtin with its place', () => {
    const result = compilePolicyFast([{ file: 'x.rego', text: 'package x\n\np := nope.fn(1)\n' }], { entrypoints: ['x/p'] });
    expect(result.wasm).toBeUndefined();
    expect(result.errors[0]?.location.file).toBe('x.rego');
  });
});

describe('static data larger than the first 5 pages', () => {
  // 1,500 rules with their own strings: about 370 KB of static data, past the SDK's default memory.
  const rules = Array.from({ length: 1500 }, (_, i) => `r${i} if input.name == "user-${i}-abcdefghijklmnopqrstuvwxyz-0123456789"`);
  const sources = [{ file: 'big.rego', text: `package big\n\n${rules.join('\n')}\n` }];

  it.each([
    ['our writer', linkPolicyFast],
    ['binaryen', linkPolicy],
  ] as const)('is copied in by a start function (%s): the plain SDK loads it with its default memory and evaluates', async (_name, link) => {
    const compiled = compileWith(link, sources, { entrypoints: ['big'], optimize: false });
    expect(compiled.errors).toEqual([]);
    const policy = await loadPolicy(compiled.wasm!);
    // The heap starts past the static data, so this module really does exceed the first pages.
    expect((policy as unknown as { baseHeapPtr: number }).baseHeapPtr).toBeGreaterThan(STATIC_LIMIT);
    const result = policy.evaluate({ name: 'user-1499-abcdefghijklmnopqrstuvwxyz-0123456789' }, 'big') as { result: Record<string, boolean> }[];
    expect(result[0]!.result).toEqual({ r1499: true });
    expect(policy.evaluate({ name: 'user-7-abcdefghijklmnopqrstuvwxyz-0123456789' }, 'big')[0].result).toEqual({ r7: true });
  }, 60_000);
});
