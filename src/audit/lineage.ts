// Execution lineage: an artifact may be issued under a parent artifact. A child may only narrow
// what its parent allowed (attenuation): its scope within the parent's, its validity ending no
// later. Revoking an artifact revokes everything issued under it, so revocation walks ancestors.
import { REASONS } from '../evaluator/reasons.js';
import type { AuditRecord } from './record.js';

export const LINEAGE_VIOLATION = REASONS.LINEAGE_VIOLATION;

/** The parts of an artifact's claims that lineage looks at. Times are seconds since the epoch (JWT NumericDate). */
export interface LineageClaims {
  jti: string;
  parent?: string;
  scope?: unknown;
  exp?: number;
  nbf?: number;
}

export type AttenuationCheck = { ok: true } | { ok: false; code: typeof LINEAGE_VIOLATION; reasons: string[] };

/**
 * Is `child` an attenuation of `parent`? Pure: no clock, no I/O. Reasons name every violation found.
 * Scope containment (see `scopeWithin`) is structural, so it works for any JSON scope shape.
 */
export function checkAttenuation(child: LineageClaims, parent: LineageClaims): AttenuationCheck {
  const reasons: string[] = [];
  if (child.parent !== undefined && child.parent !== parent.jti) {
    reasons.push(`the child names parent ${child.parent}, not ${parent.jti}`);
  }
  if (child.jti === parent.jti) reasons.push('an artifact cannot be its own parent');
  if (parent.exp !== undefined) {
    if (child.exp === undefined) reasons.push(`the child never expires but its parent expires at ${parent.exp}`);
    else if (child.exp > parent.exp) reasons.push(`the child is valid until ${child.exp}, after its parent (${parent.exp})`);
  }
  if (parent.nbf !== undefined && child.nbf !== undefined && child.nbf < parent.nbf) {
    reasons.push(`the child is valid from ${child.nbf}, before its parent (${parent.nbf})`);
  }
  if (parent.scope !== undefined) {
    const wider = scopeExcess(child.scope, parent.scope, 'scope');
    if (wider) reasons.push(`the child's scope is wider than its parent's: ${wider}`);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, code: LINEAGE_VIOLATION, reasons };
}

/** Is scope `child` within scope `parent`? */
export function scopeWithin(child: unknown, parent: unknown): boolean {
  return scopeExcess(child, parent, 'scope') === undefined;
}

/**
 * Where `child` reaches beyond `parent`, or undefined when it does not:
 * - a string is covered by an equal string, by "*", or by a pattern "prefix*" it starts with;
 * - a list is covered when each of its items is covered by some item of the parent's list
 *   (a single value counts as a list of one);
 * - an object is covered when it has every key the parent has, each covered; keys only the child
 *   has are extra restrictions and therefore fine;
 * - numbers, booleans and null only by an equal value.
 */
function scopeExcess(child: unknown, parent: unknown, path: string): string | undefined {
  if (parent === '*') return undefined;
  if (Array.isArray(parent) || Array.isArray(child)) {
    const parentItems = Array.isArray(parent) ? parent : [parent];
    const childItems = Array.isArray(child) ? child : [child];
    for (const [i, item] of childItems.entries()) {
      if (!parentItems.some((p) => scopeExcess(item, p, path) === undefined)) {
        return `${Array.isArray(child) ? `${path}[${i}]` : path} = ${JSON.stringify(item)} is not allowed by the parent (${JSON.stringify(parent)})`;
      }
    }
    return undefined;
  }
  if (typeof parent === 'string') {
    if (typeof child !== 'string') return `${path} = ${JSON.stringify(child)} where the parent allows ${JSON.stringify(parent)}`;
    if (child === parent) return undefined;
    if (parent.endsWith('*') && child.startsWith(parent.slice(0, -1))) return undefined;
    return `${path} = ${JSON.stringify(child)} is not within ${JSON.stringify(parent)}`;
  }
  if (typeof parent === 'object' && parent !== null) {
    if (typeof child !== 'object' || child === null) return `${path} = ${JSON.stringify(child)} where the parent has an object`;
    for (const [key, value] of Object.entries(parent)) {
      if (!(key in child)) return `${path}.${key} is unrestricted in the child but restricted in the parent`;
      const excess = scopeExcess((child as Record<string, unknown>)[key], value, `${path}.${key}`);
      if (excess) return excess;
    }
    return undefined;
  }
  return Object.is(child, parent) ? undefined : `${path} = ${JSON.stringify(child)} is not ${JSON.stringify(parent)}`;
}

/**
 * Is `jti` revoked, directly or through any ancestor? `parentOf` comes from the artifact itself for
 * the first step and from a lineage index (the audit log) beyond it. Cycles end the walk.
 */
export function revokedThroughLineage(
  jti: string,
  isRevoked: (jti: string) => boolean,
  parentOf: (jti: string) => string | undefined,
): { revoked: false } | { revoked: true; by: string; path: string[] } {
  const path: string[] = [];
  const seen = new Set<string>();
  for (let current: string | undefined = jti; current !== undefined && !seen.has(current); current = parentOf(current)) {
    seen.add(current);
    path.push(current);
    if (isRevoked(current)) return { revoked: true, by: current, path };
  }
  return { revoked: false };
}

/** Who issued what under whom, and what was revoked, as recorded in the audit log. */
export class LineageIndex {
  private readonly parents = new Map<string, string>();
  private readonly children = new Map<string, string[]>();
  private readonly revoked = new Set<string>();
  /** Every record that names each jti (decisions, outcomes, revocations). */
  readonly recordsOf = new Map<string, AuditRecord[]>();

  static fromRecords(records: Iterable<AuditRecord>): LineageIndex {
    const index = new LineageIndex();
    for (const r of records) index.add(r);
    return index;
  }

  add(record: AuditRecord): void {
    if (record.jti === undefined) return;
    const list = this.recordsOf.get(record.jti) ?? [];
    list.push(record);
    this.recordsOf.set(record.jti, list);
    if (record.kind === 'revocation') this.revoked.add(record.jti);
    if (record.parent !== undefined && !this.parents.has(record.jti)) {
      this.parents.set(record.jti, record.parent);
      const siblings = this.children.get(record.parent) ?? [];
      siblings.push(record.jti);
      this.children.set(record.parent, siblings);
    }
  }

  parentOf(jti: string): string | undefined {
    return this.parents.get(jti);
  }

  childrenOf(jti: string): string[] {
    return this.children.get(jti) ?? [];
  }

  isRevoked(jti: string): boolean {
    return revokedThroughLineage(jti, (j) => this.revoked.has(j), (j) => this.parents.get(j)).revoked;
  }

  /** Ancestors from the direct parent up to the root. */
  ancestors(jti: string): string[] {
    const out: string[] = [];
    const seen = new Set([jti]);
    for (let p = this.parents.get(jti); p !== undefined && !seen.has(p); p = this.parents.get(p)) {
      out.push(p);
      seen.add(p);
    }
    return out;
  }

  /** Every descendant, breadth first. */
  descendants(jti: string): string[] {
    const out: string[] = [];
    const seen = new Set([jti]);
    const queue = [...this.childrenOf(jti)];
    while (queue.length > 0) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      out.push(next);
      queue.push(...this.childrenOf(next));
    }
    return out;
  }

  /** Whether this jti appears in the log at all. */
  knows(jti: string): boolean {
    return this.recordsOf.has(jti) || this.children.has(jti);
  }
}
