// Pins: a committed lock file (e.g. bundles/govern.lock) that maps each bundle to the sha256 of its
// exact bytes. A governor only activates a bundle whose bytes hash to its pin, so a bundle swapped
// on disk (or in transit) is refused instead of silently obeyed.
//
// Format (stable: keys sorted, two-space indent, trailing newline, so diffs stay reviewable):
//   { "version": 1, "bundles": { "agent.tar.gz": "<sha256 hex>" } }
// Bundle paths are relative to the lock file's folder, with forward slashes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

export const PINS_FILE_NAME = 'govern.lock';
export const PINS_VERSION = 1;

export interface PinsFile {
  version: number;
  bundles: Record<string, string>;
}

export class PinsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PinsError';
  }
}

export function sha256File(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The lock file used for `bundlePath` when none is named: govern.lock beside the bundle. */
export function defaultPinsPath(bundlePath: string): string {
  return join(dirname(resolve(bundlePath)), PINS_FILE_NAME);
}

/** The key a bundle is pinned under: its path relative to the lock file's folder. */
export function pinKey(pinsPath: string, bundlePath: string): string {
  const rel = relative(dirname(resolve(pinsPath)), resolve(bundlePath));
  if (rel.startsWith('..') || isAbsolute(rel)) return resolve(bundlePath).split(sep).join('/');
  return rel.split(sep).join('/');
}

const HEX64 = /^[0-9a-f]{64}$/;

export function parsePins(text: string, source = PINS_FILE_NAME): PinsFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PinsError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PinsError(`${source}: must be a JSON object`);
  }
  const { version, bundles } = parsed as Record<string, unknown>;
  if (version !== PINS_VERSION) throw new PinsError(`${source}: unsupported version ${JSON.stringify(version)}`);
  if (typeof bundles !== 'object' || bundles === null || Array.isArray(bundles)) {
    throw new PinsError(`${source}: "bundles" must be an object`);
  }
  const out: Record<string, string> = {};
  for (const [key, hash] of Object.entries(bundles)) {
    if (typeof hash !== 'string' || !HEX64.test(hash)) {
      throw new PinsError(`${source}: the pin of "${key}" is not a sha256 hex digest`);
    }
    out[key] = hash;
  }
  return { version, bundles: out };
}

/** Reads a lock file; a missing file is an empty set of pins. */
export function readPins(pinsPath: string): PinsFile {
  if (!existsSync(pinsPath)) return { version: PINS_VERSION, bundles: {} };
  return parsePins(readFileSync(pinsPath, 'utf8'), pinsPath);
}

export function formatPins(pins: PinsFile): string {
  const bundles: Record<string, string> = {};
  for (const key of Object.keys(pins.bundles).sort()) bundles[key] = pins.bundles[key]!;
  return JSON.stringify({ version: PINS_VERSION, bundles }, null, 2) + '\n';
}

/** Writes atomically (temp file + rename) so a reader never sees half a lock file. */
export function writePins(pinsPath: string, pins: PinsFile): void {
  const temp = `${pinsPath}.${process.pid}.tmp`;
  writeFileSync(temp, formatPins(pins));
  renameSync(temp, pinsPath);
}

/** Records (or updates) the pin of each bundle; returns the key → hash entries written. */
export function pinBundles(pinsPath: string, bundlePaths: string[]): { key: string; sha256: string; changed: boolean }[] {
  const pins = readPins(pinsPath);
  const results = bundlePaths.map((bundlePath) => {
    const key = pinKey(pinsPath, bundlePath);
    const sha256 = sha256File(readFileSync(bundlePath));
    const changed = pins.bundles[key] !== sha256;
    pins.bundles[key] = sha256;
    return { key, sha256, changed };
  });
  writePins(pinsPath, pins);
  return results;
}

export type PinCheck =
  | { status: 'pinned'; sha256: string }
  | { status: 'mismatch'; sha256: string; expected: string }
  | { status: 'unpinned'; sha256: string };

/** Compares a bundle's bytes with its pin. */
export function checkPin(pins: PinsFile, key: string, bytes: Uint8Array): PinCheck {
  const sha256 = sha256File(bytes);
  const expected = pins.bundles[key];
  if (expected === undefined) return { status: 'unpinned', sha256 };
  if (expected !== sha256) return { status: 'mismatch', sha256, expected };
  return { status: 'pinned', sha256 };
}

/** True when some bundle in the lock file is pinned to `sha256` (used when verifying artifacts). */
export function isHashPinned(pins: PinsFile, sha256: string): boolean {
  return Object.values(pins.bundles).includes(sha256);
}
