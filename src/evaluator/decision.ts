// Reading the policy's answer, and the protected header of the artifact an allow gets.
import type { JsonValue } from './canonical.js';
import { ARTIFACT_TYPE } from './issue.js';
import { REASONS, type ReasonCode } from './reasons.js';

export interface Interpretation {
  allow: boolean;
  reason: ReasonCode;
  detail?: string;
  result?: JsonValue;
  scope?: string[];
}

/** Reads the entrypoint's result set the fail-closed way. */
export function interpretResultSet(resultSet: unknown): Interpretation {
  if (!Array.isArray(resultSet)) return { allow: false, reason: REASONS.DECISION_INVALID, detail: 'the policy returned no result set' };
  if (resultSet.length === 0) return { allow: false, reason: REASONS.DECISION_UNDEFINED, detail: 'the decision is undefined' };
  if (resultSet.length > 1) return { allow: false, reason: REASONS.DECISION_INVALID, detail: 'the policy returned more than one result' };
  const entry = resultSet[0] as Record<string, unknown> | null;
  if (typeof entry !== 'object' || entry === null || !('result' in entry)) {
    return { allow: false, reason: REASONS.DECISION_INVALID, detail: 'the result set entry has no result' };
  }
  const value = entry.result as JsonValue;
  if (value === true) return { allow: true, reason: REASONS.ALLOWED, result: value };
  if (value === false) return { allow: false, reason: REASONS.POLICY_DENIED, detail: 'the policy denied the request', result: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'allow' in value) {
    if (value.allow === true) {
      const scope = value.scope;
      const granted = typeof scope === 'string' ? [scope] : Array.isArray(scope) && scope.every((s) => typeof s === 'string') ? (scope as string[]) : undefined;
      return granted ? { allow: true, reason: REASONS.ALLOWED, result: value, scope: granted } : { allow: true, reason: REASONS.ALLOWED, result: value };
    }
    if (value.allow === false) return { allow: false, reason: REASONS.POLICY_DENIED, detail: 'the policy denied the request', result: value };
    return { allow: false, reason: REASONS.DECISION_INVALID, detail: 'the decision\'s "allow" is not a boolean', result: value };
  }
  return { allow: false, reason: REASONS.DECISION_INVALID, detail: 'the decision is neither a boolean nor an object with a boolean "allow"', result: value };
}

/** The base64url JWS protected header of an artifact signed with `alg` (and `kid`). */
export function artifactHeader(alg: string, kid: string | undefined): string {
  const header: Record<string, unknown> = { alg, typ: ARTIFACT_TYPE };
  if (kid !== undefined) header.kid = kid;
  return Buffer.from(JSON.stringify(header)).toString('base64url');
}
