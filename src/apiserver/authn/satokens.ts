// ServiceAccount tokens, as upstream's bound service-account tokens: a signing key kept in
// `<data-dir>/tls/sa.key`, TokenRequest (POST serviceaccounts/<name>/token) minting a JWT, and
// validation of those JWTs for bearer authentication and TokenReview.
//
// Tokens are compact JWS (ES256 with a P-256 key skiff creates; RS256 if sa.key holds an RSA
// key, e.g. one copied from kubeadm). Claims follow upstream: iss, sub
// `system:serviceaccount:<ns>:<name>`, aud, exp, iat, nbf, jti, and the private claim
// `kubernetes.io` {namespace, serviceaccount{name,uid}, pod?|secret?, node?}. A token is valid
// while its signature checks out, it is inside its time window (60s leeway), one of its
// audiences is accepted, and the objects it is bound to (the ServiceAccount always; the Pod or
// Secret if any) still exist with the same uid and are not being deleted.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject } from '../../api/types.ts';
import { apiErrors } from '../../base/errors.ts';
import type { StatusCause } from '../../base/errors.ts';
import { writeFileAtomic } from './atomic-write.ts';
import type { UserInfo } from './authenticator.ts';

/** The issuer (and default API audience) of skiff's service-account tokens. */
export const SA_ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const DEFAULT_EXPIRATION_SECONDS = 3600;
export const MIN_EXPIRATION_SECONDS = 600;
export const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** Clock skew tolerated on exp/nbf/iat, as upstream's JWT validation. */
const LEEWAY_SECONDS = 60;

export const GROUP_SERVICE_ACCOUNTS = 'system:serviceaccounts';

export interface TokenClock {
  now(): Date;
}

/** Objects a token may be bound to, read without I/O (e.g. from the watch cache). */
export type BoundResource = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/**
 * Contract: returns the current object (or undefined if it does not exist); synchronous, no
 * side effects. `namespace` is undefined for nodes.
 */
export type ObjectLookup = (resource: BoundResource, namespace: string | undefined, name: string) => KubeObject | undefined;

/**
 * The service-account signing key in `<tlsDir>/sa.key` (PKCS#8 PEM, mode 0600): created as a
 * P-256 key on first call, reused afterwards (an existing RSA or EC key is kept as it is).
 */
