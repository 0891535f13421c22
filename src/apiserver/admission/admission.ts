// Mutating admission on create: small plugins that complete an object from cluster state
// before defaulting and validation, as upstream's admission chain does. Each plugin says which
// resources it handles; errors are ApiErrors (403 Forbidden for policy refusals).

import type { KubeObject, ResourceDef } from '../../api/types.ts';

/** Read-only cluster state admission may consult (served from the watch caches). */
export interface AdmissionLookup {
  /** A cluster-scoped or namespaced object from the cache, by group/plural/namespace/name. */
  get(group: string, plural: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Every cached object of a resource (any cached state; no consistency wait). */
  list(group: string, plural: string): Promise<readonly KubeObject[]>;
}

/**
 * Contract: admitCreate may change `obj` (a private copy) and may throw ApiError to refuse.
 * It runs after the registry's create preparation and before defaulting and validation; it
 * must be fast and never write to the store.
 */
export interface AdmissionPlugin {
  readonly name: string;
  handles(def: ResourceDef): boolean;
  admitCreate(obj: KubeObject, lookup: AdmissionLookup): void | Promise<void>;
}

export class AdmissionChain {
  private readonly plugins: AdmissionPlugin[];
  private readonly lookup: AdmissionLookup;
  constructor(plugins: AdmissionPlugin[], lookup: AdmissionLookup) {
    this.plugins = plugins;
    this.lookup = lookup;
  }
  /** The create-admission function for one resource, or undefined when no plugin handles it. */
  forResource(def: ResourceDef): ((obj: KubeObject) => Promise<void>) | undefined {
    const mine = this.plugins.filter((p) => p.handles(def));
    if (mine.length === 0) return undefined;
    return async (obj) => {
      for (const p of mine) await p.admitCreate(obj, this.lookup);
    };
  }
}
