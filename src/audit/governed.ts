// The governor with its audit log and lineage rules: every decision, allow or deny, is appended
// (durably) to the audit log before it is returned; a child artifact must attenuate its parent;
// a parent revoked anywhere up the line takes its descendants with it.
//
//   const governor = withAudit(await createGovernor({...}), await FileAuditStore.open('.govern/audit.log'));
//   const d = await governor.authorize(request);   // d is a denial AUDIT_UNAVAILABLE if the log cannot take it
import { recordJson, REASONS, type DecisionRecord, type GovernedDecision, type Governor, type ReasonCode } from '../evaluator/index.js';
import { canonicalJson, type JsonValue } from './canonical.js';
import { checkAttenuation, LINEAGE_VIOLATION, LineageIndex, revokedThroughLineage, type LineageClaims } from './lineage.js';
import type { AuditStore } from './store.js';

export const AUDIT_UNAVAILABLE = REASONS.AUDIT_UNAVAILABLE;

/** Anything that can say whether one jti is revoked (src/artifact's RevocationList fits). */
export interface RevocationSource {
  isRevoked(jti: string): Promise<boolean>;
}

export interface WithAuditOptions {
  /** Enforce attenuation for requests that carry a parent artifact (default true). */
  lineage?: boolean;
  /** Deny a request whose parent, or any ancestor known to the audit log, is revoked. */
  revocations?: RevocationSource;
  /** Keep the request itself in the audit record (default true): `govern replay` needs it. */
  recordRequest?: boolean;
  /** Where the decisions come from (bundle path, entrypoint), kept with each record for `govern replay`. */
  source?: { bundle?: string; entrypoint?: string };
}

/** The body of a decision record in the audit log. */
export interface DecisionAuditBody {
  record: DecisionRecord;
  /** The request as received (needed to replay the decision). */
  request?: JsonValue;
  /** The issued artifact's claims, on allow (not the token itself: it is a bearer credential). */
  claims?: JsonValue;
  /** The bundle path and entrypoint the governor used. */
  source?: { bundle?: string; entrypoint?: string };
}

/** Reads the (already signature-checked) claims of a compact JWS without verifying again. */
function payloadOf(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function lineageClaims(c: Record<string, unknown>): LineageClaims {
  return {
    jti: String(c.jti),
    parent: typeof c.parent_jti === 'string' ? c.parent_jti : undefined,
    scope: c.scope,
    exp: typeof c.exp === 'number' ? c.exp : undefined,
    nbf: typeof c.nbf === 'number' ? c.nbf : undefined,
  };
}

/** Turns a decision into a denial with `reason` (the artifact, if any, is dropped and never handed out). */
export function denyDecision(decision: GovernedDecision, reason: ReasonCode, detail: string): GovernedDecision {
  const record: DecisionRecord = { ...decision.record, decision: 'deny', allow: false, reasons: [reason], detail };
  return { allowed: false, record, recordJson: recordJson(record) };
}

/** The lineage index of a store's records (who was issued under whom, what was revoked in the log). */
export async function lineageIndexOf(store: Pick<AuditStore, 'read'>): Promise<LineageIndex> {
  return LineageIndex.fromRecords(await store.read());
}

/**
 * A revocation list that also answers "revoked" for every descendant of a revoked artifact: it walks
 * up the parents recorded in the audit log. Plug it into src/artifact's verifyArtifact({ revocations }).
 */
export function lineageRevocations(base: RevocationSource & { revoke?(jti: string): Promise<void> }, store: Pick<AuditStore, 'read'>) {
  return {
    async isRevoked(jti: string): Promise<boolean> {
      const index = await lineageIndexOf(store);
      const chain = [jti, ...index.ancestors(jti)];
      for (const id of chain) if ((await base.isRevoked(id)) || index.isRevoked(id)) return true;
      return false;
    },
    async revoke(jti: string): Promise<void> {
      if (!base.revoke) throw new Error('this revocation list cannot revoke');
      await base.revoke(jti);
    },
  };
}

export function withAudit(governor: Governor, store: AuditStore, options: WithAuditOptions = {}): Governor {
  const enforceLineage = options.lineage !== false;
  // Who was issued under whom: read from the log once, then kept up to date with our own appends;
  // re-read when a parent is not in it (issued by another process since).
  let index: LineageIndex | undefined;
  const lineageIndex = async (jti: string): Promise<LineageIndex> => {
    if (!index || !index.knows(jti)) index = await lineageIndexOf(store);
    return index;
  };

  async function checkLineage(request: unknown, decision: GovernedDecision): Promise<GovernedDecision> {
    if (!decision.allowed || !decision.claims || decision.claims.parent_jti === undefined) return decision;
    const parent = payloadOf((request as { parent?: unknown } | null)?.parent);
    if (!parent || parent.jti !== decision.claims.parent_jti) {
      return denyDecision(decision, LINEAGE_VIOLATION, 'the parent artifact named by the child could not be read');
    }
    const verdict = checkAttenuation(lineageClaims(decision.claims as unknown as Record<string, unknown>), lineageClaims(parent));
    if (!verdict.ok) return denyDecision(decision, LINEAGE_VIOLATION, verdict.reasons.join('; '));
    if (options.revocations) {
      const revocations = options.revocations;
      const lineage = await lineageIndex(String(parent.jti));
      const known = new Set<string>();
      for (const id of [String(parent.jti), ...lineage.ancestors(String(parent.jti))]) if (await revocations.isRevoked(id)) known.add(id);
      const hit = revokedThroughLineage(String(parent.jti), (id) => known.has(id) || lineage.isRevoked(id), (id) => lineage.parentOf(id));
      if (hit.revoked) return denyDecision(decision, REASONS.PARENT_INVALID, `the parent artifact's line is revoked (at ${hit.by})`);
    }
    return decision;
  }

  async function authorize(request: unknown): Promise<GovernedDecision> {
    let decision = await governor.authorize(request);
    if (enforceLineage) {
      try {
        decision = await checkLineage(request, decision);
      } catch (err) {
        decision = denyDecision(decision, LINEAGE_VIOLATION, `the lineage could not be checked: ${(err as Error).message}`);
      }
    }
    const body: DecisionAuditBody = { record: decision.record };
    if (options.recordRequest !== false && request !== undefined) {
      try {
        canonicalJson(request);
        body.request = request as JsonValue;
      } catch {
        // A request that is not JSON was denied as INPUT_INVALID; the denial is still logged.
      }
    }
    if (decision.claims) body.claims = decision.claims as unknown as JsonValue;
    if (options.source) body.source = options.source;
    try {
      const appended = await store.append({
        kind: 'decision',
        jti: decision.claims?.jti,
        parent: decision.record.parent_jti,
        body: body as unknown as JsonValue,
      });
      index?.add(appended);
    } catch (err) {
      // No record, no decision: an allow that cannot be proven later is not handed out.
      return denyDecision(decision, AUDIT_UNAVAILABLE, `the decision could not be written to the audit log: ${(err as Error).message}`);
    }
    return decision;
  }

  return {
    authorize,
    reload: () => governor.reload(),
    status: () => governor.status(),
    close: () => governor.close(),
  };
}
