// A small tar (ustar) writer and reader plus gzip, enough for OPA bundles.
//
// The writer is reproducible on purpose: entries are sorted by name, every header has mtime 0,
// uid/gid 0, mode 0644 and empty owner names, and gzip runs at a fixed level with the header's
// OS byte pinned, so the same files always give byte-identical archives.
// The reader accepts what other tools write too: GNU long names, pax headers, directory entries,
// `./` or `/` prefixed names.
import { gunzipSync, gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, without a leading `/` (the writer adds OPA's leading `/`). */
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function writeString(header: Uint8Array, offset: number, length: number, value: string): void {
  const bytes = encoder.encode(value);
  if (bytes.length > length) throw new Error(`tar: field too long: ${value}`);
  header.set(bytes, offset);
}

function writeOctal(header: Uint8Array, offset: number, length: number, value: number): void {
  // length-1 octal digits followed by a NUL, as ustar expects.
  const text = value.toString(8).padStart(length - 1, '0');
  if (text.length > length - 1) throw new Error(`tar: number too large: ${value}`);
  writeString(header, offset, length, text + '\0');
}

/** Splits a long path into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a slash. */
function splitName(path: string): { prefix: string; name: string } {
  if (encoder.encode(path).length <= 100) return { prefix: '', name: path };
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(name).length <= 100) return { prefix, name };
  }
  throw new Error(`tar: path too long for ustar: ${path}`);
}

function header(path: string, size: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const { prefix, name } = splitName(path);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0);
  h.fill(0x20, 148, 156); // checksum is computed with its own field as spaces
  h[156] = 0x30; // '0': regular file
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 345, 155, prefix);
  let sum = 0;
  for (const b of h) sum += b;
  writeString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** Writes a tar archive of `entries`, sorted by name; names get OPA's leading `/`. */
export function writeTar(entries: TarEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const entry of sorted) {
    const path = '/' + entry.name.replace(/^\/+/, '');
    chunks.push(header(path, entry.data.length), entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    chunks.push(new Uint8Array(padding));
    total += BLOCK + entry.data.length + padding;
  }
  chunks.push(new Uint8Array(2 * BLOCK));
  total += 2 * BLOCK;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function readString(block: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && block[end] !== 0) end++;
  return decoder.decode(block.subarray(offset, end));
}

function readOctal(block: Uint8Array, offset: number, length: number): number {
  // GNU base-256 for very large sizes: high bit of the first byte set.
  if (block[offset]! & 0x80) {
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + block[i]!;
    return value;
  }
  const text = readString(block, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Parses pax extended header records (`LEN key=value\n`). */
function parsePax(data: Uint8Array): Record<string, string> {
  const text = decoder.decode(data);
  const out: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    if (space < 0) break;
    const len = parseInt(text.slice(at, space), 10);
    if (!(len > 0)) break;
    const record = text.slice(space + 1, at + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}

/** Normalises an archive path: no leading `./` or `/`. */
export function normalizeTarPath(path: string): string {
  return path.replace(/^(\.?\/)+/, '');
}

/** Reads the regular files of a tar archive (directories and links are skipped). */
export function readTar(bytes: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (at + BLOCK <= bytes.length) {
    const block = bytes.subarray(at, at + BLOCK);
    if (block.every((b) => b === 0)) break;
    let checksum = 0;
    for (let i = 0; i < BLOCK; i++) checksum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (checksum !== readOctal(block, 148, 8)) throw new Error(`tar: bad header checksum at offset ${at}`);
    const size = readOctal(block, 124, 12);
    const type = String.fromCharCode(block[156]!);
    const dataStart = at + BLOCK;
    if (dataStart + size > bytes.length) throw new Error('tar: archive is truncated');
    const data = bytes.slice(dataStart, dataStart + size);
    at = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'L') {
      longName = readString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      paxPath = parsePax(data).path ?? paxPath;
      continue;
    }
    if (type === 'g') continue;
    let name = readString(block, 0, 100);
    const magic = readString(block, 257, 6);
    if (magic.startsWith('ustar')) {
      const prefix = readString(block, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    name = paxPath ?? longName ?? name;
    paxPath = longName = undefined;
    if (type !== '0' && type !== '\0' && type !== '7') continue; // directories, links, devices
    entries.push({ name: normalizeTarPath(name), data });
  }
  return entries;
}

/** gzip at a fixed level with a pinned header (mtime 0, OS "unknown"), so output is reproducible. */
export function gzip(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(gzipSync(data, { level: 9 }));
  out[4] = out[5] = out[6] = out[7] = 0;
  out[9] = 255;
  return out;
}

export function gunzip(data: Uint8Array): Uint8Array {
  return new Uint8Array(gunzipSync(data));
}

export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}
