// An OCI distribution (Docker registry v2) client for pulls: manifests with the OCI + Docker
// Accept headers, blobs as streams, and auth — anonymous, basic, and bearer tokens from the
// realm a 401's WWW-Authenticate names (with basic credentials, an identity token or a registry
// token when the pull has some). Plain HTTP for registries on this host, HTTPS otherwise.
// Failures are ImageErrors: NotFound (404), Unauthorized (401/403 after the credentials given),
// Unreachable (connection failed, 5xx), Invalid (bad document, digest mismatch).

import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Logger } from '../../base/log.ts';
import type { Clock } from '../../client/clock.ts';
import { realClock } from '../../client/clock.ts';
import { ImageError } from './types.ts';
import type { RegistryAuth } from './types.ts';
import { basicHeader, matchingCredentials, parseChallenge, userPassword } from './auth.ts';
import type { Challenge } from './auth.ts';
import { MANIFEST_ACCEPT, sha256Digest } from './manifest.ts';
import type { Descriptor } from './manifest.ts';
import { formatReference, registryBaseUrl } from './reference.ts';
import type { ParsedReference } from './types.ts';

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface RegistryClientOptions {
  log: Logger;
  /** HTTP; default the global fetch. */
  fetch?: FetchLike;
  clock?: Clock;
}

export interface FetchedManifest {
  data: Buffer;
  digest: string;
  mediaType: string;
}

const MAX_MANIFEST = 4 << 20;
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  header: string;
  expires: number;
}

/** Shared by every pull: HTTP, clock and a cache of bearer tokens. */
export class RegistryClient {
  readonly fetch: FetchLike;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tokens = new Map<string, CachedToken>();

  constructor(options: RegistryClientOptions) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.clock = options.clock ?? realClock;
    this.log = options.log;
  }

  /**
   * Fetch the manifest `ref` names (by digest if it has one, else by tag), trying the matching
   * credentials in turn (anonymous when none match). Resolves with the manifest and the session
   * that worked, for the blobs.
   */
  async resolve(ref: ParsedReference, auth: RegistryAuth[] | undefined, signal?: AbortSignal): Promise<{ session: RegistrySession; manifest: FetchedManifest }> {
    const creds: Array<RegistryAuth | undefined> = matchingCredentials(auth, ref.registry);
    if (creds.length === 0) creds.push(undefined);
    let last: unknown;
    for (const cred of creds) {
      const session = new RegistrySession(this, ref, cred, signal);
      try {
        return { session, manifest: await session.manifest(ref.digest ?? ref.tag ?? 'latest') };
      } catch (e) {
        if (!(e instanceof ImageError && e.code === 'Unauthorized')) throw e;
        last = e;
      }
    }
    throw last;
  }
}

/** One repository on one registry with one credential. */
export class RegistrySession {
  private readonly client: RegistryClient;
  private readonly ref: ParsedReference;
  private readonly cred: RegistryAuth | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly base: string;
  private readonly scope: string;
  private authHeader: string | undefined;

  constructor(client: RegistryClient, ref: ParsedReference, cred: RegistryAuth | undefined, signal?: AbortSignal) {
    this.client = client;
    this.ref = ref;
    this.cred = cred;
    this.signal = signal;
    this.base = `${registryBaseUrl(ref.registry)}/v2/${ref.repository}`;
    this.scope = `repository:${ref.repository}:pull`;
    const cached = client.tokens.get(this.tokenKey());
    if (cached && cached.expires > client.clock.now()) this.authHeader = cached.header;
  }

  private get name(): string {
    return formatReference(this.ref);
  }

  private tokenKey(): string {
    return `${this.ref.registry}|${this.scope}|${this.cred?.username ?? this.cred?.auth ?? this.cred?.identityToken ?? ''}`;
  }

