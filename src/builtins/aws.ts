// providers.aws.sign_req: AWS Signature Version 4 for an http.send-style request object, as OPA
// computes it (request headers are signed as given, then the AWS headers are added).
import { createHash, createHmac } from 'node:crypto';
import { type BuiltinFamily, fail, isObject, num, obj } from './common.js';
import { goJson } from './encoding.js';

const IGNORED_HEADERS = new Set(['authorization', 'user-agent', 'x-amzn-trace-id']);

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function configString(config: Record<string, unknown>, key: string, required: boolean): string {
  const v = config[key];
  if (v === undefined) {
    if (required) fail(`invalid value for ${JSON.stringify(key)} in AWS config`);
    return '';
  }
  if (typeof v !== 'string') fail(`invalid value for ${JSON.stringify(key)} in AWS config`);
  return v;
}

/** Go's URL.EscapedPath for an absolute URL (WHATWG gives "/" for an empty path; Go gives ""). */
function escapedPath(url: string, parsed: URL): string {
  const afterHost = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '');
  if (afterHost === '' || afterHost.startsWith('?') || afterHost.startsWith('#')) return '';
  return parsed.pathname;
}

function signRequest(reqValue: unknown, configValue: unknown, timeNs: unknown): Record<string, unknown> {
  const req = obj(reqValue, 1);
  const config = obj(configValue, 2);
  const ns = num(timeNs, 3);
  const missing = ['method', 'url'].filter((k) => !(k in req));
  if (missing.length > 0) fail(`missing required request parameters(s): {${missing.map((k) => JSON.stringify(k)).join(', ')}}`);
  // OPA signs the method as written (not upper-cased)
  const method = String(req.method);
  const url = String(req.url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`invalid url ${JSON.stringify(url)}`);
  }
  const accessKey = configString(config, 'aws_access_key', true);
  const secretKey = configString(config, 'aws_secret_access_key', true);
  const service = configString(config, 'aws_service', true);
  const region = configString(config, 'aws_region', true);
  const sessionToken = configString(config, 'aws_session_token', false);
  const unsigned = config.disable_payload_signing === true;

  let body: Buffer = Buffer.alloc(0);
  if (typeof req.raw_body === 'string') body = Buffer.from(req.raw_body, 'utf8');
  else if (req.body !== undefined && req.body !== null) body = Buffer.from(goJson(req.body), 'utf8');
  const contentSha256 = unsigned ? 'UNSIGNED-PAYLOAD' : sha256Hex(body);

  const date = new Date(Math.floor(ns / 1e6));
  const iso = date.toISOString();
  const amzDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const day = amzDate.slice(0, 8);

  const awsHeaders: Record<string, string> = { host: parsed.host, 'x-amz-date': amzDate };
  if (service === 's3' || service === 'glacier') awsHeaders['x-amz-content-sha256'] = contentSha256;
  if (sessionToken !== '') awsHeaders['x-amz-security-token'] = sessionToken;

  const requestHeaders = isObject(req.headers) ? req.headers : {};
  const toSign: Record<string, string> = { ...awsHeaders };
  for (const [k, v] of Object.entries(requestHeaders)) {
    const lower = k.toLowerCase();
    if (!IGNORED_HEADERS.has(lower)) toSign[lower] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  const keys = Object.keys(toSign).sort();
  const signedHeaders = keys.join(';');
  const canonical = [
    method,
    escapedPath(url, parsed),
    parsed.search.replace(/^\?/, ''),
    ...keys.map((k) => `${k}:${toSign[k]}`),
    '',
    signedHeaders,
    contentSha256,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key = hmac(`AWS4${secretKey}`, day);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const signature = hmac(key, stringToSign).toString('hex');

  const headers: Record<string, unknown> = { ...requestHeaders, ...awsHeaders };
  headers.Authorization = `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { ...req, headers };
}

export const awsBuiltins: BuiltinFamily = {
  'providers.aws.sign_req': (_ctx, req, config, time) => signRequest(req, config, time),
};
