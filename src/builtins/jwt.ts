// io.jwt.*: decoding, signature verification and signing of JWS compact tokens with node:crypto,
// following OPA's checks, order of checks and error messages.
import {
  X509Certificate,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  timingSafeEqual,
  constants,
  type KeyObject,
} from 'node:crypto';
import { type BuiltinContext, type BuiltinFamily, fail, isObject, obj, str, typeName, typeFail } from './common.js';
import { decodeBase64Go, encodeBase64, goJson } from './encoding.js';

interface Algorithm {
  hash: 'sha256' | 'sha384' | 'sha512' | null;
  kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa';
}

const ALGORITHMS: Record<string, Algorithm> = {
  HS256: { hash: 'sha256', kind: 'hmac' },
  HS384: { hash: 'sha384', kind: 'hmac' },
  HS512: { hash: 'sha512', kind: 'hmac' },
  RS256: { hash: 'sha256', kind: 'rsa' },
  RS384: { hash: 'sha384', kind: 'rsa' },
  RS512: { hash: 'sha512', kind: 'rsa' },
  PS256: { hash: 'sha256', kind: 'pss' },
  PS384: { hash: 'sha384', kind: 'pss' },
  PS512: { hash: 'sha512', kind: 'pss' },
  ES256: { hash: 'sha256', kind: 'ecdsa' },
  ES384: { hash: 'sha384', kind: 'ecdsa' },
  ES512: { hash: 'sha512', kind: 'ecdsa' },
  EdDSA: { hash: null, kind: 'eddsa' },
};

interface Token {
  header: string;
  payload: string;
  signature: string;
}

function splitToken(value: unknown): Token {
  const s = str(value, 1);
  if (!s.includes('.')) fail('encoded JWT had no period separators');
  const parts = s.split('.');
  if (parts.length !== 3) fail(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0]!, payload: parts[1]!, signature: parts[2]! };
}

function b64(part: string): Uint8Array {
  return decodeBase64Go(part, 'url', false);
}

function jsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail(`${what}${(error as Error).message}`);
  }
  if (!isObject(value)) fail('decoded JSON type is not an Object');
  return value;
}

function decodeHeader(token: Token): Record<string, unknown> {
  let raw: Uint8Array;
  try {
    raw = b64(token.header);
  } catch (error) {
    fail(`JWT header had invalid encoding: ${(error as Error).message}`);
  }
  const header = jsonObject(Buffer.from(raw).toString('utf8'), 'bad JWT header: ');
  if ('enc' in header) fail('JWT is a JWE object, which is not supported');
  return header;
}

function decodePayloadText(token: Token): string {
  try {
    return Buffer.from(b64(token.payload)).toString('utf8');
  } catch (error) {
    fail(`JWT payload had invalid encoding: ${(error as Error).message}`);
  }
}

function decodeSignature(token: Token): Uint8Array {
  try {
    return b64(token.signature);
  } catch (error) {
    fail(`JWT signature had invalid encoding: ${(error as Error).message}`);
  }
}

/** A nested token's payload is the inner token, sometimes JSON-quoted. */
function unquote(s: string): string {
  return s.replace(/^"+|"+$/g, '');
}

function decode(jwt: unknown): unknown[] {
  let token = splitToken(jwt);
  for (;;) {
    const header = decodeHeader(token);
    const payloadText = decodePayloadText(token);
    if (header.cty === 'JWT') {
      token = splitToken(unquote(payloadText));
      continue;
    }
    const payload = jsonObject(payloadText, '');
    const signature = decodeSignature(token);
    return [header, payload, Buffer.from(signature).toString('hex')];
  }
}

// --- keys ----------------------------------------------------------------------------------

interface VerificationKey {
  key: KeyObject;
  alg?: string;
  kid?: string;
}

