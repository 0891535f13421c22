// Subresources: status (and namespaces/finalize) over the parent's storage, scale as an
// autoscaling/v1 Scale view of spec.replicas, pods/binding, pods/eviction, serviceaccounts/token
// (TokenRequest, minted by authn/satokens.ts), and the node-served streams: pods/log, exec,
// attach and portforward go to the pod's node agent through nodeproxy/ when the server has
// node client credentials; those and proxy answer 503 otherwise.

import { apiErrors } from '../base/errors.ts';
import type { KubeObject } from '../api/types.ts';
import { labelSelectorToString } from '../api/selectors.ts';
import { type ApiRequest, type ApiResponse, bodyText, decodeObjectBody, jsonResponse, bodyMediaType } from './request.ts';
import { checkFields } from './fieldvalidation.ts';
import type { ResourceRequestInfo } from './router.ts';
import type { ResourceStore } from './registry/store.ts';
import { rfc3339 } from './registry/store.ts';
import { patchObject, applyObject, fieldManagerOf, APPLY_PATCH_TYPE, type RestContext } from './rest.ts';
import { applyPatch } from './patch.ts';
import { successStatus } from './status.ts';
import type { NodeProxy, NodeStream } from './nodeproxy/nodeproxy.ts';

const NODE_STREAMS = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

function dryRunOf(req: ApiRequest): boolean {
  return req.query.getAll('dryRun').includes('All');
}

export async function handleSubresource(
  req: ApiRequest,
  info: ResourceRequestInfo,
  store: ResourceStore,
  ctx: RestContext,
  nodeProxy?: NodeProxy,
): Promise<ApiResponse> {
  const def = store.def;
  const sub = info.subresource!;
  const name = info.name!;
  const ns = def.namespaced ? info.namespace : undefined;
  const declared = def.subresources.find((s) => s.name === sub) ?? (def.kind === 'Namespace' && sub === 'finalize' ? { name: 'finalize', verbs: ['update'] } : undefined);
  if (!declared) throw apiErrors.notFound(def.group, `${def.plural}/${sub}`, name);

  if (NODE_STREAMS.has(sub)) {
    if (nodeProxy && def.group === '' && def.plural === 'pods' && sub !== 'proxy') return nodeProxy.serve(req, sub as NodeStream, store, ns!, name);
    await store.get(ns, name); // 404 for a missing object comes first
    throw apiErrors.serviceUnavailable(
      `no node agent is serving ${def.plural}/${sub} yet: this skiff server runs without an agent, so logs, exec, attach, port-forward and proxy are unavailable`,
    );
  }
  switch (sub) {
    case 'status':
    case 'finalize':
      return statusLike(req, store, ns, name, sub, ctx);
    case 'scale':
      return scale(req, store, ns, name);
    case 'binding':
      return binding(req, store, ns, name, ctx);
    case 'eviction':
      return eviction(req, store, ns, name);
    case 'token': {
      // serviceaccounts/token (TokenRequest): served once the server wiring gave the API a signer.
      const tokens = ctx.tokens;
      if (!tokens) throw apiErrors.methodNotAllowed(`${def.plural}/${sub} is not served yet`);
      if (req.method !== 'POST') throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on ${def.plural}/token`);
      const body = decodeObjectBody(req);
      const sa = await store.get(ns, name); // 404 for a missing ServiceAccount
      return jsonResponse(201, tokens.issue(sa, body));
    }
    default:
      throw apiErrors.methodNotAllowed(`${def.plural}/${sub} is not served yet`);
  }
}

async function statusLike(req: ApiRequest, store: ResourceStore, ns: string | undefined, name: string, sub: string, ctx: RestContext): Promise<ApiResponse> {
  switch (req.method) {
    case 'GET':
      return jsonResponse(200, await store.get(ns, name));
    case 'PUT': {
      const body = decodeObjectBody(req) as KubeObject;
      checkFields(req, store.def, body, bodyText(req)); // the whole object is decoded, as for a PUT of the resource
      const fieldManager = fieldManagerOf(req, 'update');
      const out = await store.guaranteedUpdate(ns, name, () => body, { dryRun: dryRunOf(req), subresource: sub, fieldManager });
      return jsonResponse(200, out);
    }
    case 'PATCH':
      if (sub !== 'status') break;
      if (bodyMediaType(req) === APPLY_PATCH_TYPE) return jsonResponse(200, (await applyObject(req, store, ns, name, 'status', ctx)).object);
      return jsonResponse(200, await patchObject(req, store, ns, name, 'status'));
  }
  throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on ${store.def.plural}/${sub}`);
}

/** The label selector of a scalable object, as Scale.status.selector prints it. */
function selectorString(obj: KubeObject): string {
  const sel = obj.spec?.selector;
  if (!sel) return '';
  if (obj.kind === 'ReplicationController') {
    return Object.entries(sel as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
  }
  return labelSelectorToString(sel);
}

function toScale(obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const metadata: Record<string, unknown> = {
    name: m.name,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    creationTimestamp: m.creationTimestamp,
  };
  if (m.namespace) metadata.namespace = m.namespace;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: metadata as KubeObject['metadata'],
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj) },
  };
}

