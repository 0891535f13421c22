// X.509 building blocks for the cluster PKI: create a CA, sign leaf certificates with it,
// and inspect existing certificates (issuer, key match, expiry, SANs).
//
// Keys are ECDSA P-256 made with Node's WebCrypto; certificates are built by @peculiar/x509.
// Everything here works on PEM strings and has no file-system side effects (pki.ts owns
// the files).

import './reflect-shim.ts';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** A certificate and its private key, both PEM. */
export interface CertKeyPair {
  certPem: string;
  keyPem: string;
}

/** What a leaf certificate is for, and who it names. */
export interface LeafSpec {
  /** Subject common name (for client certificates: the user name). */
  cn: string;
  /** Subject organizations (for client certificates: the groups). */
  organizations?: string[];
  /** serverAuth for serving certificates, clientAuth for client certificates. */
  usage: 'server' | 'client';
  /** DNS names and IP addresses for the subjectAltName extension (serving certificates). */
  hosts?: string[];
  notBefore: Date;
  notAfter: Date;
}

const crypto = webcrypto;
const EC_KEYGEN = { name: 'ECDSA', namedCurve: 'P-256' };
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' };

/** A CA loaded for signing: its parsed certificate, its private key and signing algorithm. */
export interface CaSigner {
  cert: x509.X509Certificate;
  key: CryptoKey;
  algorithm: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/** Creates a self-signed CA certificate with a fresh ECDSA P-256 key. */
export async function createCa(commonName: string, notBefore: Date, notAfter: Date): Promise<CertKeyPair> {
  const keys = (await crypto.subtle.generateKey(EC_KEYGEN, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [commonName] }],
      notBefore,
      notAfter,
      signingAlgorithm: EC_SIGN,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKey(keys.privateKey) };
}

/** Parses a CA pair for signing. Accepts EC (P-256/P-384) and RSA CA keys in any PEM form Node reads. */
export async function loadCaSigner(ca: CertKeyPair): Promise<CaSigner> {
  const cert = new x509.X509Certificate(ca.certPem);
  const keyObject = createPrivateKey(ca.keyPem);
  if (!publicKeysEqual(cert, keyObject)) throw new Error('CA private key does not match the CA certificate');
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = keyObject.asymmetricKeyDetails?.namedCurve;
    const named = curve === 'prime256v1' ? 'P-256' : curve === 'secp384r1' ? 'P-384' : undefined;
    if (!named) throw new Error(`unsupported CA key curve ${curve}`);
    const hash = named === 'P-256' ? 'SHA-256' : 'SHA-384';
    const key = keyObject.toCryptoKey({ name: 'ECDSA', namedCurve: named }, false, ['sign']) as CryptoKey;
    return { cert, key, algorithm: { name: 'ECDSA', hash } };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { cert, key: keyObject.toCryptoKey(algorithm, false, ['sign']) as CryptoKey, algorithm };
  }
  throw new Error(`unsupported CA key type ${keyObject.asymmetricKeyType}`);
}

/** Issues a leaf certificate signed by the CA, with a fresh ECDSA P-256 key. */
export async function issueLeaf(ca: CaSigner, spec: LeafSpec): Promise<CertKeyPair> {
  const keys = (await crypto.subtle.generateKey(EC_KEYGEN, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(
      [spec.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
      false,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  const caKeyId = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (caKeyId) extensions.push(new x509.AuthorityKeyIdentifierExtension(caKeyId, false));
  const hosts = spec.hosts ?? [];
  if (hosts.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h })),
        false,
      ),
    );
  }
  const subject: x509.JsonName = [
    ...(spec.organizations ?? []).map((o) => ({ O: [o] })),
    { CN: [spec.cn] },
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject,
      issuer: ca.cert.subjectName,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      signingAlgorithm: ca.algorithm,
      publicKey: keys.publicKey,
      signingKey: ca.key,
      extensions,
    },
    crypto,
  );
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportPrivateKey(keys.privateKey) };
}

/** What we need to know about an existing leaf to decide whether to keep it. */
export interface LeafInspection {
  /** Signed by the given CA and its key matches the certificate. */
  validPair: boolean;
  notAfter: Date;
  /** Canonical SAN entries: DNS names lower-cased, IPs in canonical text form. */
  sans: Set<string>;
}

/** Inspects a leaf pair against a CA. Never throws on a malformed pair: it reports validPair=false. */
export async function inspectLeaf(ca: CaSigner, pair: CertKeyPair): Promise<LeafInspection> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(pair.certPem);
  } catch {
    return { validPair: false, notAfter: new Date(0), sans: new Set() };
  }
  let validPair = false;
  try {
    validPair =
      publicKeysEqual(cert, createPrivateKey(pair.keyPem)) &&
      (await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }, crypto));
  } catch {
    validPair = false;
  }
  const sans = new Set<string>();
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  for (const name of san?.names.items ?? []) {
    if (name.type === 'dns' || name.type === 'ip') sans.add(canonicalHost(name.value));
  }
  return { validPair, notAfter: cert.notAfter, sans };
}

/** DNS names are case-insensitive; IPv6 has many spellings. One canonical text per host. */
export function canonicalHost(host: string): string {
  const version = isIP(host);
  if (version === 6) return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  if (version === 4) return host;
  return host.toLowerCase();
}

function publicKeysEqual(cert: x509.X509Certificate, privateKey: KeyObject): boolean {
  const fromKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return Buffer.from(cert.publicKey.rawData).equals(fromKey);
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** 128-bit positive serial number, hex. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}