/** A PEM certificate or public key, or a JWK / JWK set (JSON text). */
function verificationKeys(text: string): VerificationKey[] {
  const pem = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/.exec(text);
  if (pem) {
    if (text.slice(pem.index + pem[0].length).trim() !== '') fail('extra data after a PEM certificate block');
    try {
      if (pem[1] === 'CERTIFICATE') return [{ key: new X509Certificate(pem[0]).publicKey }];
      if (pem[1] === 'PUBLIC KEY' || pem[1] === 'RSA PUBLIC KEY') return [{ key: createPublicKey(pem[0]) }];
    } catch {
      fail('failed to parse a PEM certificate');
    }
    fail('failed to extract a Key from the PEM certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`failed to parse a JWK key (set): ${(error as Error).message}`);
  }
  const jwks = isObject(parsed) && Array.isArray(parsed.keys) ? parsed.keys : [parsed];
  return jwks.map((jwk) => {
    if (!isObject(jwk)) fail('failed to parse a JWK key (set): invalid key');
    return { key: jwkKey(jwk, false), alg: typeof jwk.alg === 'string' ? jwk.alg : undefined, kid: typeof jwk.kid === 'string' ? jwk.kid : undefined };
  });
}

function jwkKey(jwk: Record<string, unknown>, wantPrivate: boolean): KeyObject {
  try {
    if (jwk.kty === 'oct') return createSecretKey(Buffer.from(b64(String(jwk.k ?? ''))));
    const input = { key: jwk as any, format: 'jwk' as const };
    return wantPrivate ? createPrivateKey(input) : createPublicKey(input);
  } catch (error) {
    if ((error as Error).name === 'BuiltinError') throw error;
    fail(`failed to parse a JWK key (set): ${(error as Error).message}`);
  }
}

function verifySignature(alg: Algorithm, key: KeyObject | Uint8Array, data: string, signature: Uint8Array): boolean {
  try {
    if (alg.kind === 'hmac') {
      const secret = key instanceof Uint8Array ? key : key.export();
      const mac = createHmac(alg.hash!, secret).update(data).digest();
      return mac.length === signature.length && timingSafeEqual(mac, signature);
    }
    if (key instanceof Uint8Array) return false;
    if (alg.kind === 'eddsa') return cryptoVerify(null, Buffer.from(data), key, signature);
    if (alg.kind === 'ecdsa') return cryptoVerify(alg.hash, Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg.kind === 'pss') {
      return cryptoVerify(alg.hash, Buffer.from(data), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    }
    return cryptoVerify(alg.hash, Buffer.from(data), { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}

/** io.jwt.verify_<alg>: signature check only, with a certificate/public key/JWK(S) or a secret. */
function verifyWith(algName: string) {
  const alg = ALGORITHMS[algName]!;
  return (_ctx: BuiltinContext, jwt: unknown, keyText: unknown): boolean => {
    const token = splitToken(jwt);
    const text = str(keyText, 2);
    const data = `${token.header}.${token.payload}`;
    if (alg.kind === 'hmac') {
      return verifySignature(alg, Buffer.from(text, 'utf8'), data, decodeSignature(token));
    }
    const keys = verificationKeys(text);
    const signature = decodeSignature(token);
    const header = decodeHeader(token);
    const kid = typeof header.kid === 'string' ? header.kid : '';
    if (kid !== '') {
      const byKid = keys.find((k) => k.kid === kid);
      if (byKid) return verifySignature(alg, byKid.key, data, signature);
    }
    return keys.some((k) => (k.alg === undefined || k.alg === algName) && verifySignature(alg, k.key, data, signature));
  };
}

// --- decode_verify -------------------------------------------------------------------------

interface Constraints {
  keys?: VerificationKey[];
  secret?: string;
  alg?: string;
  iss?: string;
  aud?: string;
  time: number;
}

function parseConstraints(ctx: BuiltinContext, value: unknown): Constraints {
  const o = obj(value, 2);
  const c: Constraints = { time: Number(ctx.now()) };
  for (const [k, v] of Object.entries(o)) {
    switch (k) {
      case 'cert':
        c.keys = verificationKeys(str(v, 2));
        break;
      case 'secret':
        c.secret = str(v, 2);
        break;
      case 'alg':
        c.alg = str(v, 2);
        break;
      case 'iss':
        c.iss = str(v, 2);
        break;
      case 'aud':
        c.aud = str(v, 2);
        break;
      case 'time':
        if (typeof v !== 'number') typeFail(`operand 2 must be number but got ${typeName(v)}`);
        c.time = v as number;
        break;
      default:
        fail(`unknown token validation constraint: ${k}`);
    }
  }
  const keyCount = (c.keys ? 1 : 0) + (c.secret ? 1 : 0);
  if (keyCount > 1) fail('duplicate key constraints');
  if (keyCount < 1) fail('no key constraint');
  return c;
}

function decodeVerify(ctx: BuiltinContext, jwt: unknown, constraintsValue: unknown): unknown[] {
  const unverified = [false, {}, {}];
  const constraints = parseConstraints(ctx, constraintsValue);
  let token = splitToken(jwt);
  let header: Record<string, unknown>;
  let payloadText: string;
  for (;;) {
    header = decodeHeader(token);
    const algName = typeof header.alg === 'string' ? header.alg : '';
    if (algName === '') return unverified;
    // RFC 7515 4.1.11: a critical extension we do not understand (we understand none) invalidates it
    if (Array.isArray(header.crit) && header.crit.length > 0) return unverified;
    if (constraints.alg !== undefined && constraints.alg !== algName) return unverified;
    const signature = decodeSignature(token);
    const alg = ALGORITHMS[algName];
    if (!alg) fail(`unknown JWS algorithm: ${algName}`);
    const data = `${token.header}.${token.payload}`;
    let verified = false;
    if (constraints.keys) {
      const kid = typeof header.kid === 'string' ? header.kid : '';
      const byKid = kid !== '' ? constraints.keys.find((k) => k.kid === kid) : undefined;
      if (byKid) verified = verifySignature(alg, byKid.key, data, signature);
      else verified = constraints.keys.some((k) => (k.alg === undefined || k.alg === algName) && verifySignature(alg, k.key, data, signature));
    } else {
      verified = alg.kind === 'hmac' && verifySignature(alg, Buffer.from(constraints.secret!, 'utf8'), data, signature);
    }
    if (!verified) return unverified;
    payloadText = decodePayloadText(token);
    if (typeof header.cty === 'string' && header.cty.toUpperCase() === 'JWT') {
      token = splitToken(unquote(payloadText));
      continue;
    }
    break;
  }
  const payload = jsonObject(payloadText, '');
  if (constraints.iss !== undefined && payload.iss !== constraints.iss) return unverified;
  if ('aud' in payload) {
    const aud = payload.aud;
    const ok =
      constraints.aud !== undefined &&
      (aud === constraints.aud || (Array.isArray(aud) && aud.some((a) => a === constraints.aud)));
    if (!ok) return unverified;
  } else if (constraints.aud !== undefined) return unverified;
  const nowSeconds = constraints.time / 1e9;
  if ('exp' in payload) {
    if (typeof payload.exp !== 'number') fail('exp value must be a number');
    if (nowSeconds >= payload.exp) return unverified;
  }
  if ('nbf' in payload) {
    if (typeof payload.nbf !== 'number') fail('nbf value must be a number');
    if (nowSeconds < payload.nbf) return unverified;
  }
  return [true, header, payload];
}

// --- signing -------------------------------------------------------------------------------

function signingKey(jwkText: string): { key: KeyObject; kty: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwkText);
  } catch (error) {
    fail(`failed to parse a JWK key (set): ${(error as Error).message}`);
  }
  const jwk = isObject(parsed) && Array.isArray(parsed.keys) ? parsed.keys[0] : parsed;
  if (!isObject(jwk)) fail('failed to parse a JWK key (set): invalid key');
  return { key: jwkKey(jwk, true), kty: String(jwk.kty) };
}

/** Go's json.Unmarshal error wording for the first character that cannot start a value. */
function headerJsonError(text: string): never {
  if (text.trim() === '') fail("missing or invalid 'alg' header: cannot parse JSON: cannot parse empty string");
  const first = text.trim()[0]!;
  if (!/[{["0-9tfn-]/.test(first)) fail(`invalid character '${first}' looking for beginning of value`);
  fail("missing or invalid 'alg' header: cannot parse JSON");
}

function encodeSignRaw(headerText: string, payloadText: string, jwkText: string): string {
  const { key } = signingKey(jwkText);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch {
    headerJsonError(headerText);
  }
  if (!isObject(header)) headerJsonError(headerText);
  if (header.alg === undefined || header.alg === '') fail('unsupported signature algorithm');
  const algName = String(header.alg);
  const alg = ALGORITHMS[algName];
  if (!alg) fail(`unknown JWS algorithm: ${algName}`);
  if (header.typ === undefined || header.typ === '' || header.typ === 'JWT') {
    try {
      JSON.parse(payloadText);
    } catch {
      fail('type is JWT but payload is not JSON');
    }
  }
  const data = `${encodeBase64(headerText, true, false)}.${encodeBase64(payloadText, true, false)}`;
  let signature: Buffer;
  try {
    if (alg.kind === 'hmac') signature = createHmac(alg.hash!, key.export()).update(data).digest();
    else if (alg.kind === 'eddsa') signature = cryptoSign(null, Buffer.from(data), key);
    else if (alg.kind === 'ecdsa') signature = cryptoSign(alg.hash, Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
    else if (alg.kind === 'pss') {
      signature = cryptoSign(alg.hash, Buffer.from(data), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    } else signature = cryptoSign(alg.hash, Buffer.from(data), { key, padding: constants.RSA_PKCS1_PADDING });
  } catch (error) {
    fail(`failed to sign payload: ${(error as Error).message}`);
  }
  return `${data}.${encodeBase64(signature, true, false)}`;
}

export const jwtBuiltins: BuiltinFamily = {
  'io.jwt.decode': (_ctx, jwt) => decode(jwt),
  'io.jwt.decode_verify': (ctx, jwt, constraints) => decodeVerify(ctx, jwt, constraints),
  ...Object.fromEntries(Object.keys(ALGORITHMS).map((name) => [`io.jwt.verify_${name.toLowerCase()}`, verifyWith(name)])),
  'io.jwt.encode_sign_raw': (_ctx, header, payload, key) => encodeSignRaw(str(header, 1), str(payload, 2), str(key, 3)),
  'io.jwt.encode_sign': (_ctx, header, payload, key) =>
    encodeSignRaw(goJson(obj(header, 1)), goJson(obj(payload, 2)), goJson(obj(key, 3))),
};
