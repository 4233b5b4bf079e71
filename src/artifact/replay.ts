// Single use and revocation of artifact ids (jti). Both are behind small interfaces so a shared
// database can implement them later; the defaults are file-backed and survive restarts.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ReplayStore {
  /**
   * Marks `jti` as used. Resolves true the first time (the artifact may be used), false on any
   * later call, also from another process. `expiresAt` (seconds) lets the store forget it after.
   */
  consume(jti: string, expiresAt: number): Promise<boolean>;
}

export interface RevocationList {
  isRevoked(jti: string): Promise<boolean>;
  revoke(jti: string): Promise<void>;
}

function idFileName(jti: string): string {
  return createHash('sha256').update(jti).digest('hex');
}

/**
 * One file per used jti, created with O_EXCL: the create is atomic, so two processes racing to use
 * the same artifact cannot both succeed. Entries past their expiry (+ skew) can be pruned.
 */
export class FileReplayStore implements ReplayStore {
  constructor(readonly dir: string) {}

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    mkdirSync(this.dir, { recursive: true });
    try {
      writeFileSync(join(this.dir, idFileName(jti)), `${expiresAt}\n`, { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  }

  /** Deletes entries whose artifacts expired before `nowSeconds` (they can no longer verify anyway). */
  prune(nowSeconds: number): number {
    if (!existsSync(this.dir)) return 0;
    let removed = 0;
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      const expiresAt = Number(readFileSync(path, 'utf8').trim());
      if (Number.isFinite(expiresAt) && expiresAt < nowSeconds) {
        unlinkSync(path);
        removed++;
      }
    }
    return removed;
  }
}

export class MemoryReplayStore implements ReplayStore {
  private readonly used = new Map<string, number>();
  async consume(jti: string, expiresAt: number): Promise<boolean> {
    if (this.used.has(jti)) return false;
    this.used.set(jti, expiresAt);
    return true;
  }
}

/** Revoked ids, one per line, appended (so concurrent revocations do not overwrite each other). */
export class FileRevocationList implements RevocationList {
  constructor(readonly path: string) {}

  private read(): Set<string> {
    if (!existsSync(this.path)) return new Set();
    return new Set(readFileSync(this.path, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.read().has(jti);
  }

  async revoke(jti: string): Promise<void> {
    if (!jti || /\s/.test(jti)) throw new Error('a jti is a non-empty string without whitespace');
    if (this.read().has(jti)) return;
    mkdirSync(dirname(this.path), { recursive: true });
    appendFileSync(this.path, `${jti}\n`);
  }
}

export class MemoryRevocationList implements RevocationList {
  private readonly revoked = new Set<string>();
  async isRevoked(jti: string): Promise<boolean> {
    return this.revoked.has(jti);
  }
  async revoke(jti: string): Promise<void> {
    this.revoked.add(jti);
  }
}

/** The default state folder layout: `<dir>/replay/` and `<dir>/revoked`. */
export function fileStateStores(stateDir: string): { replay: FileReplayStore; revocations: FileRevocationList } {
  return { replay: new FileReplayStore(join(stateDir, 'replay')), revocations: new FileRevocationList(join(stateDir, 'revoked')) };
}
