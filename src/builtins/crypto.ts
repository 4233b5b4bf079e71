// crypto.*: digests, HMACs and X.509 / key parsing with node:crypto. Certificates are returned as
// objects with the field names of Go's x509.Certificate that policies use (Subject, Issuer,
// DNSNames, URIStrings, NotBefore, …), since OPA returns Go's JSON for them.
import {
  X509Certificate,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { type BuiltinContext, type BuiltinFamily, exactInteger, fail, str } from './common.js';
import { decodeBase64Go } from './encoding.js';

// --- a small DER reader, enough for names and certificate requests ------------------------

interface Tlv {
  tag: number;
  /** offset of the value */
  start: number;
  /** offset after the value */
  end: number;
  /** offset of the tag byte */
  offset: number;
}

function readTlv(buf: Uint8Array, offset: number): Tlv {
  if (offset + 2 > buf.length) fail('asn1: syntax error: data truncated');
  const tag = buf[offset]!;
  let len = buf[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) fail('asn1: syntax error: invalid length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    start += n;
  }
  if (start + len > buf.length) fail('asn1: syntax error: data truncated');
  return { tag, start, end: start + len, offset };
}

function children(buf: Uint8Array, tlv: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = tlv.start; p < tlv.end; ) {
    const c = readTlv(buf, p);
    out.push(c);
    p = c.end;
  }
  return out;
}

function oidString(bytes: Uint8Array): number[] {
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if (!(bytes[i]! & 0x80)) {
      if (parts.length === 0) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts;
}

const NAME_FIELDS: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
};

/** A pkix.Name as Go marshals it. */
function parseName(buf: Uint8Array, name: Tlv): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: [] as unknown[],
    ExtraNames: null,
  };
  for (const set of children(buf, name)) {
    for (const attr of children(buf, set)) {
      const [oidTlv, valueTlv] = children(buf, attr);
      if (!oidTlv || !valueTlv) continue;
      const oid = oidString(buf.subarray(oidTlv.start, oidTlv.end));
      const value = Buffer.from(buf.subarray(valueTlv.start, valueTlv.end)).toString(valueTlv.tag === 0x1e ? 'utf16le' : 'utf8');
      (out.Names as unknown[]).push({ Type: oid, Value: value });
      const key = oid.join('.');
      if (key === '2.5.4.3') out.CommonName = value;
      else if (key === '2.5.4.5') out.SerialNumber = value;
      else if (NAME_FIELDS[key]) ((out[NAME_FIELDS[key]] as string[] | null) ?? (out[NAME_FIELDS[key]] = []) as string[]).push(value);
    }
  }
  return out;
}

// --- loading certificates and keys -----------------------------------------------------------

function pemBlocks(text: string): { type: string; der: Uint8Array }[] {
  const out: { type: string; der: Uint8Array }[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const m of text.matchAll(re)) {
    const body = m[2]!.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, '');
    out.push({ type: m[1]!, der: decodeBase64Go(body, 'std', true) });
  }
  return out;
}

/** PEM text, base64 of PEM, or base64 of DER: OPA accepts all three. */
function loadDerBlocks(input: string, wantedType: string): Uint8Array[] {
  let text: string | undefined;
  let der: Uint8Array | undefined;
  if (input.startsWith('-----BEGIN')) text = input;
  else {
    const decoded = decodeBase64Go(input, 'std', true);
    const asText = Buffer.from(decoded).toString('latin1');
    if (asText.startsWith('-----BEGIN')) text = asText;
    else der = decoded;
  }
  if (text !== undefined) {
    const blocks = pemBlocks(text).filter((b) => b.type === wantedType);
    if (blocks.length === 0) fail(`failed to find a PEM ${wantedType.toLowerCase()} block`);
    return blocks.map((b) => b.der);
  }
  // concatenated DER structures
  const out: Uint8Array[] = [];
  for (let p = 0; p < der!.length; ) {
    let tlv: Tlv;
    try {
      tlv = readTlv(der!, p);
    } catch {
      fail('x509: malformed certificate');
    }
    if (tlv.tag !== 0x30) fail('x509: malformed certificate');
    out.push(der!.subarray(p, tlv.end));
    p = tlv.end;
  }
  return out;
}

