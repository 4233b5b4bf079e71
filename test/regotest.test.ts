// `govern test`: Rego unit tests through our compiler, with FILE:ROW, a summary and JUnit XML.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJunit } from 'junit2json';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from './audit-helpers.js';

const root = join(import.meta.dirname, '..');

function writeSuite(dir: string) {
  writeFileSync(
    join(dir, 'authz.rego'),
    ['package authz', '', 'allow if input.user == "alice"', '', 'limit := data.limits.max', '', 'double(x) := x * 2', ''].join('\n'),
  );
  mkdirSync(join(dir, 'limits'), { recursive: true });
  writeFileSync(join(dir, 'limits', 'data.json'), JSON.stringify({ max: 3 }));
  writeFileSync(
    join(dir, 'authz_test.rego'),
    [
      'package authz_test', // 1
      '', // 2
      'import data.authz', // 3
      '', // 4
      'test_alice_allowed if authz.allow with input as {"user": "alice"}', // 5
      '', // 6
      'test_bob_allowed if {', // 7
      '\tauthz.allow with input as {"user": "bob"}', // 8
      '}', // 9
      '', // 10
      'test_double_mocked if authz.double(2) == 10 with authz.double as fake_double', // 11
      '', // 12
      'fake_double(_) := 10', // 13
      '', // 14
      'test_limit_from_data if authz.limit == 3', // 15
      '', // 16
      'test_limit_mocked if authz.limit == 9 with data.limits.max as 9', // 17
      '',
    ].join('\n'),
  );
}

describe('govern test', () => {
  it('one failing test: exit 1, FILE:ROW of the failure, JUnit XML a JUnit parser reads', async () => {
    const dir = tempDir('govern-regotest-');
    writeSuite(dir);
    const junit = join(dir, 'report.xml');
    const res = await runCli(['test', dir, '--junit', junit]);
    expect(res.code).toBe(1);
    const file = join(dir, 'authz_test.rego');
    expect(res.stdout).toContain(`PASS  ${file}:5: data.authz_test.test_alice_allowed`);
    expect(res.stdout).toContain(`FAIL  ${file}:7: data.authz_test.test_bob_allowed`);
    // `with` mocks a function and a data document; data.json files are mounted at their folder.
    expect(res.stdout).toContain(`PASS  ${file}:11: data.authz_test.test_double_mocked`);
    expect(res.stdout).toContain(`PASS  ${file}:15: data.authz_test.test_limit_from_data`);
    expect(res.stdout).toContain(`PASS  ${file}:17: data.authz_test.test_limit_mocked`);
    expect(res.stdout.trim().split('\n').at(-1)).toBe('FAIL: 4/5 passed, 1 failed');

    const parsed = (await parseJunit(readFileSync(junit, 'utf8'))) as Record<string, unknown> & { testsuite?: Record<string, unknown>[] };
    expect(parsed).toMatchObject({ tests: 5, failures: 1, errors: 0 });
    const suite = parsed.testsuite![0] as { name: string; testcase: { name: string; failure?: { inner: string }[]; line?: number }[] };
    expect(suite.name).toBe('data.authz_test');
    const failing = suite.testcase.filter((c) => c.failure);
    expect(failing.map((c) => c.name)).toEqual(['test_bob_allowed']);
    expect(failing[0]!.failure![0]!.inner).toContain(`${file}:7`);
  });

  it('finding no test at all fails the run', async () => {
    const dir = tempDir('govern-regotest-');
    writeFileSync(join(dir, 'p.rego'), 'package p\n\nallow := true\n');
    const res = await runCli(['test', dir]);
    expect(res.code).toBe(1);
    expect(res.stdout.trim().split('\n').at(-1)).toBe(`FAIL: no tests found in ${dir}`);
  });

  it('a runaway test is an ERROR at its step budget (--timeout), and the tests after it still run', async () => {
    const dir = tempDir('govern-regotest-');
    writeFileSync(
      join(dir, 'loop_test.rego'),
      'package loop\n\ntest_runaway if count([1 | some i in numbers.range(1, 4000); some j in numbers.range(1, 4000)]) > 0\n\ntest_after if true\n',
    );
    const res = await runCli(['test', dir, '--timeout', '20ms']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/ERROR .*loop_test\.rego:3: data\.loop\.test_runaway/);
    expect(res.stdout).toContain('ran past its step budget (200000 loop iterations, from --timeout 20 ms)');
    expect(res.stdout).toMatch(/PASS .*loop_test\.rego:5: data\.loop\.test_after/);
    const bad = await runCli(['test', dir, '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout must be a duration');
  });

  it('exits 0 when every test passes, and --run selects tests', async () => {
    const dir = tempDir('govern-regotest-');
    writeSuite(dir);
    const res = await runCli(['test', dir, '--run', 'alice|mocked']);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toContain('test_bob_allowed');
    expect(res.stdout.trim().split('\n').at(-1)).toBe('PASS: 3/3 passed');
  });

  it('--format json gives every result with its location', async () => {
    const dir = tempDir('govern-regotest-');
    writeSuite(dir);
    const res = await runCli(['test', dir, '--format', 'json']);
    const out = JSON.parse(res.stdout) as { results: { name: string; status: string; row: number }[]; summary: { pass: number; fail: number } };
    expect(out.summary).toMatchObject({ pass: 4, fail: 1 });
    expect(out.results.find((r) => r.name === 'data.authz_test.test_bob_allowed')).toMatchObject({ status: 'fail', row: 7 });
  });

  it('-v shows the first expression that did not hold and the values compared', async () => {
    const dir = tempDir('govern-regotest-');
    writeFileSync(join(dir, 'x_test.rego'), ['package x', '', 'test_sum if {', '\tn := 1 + 2', '\tn == 4', '}', ''].join('\n'));
    const res = await runCli(['test', dir, '-v']);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`${join(dir, 'x_test.rego')}:5: first expression that does not hold: n == 4`);
    expect(res.stdout).toMatch(/left: +3\n +right: +4/);
  });

  it('a compile error is reported with FILE:ROW:COL and fails the run', async () => {
    const dir = tempDir('govern-regotest-');
    writeFileSync(join(dir, 'bad_test.rego'), ['package bad', '', 'test_x if {', '\ty == 1', '}', ''].join('\n'));
    const res = await runCli(['test', dir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`${join(dir, 'bad_test.rego').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:\\d+: rego_`));
  });

  const shipped = join(root, 'rego');
  const hasRego = existsSync(shipped) && readdirSync(shipped, { recursive: true }).some((f) => String(f).endsWith('.rego'));
  it.runIf(hasRego)("the project's own rego/ tests pass", async () => {
    const res = await runCli(['test', join(root, 'rego')]);
    expect(res.stdout).toMatch(/^PASS: /m);
    expect(res.code).toBe(0);
  });
});
