// io.jwt.* round trips for every algorithm family with freshly generated keys: what we sign,
// we (and jose, an independent implementation) verify; tampering and wrong keys fail.
import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { createHostBuiltins } from '../src/builtins/index.js';

const NOW_S = 1_700_000_000;
const b = createHostBuiltins({ now: () => BigInt(NOW_S) * 1_000_000_000n, strict: true });

const keys = {
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS384: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  EdDSA: generateKeyPairSync('ed25519'),
};

describe('asymmetric signatures', () => {
  for (const [alg, pair] of Object.entries(keys)) {
    it(`${alg}: sign, verify with PEM and JWKS (kid), reject tampering`, async () => {
      const jwk = { ...pair.privateKey.export({ format: 'jwk' }), kid: 'k1' };
      const token = b['io.jwt.encode_sign']!({ alg, typ: 'JWT', kid: 'k1' }, { iss: 'govern', exp: NOW_S + 60 }, jwk) as string;
      const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
      const verify = `io.jwt.verify_${alg.toLowerCase()}`;
      expect(b[verify]!(token, pem)).toBe(true);
      const publicJwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1' };
      expect(b[verify]!(token, JSON.stringify({ keys: [publicJwk] }))).toBe(true);
      // an independent verifier agrees
      const { payload } = await compactVerify(token, await importJWK(publicJwk as never, alg));
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ exp: NOW_S + 60, iss: 'govern' });
      const [h, p, s] = token.split('.');
      const tampered = `${h}.${Buffer.from('{"iss":"evil"}').toString('base64url')}.${s}`;
      expect(b[verify]!(tampered, pem)).toBe(false);
      const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
      expect(b[verify]!(token, other)).toBe(false);
      expect(p).toBeDefined();
      expect(b['io.jwt.decode_verify']!(token, { cert: pem, iss: 'govern' })).toEqual([true, { alg, kid: 'k1', typ: 'JWT' }, { exp: NOW_S + 60, iss: 'govern' }]);
      expect(b['io.jwt.decode_verify']!(token, { cert: pem, iss: 'someone-else' })).toEqual([false, {}, {}]);
      expect(b['io.jwt.decode_verify']!(token, { cert: pem, time: (NOW_S + 61) * 1e9 })).toEqual([false, {}, {}]);
    });
  }
});

describe('HMAC', () => {
  const secret = { kty: 'oct', k: Buffer.from('top secret').toString('base64url') };
  it('signs deterministically and checks exp, nbf and aud against the pinned clock', () => {
    const token = b['io.jwt.encode_sign']!({ alg: 'HS384' }, { aud: ['a', 'b'], nbf: NOW_S - 1 }, secret) as string;
    expect(b['io.jwt.encode_sign']!({ alg: 'HS384' }, { aud: ['a', 'b'], nbf: NOW_S - 1 }, secret)).toBe(token);
    expect(b['io.jwt.verify_hs384']!(token, 'top secret')).toBe(true);
    expect(b['io.jwt.verify_hs384']!(token, 'wrong')).toBe(false);
    expect((b['io.jwt.decode_verify']!(token, { secret: 'top secret', aud: 'b' }) as unknown[])[0]).toBe(true);
    expect((b['io.jwt.decode_verify']!(token, { secret: 'top secret' }) as unknown[])[0]).toBe(false); // aud present, none required
    expect((b['io.jwt.decode_verify']!(token, { secret: 'top secret', aud: 'b', alg: 'HS256' }) as unknown[])[0]).toBe(false);
    expect((b['io.jwt.decode_verify']!(token, { secret: 'top secret', aud: 'b', time: (NOW_S - 2) * 1e9 }) as unknown[])[0]).toBe(false);
  });
  it('reports constraint mistakes as builtin errors', () => {
    expect(() => b['io.jwt.decode_verify']!('a.b.c', {})).toThrow('eval_builtin_error: io.jwt.decode_verify: no key constraint');
    expect(() => b['io.jwt.decode_verify']!('a.b.c', { secret: 'x', cert: '{}' })).toThrow();
    expect(() => b['io.jwt.decode_verify']!('a.b.c', { secret: 'x', nope: 1 })).toThrow('unknown token validation constraint: nope');
  });
});