function loadCertificates(input: string): X509Certificate[] {
  return loadDerBlocks(input, 'CERTIFICATE').map((der) => {
    try {
      return new X509Certificate(der);
    } catch {
      fail('x509: malformed certificate');
    }
  });
}

const PUBLIC_KEY_ALGORITHMS: Record<string, number> = { rsa: 1, dsa: 2, ec: 3, ed25519: 4 };

function goTime(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

function certificateObject(cert: X509Certificate): Record<string, unknown> {
  const der = cert.raw;
  const top = readTlv(der, 0);
  const [tbs] = children(der, top);
  const fields = children(der, tbs!);
  // TBSCertificate: [0] version?, serial, sigAlg, issuer, validity, subject, spki, …
  const base = fields[0]!.tag === 0xa0 ? 1 : 0;
  const version = base ? der[children(der, fields[0]!)[0]!.end - 1]! + 1 : 1;
  const issuer = parseName(der, fields[base + 2]!);
  const subject = parseName(der, fields[base + 4]!);
  const spki = fields[base + 5]!;
  const sans = (cert.subjectAltName ?? '').split(/,\s*/).filter((s) => s !== '');
  const pick = (prefix: string) => {
    const list = sans.filter((s) => s.startsWith(prefix)).map((s) => s.slice(prefix.length));
    return list.length > 0 ? list : null;
  };
  const uris = pick('URI:');
  return {
    Raw: Buffer.from(der).toString('base64'),
    RawTBSCertificate: Buffer.from(der.subarray(tbs!.offset, tbs!.end)).toString('base64'),
    RawSubjectPublicKeyInfo: Buffer.from(der.subarray(spki.offset, spki.end)).toString('base64'),
    Version: version,
    SerialNumber: exactInteger(BigInt(`0x${cert.serialNumber}`)),
    Issuer: issuer,
    Subject: subject,
    NotBefore: goTime(new Date(cert.validFrom)),
    NotAfter: goTime(new Date(cert.validTo)),
    PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[cert.publicKey.asymmetricKeyType ?? ''] ?? 0,
    IsCA: cert.ca,
    BasicConstraintsValid: cert.ca,
    DNSNames: pick('DNS:'),
    EmailAddresses: pick('email:'),
    IPAddresses: pick('IP Address:'),
    URIs: uris,
    URIStrings: uris,
  };
}

function parseCertificateRequest(input: string): Record<string, unknown> {
  const [der] = loadDerBlocks(input, 'CERTIFICATE REQUEST');
  try {
    const top = readTlv(der!, 0);
    const [info, sigAlg] = children(der!, top);
    const [versionTlv, subjectTlv, spki] = children(der!, info!);
    const publicKey = createPublicKey({ key: Buffer.from(der!.subarray(spki!.offset, spki!.end)), format: 'der', type: 'spki' });
    void sigAlg;
    return {
      Raw: Buffer.from(der!).toString('base64'),
      Version: der![versionTlv!.end - 1],
      Subject: parseName(der!, subjectTlv!),
      PublicKeyAlgorithm: PUBLIC_KEY_ALGORITHMS[publicKey.asymmetricKeyType ?? ''] ?? 0,
      PublicKey: publicKey.export({ format: 'jwk' }),
    };
  } catch (error) {
    if ((error as Error).name === 'BuiltinError') throw error;
    fail('x509: malformed certificate request');
  }
}

function loadPrivateKey(input: string): KeyObject {
  try {
    if (input.startsWith('-----BEGIN')) return createPrivateKey(input);
    const decoded = decodeBase64Go(input, 'std', true);
    const text = Buffer.from(decoded).toString('latin1');
    if (text.startsWith('-----BEGIN')) return createPrivateKey(text);
    for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
      try {
        return createPrivateKey({ key: Buffer.from(decoded), format: 'der', type });
      } catch {
        /* try the next encoding */
      }
    }
    fail('failed to parse private key');
  } catch (error) {
    if ((error as Error).name === 'BuiltinError') throw error;
    fail(`failed to parse private key: ${(error as Error).message}`);
  }
}

