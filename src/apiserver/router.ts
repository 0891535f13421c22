// Turns an API path into a RequestInfo (group, version, namespace, resource, name, subresource),
// following upstream's RequestInfoFactory rules, including the legacy `/watch/` prefix and the
// namespace subresources (`namespaces/<ns>/status|finalize`).

export interface ResourceRequestInfo {
  group: string;
  version: string;
  /** Set for namespaced paths (`/namespaces/<ns>/...`). */
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** Path used the legacy `/watch/` segment. */
  legacyWatch: boolean;
  /** Extra path after the subresource (pods/proxy/<path>). */
  rest?: string;
}

export type PathInfo =
  | { type: 'resource'; info: ResourceRequestInfo }
  | { type: 'groupVersion'; group: string; version: string } // /api/v1, /apis/apps/v1
  | { type: 'group'; group: string } // /apis/apps
  | { type: 'other' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function parseApiPath(path: string): PathInfo {
  const parts = path.split('/').filter((p) => p !== '');
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') {
    if (parts.length < 2) return { type: 'other' };
    group = '';
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === 'apis') {
    if (parts.length < 2) return { type: 'other' };
    if (parts.length === 2) return { type: 'group', group: parts[1]! };
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { type: 'other' };
  }
  if (rest.length === 0) return { type: 'groupVersion', group, version };

  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { type: 'other' };
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) {
      rest = rest.slice(2);
    } else {
      // namespaces/<name>[/status|finalize]: the namespace object itself
      const info: ResourceRequestInfo = { group, version, resource: 'namespaces', name: namespace, legacyWatch };
      if (rest[2]) info.subresource = rest[2];
      return { type: 'resource', info };
    }
  }
  const info: ResourceRequestInfo = { group, version, resource: rest[0]!, legacyWatch };
  if (namespace !== undefined) info.namespace = namespace;
  if (rest.length > 1) info.name = rest[1];
  if (rest.length > 2) info.subresource = rest[2];
  if (rest.length > 3) info.rest = rest.slice(3).join('/');
  return { type: 'resource', info };
}
