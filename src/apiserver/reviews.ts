// Create-only review resources answered by the apiserver itself, never stored:
// authentication.k8s.io TokenReview and SelfSubjectReview (kubectl auth whoami), and
// authorization.k8s.io SelfSubjectAccessReview (kubectl auth can-i), SelfSubjectRulesReview
// (can-i --list), SubjectAccessReview and LocalSubjectAccessReview.

import { apiErrors } from '../base/errors.ts';
import type { ResourceDef } from '../api/types.ts';
import { apiVersionOf } from '../api/types.ts';
import type { Authorizer, Attributes } from './authz/authorizer.ts';
import type { ApiRequest, ApiResponse, RequestUser } from './request.ts';
import { jsonResponse } from './request.ts';
import type { ResourceRequestInfo } from './router.ts';

/** Authenticates a bearer token (TokenReview); null when the token is unknown. */
export type TokenAuthenticator = (token: string) => RequestUser | null;

export interface ReviewContext {
  authorizer: Authorizer;
  authenticateToken: TokenAuthenticator;
  /** Decodes the request body into an object (JSON, YAML or protobuf). */
  decode(req: ApiRequest): Record<string, any>;
}

function userOf(u: RequestUser) {
  const info: Record<string, unknown> = { username: u.name, groups: u.groups };
  if (u.uid) info.uid = u.uid;
  if (u.extra) info.extra = u.extra;
  return info;
}

function attributesFrom(user: RequestUser, spec: Record<string, any>, namespace?: string): Attributes {
  const r = spec.resourceAttributes;
  if (r) {
    return {
      user,
      verb: r.verb ?? '',
      namespace: namespace ?? r.namespace,
      group: r.group,
      version: r.version,
      resource: r.resource,
      subresource: r.subresource,
      name: r.name,
    };
  }
  const n = spec.nonResourceAttributes;
  if (n) return { user, verb: n.verb ?? '', path: n.path };
  throw apiErrors.invalid('authorization.k8s.io', 'SelfSubjectAccessReview', '', [
    { reason: 'FieldValueRequired', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified', field: 'spec.resourceAttributes' },
  ]);
}

export function handleReview(req: ApiRequest, info: ResourceRequestInfo, def: ResourceDef, ctx: ReviewContext): ApiResponse {
  if (req.method !== 'POST' || info.name !== undefined) {
    throw apiErrors.methodNotAllowed(`${def.plural}.${def.group} only supports create`);
  }
  const body = ctx.decode(req);
  if (body.kind !== undefined && body.kind !== def.kind) {
    throw apiErrors.badRequest(`the kind of the provided object (${body.kind}) does not match the resource (${def.kind})`);
  }
  const user = req.user!;
  const spec = (body.spec ?? {}) as Record<string, any>;
  const out: Record<string, any> = { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { ...(body.metadata ?? {}), creationTimestamp: null }, spec };
  switch (def.kind) {
    case 'SelfSubjectReview':
      out.status = { userInfo: userOf(user) };
      break;
    case 'TokenReview': {
      const found = typeof spec.token === 'string' ? ctx.authenticateToken(spec.token) : null;
      out.status = found ? { authenticated: true, user: userOf(found), audiences: spec.audiences } : { authenticated: false, error: 'token is not valid' };
      break;
    }
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      const subject: RequestUser =
        def.kind === 'SelfSubjectAccessReview' ? user : { name: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [] };
      const d = ctx.authorizer.authorize(attributesFrom(subject, spec, def.kind === 'LocalSubjectAccessReview' ? info.namespace : undefined));
      out.status = d.allowed ? { allowed: true, reason: d.reason } : { allowed: false, reason: d.reason };
      break;
    }
    case 'SelfSubjectRulesReview': {
      const rules = ctx.authorizer.rulesFor(user, spec.namespace ?? '');
      out.status = rules;
      break;
    }
    default:
      throw apiErrors.methodNotAllowed(`${def.plural} is not served`);
  }
  return jsonResponse(201, out);
}
