// Loading a bundle for governed evaluation: the file's bytes must hash to its pin (or the caller
// explicitly allowed unpinned bundles), its signature must verify when a verification key is
// configured, and it must hold the Wasm for the entrypoint. Any failure is a reason code, never an
// exception, so the governor can turn it into denials.
import { readFileSync } from 'node:fs';
import { BundleError, bundleWasm, readBundle, type Bundle } from '../bundle/bundle.js';
import { checkPin, defaultPinsPath, pinKey, PinsError, readPins } from '../bundle/pins.js';
import { verifyBundleSignatures, type VerificationKey } from '../bundle/signatures.js';
import { REASONS, type ReasonCode } from './reasons.js';

export interface BundleSource {
  /** Path of the bundle (.tar.gz). */
  path: string;
  /** The lock file; default: govern.lock beside the bundle. */
  pinsPath?: string;
  /** Accept a bundle that has no pin (never one whose pin differs). */
  allowUnpinned?: boolean;
  /** When set, the bundle must carry a `.signatures.json` that verifies with one of these keys. */
  verificationKeys?: VerificationKey[];
  /** The signature's expected `scope` claim (OPA's option). */
  signatureScope?: string;
}

export interface LoadedBundle {
  sha256: string;
  pinned: boolean;
  bundle: Bundle;
  wasm: Uint8Array;
  revision: string;
}

export type BundleLoad = { ok: true; loaded: LoadedBundle } | { ok: false; reason: ReasonCode; detail: string; sha256?: string };

export function loadBundle(source: BundleSource, entrypoint: string): BundleLoad {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: REASONS.BUNDLE_MISSING, detail: code === 'ENOENT' ? 'the bundle file does not exist' : `the bundle cannot be read (${code ?? 'error'})` };
  }
  const pinsPath = source.pinsPath ?? defaultPinsPath(source.path);
  let pinned = false;
  let sha256: string;
  try {
    const pins = readPins(pinsPath);
    const check = checkPin(pins, pinKey(pinsPath, source.path), bytes);
    sha256 = check.sha256;
    if (check.status === 'mismatch') {
      return { ok: false, reason: REASONS.BUNDLE_HASH_MISMATCH, detail: `the bundle's sha256 differs from its pin ${check.expected}`, sha256 };
    }
    if (check.status === 'unpinned' && !source.allowUnpinned) {
      return { ok: false, reason: REASONS.BUNDLE_UNPINNED, detail: 'the bundle has no pin in the lock file', sha256 };
    }
    pinned = check.status === 'pinned';
  } catch (err) {
    if (err instanceof PinsError) return { ok: false, reason: REASONS.BUNDLE_UNPINNED, detail: `the lock file is unusable: ${err.message}` };
    throw err;
  }
  let bundle: Bundle;
  try {
    bundle = readBundle(bytes);
  } catch (err) {
    if (err instanceof BundleError) return { ok: false, reason: REASONS.BUNDLE_INVALID, detail: err.message, sha256 };
    return { ok: false, reason: REASONS.BUNDLE_INVALID, detail: `the bundle cannot be read: ${(err as Error).message}`, sha256 };
  }
  if (source.verificationKeys) {
    const check = verifyBundleSignatures(bundle.files, source.verificationKeys, { scope: source.signatureScope });
    if (!check.ok) return { ok: false, reason: REASONS.BUNDLE_SIGNATURE_INVALID, detail: check.problem, sha256 };
  }
  const wasm = bundleWasm(bundle, entrypoint);
  if (!wasm) return { ok: false, reason: REASONS.BUNDLE_INVALID, detail: 'the bundle holds no policy.wasm', sha256 };
  return { ok: true, loaded: { sha256, pinned, bundle, wasm, revision: String(bundle.manifest.revision ?? '') } };
}