/** Chain check: certs[0] is the root, each later certificate is issued by the one before it. */
function verifyChain(ctx: BuiltinContext, certs: X509Certificate[], options: { nowMs?: number; dnsName?: string } = {}): boolean {
  if (certs.length < 2) return false;
  const now = options.nowMs ?? Number(ctx.now() / 1_000_000n);
  if (options.dnsName !== undefined && certs.at(-1)!.checkHost(options.dnsName) === undefined) return false;
  for (let i = 0; i < certs.length; i++) {
    const cert = certs[i]!;
    const issuer = certs[Math.max(0, i - 1)]!;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
    if (i < certs.length - 1 && !cert.ca) return false;
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return false;
  }
  return true;
}

function hmac(alg: string) {
  return (_ctx: BuiltinContext, message: unknown, key: unknown) =>
    createHmac(alg, Buffer.from(str(key, 2), 'utf8')).update(str(message, 1), 'utf8').digest('hex');
}

function digest(alg: string) {
  return (_ctx: BuiltinContext, message: unknown) => createHash(alg).update(str(message, 1), 'utf8').digest('hex');
}

export const cryptoBuiltins: BuiltinFamily = {
  'crypto.md5': digest('md5'),
  'crypto.sha1': digest('sha1'),
  'crypto.sha256': digest('sha256'),
  'crypto.hmac.md5': hmac('md5'),
  'crypto.hmac.sha1': hmac('sha1'),
  'crypto.hmac.sha256': hmac('sha256'),
  'crypto.hmac.sha512': hmac('sha512'),
  'crypto.hmac.equal': (_ctx, a, b) => {
    const x = Buffer.from(str(a, 1), 'utf8');
    const y = Buffer.from(str(b, 2), 'utf8');
    return x.length === y.length && timingSafeEqual(x, y);
  },
  'crypto.x509.parse_certificates': (_ctx, certs) => loadCertificates(str(certs, 1)).map(certificateObject),
  'crypto.x509.parse_and_verify_certificates': (ctx, certs) => {
    const parsed = loadCertificates(str(certs, 1));
    return verifyChain(ctx, parsed) ? [true, parsed.map(certificateObject)] : [false, []];
  },
  'crypto.x509.parse_and_verify_certificates_with_options': (ctx, certs, optionsValue) => {
    const parsed = loadCertificates(str(certs, 1));
    const options = typeof optionsValue === 'object' && optionsValue !== null && !Array.isArray(optionsValue) ? (optionsValue as Record<string, unknown>) : {};
    const verifyOptions: { nowMs?: number; dnsName?: string } = {};
    for (const [k, v] of Object.entries(options)) {
      if (k === 'DNSName' && typeof v === 'string') verifyOptions.dnsName = v;
      else if (k === 'CurrentTime' && typeof v === 'number') verifyOptions.nowMs = v / 1e6;
      else if (k !== 'MaxConstraintComparisons' && k !== 'KeyUsages') fail(`invalid key option: ${k}`);
    }
    return verifyChain(ctx, parsed, verifyOptions) ? [true, parsed.map(certificateObject)] : [false, []];
  },
  'crypto.x509.parse_certificate_request': (_ctx, csr) => parseCertificateRequest(str(csr, 1)),
  'crypto.x509.parse_keypair': (_ctx, certInput, keyInput) => {
    const certs = loadCertificates(str(certInput, 1));
    const key = loadPrivateKey(str(keyInput, 2));
    const leaf = certs[0]!;
    if (!leaf.checkPrivateKey(key)) fail('tls: private key does not match public key');
    return { Certificate: certs.map((c) => Buffer.from(c.raw).toString('base64')), PrivateKey: key.export({ format: 'jwk' }), Leaf: null };
  },
  'crypto.x509.parse_rsa_private_key': (_ctx, input) => {
    const key = loadPrivateKey(str(input, 1));
    if (key.asymmetricKeyType !== 'rsa') fail('x509: failed to parse RSA private key');
    return key.export({ format: 'jwk' });
  },
  'crypto.parse_private_keys': (_ctx, input) => {
    const s = str(input, 1);
    if (s === '') return [];
    let text = s;
    if (!s.startsWith('-----BEGIN')) text = Buffer.from(decodeBase64Go(s, 'std', true)).toString('latin1');
    const out: unknown[] = [];
    for (const m of text.matchAll(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?-----END \1-----/g)) {
      out.push(loadPrivateKey(m[0]).export({ format: 'jwk' }));
    }
    return out;
  },
};
