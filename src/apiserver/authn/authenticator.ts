// Request authentication: who is making this request?
//
// Authenticators look only at what the TLS layer and the headers say; they never answer
// HTTP themselves. The apiserver answers 401 when the union returns null. Implemented:
//   - X509Authenticator: a client certificate the TLS layer verified against our CA
//     (socket.authorized === true). CN is the user name, each O a group.
//   - TokenAuthenticator: `Authorization: Bearer <token>` looked up in a static token table,
//     loaded from an upstream-format token file (--token-auth-file CSV) by tokens.ts.
//   - ServiceAccountTokenAuthenticator: `Authorization: Bearer <jwt>` validated as a
//     service-account token (satokens.ts) → system:serviceaccount:<ns>:<name>.
//   - UnionAuthenticator: tries each in order; the first match wins, and every
//     authenticated user gains the group system:authenticated (as upstream's group adder).

import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

/** The parts of a request authenticators may look at. */
export interface AuthRequest {
  /** Header names lower-cased, as Node delivers them. */
  headers: Record<string, string | string[] | undefined>;
  /** The peer certificate as Node's TLSSocket.getPeerCertificate() reports it; {} or null if none. */
  peerCertificate?: { subject?: { CN?: string | string[]; O?: string | string[] } } | null;
  /** TLSSocket.authorized: true only if the peer certificate chains to a trusted CA. */
  authorized?: boolean;
}

/**
 * Contract: authenticate() is synchronous, side-effect free and safe to call concurrently.
 * It returns the user for a request carrying valid credentials of its kind, or null when the
 * request has no credentials of its kind or they are not valid (the caller then tries others
 * or answers 401). It never throws for bad input.
 */
export interface Authenticator {
  authenticate(req: AuthRequest): UserInfo | null;
}

export const GROUP_AUTHENTICATED = 'system:authenticated';

/** What the TLS layer says about a connection's client certificate. */
interface PeerFacts {
  peerCertificate: AuthRequest['peerCertificate'];
  authorized: boolean;
}

/**
 * Certificate facts per TLS connection. A connection's client certificate and its verification
 * cannot change after the handshake (the server refuses renegotiation), and
 * getPeerCertificate() is expensive (it decodes the whole certificate), so it runs once per
 * connection, not once per request. Entries die with their socket.
 */
const peerFacts = new WeakMap<object, PeerFacts>();

/** Builds an AuthRequest from a Node request; works for plain HTTP too (no certificate then). */
export function authRequestFrom(req: IncomingMessage): AuthRequest {
  const socket = req.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return { headers: req.headers };
  let facts = peerFacts.get(socket);
  if (!facts) {
    const cert = socket.getPeerCertificate(false);
    // Keep only the subject: the rest (raw DER, public key, fingerprints) is never read.
    facts = { peerCertificate: cert && cert.subject ? { subject: cert.subject } : cert, authorized: socket.authorized === true };
    peerFacts.set(socket, facts);
  }
  return { headers: req.headers, peerCertificate: facts.peerCertificate, authorized: facts.authorized };
}

/** Maps a CA-verified client certificate to a user: CN → name, O (one or many) → groups. */
export class X509Authenticator implements Authenticator {
  authenticate(req: AuthRequest): UserInfo | null {
    if (req.authorized !== true) return null;
    const subject = req.peerCertificate?.subject;
    if (!subject) return null;
    const name = asList(subject.CN)[0];
    if (!name) return null;
    return { name, groups: asList(subject.O) };
  }
}

/** One entry of a static token table. */
export interface TokenEntry {
  token: string;
  user: UserInfo;
}

/** Looks bearer tokens up in a fixed table (later entries win on duplicate tokens, as upstream). */
export class TokenAuthenticator implements Authenticator {
  private readonly tokens: Map<string, UserInfo>;

  constructor(entries: readonly TokenEntry[]) {
    this.tokens = new Map(entries.map((e) => [e.token, e.user]));
  }

  authenticate(req: AuthRequest): UserInfo | null {
    const token = bearerToken(req.headers);
    if (token === null) return null;
    const user = this.tokens.get(token);
    return user ? { ...user, groups: [...user.groups] } : null;
  }
}

/** What ServiceAccountTokenAuthenticator needs: ServiceAccountTokens from satokens.ts fits. */
export interface ServiceAccountTokenValidator {
  /** The user of a valid service-account token for the API audiences, or null; never throws. */
  authenticateToken(token: string): UserInfo | null;
}

/** Bearer tokens that are service-account JWTs (signature, expiry, audience, bound objects). */
export class ServiceAccountTokenAuthenticator implements Authenticator {
  private readonly tokens: ServiceAccountTokenValidator;

  constructor(tokens: ServiceAccountTokenValidator) {
    this.tokens = tokens;
  }

  authenticate(req: AuthRequest): UserInfo | null {
    const token = bearerToken(req.headers);
    // Cheap pre-check: a JWT has three dot-separated parts; static tokens usually do not.
    if (token === null || token.split('.').length !== 3) return null;
    return this.tokens.authenticateToken(token);
  }
}

/** Tries each authenticator in order; adds system:authenticated to whoever matched. */
export class UnionAuthenticator implements Authenticator {
  private readonly authenticators: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.authenticators = authenticators;
  }

  authenticate(req: AuthRequest): UserInfo | null {
    for (const a of this.authenticators) {
      const user = a.authenticate(req);
      if (user) {
        const groups = user.groups.includes(GROUP_AUTHENTICATED) ? user.groups : [...user.groups, GROUP_AUTHENTICATED];
        return { ...user, groups };
      }
    }
    return null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null if absent or empty. */
export function bearerToken(headers: AuthRequest['headers']): string | null {
  const raw = headers['authorization'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return null;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value);
  return match ? match[1]! : null;
}

function asList(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((s) => typeof s === 'string' && s.length > 0);
}
