// Authorization: the decision interface the apiserver consults for every request and for
// SelfSubjectAccessReview / SelfSubjectRulesReview answers. Until RBAC lands, AllowAll is the
// only implementation: every authenticated user may do everything.

import type { RequestUser } from '../request.ts';

/** What is being asked (upstream's authorizer.Attributes). */
export interface Attributes {
  user: RequestUser;
  verb: string;
  /** Resource requests. */
  namespace?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
  /** Non-resource requests (/healthz, /version, ...). */
  path?: string;
}

export interface Decision {
  allowed: boolean;
  /** Why: shown by `kubectl auth can-i` as `no - <reason>`. */
  reason: string;
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs: string[];
}

/**
 * Contract: pure with respect to its inputs and the policy it holds; safe to call concurrently;
 * never throws for a well-formed Attributes.
 */
export interface Authorizer {
  authorize(attrs: Attributes): Decision;
  /** The rules `user` has in `namespace` (SelfSubjectRulesReview). */
  rulesFor(user: RequestUser, namespace: string): { resourceRules: ResourceRule[]; nonResourceRules: NonResourceRule[]; incomplete: boolean };
}

export class AllowAll implements Authorizer {
  authorize(): Decision {
    return { allowed: true, reason: 'skiff allows every authenticated user everything until RBAC is enabled' };
  }
  rulesFor() {
    return {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
  }
}
