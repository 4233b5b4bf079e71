// Where audit records live. The interface is small on purpose, so a shared database can stand in
// for the local file later; FileAuditStore is the embedded default (JSON lines, one per record).
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, appendFile, link, rename, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { leafHash, MerkleFrontier } from './merkle.js';
import { canonicalJson } from './canonical.js';
import { GENESIS_HASH, sealRecord, type AuditEntry, type AuditRecord } from './record.js';
import type { CheckpointSigner } from './checkpoint.js';

export interface AuditStore {
  /** Appends one entry; resolves only once the record is durable. Rejects if it could not be stored. */
  append(entry: AuditEntry): Promise<AuditRecord>;
  /** Every complete record, in order. */
  read(): Promise<AuditRecord[]>;
  /** Signs the current tree head with the store's signer and keeps it; returns the JWS. */
  checkpoint(): Promise<string>;
  /** Every checkpoint kept so far (compact JWS), oldest first. */
  checkpoints(): Promise<string[]>;
  close(): Promise<void>;
}

export interface FileAuditStoreOptions {
  /** Signs checkpoints (`checkpoint()` and the automatic ones). */
  signer?: CheckpointSigner;
  /** Sign a checkpoint automatically whenever the log has grown by this many records (needs `signer`). */
  checkpointEvery?: number;
  /** fsync every append before it resolves (default true; turn off only for throwaway logs). */
  durable?: boolean;
  /** The clock that stamps records (tests pin it). */
  now?: () => Date;
  /** Called when an automatic checkpoint fails (the appends themselves are durable regardless). */
  onCheckpointError?: (error: unknown) => void;
}

export class AuditUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditUnavailableError';
  }
}

/** The file that keeps a log's checkpoints, one compact JWS per line. */
export function checkpointsPath(logPath: string): string {
  return `${logPath}.checkpoints`;
}

interface Pending {
  entry: AuditEntry;
  resolve: (record: AuditRecord) => void;
  reject: (error: unknown) => void;
}

const LOCK_WAIT_MS = 10_000;
const EMPTY_LOCK_STALE_MS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A JSON-lines audit log on the local disk.
 * - Appends are group-committed: concurrent appends share one write and one fsync, and each
 *   resolves only after that fsync.
 * - Several processes may append to one file: each append holds `LOG.lock` and first catches up
 *   with records other processes wrote.
 * - A torn last line (a writer died mid-append) was never acknowledged; the next append moves
 *   those bytes to `LOG.torn` and cuts them off, so the chain continues from the last complete record.
 */
export class FileAuditStore implements AuditStore {
  readonly path: string;
  private handle?: FileHandle;
  private knownBytes = 0;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private readonly frontier = new MerkleFrontier();
  private lastCheckpointSize = 0;
  private queue: Pending[] = [];
  private flushing = false;
  private broken?: Error;
  private closed = false;
  private checkpointChain: Promise<unknown> = Promise.resolve();

  private constructor(path: string, private readonly options: FileAuditStoreOptions) {
    this.path = path;
  }

  static async open(path: string, options: FileAuditStoreOptions = {}): Promise<FileAuditStore> {
    const full = resolve(path);
    await mkdir(dirname(full), { recursive: true });
    const created = !existsSync(full);
    const store = new FileAuditStore(full, options);
    store.handle = await open(full, fsConstants.O_RDWR | fsConstants.O_APPEND | fsConstants.O_CREAT, 0o640);
    if (created && options.durable !== false) await syncDirectory(dirname(full));
    const cps = await store.checkpoints();
    // Auto checkpoints continue from the last one signed (by any process).
    for (const jws of cps) {
      try {
        const payload = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as { size?: number };
        if (typeof payload.size === 'number') store.lastCheckpointSize = Math.max(store.lastCheckpointSize, payload.size);
      } catch {
        // a damaged checkpoint line is for `audit verify` to report
      }
    }
    return store;
  }

  /** Number of records known to this process (after the last append or catch-up). */
  get size(): number {
    return this.lastSeq;
  }

