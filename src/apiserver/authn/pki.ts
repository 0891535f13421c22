// The cluster PKI on disk: a CA, the apiserver's serving certificate and the admin client
// certificate, created on first start and reused afterwards (like k3s's server/tls folder).
//
// Layout of `dir` (mode 0700; keys 0600, certificates 0644):
//   ca.crt ca.key          self-signed CA, 10 years; never replaced once it exists
//   server.crt server.key  serving certificate, 1 year; reissued when a wanted SAN is missing,
//                          it expires within 30 days, or it no longer matches the CA/key
//   admin.crt admin.key    client certificate CN=admin O=system:masters, 1 year; reissued on
//                          the same expiry/mismatch rules
// Files are written atomically (temporary file + rename), key before certificate.

import { chmod, mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
export { tlsServerOptions } from './pki-isolated.ts';
import { canonicalHost, createCa, inspectLeaf, issueLeaf, loadCaSigner } from './certs.ts';
import type { CaSigner, CertKeyPair } from './certs.ts';

/** Source of the current time, in milliseconds since the epoch (Date.now semantics). */
export interface PkiClock {
  now(): number;
}

/** The PEMs of a ready PKI, and where they live. */
export interface Pki {
  dir: string;
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  /** Absolute paths of the six files. */
  files: Record<'caCert' | 'caKey' | 'serverCert' | 'serverKey' | 'adminCert' | 'adminKey', string>;
}

export interface EnsurePkiOptions {
  /** Extra subjectAltNames for the serving certificate (DNS names or IP addresses). */
  hosts: string[];
  clock?: PkiClock;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Backdate notBefore a little so machines with slightly slow clocks accept fresh certificates. */
const BACKDATE_MS = 5 * 60 * 1000;

const systemClock: PkiClock = { now: () => Date.now() };

/** The SANs every serving certificate carries, before the caller's extra hosts. */
export function defaultServingHosts(): string[] {
  return [
    'localhost',
    '127.0.0.1',
    '::1',
    hostname(),
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local',
  ];
}

/**
 * Creates the PKI in `dir` on first call and reuses it afterwards; see the file header for
 * the renewal rules. Idempotent. Not safe against two processes creating the same dir at
 * the very same moment (the later writer wins, atomically per file).
 * Throws if only one of ca.crt/ca.key exists: replacing a CA silently would orphan every
 * certificate it issued.
 */
export async function ensurePki(dir: string, opts: EnsurePkiOptions): Promise<Pki> {
  const clock = opts.clock ?? systemClock;
  const now = clock.now();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const files = pkiFiles(dir);

  let ca = await readPair(files.caCert, files.caKey);
  let caIsNew = false;
  if (ca === 'partial') {
    throw new Error(`incomplete CA in ${dir}: ca.crt and ca.key must both exist (or neither)`);
  }
  if (!ca) {
    ca = await createCa(`skiff-ca@${Math.floor(now / 1000)}`, new Date(now - BACKDATE_MS), new Date(now + CA_DAYS * DAY_MS));
    await writePair(files.caCert, files.caKey, ca);
    caIsNew = true;
  }
  const signer = await loadCaSigner(ca);

  const wantedHosts = uniqueHosts([...defaultServingHosts(), ...opts.hosts]);
  const server = await reuseOrIssue(signer, caIsNew, files.serverCert, files.serverKey, now, wantedHosts, () =>
    issueLeaf(signer, {
      cn: 'kube-apiserver',
      usage: 'server',
      hosts: wantedHosts,
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    }),
  );
  const admin = await reuseOrIssue(signer, caIsNew, files.adminCert, files.adminKey, now, [], () =>
    issueLeaf(signer, {
      cn: 'admin',
      organizations: ['system:masters'],
      usage: 'client',
      notBefore: new Date(now - BACKDATE_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    }),
  );

  return {
    dir,
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    files,
  };
}

export interface ClientCertOptions {
  /** User name (subject CN). */
  cn: string;
  /** Groups (subject O, one per group). */
  groups: string[];
  /** Validity in days. */
  days: number;
  clock?: PkiClock;
}

/** Issues a client certificate signed by the cluster CA (for agents, scheduler and similar identities). */
export async function issueClientCert(pki: Pki, opts: ClientCertOptions): Promise<{ certPem: string; keyPem: string }> {
  const now = (opts.clock ?? systemClock).now();
  const signer = await loadCaSigner({ certPem: pki.caCertPem, keyPem: pki.caKeyPem });
  return issueLeaf(signer, {
    cn: opts.cn,
    organizations: opts.groups,
    usage: 'client',
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + opts.days * DAY_MS),
  });
}

export interface ServingCertOptions {
  cn: string;
  /** DNS names and IP addresses for subjectAltName. */
  hosts: string[];
  days: number;
  clock?: PkiClock;
}

/** Issues a serving certificate signed by the cluster CA (for example an agent's log/exec server). */
export async function issueServingCert(pki: Pki, opts: ServingCertOptions): Promise<{ certPem: string; keyPem: string }> {
  const now = (opts.clock ?? systemClock).now();
  const signer = await loadCaSigner({ certPem: pki.caCertPem, keyPem: pki.caKeyPem });
  return issueLeaf(signer, {
    cn: opts.cn,
    usage: 'server',
    hosts: uniqueHosts(opts.hosts),
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + opts.days * DAY_MS),
  });
}

/**
 * Options for `https.createServer` / `tls.createServer`: serve with our certificate and ask
 * clients for a certificate without requiring one (token users have none). Whether the
 * presented certificate chains to our CA is then `socket.authorized`.
 */

function pkiFiles(dir: string): Pki['files'] {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
  };
}

async function reuseOrIssue(
  signer: CaSigner,
  caIsNew: boolean,
  certPath: string,
  keyPath: string,
  now: number,
  wantedHosts: string[],
  issue: () => Promise<CertKeyPair>,
): Promise<CertKeyPair> {
  if (!caIsNew) {
    const existing = await readPair(certPath, keyPath);
    if (existing && existing !== 'partial') {
      const seen = await inspectLeaf(signer, existing);
      const fresh = seen.notAfter.getTime() - now > RENEW_BEFORE_MS;
      const coversHosts = wantedHosts.every((h) => seen.sans.has(h));
      if (seen.validPair && fresh && coversHosts) return existing;
    }
  }
  const pair = await issue();
  await writePair(certPath, keyPath, pair);
  return pair;
}

/** Both files, null if neither exists, 'partial' if only one does. */
async function readPair(certPath: string, keyPath: string): Promise<CertKeyPair | null | 'partial'> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem === null && keyPem === null) return null;
  if (certPem === null || keyPem === null) return 'partial';
  return { certPem, keyPem };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function writePair(certPath: string, keyPath: string, pair: CertKeyPair): Promise<void> {
  await writeFileAtomic(keyPath, pair.keyPem, 0o600);
  await writeFileAtomic(certPath, pair.certPem, 0o644);
}

function uniqueHosts(hosts: string[]): string[] {
  const out: string[] = [];
  for (const h of hosts) {
    const trimmed = h.trim();
    if (!trimmed) continue;
    const canonical = canonicalHost(trimmed);
    if (!out.includes(canonical)) out.push(canonical);
  }
  return out;
}
