import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleEntrypoints, bundleWasm, readBundle, writeBundle } from '../src/bundle/bundle.js';
import { gunzip, readTar, writeTar } from '../src/bundle/tar.js';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'main.js');
const wasmBytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('tar', () => {
  it('round-trips entries, sorted, with long names', () => {
    const long = 'a/'.repeat(70) + 'file.json';
    const tar = writeTar([
      { name: 'z.txt', data: new TextEncoder().encode('zzz') },
      { name: long, data: new Uint8Array(1000).fill(7) },
      { name: 'a.txt', data: new Uint8Array(0) },
    ]);
    expect(tar.length % 512).toBe(0);
    const entries = readTar(tar);
    expect(entries.map((e) => e.name)).toEqual([long, 'a.txt', 'z.txt'].sort());
    expect(entries.find((e) => e.name === long)!.data).toEqual(new Uint8Array(1000).fill(7));
  });

  it('rejects a corrupted header', () => {
    const tar = writeTar([{ name: 'x', data: new Uint8Array([1]) }]);
    tar[10] ^= 0xff;
    expect(() => readTar(tar)).toThrow(/checksum/);
  });
});

describe('bundle', () => {
  it('writes the OPA layout and reads it back', () => {
    const bytes = writeBundle({ wasm: wasmBytes, entrypoints: ['authz/allow', 'authz/deny'], data: { roles: { alice: ['admin'] } }, revision: 'r1' });
    const names = readTar(gunzip(bytes)).map((e) => e.name);
    expect(names).toEqual(['.manifest', 'data.json', 'policy.wasm']);
    const bundle = readBundle(bytes);
    expect(bundle.manifest).toEqual({
      revision: 'r1',
      roots: [''],
      wasm: [
        { entrypoint: 'authz/allow', module: '/policy.wasm' },
        { entrypoint: 'authz/deny', module: '/policy.wasm' },
      ],
    });
    expect(bundle.data).toEqual({ roles: { alice: ['admin'] } });
    expect(bundleEntrypoints(bundle)).toEqual(['authz/allow', 'authz/deny']);
    expect(bundleWasm(bundle, 'authz/deny')).toEqual(wasmBytes);
  });

  it('is reproducible: same inputs, same bytes', () => {
    const a = writeBundle({ wasm: wasmBytes, entrypoints: ['p/q'], data: { x: 1 } });
    const b = writeBundle({ wasm: wasmBytes, entrypoints: ['p/q'], data: { x: 1 } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('reads a bundle made by another tar (directory entries, ./ names, .rego files, nested data, no root data.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'govern-opa-bundle-'));
    const src = join(dir, 'src');
    mkdirSync(join(src, 'roles', 'admins'), { recursive: true });
    writeFileSync(join(src, '.manifest'), JSON.stringify({ revision: 'abc', roots: ['authz', 'roles'], wasm: [{ entrypoint: 'authz/allow', module: '/policy.wasm' }], rego_version: 1 }));
    writeFileSync(join(src, 'policy.wasm'), wasmBytes);
    writeFileSync(join(src, 'authz.rego'), 'package authz\nallow := true\n');
    writeFileSync(join(src, 'roles', 'data.json'), JSON.stringify({ alice: 'admin' }));
    writeFileSync(join(src, 'roles', 'admins', 'data.yaml'), 'names:\n  - alice\n');
    const out = join(dir, 'bundle.tar.gz');
    execFileSync('tar', ['-czf', out, '-C', src, '.']);
    const bundle = readBundle(new Uint8Array(readFileSync(out)));
    expect(bundle.manifest.revision).toBe('abc');
    expect(bundleEntrypoints(bundle)).toEqual(['authz/allow']);
    expect(bundleWasm(bundle, 'authz/allow')).toEqual(wasmBytes);
    expect(bundle.regoFiles).toEqual([{ path: 'authz.rego', text: 'package authz\nallow := true\n' }]);
    expect(bundle.data).toEqual({ roles: { alice: 'admin', admins: { names: ['alice'] } } });
  });

  it('`govern build` twice gives byte-identical bundles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'govern-build-'));
    writeFileSync(join(dir, 'authz.rego'), 'package authz\n\ndefault allow := false\n\nallow if input.user == data.admin\n');
    writeFileSync(join(dir, 'data.json'), JSON.stringify({ admin: 'alice' }));
    const build = (out: string): Buffer => {
      execFileSync(process.execPath, [cli, 'build', join(dir, 'authz.rego'), '-e', 'authz/allow', '-d', join(dir, 'data.json'), '-o', out]);
      return readFileSync(out);
    };
    const first = build(join(dir, 'one.tar.gz'));
    const second = build(join(dir, 'two.tar.gz'));
    expect(first.length).toBeGreaterThan(100);
    expect(first.equals(second)).toBe(true);
    const bundle = readBundle(new Uint8Array(first));
    expect(bundleEntrypoints(bundle)).toEqual(['authz/allow']);
    expect(bundle.data).toEqual({ admin: 'alice' });
  });
});