  append(entry: AuditEntry): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new AuditUnavailableError('audit store is closed'));
    if (this.broken) return Promise.reject(new AuditUnavailableError(`audit log ${this.path} is unusable: ${this.broken.message}`, { cause: this.broken }));
    try {
      canonicalJson(entry.body); // reject what cannot be stored before it joins a batch
    } catch (err) {
      return Promise.reject(new AuditUnavailableError(`audit entry cannot be stored: ${(err as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.flushing) void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0);
        try {
          const records = await this.writeBatch(batch.map((p) => p.entry));
          batch.forEach((p, i) => p.resolve(records[i]!));
        } catch (err) {
          const error = err instanceof AuditUnavailableError ? err : new AuditUnavailableError(`audit append failed: ${(err as Error).message}`, { cause: err });
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(entries: AuditEntry[]): Promise<AuditRecord[]> {
    const handle = this.handle!;
    const unlock = await this.lock();
    try {
      await this.catchUp();
      const time = (this.options.now?.() ?? new Date()).toISOString();
      const records: AuditRecord[] = [];
      const lines: string[] = [];
      let seq = this.lastSeq;
      let prev = this.lastHash;
      for (const entry of entries) {
        const { record, line } = sealRecord(entry, ++seq, prev, time);
        records.push(record);
        lines.push(line);
        prev = record.hash;
      }
      const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
      try {
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, null);
          written += bytesWritten;
        }
        if (this.options.durable !== false) await handle.sync();
      } catch (err) {
        // Cut off whatever part reached the file, so no unacknowledged record stays; if even
        // that fails the log is left as it is and this store refuses further appends.
        try {
          await handle.truncate(this.knownBytes);
          if (this.options.durable !== false) await handle.sync();
        } catch (cutErr) {
          this.broken = cutErr as Error;
        }
        throw err;
      }
      // Nobody else may have written meanwhile (the lock guarantees it; this checks the lock).
      const after = fstatSync(handle.fd).size;
      if (after !== this.knownBytes + bytes.length) {
        this.broken = new Error(`another writer appended to the log while this process held ${this.path}.lock`);
        throw this.broken;
      }
      this.knownBytes += bytes.length;
      for (const line of lines) this.frontier.add(leafHash(line));
      this.lastSeq = seq;
      this.lastHash = prev;
      return records;
    } finally {
      await unlock();
      this.maybeAutoCheckpoint();
    }
  }

  /** Reads what other writers appended since we last looked; repairs a torn tail. */
  private async catchUp(): Promise<void> {
    const handle = this.handle!;
    const { size } = fstatSync(handle.fd);
    if (size === this.knownBytes) return;
    if (size < this.knownBytes) {
      this.broken = new Error(`the log shrank from ${this.knownBytes} to ${size} bytes behind this process's back`);
      throw this.broken;
    }
    const fresh = Buffer.alloc(size - this.knownBytes);
    await handle.read(fresh, 0, fresh.length, this.knownBytes);
    const lastNewline = fresh.lastIndexOf(0x0a);
    const complete = lastNewline < 0 ? Buffer.alloc(0) : fresh.subarray(0, lastNewline + 1);
    const torn = fresh.subarray(complete.length);
    let start = 0;
    let lastLine: string | undefined;
    while (start < complete.length) {
      const end = complete.indexOf(0x0a, start);
      const line = complete.subarray(start, end);
      this.frontier.add(leafHash(line));
      lastLine = line.toString('utf8');
      start = end + 1;
    }
    if (lastLine !== undefined) {
      let record: AuditRecord;
      try {
        record = JSON.parse(lastLine) as AuditRecord;
      } catch {
        this.broken = new Error('the last record of the log is not valid JSON; run `govern audit verify`');
        throw this.broken;
      }
      if (!Number.isSafeInteger(record.seq) || typeof record.hash !== 'string') {
        this.broken = new Error('the last record of the log has no seq/hash; run `govern audit verify`');
        throw this.broken;
      }
      this.lastSeq = record.seq;
      this.lastHash = record.hash;
    }
    this.knownBytes += complete.length;
    if (torn.length > 0) {
      // An append that died half-way; it was never acknowledged. Keep the bytes for forensics.
      await appendFile(`${this.path}.torn`, Buffer.concat([torn, Buffer.from('\n')]));
      await handle.truncate(this.knownBytes);
      if (this.options.durable !== false) await handle.sync();
    }
  }

  /**
   * Cross-process exclusion: `LOG.lock` holds the owner's pid and a random token. A lock whose
   * owner died is moved aside (rename is atomic, so only one process takes it over) and only
   * removed if it is still the very file judged stale; a lock is released only by its own token.
   */
  private async lock(): Promise<() => Promise<void>> {
    const lockPath = `${this.path}.lock`;
    const token = `${process.pid} ${randomBytes(8).toString('hex')}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      // Plain synchronous calls: each is a few microseconds on a local disk, far cheaper than a
      // round trip through the thread pool, and nothing else may run between them anyway.
      try {
        const fd = openSync(lockPath, 'wx');
        try {
          writeSync(fd, token);
        } finally {
          closeSync(fd);
        }
        return async () => {
          let current = '';
          try {
            current = readFileSync(lockPath, 'utf8');
          } catch {
            return;
          }
          if (current === token) rmSync(lockPath, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const seen = await stat(lockPath).catch(() => undefined);
      if (!seen) continue; // released meanwhile
      const content = await readFile(lockPath, 'utf8').catch(() => '');
      const owner = Number(content.split(' ')[0]);
      // Stale: its owner died, or it is still empty long after creation (the owner died between
      // creating the file and writing its token, a window of microseconds).
      const stale = owner > 0 ? owner !== process.pid && !processAlive(owner) : Date.now() - seen.mtimeMs > EMPTY_LOCK_STALE_MS;
      if (stale) {
        await this.removeStaleLock(lockPath, seen.ino, content);
        continue;
      }
      if (Date.now() > deadline) throw new AuditUnavailableError(`audit log ${this.path} is locked by process ${owner || '?'}`);
      await sleep(Math.min(1 + attempt, 20));
    }
  }

  private async removeStaleLock(lockPath: string, ino: number, content: string): Promise<void> {
    const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await rename(lockPath, aside);
    } catch {
      return; // another process took it over first
    }
    const moved = await stat(aside).catch(() => undefined);
    const movedContent = await readFile(aside, 'utf8').catch(() => '');
    if (!(moved?.ino === ino && movedContent === content)) {
      // A live lock taken after we looked: put it back unless its place was taken meanwhile.
      await link(aside, lockPath).catch(() => undefined);
    }
    await unlink(aside).catch(() => undefined);
  }

  private maybeAutoCheckpoint(): void {
    const every = this.options.checkpointEvery;
    if (!every || !this.options.signer || this.lastSeq - this.lastCheckpointSize < every) return;
    this.lastCheckpointSize = this.lastSeq;
    this.checkpointChain = this.checkpointChain
      .then(() => this.checkpoint())
      .catch((err) => this.options.onCheckpointError?.(err));
  }

  async read(): Promise<AuditRecord[]> {
    const text = await readFile(this.path, 'utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return [];
    return text
      .slice(0, end)
      .split('\n')
      .map((line) => JSON.parse(line) as AuditRecord);
  }

  async checkpoint(): Promise<string> {
    const signer = this.options.signer;
    if (!signer) throw new Error('this audit store has no checkpoint signing key');
    // Sign what is durable right now (a head as seen under the lock, after catching up).
    const unlock = await this.lock();
    let head: { size: number; root: string; time: string };
    try {
      await this.catchUp();
      head = { size: this.lastSeq, root: this.frontier.root().toString('hex'), time: (this.options.now?.() ?? new Date()).toISOString() };
    } finally {
      await unlock();
    }
    const jws = await signer.sign(head);
    const file = checkpointsPath(this.path);
    const fh = await open(file, 'a', 0o640);
    try {
      await fh.write(`${jws}\n`);
      if (this.options.durable !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    this.lastCheckpointSize = Math.max(this.lastCheckpointSize, head.size);
    return jws;
  }

  async checkpoints(): Promise<string[]> {
    const text = await readFile(checkpointsPath(this.path), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    return text.split('\n').filter((l) => l.trim() !== '');
  }

  /** Waits for pending appends and automatic checkpoints, then closes the file. */
  async close(): Promise<void> {
    while (this.flushing || this.queue.length > 0) await sleep(1);
    await this.checkpointChain;
    this.closed = true;
    await this.handle?.close();
    this.handle = undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // some file systems cannot fsync a directory; the file's own fsync still holds
  }
}

/** An audit store in memory (tests, `govern replay`'s dry runs): same chain, nothing durable. */
export class MemoryAuditStore implements AuditStore {
  private readonly lines: string[] = [];
  private readonly records: AuditRecord[] = [];
  private readonly heads: string[] = [];
  private readonly frontier = new MerkleFrontier();

  constructor(private readonly options: { signer?: CheckpointSigner; now?: () => Date } = {}) {}

  async append(entry: AuditEntry): Promise<AuditRecord> {
    const prev = this.records.at(-1)?.hash ?? GENESIS_HASH;
    const { record, line } = sealRecord(entry, this.records.length + 1, prev, (this.options.now?.() ?? new Date()).toISOString());
    this.records.push(record);
    this.lines.push(line);
    this.frontier.add(leafHash(line));
    return record;
  }

  async read(): Promise<AuditRecord[]> {
    return [...this.records];
  }

  async checkpoint(): Promise<string> {
    if (!this.options.signer) throw new Error('this audit store has no checkpoint signing key');
    const jws = await this.options.signer.sign({ size: this.records.length, root: this.frontier.root().toString('hex'), time: (this.options.now?.() ?? new Date()).toISOString() });
    this.heads.push(jws);
    return jws;
  }

  async checkpoints(): Promise<string[]> {
    return [...this.heads];
  }

  /** The log as a file would hold it. */
  text(): string {
    return this.lines.map((l) => `${l}\n`).join('');
  }

  async close(): Promise<void> {}
}