  async manifest(reference: string): Promise<FetchedManifest> {
    const url = `${this.base}/manifests/${reference}`;
    const res = await this.request(url, { accept: MANIFEST_ACCEPT }, 'manifest');
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_MANIFEST) throw new ImageError('Invalid', `manifest ${reference} is larger than ${MAX_MANIFEST} bytes`);
    const digest = sha256Digest(data);
    if (reference.includes(':') && reference !== digest) {
      throw new ImageError('Invalid', `manifest digest mismatch: expected ${reference}, got ${digest}`);
    }
    const header = res.headers.get('docker-content-digest');
    if (header && header !== digest) this.client.log.warn('registry digest header differs from content', { ref: this.name, header, digest });
    return { data, digest, mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim() };
  }

  /** The blob's bytes as a stream (unverified: the blob store checks digest and size). */
  async blob(desc: Descriptor): Promise<Readable> {
    const res = await this.request(`${this.base}/blobs/${desc.digest}`, {}, `blob ${desc.digest}`);
    if (!res.body) throw new ImageError('Invalid', `blob ${desc.digest}: empty response`);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }

  private async request(url: string, headers: Record<string, string>, what: string, retried = false): Promise<Response> {
    let res: Response;
    try {
      res = await this.client.fetch(url, {
        headers: this.authHeader ? { ...headers, authorization: this.authHeader } : headers,
        signal: this.signal,
        redirect: 'follow',
      });
    } catch (e) {
      if (this.signal?.aborted) throw e;
      const cause = (e as { cause?: { message?: string; code?: string } }).cause;
      throw new ImageError('Unreachable', `failed to resolve reference "${this.name}": failed to do request: GET "${url}": ${cause?.message ?? (e as Error).message}`);
    }
    if (res.ok) return res;
    const body = await res.text().catch(() => '');
    if (res.status === 401 && !retried) {
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      if (await this.authorize(challenge)) return this.request(url, headers, what, true);
    }
    const server = serverMessage(body);
    if (res.status === 401 || res.status === 403) {
      throw new ImageError('Unauthorized', `failed to resolve reference "${this.name}": pull access denied, repository does not exist or may require authorization: ${server || `${res.status} ${res.statusText}`}`);
    }
    if (res.status === 404) {
      if (what === 'manifest') throw new ImageError('NotFound', `failed to resolve reference "${this.name}": ${this.name}: not found`);
      throw new ImageError('NotFound', `failed to copy: ${what} of "${this.name}": not found`);
    }
    throw new ImageError('Unreachable', `failed to resolve reference "${this.name}": unexpected status from GET request to ${url}: ${res.status} ${res.statusText}${server ? `: ${server}` : ''}`);
  }

  /** Work out an Authorization header for the challenge; false when there is nothing to try. */
  private async authorize(challenge: Challenge | undefined): Promise<boolean> {
    const up = this.cred ? userPassword(this.cred) : undefined;
    if (challenge?.scheme === 'basic') {
      if (!up || this.authHeader) return false;
      this.authHeader = basicHeader(up);
      return true;
    }
    if (challenge?.scheme !== 'bearer') return false;
    if (this.cred?.registryToken) {
      if (this.authHeader === `Bearer ${this.cred.registryToken}`) return false;
      this.authHeader = `Bearer ${this.cred.registryToken}`;
      return true;
    }
    const realm = challenge.params.realm;
    if (!realm) return false;
    const token = await this.fetchToken(realm, challenge.params.service, challenge.params.scope ?? this.scope, up);
    this.authHeader = `Bearer ${token.token}`;
    this.client.tokens.set(this.tokenKey(), { header: this.authHeader, expires: this.client.clock.now() + (token.expiresIn - 5) * 1000 });
    return true;
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string, up: { username: string; password: string } | undefined): Promise<{ token: string; expiresIn: number }> {
    let res: Response;
    try {
      if (this.cred?.identityToken) {
        const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.cred.identityToken, client_id: 'skiff', scope });
        if (service) form.set('service', service);
        res = await this.client.fetch(realm, { method: 'POST', body: form, signal: this.signal, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      } else {
        const u = new URL(realm);
        if (service) u.searchParams.set('service', service);
        u.searchParams.set('scope', scope);
        res = await this.client.fetch(u, { headers: up ? { authorization: basicHeader(up) } : {}, signal: this.signal });
      }
    } catch (e) {
      if (this.signal?.aborted) throw e;
      throw new ImageError('Unreachable', `failed to resolve reference "${this.name}": failed to fetch token from ${realm}: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const code = res.status === 401 || res.status === 403 ? 'Unauthorized' : 'Unreachable';
      throw new ImageError(code, `failed to resolve reference "${this.name}": failed to authorize: failed to fetch ${up ? 'oauth' : 'anonymous'} token: unexpected status from GET request to ${realm}: ${res.status} ${res.statusText}`);
    }
    let doc: { token?: string; access_token?: string; expires_in?: number };
    try {
      doc = JSON.parse(text);
    } catch {
      throw new ImageError('Invalid', `token response from ${realm} is not JSON`);
    }
    const token = doc.token ?? doc.access_token;
    if (!token) throw new ImageError('Invalid', `token response from ${realm} has no token`);
    return { token, expiresIn: typeof doc.expires_in === 'number' && doc.expires_in > 5 ? doc.expires_in : DEFAULT_TOKEN_SECONDS };
  }
}

/** "code: message" from a distribution error body, or the body's start. */
function serverMessage(body: string): string {
  try {
    const doc = JSON.parse(body) as { errors?: Array<{ code?: string; message?: string }> };
    const e = doc.errors?.[0];
    if (e) return [e.code?.toLowerCase(), e.message].filter(Boolean).join(': ');
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200);
}