export async function ensureServiceAccountKey(tlsDir: string): Promise<KeyObject> {
  const file = join(tlsDir, 'sa.key');
  let pem: string | undefined;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (pem === undefined) {
    await mkdir(tlsDir, { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await writeFileAtomic(file, pem, 0o600);
  }
  const key = createPrivateKey(pem);
  algorithmOf(key); // refuse unusable keys at start, not at the first token
  return key;
}

type Alg = 'ES256' | 'RS256';

function algorithmOf(key: KeyObject): Alg {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`service-account signing key must be RSA or EC P-256, not ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}`.trim());
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A reference recorded in the `kubernetes.io` claim. */
export interface ClaimRef {
  name: string;
  uid: string;
}

/** The JWT payload of a service-account token. */
export interface SaTokenClaims {
  iss: string;
  sub: string;
  aud: string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  'kubernetes.io': {
    namespace: string;
    serviceaccount: ClaimRef;
    pod?: ClaimRef;
    secret?: ClaimRef;
    node?: ClaimRef;
  };
}

export interface ServiceAccountTokensOptions {
  /** Private signing key (see ensureServiceAccountKey). */
  key: KeyObject;
  clock: TokenClock;
  lookup: ObjectLookup;
  /** Default SA_ISSUER. */
  issuer?: string;
  /** Audiences the API accepts and TokenRequest defaults to (default [issuer]). */
  audiences?: string[];
}

/** The result of validating a token: who it is, and which of its audiences were accepted. */
export interface ValidatedToken {
  user: UserInfo;
  audiences: string[];
  claims: SaTokenClaims;
}

const BOUND_KINDS: Record<string, BoundResource> = { Pod: 'pods', Secret: 'secrets', Node: 'nodes' };

/** Mints (TokenRequest) and validates service-account tokens with one key. */
export class ServiceAccountTokens {
  readonly issuer: string;
  readonly audiences: readonly string[];
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly alg: Alg;
  private readonly kid: string;
  private readonly clock: TokenClock;
  private readonly lookup: ObjectLookup;

  constructor(opts: ServiceAccountTokensOptions) {
    this.privateKey = opts.key;
    this.publicKey = createPublicKey(opts.key);
    this.alg = algorithmOf(opts.key);
    // Key id as upstream derives it: SHA-256 of the DER public key, base64url.
    this.kid = b64url(createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest());
    this.clock = opts.clock;
    this.lookup = opts.lookup;
    this.issuer = opts.issuer ?? SA_ISSUER;
    this.audiences = opts.audiences ?? [this.issuer];
  }

  /** Signs claims as a compact JWS. */
  sign(claims: SaTokenClaims): string {
    const head = b64url(JSON.stringify({ alg: this.alg, kid: this.kid }));
    const body = b64url(JSON.stringify(claims));
    const input = `${head}.${body}`;
    const sig = sign('sha256', Buffer.from(input), this.alg === 'ES256' ? { key: this.privateKey, dsaEncoding: 'ieee-p1363' } : this.privateKey);
    return `${input}.${b64url(sig)}`;
  }

  /**
   * Answers a TokenRequest for the ServiceAccount `sa` (already read by the caller, who answers
   * 404 when it is missing): validates and defaults the spec, checks the bound object, and
   * returns the TokenRequest with status {token, expirationTimestamp}. Throws ApiError (422
   * invalid spec, 400 unsupported bound kind, 404 missing bound object, 409 uid mismatch).
   */
  issue(sa: KubeObject, request: Record<string, any>): Record<string, any> {
    const ns = sa.metadata.namespace ?? '';
    const name = sa.metadata.name ?? '';
    if (request.kind !== undefined && request.kind !== 'TokenRequest') {
      throw apiErrors.badRequest(`the kind of the provided object (${request.kind}) does not match the resource (TokenRequest)`);
    }
    const meta = (request.metadata ?? {}) as Record<string, any>;
    const invalid = (cause: StatusCause) => apiErrors.invalid('authentication.k8s.io', 'TokenRequest', name, [cause]);
    if (meta.name && meta.name !== name) {
      throw invalid({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: "${meta.name}": must match the service account name if specified` });
    }
    if (meta.namespace && meta.namespace !== ns) {
      throw invalid({ reason: 'FieldValueInvalid', field: 'metadata.namespace', message: `Invalid value: "${meta.namespace}": must match the service account namespace if specified` });
    }
    const spec = { ...((request.spec ?? {}) as Record<string, any>) };
    const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [...this.audiences];
    const expirationSeconds = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? DEFAULT_EXPIRATION_SECONDS : Number(spec.expirationSeconds);
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS) {
      throw invalid({ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(spec.expirationSeconds)}: may not specify a duration less than 10 minutes` });
    }
    if (expirationSeconds > MAX_EXPIRATION_SECONDS) {
      throw invalid({ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds` });
    }
    const k8s: SaTokenClaims['kubernetes.io'] = { namespace: ns, serviceaccount: { name, uid: sa.metadata.uid ?? '' } };
    const ref = spec.boundObjectRef as Record<string, any> | undefined;
    if (ref) {
      const resource = BOUND_KINDS[ref.kind];
      if (!resource || (ref.apiVersion ?? 'v1') !== 'v1') {
        throw apiErrors.badRequest(`cannot bind token to object of type ${ref.apiVersion ?? ''}, Kind=${ref.kind ?? ''}`);
      }
      const obj = this.lookup(resource, resource === 'nodes' ? undefined : ns, String(ref.name ?? ''));
      if (!obj) throw apiErrors.notFound('', resource, String(ref.name ?? ''));
      if (ref.uid && ref.uid !== obj.metadata.uid) {
        throw apiErrors.conflict('', ref.kind, obj.metadata.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
      const claimRef = { name: obj.metadata.name ?? '', uid: obj.metadata.uid ?? '' };
      if (ref.kind === 'Pod') {
        k8s.pod = claimRef;
        // A scheduled pod's node is recorded too (upstream's ServiceAccountTokenPodNodeInfo).
        const nodeName = obj.spec?.nodeName as string | undefined;
        const node = nodeName ? this.lookup('nodes', undefined, nodeName) : undefined;
        if (node) k8s.node = { name: node.metadata.name ?? '', uid: node.metadata.uid ?? '' };
      } else if (ref.kind === 'Secret') {
        k8s.secret = claimRef;
      } else {
        k8s.node = claimRef;
      }
      spec.boundObjectRef = { ...ref, apiVersion: 'v1', uid: obj.metadata.uid };
    }
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const exp = now + expirationSeconds;
    const token = this.sign({
      iss: this.issuer,
      sub: `system:serviceaccount:${ns}:${name}`,
      aud: audiences,
      exp,
      iat: now,
      nbf: now,
      jti: randomUUID(),
      'kubernetes.io': k8s,
    });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { ...meta, name, namespace: ns, creationTimestamp: null },
      spec: { ...spec, audiences, expirationSeconds },
      status: { token, expirationTimestamp: rfc3339(new Date(exp * 1000)) },
    };
  }

  /**
   * Validates a bearer token. Returns null for anything that is not a valid, current token of
   * this issuer for one of `audiences` (default: the API audiences) whose bound objects still
   * exist. Never throws.
   */
  validate(token: string, audiences: readonly string[] = this.audiences): ValidatedToken | null {
    try {
      return this.validateOrThrow(token, audiences);
    } catch {
      return null;
    }
  }

  /** The user of a valid token for the API audiences, or null. */
  authenticateToken(token: string): UserInfo | null {
    return this.validate(token)?.user ?? null;
  }

  private validateOrThrow(token: string, audiences: readonly string[]): ValidatedToken | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [head, body, sig] = parts as [string, string, string];
    const header = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (header.alg !== this.alg) return null;
    const ok = verify(
      'sha256',
      Buffer.from(`${head}.${body}`),
      this.alg === 'ES256' ? { key: this.publicKey, dsaEncoding: 'ieee-p1363' } : this.publicKey,
      Buffer.from(sig, 'base64url'),
    );
    if (!ok) return null;
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SaTokenClaims;
    if (claims.iss !== this.issuer) return null;
    const now = this.clock.now().getTime() / 1000;
    if (typeof claims.exp !== 'number' || now > claims.exp + LEEWAY_SECONDS) return null;
    if (typeof claims.nbf === 'number' && now < claims.nbf - LEEWAY_SECONDS) return null;
    if (typeof claims.iat === 'number' && now < claims.iat - LEEWAY_SECONDS) return null;
    const tokenAuds = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    const accepted = tokenAuds.filter((a) => audiences.includes(a));
    if (accepted.length === 0) return null;

    const k8s = claims['kubernetes.io'];
    if (!k8s?.namespace || !k8s.serviceaccount?.name) return null;
    if (claims.sub !== `system:serviceaccount:${k8s.namespace}:${k8s.serviceaccount.name}`) return null;
    const live = (resource: BoundResource, ns: string | undefined, ref: ClaimRef) => {
      const obj = this.lookup(resource, ns, ref.name);
      return !!obj && obj.metadata.uid === ref.uid && !obj.metadata.deletionTimestamp;
    };
    if (!live('serviceaccounts', k8s.namespace, k8s.serviceaccount)) return null;
    if (k8s.pod && !live('pods', k8s.namespace, k8s.pod)) return null;
    if (k8s.secret && !live('secrets', k8s.namespace, k8s.secret)) return null;
    return {
      user: {
        name: claims.sub,
        uid: k8s.serviceaccount.uid,
        groups: [GROUP_SERVICE_ACCOUNTS, `${GROUP_SERVICE_ACCOUNTS}:${k8s.namespace}`],
      },
      audiences: accepted,
      claims,
    };
  }
}

function rfc3339(d: Date): string {
  return d.toISOString().slice(0, -5) + 'Z';
}
