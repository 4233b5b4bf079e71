// `govern build` / `govern eval` on good and bad input: exit codes and one-line messages.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

function govern(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
let bundle: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'govern-cli-build-'));
  writeFileSync(join(dir, 'authz.rego'), 'package authz\n\ndefault allow := false\n\nallow if input.user in data.admins\n\nlevel := 3\n');
  writeFileSync(join(dir, 'data.json'), JSON.stringify({ admins: ['alice'] }));
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ user: 'alice' }));
  writeFileSync(join(dir, 'bad.json'), '{\n  "user": "alice",\n  oops\n}\n');
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  writeFileSync(join(dir, 'broken.rego'), 'package broken\n\nallow if {\n  input.x ==\n}\n');
  bundle = join(dir, 'bundle.tar.gz');
  const r = govern('build', join(dir, 'authz.rego'), '-e', 'authz/allow', '-e', 'data.authz.level', '-d', join(dir, 'data.json'), '-o', bundle);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
});

describe('govern build', () => {
  it('fails with exit 2 on a missing file', () => {
    const r = govern('build', join(dir, 'nope.rego'), '-e', 'x/y', '-o', join(dir, 'o.tar.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`govern: file not found: ${join(dir, 'nope.rego')}`);
  });

  it('refuses a non-Rego file', () => {
    const r = govern('build', join(dir, 'notes.txt'), '-e', 'x/y', '-o', join(dir, 'o.tar.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.txt is not a Rego file/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the file and position of invalid JSON data', () => {
    const r = govern('build', join(dir, 'authz.rego'), '-e', 'authz/allow', '-d', join(dir, 'bad.json'), '-o', join(dir, 'o.tar.gz'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`invalid JSON in data file ${join(dir, 'bad.json').replace(/[.\\/]/g, '\\$&')}:3:3`));
  });

  it('prints compile errors like govern check and exits 1', () => {
    const r = govern('build', join(dir, 'broken.rego'), '-e', 'broken/allow', '-o', join(dir, 'o.tar.gz'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.rego:\d+:\d+: rego_parse_error: /);
    expect(r.stderr).toMatch(/\n\t.*\n\t *\^/);
  });
});

describe('govern eval', () => {
  it('evaluates a bundle entrypoint in OPA result shape', () => {
    const r = govern('eval', '-b', bundle, '-e', 'authz/allow', '-i', join(dir, 'input.json'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ result: true }]);
    const level = govern('eval', '-b', bundle, '-e', 'authz/level', '--format', 'pretty');
    expect(level.stdout.trim()).toBe('3');
  });

  it('lists the valid entrypoints for an unknown one', () => {
    const r = govern('eval', '-b', bundle, '-e', 'authz/nope');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('govern: unknown entrypoint authz/nope; the bundle has: authz/allow, authz/level');
  });

  it('names the file and position of invalid JSON input', () => {
    const r = govern('eval', '-b', bundle, '-e', 'authz/allow', '-i', join(dir, 'bad.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid JSON in input .*bad\.json:3:3/);
  });

  it('fails clearly on a missing bundle or input', () => {
    expect(govern('eval', '-b', join(dir, 'none.tar.gz'), '-e', 'a/b').stderr.trim()).toBe(`govern: bundle not found: ${join(dir, 'none.tar.gz')}`);
    const r = govern('eval', '-b', bundle, '-e', 'authz/allow', '-i', join(dir, 'none.json'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`govern: input file not found: ${join(dir, 'none.json')}`);
  });

  it('compiles a query on the fly over Rego and data files', () => {
    const r = govern('eval', 'x := data.authz.allow; y := data.admins[0]', '-d', join(dir, 'authz.rego'), '-d', join(dir, 'data.json'), '-i', join(dir, 'input.json'));
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ x: true, y: 'alice' }]);
    const undefinedQuery = govern('eval', 'data.authz.allow == false', '-d', join(dir, 'authz.rego'), '-d', join(dir, 'data.json'), '-i', join(dir, 'input.json'));
    expect(JSON.parse(undefinedQuery.stdout)).toEqual([]);
  });

  it('shows the value of a query that is one term, as OPA does (false included); bindings otherwise', () => {
    const args = ['-d', join(dir, 'authz.rego'), '-d', join(dir, 'data.json'), '-i', join(dir, 'input.json')];
    expect(JSON.parse(govern('eval', 'data.admins', ...args).stdout)).toEqual([{ result: ['alice'] }]);
    expect(JSON.parse(govern('eval', 'data.authz.allow == false', ...args).stdout)).toEqual([]);
    expect(JSON.parse(govern('eval', 'false').stdout)).toEqual([{ result: false }]);
    expect(govern('eval', 'upper("x")', '--format', 'pretty').stdout).toBe('"X"\n');
    expect(JSON.parse(govern('eval', 'data.admins[i]', ...args).stdout)).toEqual([{ i: 0 }]);
    expect(JSON.parse(govern('eval', 'data.nothing.here').stdout)).toEqual([]);
    const unknown = govern('eval', 'nope(1)');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('eval/query:1:1: rego_type_error: undefined function nope');
  });

  it('refuses a non-Rego, non-data file among -d paths', () => {
    const r = govern('eval', 'x := 1', '-d', join(dir, 'notes.txt'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.txt is not a Rego file/);
  });
});
