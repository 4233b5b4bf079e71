// The request envelope an autonomous system sends before it acts. It is validated strictly: an
// unknown field, a wrong type or an oversized request is a denial (INPUT_INVALID), never a guess.
import { canonicalize, NotJsonError, type JsonValue } from './canonical.js';

export interface Subject {
  /** Who initiates the action (an agent, a service, a person). */
  id: string;
  [key: string]: JsonValue;
}

export interface AuthorizationRequest {
  subject: Subject;
  /** What is about to happen, e.g. `shell.exec`, `http.request`, `payment.create`. */
  action: string;
  /** What it happens to, e.g. a command name, a URL, an account. */
  resource: string;
  /** The exact arguments of the action (bound into the artifact by digest). */
  args?: { [key: string]: JsonValue };
  /** Facts about the situation (environment, approvals, classification…). */
  context?: { [key: string]: JsonValue };
  /** The compact JWS of the artifact that delegated this action, if any. */
  parent?: string;
  /**
   * The artifact lifetime asked for, in seconds (at most the governor's TTL). Without it a child
   * artifact's expiry is capped at its parent's; with it, a child that would outlive its parent is
   * denied LINEAGE_VIOLATION.
   */
  ttl_seconds?: number;
}

/** The request as the policy sees it (`input`) — args and context always present. */
export interface NormalizedRequest {
  subject: Subject;
  action: string;
  resource: string;
  args: { [key: string]: JsonValue };
  context: { [key: string]: JsonValue };
  parent?: string;
  ttl_seconds?: number;
}

export type RequestCheck =
  | { ok: true; request: NormalizedRequest; canonical: string; /** The canonical JSON of args alone. */ argsCanonical: string }
  | { ok: false; problem: string };

const FIELDS = new Set(['subject', 'action', 'resource', 'args', 'context', 'parent', 'ttl_seconds']);
const MAX_NAME = 1024;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function validateRequest(raw: unknown, maxBytes = 1 << 20): RequestCheck {
  if (!isObject(raw)) return { ok: false, problem: 'the request must be a JSON object' };
  for (const key of Object.keys(raw)) {
    if (!FIELDS.has(key)) return { ok: false, problem: `unknown field "${key}"` };
  }
  const { subject, action, resource, args, context, parent, ttl_seconds: ttlSeconds } = raw;
  if (!isObject(subject)) return { ok: false, problem: 'subject must be an object with an "id"' };
  if (typeof subject.id !== 'string' || subject.id.length === 0 || subject.id.length > MAX_NAME) {
    return { ok: false, problem: 'subject.id must be a non-empty string' };
  }
  if (typeof action !== 'string' || action.length === 0 || action.length > MAX_NAME) {
    return { ok: false, problem: 'action must be a non-empty string' };
  }
  if (typeof resource !== 'string' || resource.length === 0) {
    return { ok: false, problem: 'resource must be a non-empty string' };
  }
  if (args !== undefined && !isObject(args)) return { ok: false, problem: 'args must be an object' };
  if (context !== undefined && !isObject(context)) return { ok: false, problem: 'context must be an object' };
  if (parent !== undefined && (typeof parent !== 'string' || !COMPACT_JWS.test(parent))) {
    return { ok: false, problem: 'parent must be a compact JWS (the parent artifact)' };
  }
  if (ttlSeconds !== undefined && (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0)) {
    return { ok: false, problem: 'ttl_seconds must be a positive integer' };
  }
  const request: NormalizedRequest = {
    subject: subject as Subject,
    action,
    resource,
    args: (args ?? {}) as NormalizedRequest['args'],
    context: (context ?? {}) as NormalizedRequest['context'],
  };
  if (parent !== undefined) request.parent = parent;
  if (ttlSeconds !== undefined) request.ttl_seconds = ttlSeconds;
  let canonical: string;
  let argsCanonical: string;
  try {
    // The request's canonical JSON assembled from its members (keys in RFC 8785 order), so the
    // args' canonical JSON (digested into the artifact) is computed once.
    const depth = 127; // one level below the request
    argsCanonical = canonicalize(request.args, depth);
    canonical =
      `{"action":${canonicalize(request.action)},"args":${argsCanonical},"context":${canonicalize(request.context, depth)},` +
      (request.parent !== undefined ? `"parent":${canonicalize(request.parent)},` : '') +
      `"resource":${canonicalize(request.resource)},"subject":${canonicalize(request.subject, depth)}` +
      (request.ttl_seconds !== undefined ? `,"ttl_seconds":${request.ttl_seconds}` : '') +
      '}';
  } catch (err) {
    if (err instanceof NotJsonError || err instanceof RangeError) return { ok: false, problem: err.message };
    throw err;
  }
  if (canonical.length > maxBytes || Buffer.byteLength(canonical) > maxBytes) {
    return { ok: false, problem: `the request is larger than ${maxBytes} bytes` };
  }
  return { ok: true, request, canonical, argsCanonical };
}
