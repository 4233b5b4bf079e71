// OPA-style bundle signatures: the .signatures.json format, OPA's hashing rule for structured files,
// and every way a signed bundle can fail to verify.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeys } from '../src/artifact/keys.js';
import {
  decodeCompact,
  hashBundleFile,
  parseVerificationKeys,
  signBundleFiles,
  verifyBundleSignatures,
} from '../src/bundle/signatures.js';

const enc = (s: string) => new TextEncoder().encode(s);
const files = [
  { name: '.manifest', data: enc('{"revision":"r1","roots":[""]}') },
  { name: 'policy.wasm', data: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) },
  { name: 'data.json', data: enc('{"b":1,"a":{"y":[1,2],"x":"s"}}') },
];

function asMap(list: { name: string; data: Uint8Array }[]): Map<string, Uint8Array> {
  return new Map(list.map((f) => [f.name, f.data]));
}

describe('bundle signatures', () => {
  it('writes OPA\'s format: {"signatures":[JWS]} whose payload lists every file with its SHA-256', async () => {
    const keys = await generateKeys();
    const sig = signBundleFiles(files, JSON.stringify(keys.privateJwk));
    expect(sig.name).toBe('.signatures.json');
    const { signatures } = JSON.parse(new TextDecoder().decode(sig.data));
    expect(signatures).toHaveLength(1);
    const decoded = decodeCompact(signatures[0]);
    expect(decoded.header).toMatchObject({ alg: 'EdDSA', kid: keys.kid });
    const payload = JSON.parse(decoded.payload.toString());
    expect(payload.keyid).toBe(keys.kid);
    expect(payload.files.map((f: { name: string }) => f.name)).toEqual(['.manifest', 'data.json', 'policy.wasm']);
    for (const f of payload.files) expect(f.algorithm).toBe('SHA-256');
    expect(verifyBundleSignatures(asMap([...files, sig]), parseVerificationKeys(JSON.stringify(keys.publicJwks)))).toEqual({ ok: true, kid: keys.kid });
  });

  it('hashes structured files by value with sorted keys (whitespace and key order do not matter)', () => {
    const a = hashBundleFile('data.json', enc('{"b":1,"a":{"y":[1,2],"x":"s"}}'));
    const b = hashBundleFile('data.json', enc('{ "a": { "x": "s", "y": [1, 2] },\n  "b": 1 }'));
    expect(a).toBe(b);
    // OPA's walk: {"a":{"x":"s","y":[1,2]},"b":1} hashed as one stream.
    expect(a).toBe(hashBundleFile('other.bin', enc('{"a":{"x":"s","y":[1,2]},"b":1}')));
    // Unstructured files are hashed over their raw bytes.
    expect(hashBundleFile('x.rego', enc('a'))).not.toBe(hashBundleFile('x.rego', enc('a ')));
  });

  it('hashes JSON numbers as written, as OPA does (json.Number): 1.0, 1e3 and big integers keep their text', () => {
    const hash = hashBundleFile('data.json', enc('{ "c": 100000000000000000000001, "b": [1e3, -0], "a": 1.0 }'));
    expect(hash).toBe(hashBundleFile('other.bin', enc('{"a":1.0,"b":[1e3,-0],"c":100000000000000000000001}')));
    expect(hash).not.toBe(hashBundleFile('data.json', enc('{"a":1,"b":[1000,0],"c":100000000000000000000001}')));
  });

  it('refuses to hash a data.json whose keys repeat with different values (which value counts is ambiguous)', () => {
    expect(() => hashBundleFile('data.json', enc('{"a":1,"a":2}'))).toThrow(/data\.json: cannot hash.*Duplicate key/);
  });

  it('refuses: a changed file, an extra file, a missing file, another key, no signature', async () => {
    const keys = await generateKeys();
    const other = await generateKeys();
    const sig = signBundleFiles(files, JSON.stringify(keys.privateJwk));
    const verifier = parseVerificationKeys(JSON.stringify(keys.publicJwks));
    const changed = files.map((f) => (f.name === 'policy.wasm' ? { ...f, data: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 1]) } : f));
    expect(verifyBundleSignatures(asMap([...changed, sig]), verifier)).toMatchObject({ ok: false, problem: 'policy.wasm: digest mismatch' });
    expect(verifyBundleSignatures(asMap([...files, { name: 'extra.rego', data: enc('package x') }, sig]), verifier)).toMatchObject({ ok: false });
    expect(verifyBundleSignatures(asMap([files[0]!, files[1]!, sig]), verifier)).toMatchObject({ ok: false, problem: expect.stringContaining('data.json') });
    const impostor = parseVerificationKeys(JSON.stringify({ keys: [{ ...other.publicJwks.keys[0], kid: keys.kid }] }));
    expect(verifyBundleSignatures(asMap([...files, sig]), impostor)).toMatchObject({ ok: false, problem: 'the bundle signature does not verify' });
    expect(verifyBundleSignatures(asMap(files), verifier)).toMatchObject({ ok: false });
  });

  it('requires the configured scope and refuses symmetric or unsigned algorithms', async () => {
    const keys = await generateKeys();
    const verifier = parseVerificationKeys(JSON.stringify(keys.publicJwks));
    const scoped = signBundleFiles(files, JSON.stringify(keys.privateJwk), { scope: 'prod' });
    expect(verifyBundleSignatures(asMap([...files, scoped]), verifier, { scope: 'prod' }).ok).toBe(true);
    expect(verifyBundleSignatures(asMap([...files, scoped]), verifier).ok).toBe(false);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: keys.kid })).toString('base64url')}.${Buffer.from('{"files":[]}').toString('base64url')}.`;
    expect(verifyBundleSignatures(asMap([...files, { name: '.signatures.json', data: enc(JSON.stringify({ signatures: [none] })) }]), verifier)).toMatchObject({ ok: false });
  });

  it('accepts PEM keys (SPKI public key for verification)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const sig = signBundleFiles(files, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const keys = parseVerificationKeys(publicKey.export({ type: 'spki', format: 'pem' }).toString());
    expect(keys[0]!.alg).toBe('ES256');
    expect(verifyBundleSignatures(asMap([...files, sig]), keys).ok).toBe(true);
  });
});
