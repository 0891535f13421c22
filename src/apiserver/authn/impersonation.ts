// User impersonation (`kubectl --as`, `--as-group`, `--as-uid`, and client-go's Impersonate
// config), as upstream's impersonation filter does it: the Impersonate-User, Impersonate-Group,
// Impersonate-Uid and Impersonate-Extra-<key> headers of an authenticated request replace its
// user, once the requesting user is authorized to impersonate each of them (verb `impersonate`
// on users, groups, serviceaccounts, uids and userextras). A user named
// `system:serviceaccount:<ns>:<name>` is that service account, with the service-account
// groups unless groups were given; an impersonated user is in system:authenticated (or, for
// system:anonymous, system:unauthenticated) unless those groups say otherwise.

import { ApiError, apiErrors } from '../../base/errors.ts';
import type { Attributes, Authorizer } from '../authz/authorizer.ts';
import type { RequestUser } from '../request.ts';

export const IMPERSONATE_PREFIX = 'impersonate-';
const EXTRA_PREFIX = 'impersonate-extra-';

const ANONYMOUS = 'system:anonymous';
const AUTHENTICATED = 'system:authenticated';
const UNAUTHENTICATED = 'system:unauthenticated';
const SA_PREFIX = 'system:serviceaccount:';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The namespace and name of a service-account user name, or undefined for any other name. */
function serviceAccountOf(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_PREFIX)) return undefined;
  const parts = user.slice(SA_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (namespace.length > 63 || !DNS_LABEL.test(namespace) || name.length > 253 || !DNS_SUBDOMAIN.test(name)) return undefined;
  return { namespace, name };
}

/** An extra key as sent (percent-encoded in the header name), decoded; kept as is when it does not decode. */
function extraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

interface Target {
  resource: 'users' | 'groups' | 'serviceaccounts' | 'uids' | 'userextras';
  group: string;
  name: string;
  namespace?: string;
  subresource?: string;
}

/**
 * The user a request acts as. `headers`: the request's impersonation headers by lower-case
 * name, every value of each (Impersonate-Group and Impersonate-Extra-* repeat). Without any,
 * the requestor itself. 403 when the requestor may not impersonate one of them; 500, as
 * upstream answers, for groups, a uid or extras without a user.
 */
export function impersonatedUser(requestor: RequestUser, headers: Readonly<Record<string, readonly string[]>>, authorizer: Authorizer): RequestUser {
  const userName = headers['impersonate-user']?.[0] ?? '';
  const groupValues = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0] ?? '';
  const targets: Target[] = [];
  const sa = userName ? serviceAccountOf(userName) : undefined;
  if (sa) targets.push({ resource: 'serviceaccounts', group: '', name: sa.name, namespace: sa.namespace });
  else if (userName) targets.push({ resource: 'users', group: '', name: userName });
  for (const g of groupValues) targets.push({ resource: 'groups', group: '', name: g });
  const extra: Record<string, string[]> = {};
  for (const header of Object.keys(headers).sort()) {
    if (!header.startsWith(EXTRA_PREFIX)) continue;
    const key = extraKey(header.slice(EXTRA_PREFIX.length));
    for (const value of headers[header]!) {
      targets.push({ resource: 'userextras', group: 'authentication.k8s.io', name: value, subresource: key });
      (extra[key] ??= []).push(value);
    }
  }
  if (uid) targets.push({ resource: 'uids', group: 'authentication.k8s.io', name: uid });
  if (targets.length === 0) return requestor;
  if (!userName) {
    throw apiErrors.internal('requested impersonation of groups, a uid or user extras without impersonating a user (set Impersonate-User too)');
  }

  for (const t of targets) {
    const attrs: Attributes = { user: requestor, verb: 'impersonate', group: t.group, resource: t.resource, name: t.name };
    if (t.namespace !== undefined) attrs.namespace = t.namespace;
    if (t.subresource !== undefined) attrs.subresource = t.subresource;
    const d = authorizer.authorize(attrs);
    if (!d.allowed) throw forbidden(requestor, t, d.reason);
  }

  const groups = [...groupValues];
  if (sa && groupValues.length === 0) groups.push('system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`);
  if (userName !== ANONYMOUS) {
    if (!groups.includes(AUTHENTICATED) && !groups.includes(UNAUTHENTICATED)) groups.push(AUTHENTICATED);
  } else if (!groups.includes(UNAUTHENTICATED)) groups.push(UNAUTHENTICATED);
  const user: RequestUser = { name: userName, groups };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

function forbidden(requestor: RequestUser, t: Target, reason: string): ApiError {
  const qualified = t.group ? `${t.resource}.${t.group}` : t.resource;
  const where = t.namespace !== undefined ? `in the namespace "${t.namespace}"` : 'at the cluster scope';
  const sub = t.subresource !== undefined ? `${t.resource}/${t.subresource}` : t.resource;
  const message = `${qualified} "${t.name}" is forbidden: User "${requestor.name}" cannot impersonate resource "${sub}" in API group "${t.group}" ${where}${reason ? `: ${reason}` : ''}`;
  return new ApiError(403, 'Forbidden', message, { name: t.name, group: t.group, kind: t.resource });
}
