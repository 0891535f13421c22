// API discovery: aggregated (apidiscovery.k8s.io/v2 and v2beta1, with the exact Content-Type
// kubectl needs) and legacy (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>) documents, all
// derived from the resource catalogue and built once. ETags allow 304 answers.

import { createHash } from 'node:crypto';
import type { ResourceDef } from '../api/types.ts';
import type { ApiRequest, ApiResponse } from './request.ts';

interface GroupInfo {
  name: string;
  versions: string[];
  preferred: string;
}

/** Preferred versions that are not the first one served (upstream prefers autoscaling/v2). */
const PREFERRED: Record<string, string> = { autoscaling: 'v2' };

function sortVersions(versions: string[], preferred: string): string[] {
  return [preferred, ...versions.filter((v) => v !== preferred).sort().reverse()];
}

interface Doc {
  body: string;
  etag: string;
  contentType: string;
}

function doc(obj: unknown, contentType = 'application/json'): Doc {
  const body = JSON.stringify(obj);
  return { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`, contentType };
}

const AGG_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AGG_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

/** Which aggregated discovery version the Accept header asks for first, if any. */
function aggregatedWanted(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '');
    if (!p.includes('as=APIGroupDiscoveryList') || !p.includes('g=apidiscovery.k8s.io')) continue;
    if (p.includes('v=v2beta1')) return 'v2beta1';
    if (p.includes('v=v2')) return 'v2';
  }
  return undefined;
}

export class Discovery {
  private readonly groups: GroupInfo[] = [];
  private readonly byGv = new Map<string, ResourceDef[]>();
  private readonly docs = new Map<string, Doc>();

  constructor(resources: readonly ResourceDef[]) {
    for (const def of resources) {
      const gv = `${def.group}/${def.version}`;
      if (!this.byGv.has(gv)) this.byGv.set(gv, []);
      this.byGv.get(gv)!.push(def);
      if (def.group === '') continue;
      let g = this.groups.find((x) => x.name === def.group);
      if (!g) {
        g = { name: def.group, versions: [], preferred: '' };
        this.groups.push(g);
      }
      if (!g.versions.includes(def.version)) g.versions.push(def.version);
    }
    for (const g of this.groups) {
      g.preferred = PREFERRED[g.name] && g.versions.includes(PREFERRED[g.name]!) ? PREFERRED[g.name]! : g.versions[0]!;
      g.versions = sortVersions(g.versions, g.preferred);
    }
    this.build();
  }

  private build(): void {
    this.docs.set('/api', doc({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] }));
    this.docs.set('/apis', doc({ kind: 'APIGroupList', apiVersion: 'v1', groups: this.groups.map((g) => this.apiGroup(g)) }));
    for (const g of this.groups) this.docs.set(`/apis/${g.name}`, doc({ kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(g) }));
    for (const [gv, defs] of this.byGv) {
      const [group, version] = gv.split('/') as [string, string];
      const path = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
      this.docs.set(path, doc(this.resourceList(group, version, defs)));
    }
    for (const v of ['v2', 'v2beta1'] as const) {
      const ct = v === 'v2' ? AGG_V2 : AGG_V2BETA1;
      const core = { metadata: { creationTimestamp: null }, versions: [this.aggVersion('', 'v1')] };
      this.docs.set(`agg:${v}:/api`, doc({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items: [core] }, ct));
      const items = this.groups.map((g) => ({
        metadata: { name: g.name, creationTimestamp: null },
        versions: g.versions.map((ver) => this.aggVersion(g.name, ver)),
      }));
      this.docs.set(`agg:${v}:/apis`, doc({ kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items }, ct));
    }
  }

  private apiGroup(g: GroupInfo) {
    return {
      name: g.name,
      versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.name}/${g.preferred}`, version: g.preferred },
    };
  }

  private resourceList(group: string, version: string, defs: ResourceDef[]) {
    const resources: Record<string, unknown>[] = [];
    for (const d of defs) {
      const r: Record<string, unknown> = {
        name: d.plural,
        singularName: d.singular,
        namespaced: d.namespaced,
        kind: d.kind,
        verbs: d.verbs,
      };
      if (d.shortNames.length) r.shortNames = d.shortNames;
      if (d.categories.length) r.categories = d.categories;
      resources.push(r);
      for (const s of d.subresources) {
        const sr: Record<string, unknown> = { name: `${d.plural}/${s.name}`, singularName: '', namespaced: d.namespaced, kind: s.kind.kind, verbs: s.verbs };
        if (s.kind.group !== group || s.kind.version !== version) {
          sr.group = s.kind.group;
          sr.version = s.kind.version;
        }
        resources.push(sr);
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
  }

  private aggVersion(group: string, version: string) {
    const defs = this.byGv.get(`${group}/${version}`) ?? [];
    return {
      version,
      freshness: 'Current',
      resources: defs.map((d) => {
        const r: Record<string, unknown> = {
          resource: d.plural,
          responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: d.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: d.singular,
          verbs: d.verbs,
        };
        if (d.shortNames.length) r.shortNames = d.shortNames;
        if (d.categories.length) r.categories = d.categories;
        if (d.subresources.length) {
          r.subresources = d.subresources.map((s) => ({ subresource: s.name, responseKind: s.kind, verbs: s.verbs }));
        }
        return r;
      }),
    };
  }

  /** Answer a discovery path, or undefined when the path is not a discovery document. */
  serve(req: ApiRequest): ApiResponse | undefined {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    let path = req.path.replace(/\/+$/, '');
    const agg = aggregatedWanted(req.headers['accept']);
    if (agg && (path === '/api' || path === '/apis')) path = `agg:${agg}:${path}`;
    const d = this.docs.get(path);
    if (!d) return undefined;
    const headers = { 'content-type': d.contentType, etag: d.etag, 'cache-control': 'public' };
    if (req.headers['if-none-match'] === d.etag) return { status: 304, headers };
    return { status: 200, headers, body: d.body };
  }

  /** The groups served, preferred version first (for tests and OpenAPI). */
  groupList(): readonly GroupInfo[] {
    return this.groups;
  }
}
