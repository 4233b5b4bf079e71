// The governor with policies compiled from real Rego by govern's compiler (src/wasm/compile.ts):
// the decision shapes, the pinned clock, and runaway policies (time and memory) stopped fail-closed,
// both inline (the default for govern-linked modules) and in workers.
import { afterEach, describe, expect, it } from 'vitest';
import { generateKeys } from '../src/artifact/keys.js';
import { createGovernor, type Governor, type GovernorOptions } from '../src/evaluator/index.js';
import { SAMPLE_REQUEST, tempDir, writeRegoBundle } from './evaluator-fixtures.js';

const open: Governor[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

let key: string | undefined;

/** Compiles `rego` (package p, entrypoint p/decision), bundles and pins it, starts a governor. */
async function governorForAny(rego: string, options: Partial<GovernorOptions> = {}): Promise<Governor> {
  const bundle = writeRegoBundle(tempDir(), 'p', rego, 'p/decision');
  key ??= JSON.stringify((await generateKeys()).privateJwk);
  const g = await createGovernor({ bundle, entrypoint: 'p/decision', signingKey: key, ...options });
  open.push(g);
  return g;
}

describe.each(['inline', 'worker'] as const)('governor with compiled Rego, evaluated %s', (isolation) => {
  const governorFor = (rego: string, options: Partial<GovernorOptions> = {}): Promise<Governor> => governorForAny(rego, { isolation, ...options });

  it('evaluates where it was asked to', async () => {
    const g = await governorFor('package p\ndecision := true\n');
    expect(g.status().evaluation).toBe(isolation);
  });

  it('allows on exactly true, denies on false', async () => {
    const g = await governorFor('package p\ndecision if input.resource == "ls"\ndefault decision := false\n');
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
    expect((await g.authorize({ ...SAMPLE_REQUEST, resource: 'rm' })).record.reasons).toEqual(['POLICY_DENIED']);
  });

  it('sets cross host builtins both ways: sets passed in stay sets, sets returned are sets', async () => {
    const g = await governorFor(
      'package p\ndecision if {\n  net.cidr_expand("10.0.0.0/31") == {"10.0.0.0", "10.0.0.1"}\n  is_set(graph.reachable({"a": ["b"], "b": []}, ["a"]))\n' +
        '  net.cidr_contains_matches({"10.0.0.0/8"}, "10.1.2.3") == {["10.0.0.0/8", "10.1.2.3"]}\n}\n',
    );
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('DECISION_UNDEFINED when no rule body holds and there is no default', async () => {
    const g = await governorFor('package p\ndecision if input.resource == "nothing"\n');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['DECISION_UNDEFINED']);
  });

  it('DECISION_INVALID for a non-boolean decision', async () => {
    const g = await governorFor('package p\ndecision := "yes"\n');
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.record.reasons).toEqual(['DECISION_INVALID']);
    expect(d.record.result).toBe('yes');
  });

  it('the policy clock is the request time (pinned), not the wall clock', async () => {
    const deadline = 1_800_000_000_000_000_000n;
    const rego = `package p\ndecision if time.now_ns() < ${deadline}\ndefault decision := false\n`;
    const before = await governorFor(rego, { now: () => deadline - 1n });
    const after = await governorFor(rego, { now: () => deadline });
    expect((await before.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
    const late = await after.authorize(SAMPLE_REQUEST);
    expect(late.record.reasons).toEqual(['POLICY_DENIED']);
    expect(late.record.time_ns).toBe(deadline.toString());
  });

  it('each request gets its own clock in a long-lived governor (time.now_ns is never stale)', async () => {
    const deadline = 1_800_000_000_000_000_000n;
    let now = deadline - 1n;
    const g = await governorFor(`package p\ndecision if time.now_ns() < ${deadline}\ndefault decision := false\n`, { now: () => now, workers: 1 });
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
    now = deadline;
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['POLICY_DENIED']);
    now = deadline - 5n;
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  // 16 million loop iterations unless input.resource is "ls".
  const RUNAWAY = 'package p\ndecision if input.resource == "ls"\ndecision if count([1 | input.resource != "ls"; some i in numbers.range(1, 4000); some j in numbers.range(1, 4000)]) > 0\n';

  it('EVAL_TIMEOUT for a policy that runs too long (the step budget derived from timeoutMs), and the next decision still runs', async () => {
    const g = await governorFor(RUNAWAY, { timeoutMs: 50 });
    const d = await g.authorize({ ...SAMPLE_REQUEST, resource: 'rm' });
    expect(d.record.reasons).toEqual(['EVAL_TIMEOUT']);
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('EVAL_TIMEOUT at the step budget, long before the time limit; the same request is stopped the same way every time', async () => {
    const g = await governorFor(RUNAWAY, { stepLimit: 100_000, timeoutMs: 60_000, now: () => 1_790_000_000_000_000_000n });
    const started = Date.now();
    const first = await g.authorize({ ...SAMPLE_REQUEST, resource: 'rm' });
    expect(first.record.reasons).toEqual(['EVAL_TIMEOUT']);
    expect(first.record.detail).toContain('step budget (100000 loop iterations)');
    expect(Date.now() - started).toBeLessThan(10_000);
    const again = await g.authorize({ ...SAMPLE_REQUEST, resource: 'rm' });
    expect(again.recordJson).toBe(first.recordJson);
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('a policy within its step budget is not stopped', async () => {
    // 4000 × 40 iterations (plus the scans' ends) fit in 200,000 steps.
    const g = await governorFor('package p\ndecision if count([1 | some i in numbers.range(1, 4000); some j in numbers.range(1, 40)]) == 160000\n', { stepLimit: 200_000 });
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('EVAL_MEMORY for a policy that allocates past the cap, and the next decision still runs', async () => {
    const g = await governorFor('package p\ndecision if {\n  input.resource == "big"\n  count(numbers.range(1, 20000000)) > 0\n}\ndefault decision := true\n', {
      memoryLimitBytes: 16 * 1024 * 1024,
      timeoutMs: 10_000,
    });
    expect((await g.authorize({ ...SAMPLE_REQUEST, resource: 'big' })).record.reasons).toEqual(['EVAL_MEMORY']);
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('EVAL_ERROR for a rule conflict raised at evaluation time', async () => {
    const g = await governorFor('package p\ndecision := input.args.argv[_]\n');
    const d = await g.authorize(SAMPLE_REQUEST);
    expect(d.allowed).toBe(false);
    expect(d.record.reasons).toEqual(['EVAL_ERROR']);
  });
});

describe('governor with compiled Rego, where it evaluates', () => {
  it('auto: inline for a govern-linked policy, workers for one that runs regular expressions', async () => {
    expect((await governorForAny('package p\ndecision := true\n')).status().evaluation).toBe('inline');
    const regex = await governorForAny('package p\ndecision if regex.match("^l", input.resource)\n');
    expect(regex.status().evaluation).toBe('worker');
    expect((await regex.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  });

  it('inline, when asked for, refuses a policy that runs regular expressions (BUNDLE_INVALID)', async () => {
    const g = await governorForAny('package p\ndecision if regex.match("^l", input.resource)\n', { isolation: 'inline' });
    expect(g.status()).toMatchObject({ active: false, reason: 'BUNDLE_INVALID' });
    expect(g.status().detail).toContain('regex.match');
    expect((await g.authorize(SAMPLE_REQUEST)).record.reasons).toEqual(['BUNDLE_INVALID']);
  });

  it('EVAL_MEMORY, at once, when the worker runs out of JS heap (a huge result), and the next decision still runs', async () => {
    const g = await governorForAny('package p\ndecision := numbers.range(1, 3000000) if input.resource == "big"\ndefault decision := true\n', {
      isolation: 'worker',
      memoryLimitBytes: 1024 * 1024 * 1024,
      heapLimitMb: 24,
      timeoutMs: 60_000,
    });
    const started = Date.now();
    const d = await g.authorize({ ...SAMPLE_REQUEST, resource: 'big' });
    expect(d.record.reasons).toEqual(['EVAL_MEMORY']);
    expect(d.record.detail).toMatch(/heap/i); // the worker's JS heap cap, not the Wasm memory cap
    expect(Date.now() - started).toBeLessThan(50_000); // answered by the worker's death, not the time limit
    expect((await g.authorize(SAMPLE_REQUEST)).allowed).toBe(true);
  }, 120_000);
});