async function scale(req: ApiRequest, store: ResourceStore, ns: string | undefined, name: string): Promise<ApiResponse> {
  if (req.method === 'GET') return jsonResponse(200, toScale(await store.get(ns, name)));
  if (req.method !== 'PUT' && req.method !== 'PATCH') {
    throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on ${store.def.plural}/scale`);
  }
  let wanted: KubeObject | undefined;
  if (req.method === 'PUT') wanted = decodeObjectBody(req) as KubeObject;
  const text = req.body?.toString('utf8') ?? '';
  const out = await store.guaranteedUpdate(
    ns,
    name,
    (current) => {
      const cur = toScale(current);
      const next = (req.method === 'PUT' ? wanted : applyPatch(bodyMediaType(req), cur, text)) as KubeObject;
      const replicas = next?.spec?.replicas;
      if (!Number.isInteger(replicas) || replicas < 0) {
        throw apiErrors.invalid('autoscaling', 'Scale', name, [
          { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`, field: 'spec.replicas' },
        ]);
      }
      const rv = next.metadata?.resourceVersion;
      current.spec = { ...(current.spec ?? {}), replicas };
      if (rv && rv !== cur.metadata.resourceVersion) current.metadata.resourceVersion = rv; // precondition → 409
      return current;
    },
    { dryRun: dryRunOf(req), fieldManager: { ...fieldManagerOf(req, req.method === 'PUT' ? 'update' : 'patch'), subresource: 'scale' } },
  );
  return jsonResponse(200, toScale(out));
}

async function binding(req: ApiRequest, store: ResourceStore, ns: string | undefined, name: string, ctx: RestContext): Promise<ApiResponse> {
  if (req.method !== 'POST') throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on pods/binding`);
  const body = decodeObjectBody(req);
  const node = body.target?.name;
  if (typeof node !== 'string' || node === '') {
    throw apiErrors.invalid('', 'Binding', name, [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }]);
  }
  if (body.metadata?.name && body.metadata.name !== name) {
    throw apiErrors.badRequest(`the name of the binding (${body.metadata.name}) does not match the pod (${name})`);
  }
  await store.guaranteedUpdate(
    ns,
    name,
    (pod) => {
      if (pod.metadata.deletionTimestamp) {
        throw apiErrors.conflict('', 'pods', name, 'pod is being deleted, cannot be assigned to a host');
      }
      if (pod.spec?.nodeName) {
        throw apiErrors.conflict('', 'pods', name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      }
      pod.spec = { ...pod.spec, nodeName: node };
      const conds = ((pod.status?.conditions ?? []) as { type: string }[]).filter((c) => c.type !== 'PodScheduled');
      conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now()) } as never);
      pod.status = { ...(pod.status ?? {}), conditions: conds };
      return pod;
    },
    { subresource: 'binding' },
  );
  return jsonResponse(201, successStatus());
}

async function eviction(req: ApiRequest, store: ResourceStore, ns: string | undefined, name: string): Promise<ApiResponse> {
  if (req.method !== 'POST') throw apiErrors.methodNotAllowed(`method ${req.method} is not supported on pods/eviction`);
  const body = decodeObjectBody(req);
  if (body.metadata?.name && body.metadata.name !== name) {
    throw apiErrors.badRequest(`name in URL does not match name in Eviction object`);
  }
  const opts = body.deleteOptions ?? {};
  await store.delete(ns, name, {
    gracePeriodSeconds: opts.gracePeriodSeconds,
    dryRun: dryRunOf(req) || (opts.dryRun ?? []).includes('All'),
    preconditions: opts.preconditions,
  });
  return jsonResponse(201, successStatus());
}
