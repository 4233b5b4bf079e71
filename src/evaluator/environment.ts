// The environment attestation: what ran the decision (runtime, platform, govern version), on which
// bundle and with which governor configuration. The artifact carries its digest; a verifier that
// requires a known environment compares digests.
import { readFileSync } from 'node:fs';
import { canonicalize, digestJson, sha256Hex } from './canonical.js';

let cachedVersion: string | undefined;

/** govern's version from package.json (the same file from src/ and from dist/). */
export function governVersion(): string {
  if (cachedVersion === undefined) {
    try {
      cachedVersion = String(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}

export interface EnvironmentAttestation {
  runtime: string;
  platform: string;
  govern: string;
  bundle_sha256: string;
  config_sha256: string;
}

export function environmentAttestation(bundleSha256: string, config: unknown): EnvironmentAttestation {
  return {
    runtime: `node/${process.versions.node}`,
    platform: `${process.platform}-${process.arch}`,
    govern: governVersion(),
    bundle_sha256: bundleSha256,
    config_sha256: digestJson(config),
  };
}

export function environmentDigest(env: EnvironmentAttestation): string {
  return sha256Hex(canonicalize(env));
}
