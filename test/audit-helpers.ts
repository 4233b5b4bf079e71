// Shared by the audit tests: run the CLI in-process and capture what it prints; make keys.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { generateKeys } from '../src/artifact/keys.js';
import { main } from '../src/cli/main.js';
import { writeRegoBundle } from './evaluator-fixtures.js';

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

export const GATE_POLICY = `package gate

# Only echo and false may run, and never with the word "forbidden".
default decision := false

decision if {
	input.action == "shell.exec"
	input.resource in {"echo", "false"}
	not "forbidden" in input.args.argv
}
`;

/** Grants exactly the scope asked for; lineage (not the policy) keeps a child within its parent. */
export const DELEGATION_POLICY = `package deleg

decision := {"allow": true, "scope": input.context.scope} if input.context.scope
`;

/** A pinned bundle of GATE_POLICY and a signing key, in a fresh folder. */
export async function gateFixture(policy = GATE_POLICY) {
  const dir = tempDir('govern-run-');
  const bundle = writeRegoBundle(dir, 'gate', policy, 'gate/decision');
  const keys = await generateKeys();
  const key = join(dir, 'key.jwk');
  writeFileSync(key, JSON.stringify(keys.privateJwk));
  return { dir, bundle, key, log: join(dir, 'audit.log'), jwks: keys.publicJwks };
}


/** Runs a process without blocking the test worker; resolves with its exit status and output. */
export function runProcess(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
