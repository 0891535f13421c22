// Image references parsed and normalised the way Docker (distribution/reference) does:
// "busybox" → docker.io/library/busybox:latest, "host:5000/x" keeps its registry, "localhost/x"
// names the local registry, "@sha256:<hex>" pins content. Pure string work, no I/O.

import { ImageError } from './types.ts';
import type { ParsedReference } from './types.ts';

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_REGISTRY = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';
const MAX_NAME = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function invalid(why?: string): ImageError {
  return new ImageError('Invalid', why ? `invalid reference format: ${why}` : 'invalid reference format');
}

/** True for a well-formed "sha256:<64 lowercase hex>" digest. */
export function isSha256Digest(s: string): boolean {
  return SHA256_DIGEST.test(s);
}

/**
 * Parse and normalise a reference. Throws ImageError('Invalid') with Docker's wording
 * ("invalid reference format...") when it is not a valid reference.
 */
export function parseReference(input: string): ParsedReference {
  const ref = input.trim();
  if (ref === '' || ref !== input) throw invalid();
  if (HEX64.test(ref)) {
    throw new ImageError('Invalid', `invalid repository name (${ref}), cannot specify 64-byte hexadecimal strings`);
  }

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid();
    if (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)) throw invalid();
  }

  // A tag is after the last ':' that follows the last '/' (a ':' before it is a registry port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid();
  }
  if (rest === '') throw invalid();

  // The first component is a registry when it looks like a host: has '.' or ':', is
  // "localhost", or has upper case letters (a repository path may not).
  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!DOMAIN.test(registry)) throw invalid();
    }
  }
  if (registry === LEGACY_REGISTRY) registry = DEFAULT_REGISTRY;

  const components = repository.split('/');
  for (const c of components) {
    if (!PATH_COMPONENT.test(c)) {
      if (PATH_COMPONENT.test(c.toLowerCase())) throw invalid(`repository name (${repository}) must be lowercase`);
      throw invalid();
    }
  }
  if (registry === DEFAULT_REGISTRY && components.length === 1) repository = OFFICIAL_PREFIX + repository;
  if (`${registry}/${repository}`.length > MAX_NAME) throw invalid(`repository name must not be more than ${MAX_NAME} characters`);

  if (tag === undefined && digest === undefined) tag = 'latest';
  const out: ParsedReference = { registry, repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** "registry/repository" */
export function referenceName(p: ParsedReference): string {
  return `${p.registry}/${p.repository}`;
}

/** The full normalised form: "registry/repository[:tag][@digest]". */
export function formatReference(p: ParsedReference): string {
  return referenceName(p) + (p.tag !== undefined ? `:${p.tag}` : '') + (p.digest !== undefined ? `@${p.digest}` : '');
}

/** parse + format: "busybox" → "docker.io/library/busybox:latest". */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/** True when the registry is on this host (localhost, 127.0.0.0/8, ::1), spoken to over plain HTTP. */
export function isLocalRegistry(registry: string): boolean {
  let host = registry;
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (host.includes(':')) host = host.slice(0, host.lastIndexOf(':'));
  host = host.toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** The base URL of the registry's distribution API ("https://registry-1.docker.io" for docker.io). */
export function registryBaseUrl(registry: string): string {
  if (registry === DEFAULT_REGISTRY) return 'https://registry-1.docker.io';
  return `${isLocalRegistry(registry) ? 'http' : 'https'}://${registry}`;
}
