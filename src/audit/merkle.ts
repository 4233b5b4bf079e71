// The Merkle tree of RFC 6962 (and its successor RFC 9162, whose verification algorithms these are):
// leaf = SHA-256(0x00 || bytes), node = SHA-256(0x01 || left || right), and a tree of n leaves
// splits at the largest power of two below n. Signed tree heads over this tree make truncation and
// rollback of the audit log detectable and give short proofs that one record is in the log.
import { createHash } from 'node:crypto';

export function leafHash(bytes: string | Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(bytes).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/** The hash of the empty tree: SHA-256 of no bytes. */
export const EMPTY_ROOT = createHash('sha256').digest();

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[from:to]) over already hashed leaves. */
export function treeRoot(leaves: readonly Uint8Array[], from = 0, to = leaves.length): Buffer {
  const n = to - from;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return Buffer.from(leaves[from]!);
  const k = largestPowerOfTwoBelow(n);
  return nodeHash(treeRoot(leaves, from, from + k), treeRoot(leaves, from + k, to));
}

/** The audit path PATH(index, D[0:size]) of RFC 6962 §2.1.1, leaf side first. */
export function inclusionPath(leaves: readonly Uint8Array[], index: number, size = leaves.length): Buffer[] {
  if (index < 0 || index >= size || size > leaves.length) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const path: Buffer[] = [];
  const walk = (m: number, from: number, to: number): void => {
    const n = to - from;
    if (n <= 1) return;
    const k = largestPowerOfTwoBelow(n);
    if (m < k) {
      walk(m, from, from + k);
      path.push(treeRoot(leaves, from + k, to));
    } else {
      walk(m - k, from + k, to);
      path.push(treeRoot(leaves, from, from + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/** RFC 9162 §2.1.3.2: does `path` lead from the leaf at `index` to `root` in a tree of `size`? */
export function verifyInclusion(leaf: Uint8Array, index: number, size: number, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

/** The consistency proof PROOF(m, D[0:n]) of RFC 6962 §2.1.2: the old tree is a prefix of the new. */
export function consistencyProof(leaves: readonly Uint8Array[], oldSize: number, newSize = leaves.length): Buffer[] {
  if (oldSize < 0 || oldSize > newSize || newSize > leaves.length) throw new RangeError(`no consistency proof from ${oldSize} to ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const proof: Buffer[] = [];
  const sub = (m: number, from: number, to: number, whole: boolean): void => {
    const n = to - from;
    if (m === n) {
      if (!whole) proof.push(treeRoot(leaves, from, to));
      return;
    }
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      sub(m, from, from + k, whole);
      proof.push(treeRoot(leaves, from + k, to));
    } else {
      sub(m - k, from + k, to, false);
      proof.push(treeRoot(leaves, from, from + k));
    }
  };
  sub(oldSize, 0, newSize, true);
  return proof;
}

/** RFC 9162 §2.1.4.2: is the tree (oldSize, oldRoot) a prefix of the tree (newSize, newRoot)? */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && Buffer.from(oldRoot).equals(newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path = (oldSize & (oldSize - 1)) === 0 ? [oldRoot, ...proof] : [...proof];
  let fn = BigInt(oldSize - 1);
  let sn = BigInt(newSize - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && fr.equals(oldRoot) && sr.equals(newRoot);
}

/**
 * The right edge of a growing tree: one perfect subtree per set bit of the size. Enough to give
 * the root after every append in O(log n) memory, without keeping every leaf.
 */
export class MerkleFrontier {
  private readonly stack: { height: number; hash: Buffer }[] = [];
  size = 0;

  add(leaf: Uint8Array): void {
    let node: { height: number; hash: Buffer } = { height: 0, hash: Buffer.from(leaf) };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.height === node.height) {
      const left = this.stack.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let r: Buffer = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) r = nodeHash(this.stack[i]!.hash, r);
    return r;
  }
}
