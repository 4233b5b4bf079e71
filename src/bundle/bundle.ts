// OPA bundles: a gzipped tar holding `/.manifest`, `/policy.wasm` and `/data.json`, the layout
// `opa build -t wasm` writes, so OPA's tools and ours read each other's bundles.
// Writing is reproducible (see tar.ts); reading tolerates what OPA and others add: directory
// entries, `.rego` sources, data files in sub-directories, a missing data.json.
import { parse as parseYaml } from 'yaml';
import { gunzip, gzip, isGzip, readTar, writeTar, type TarEntry } from './tar.js';

export interface WasmResolver {
  entrypoint: string;
  module: string;
}

export interface BundleManifest {
  revision: string;
  roots: string[];
  wasm?: WasmResolver[];
  metadata?: Record<string, unknown>;
  rego_version?: number;
  [key: string]: unknown;
}

export interface Bundle {
  manifest: BundleManifest;
  /** The merged base document: `/data.json` at the root, `/a/b/data.json` under data.a.b. */
  data: Record<string, unknown>;
  /** Wasm modules by archive path (`policy.wasm`). */
  wasmModules: Map<string, Uint8Array>;
  /** Rego sources found in the bundle, by archive path. */
  regoFiles: { path: string; text: string }[];
  /** Every regular file, by archive path (no leading slash). */
  files: Map<string, Uint8Array>;
}

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleError';
  }
}

export interface WriteBundleOptions {
  wasm: Uint8Array;
  /** Entrypoints in `-e` order (slash-separated: `authz/allow`). */
  entrypoints: string[];
  data?: unknown;
  revision?: string;
  roots?: string[];
  metadata?: Record<string, unknown>;
  /** More files to place in the archive (e.g. `.signatures.json`). */
  extraFiles?: TarEntry[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const POLICY_WASM = '/policy.wasm';

export function makeManifest(options: Pick<WriteBundleOptions, 'entrypoints' | 'revision' | 'roots' | 'metadata'>): BundleManifest {
  const manifest: BundleManifest = {
    revision: options.revision ?? '',
    roots: options.roots ?? [''],
    wasm: options.entrypoints.map((entrypoint) => ({ entrypoint, module: POLICY_WASM })),
  };
  if (options.metadata) manifest.metadata = options.metadata;
  return manifest;
}

/** The bundle's files as tar entries (before archiving), e.g. for signing. */
export function bundleEntries(options: WriteBundleOptions): TarEntry[] {
  const entries: TarEntry[] = [
    { name: '.manifest', data: encoder.encode(JSON.stringify(makeManifest(options))) },
    { name: 'policy.wasm', data: options.wasm },
    { name: 'data.json', data: encoder.encode(JSON.stringify(options.data ?? {})) },
  ];
  for (const extra of options.extraFiles ?? []) {
    const name = extra.name.replace(/^\/+/, '');
    const existing = entries.findIndex((e) => e.name === name);
    if (existing >= 0) entries[existing] = { name, data: extra.data };
    else entries.push({ name, data: extra.data });
  }
  return entries;
}

/** Writes a reproducible OPA bundle (.tar.gz). */
export function writeBundle(options: WriteBundleOptions): Uint8Array {
  return gzip(writeTar(bundleEntries(options)));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Places `value` at `path` inside `root`, merging objects; conflicting leaves are an error. */
function mountData(root: Record<string, unknown>, path: string[], value: unknown, file: string): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === undefined) node = node[key] = {};
    else if (isPlainObject(next)) node = next;
    else throw new BundleError(`bundle: ${file}: data conflicts with another data file at ${path.join('.')}`);
  }
  if (path.length === 0) {
    if (!isPlainObject(value)) throw new BundleError(`bundle: ${file}: the root data document must be an object`);
    mergeInto(root, value, file);
    return;
  }
  const key = path[path.length - 1]!;
  const existing = node[key];
  if (existing === undefined) node[key] = value;
  else if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value, file);
  else throw new BundleError(`bundle: ${file}: data conflicts with another data file at ${path.join('.')}`);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>, file: string): void {
  for (const [key, value] of Object.entries(source)) mountData(target, [key], value, file);
}

/** Reads an OPA bundle (.tar.gz, or a plain .tar). */
export function readBundle(bytes: Uint8Array): Bundle {
  let tar: Uint8Array;
  try {
    tar = isGzip(bytes) ? gunzip(bytes) : bytes;
  } catch (err) {
    throw new BundleError(`bundle: not a valid gzip archive (${(err as Error).message})`);
  }
  let entries: TarEntry[];
  try {
    entries = readTar(tar);
  } catch (err) {
    throw new BundleError(`bundle: not a valid tar archive (${(err as Error).message})`);
  }
  const files = new Map<string, Uint8Array>();
  for (const e of entries) files.set(e.name, e.data);

  let manifest: BundleManifest = { revision: '', roots: [''] };
  const manifestBytes = files.get('.manifest');
  if (manifestBytes) {
    try {
      const parsed = JSON.parse(decoder.decode(manifestBytes));
      if (!isPlainObject(parsed)) throw new Error('not an object');
      manifest = { revision: '', roots: [''], ...parsed } as BundleManifest;
    } catch (err) {
      throw new BundleError(`bundle: .manifest is not valid JSON (${(err as Error).message})`);
    }
  }

  const data: Record<string, unknown> = {};
  const wasmModules = new Map<string, Uint8Array>();
  const regoFiles: { path: string; text: string }[] = [];
  const names = [...files.keys()].sort();
  for (const name of names) {
    const content = files.get(name)!;
    const base = name.slice(name.lastIndexOf('/') + 1);
    const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')).split('/').filter(Boolean) : [];
    if (base === 'data.json' || base === 'data.yaml' || base === 'data.yml') {
      let value: unknown;
      try {
        const text = decoder.decode(content);
        value = base === 'data.json' ? JSON.parse(text) : parseYaml(text);
      } catch (err) {
        throw new BundleError(`bundle: ${name}: invalid ${base.endsWith('json') ? 'JSON' : 'YAML'} (${(err as Error).message})`);
      }
      mountData(data, dir, value ?? {}, name);
    } else if (base.endsWith('.wasm')) {
      wasmModules.set(name, content);
    } else if (base.endsWith('.rego')) {
      regoFiles.push({ path: name, text: decoder.decode(content) });
    }
  }
  return { manifest, data, wasmModules, regoFiles, files };
}

/** The entrypoints the bundle's manifest declares for its Wasm modules. */
export function bundleEntrypoints(bundle: Bundle): string[] {
  return (bundle.manifest.wasm ?? []).map((w) => w.entrypoint);
}

/** The Wasm module that serves `entrypoint` (or the bundle's only module when none is named). */
export function bundleWasm(bundle: Bundle, entrypoint?: string): Uint8Array | undefined {
  const resolver = entrypoint === undefined ? undefined : (bundle.manifest.wasm ?? []).find((w) => w.entrypoint === entrypoint);
  const path = (resolver?.module ?? bundle.manifest.wasm?.[0]?.module ?? POLICY_WASM).replace(/^\/+/, '');
  return bundle.wasmModules.get(path) ?? (bundle.wasmModules.size === 1 ? [...bundle.wasmModules.values()][0] : undefined);
}
