// Shared by the audit tests: run the CLI in-process and capture what it prints; make keys.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { main } from '../src/cli/main.js';

export async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}

export function tempDir(prefix = 'govern-audit-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An Ed25519 key pair written as files: private JWK (`key.jwk`) and public JWKS (`keys.json`). */
export async function writeKeyFiles(dir: string): Promise<{ keyFile: string; jwksFile: string; privateJwk: Record<string, unknown> }> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const priv = { ...(await exportJWK(privateKey)), kid: 'audit-test' };
  const pub = { ...(await exportJWK(publicKey)), kid: 'audit-test' };
  const keyFile = join(dir, 'key.jwk');
  const jwksFile = join(dir, 'keys.json');
  writeFileSync(keyFile, JSON.stringify(priv));
  writeFileSync(jwksFile, JSON.stringify({ keys: [pub] }));
  return { keyFile, jwksFile, privateJwk: priv };
}
