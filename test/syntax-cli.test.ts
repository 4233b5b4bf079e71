// `govern parse` and `govern check` as a user runs them (the built CLI in dist/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');

function govern(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'govern-syntax-cli-'));
  mkdirSync(join(dir, 'good', 'nested'), { recursive: true });
  mkdirSync(join(dir, 'bad'), { recursive: true });
  writeFileSync(join(dir, 'good', 'a.rego'), 'package a\n\ndefault allow := false\n\nallow if input.user == "alice"\n');
  writeFileSync(join(dir, 'good', 'nested', 'b.rego'), 'package b\n\nnames contains n if some n in input.names\n');
  writeFileSync(join(dir, 'good', 'notes.txt'), 'not rego');
  writeFileSync(join(dir, 'bad', 'one.rego'), 'package one\n\np if {\n\tx := [1,\n}\n');
  writeFileSync(join(dir, 'bad', 'two.rego'), 'package two\n\nq := )\n\nr if {\n\ty == 1\n}\n');
  writeFileSync(join(dir, 'unsafe.rego'), 'package u\n\np if {\n\tz == 1\n}\n');
  writeFileSync(join(dir, 'legacy.rego'), 'package legacy\n\nallow {\n\tinput.ok\n}\n');
});

describe('govern check', () => {
  it('checks folders recursively and says so when all is well', () => {
    const r = govern('check', join(dir, 'good'));
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2 files checked, no errors');
    expect(r.code).toBe(0);
  });

  it('reads a file named twice only once', () => {
    const r = govern('check', join(dir, 'good', 'a.rego'), join(dir, 'good'));
    expect(r.stdout.trim()).toBe('2 files checked, no errors');
    expect(r.code).toBe(0);
  });

  it('prints every syntax error of every file with its line and a caret, exit 1', () => {
    const r = govern('check', join(dir, 'bad'));
    expect(r.code).toBe(1);
    const one = join(dir, 'bad', 'one.rego');
    const two = join(dir, 'bad', 'two.rego');
    expect(r.stderr).toContain(`${one}:5:1: rego_parse_error: unexpected } token\n\t}\n\t^`);
    expect(r.stderr).toContain(`${two}:3:6: rego_parse_error: unexpected ) token\n\tq := )\n\t     ^`);
    expect(r.stderr).toMatch(/2 errors in 2 files checked/);
  });

  it('runs the compile-time checks after parsing', () => {
    const r = govern('check', join(dir, 'unsafe.rego'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unsafe\.rego:4:2: rego_unsafe_var_error: var z is unsafe/);
  });

  it('reads v0 sources with --v0-compatible only', () => {
    expect(govern('check', join(dir, 'legacy.rego')).stderr).toMatch(/`if` keyword is required before rule body/);
    const r = govern('check', '--v0-compatible', join(dir, 'legacy.rego'));
    expect(r.stdout.trim()).toBe('1 file checked, no errors');
    expect(r.code).toBe(0);
  });

  it('reports errors as JSON with --format json', () => {
    const r = govern('check', '--format', 'json', join(dir, 'bad', 'one.rego'));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { files: number; errors: { code: string; location: { row: number; col: number } }[] };
    expect(out.files).toBe(1);
    expect(out.errors.map((e) => [e.code, e.location.row, e.location.col])).toEqual([['rego_parse_error', 5, 1]]);
  });

  it('fails with exit 2 and one line for a missing path', () => {
    const r = govern('check', join(dir, 'nope.rego'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`govern: no such file or folder: ${join(dir, 'nope.rego')}`);
  });

  it('documents itself with examples', () => {
    const r = govern('check', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n {2}govern check policies\//);
  });
});

describe('govern parse', () => {
  it('prints the module as JSON', () => {
    const r = govern('parse', join(dir, 'good', 'a.rego'));
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.package.path.terms.map((t: { value?: string; name?: string }) => t.value ?? t.name)).toEqual(['data', 'a']);
    expect(m.rules.map((x: { default: boolean; kind: string }) => [x.kind, x.default])).toEqual([
      ['complete', true],
      ['complete', false],
    ]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(govern('parse', '--format', 'pretty', join(dir, 'good', 'a.rego')).stdout.split('\n').length).toBeGreaterThan(20);
  });

  it('prints syntax errors like govern check and exits 1', () => {
    const r = govern('parse', join(dir, 'bad', 'one.rego'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/one\.rego:5:1: rego_parse_error: unexpected } token\n\t}\n\t\^/);
  });

  it('fails with exit 2 for a missing file', () => {
    const r = govern('parse', join(dir, 'nope.rego'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`govern: no such file: ${join(dir, 'nope.rego')}`);
  });
});
