// The generic registry of one resource: create/get/list/update/delete/watch over the store
// Backend, with reads of lists and watches from the WatchCache. HTTP-free: the REST handler
// (rest.ts) decodes requests into calls here and encodes what comes back.
//
// Objects are stored as JSON without metadata.resourceVersion; the store revision of a key
// is its resourceVersion. Every write is a compare-and-swap on the revision that was read.

import { randomUUID } from 'node:crypto';
import { apiErrors, ApiError, ConflictError, KeyExistsError, KeyNotFoundError } from '../../base/errors.ts';
import type { Backend, KeyValue } from '../../store/backend.ts';
import type { KubeObject, ResourceDef } from '../../api/types.ts';
import { apiVersionOf } from '../../api/types.ts';
import { convertTo } from '../../api/conversion.ts';
import { storageKey, storagePrefix } from '../../api/resources.ts';
import type { WatchCache, ListResult, WatchOpts } from '../watchcache/cache.ts';
import { deleteGracePeriod, prepareForCreate, prepareForUpdate } from './strategy.ts';
import { updateManagedFields } from '../apply/index.ts';
import { storedJson } from './stored-json.ts';

export interface Clock {
  now(): Date;
}

/** Whether a namespace exists and is usable; supplied by the server (reads the namespace cache). */
export interface NamespaceGate {
  /** Throws 404 if the namespace is missing, 403 if it is terminating. */
  checkWritable(namespace: string): Promise<void>;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Who writes, for metadata.managedFields. `apply`: the object already carries the
   *  server-side-apply result (its managedFields are final). Absent: managedFields untouched. */
  fieldManager?: { manager: string; apply?: boolean; subresource?: string };
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: string;
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface DeleteResult {
  object: KubeObject;
  /** False when the object is only marked for deletion (finalizers or a grace period). */
  deleted: boolean;
}

/** An update function for guaranteedUpdate: gets a private copy of the current object. */
export type Mutator = (current: KubeObject) => KubeObject | Promise<KubeObject>;

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function rfc3339(d: Date): string {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec === lastSecond) return lastText; // creates come many to a second
  const iso = d.toISOString(); // …THH:MM:SS.sssZ
  lastSecond = sec;
  lastText = iso.slice(0, -5) + 'Z';
  return lastText;
}

/** The last second rfc3339 wrote (a memo of a pure function). */
let lastSecond = Number.NaN;
let lastText = '';

function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** Parse a stored value and attach its resourceVersion. */
export function decodeStored(kv: KeyValue): KubeObject {
  const obj = JSON.parse(kv.value) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}

function encodeStored(obj: KubeObject): string {
  const meta = obj.metadata;
  const rv = meta.resourceVersion;
  if (rv === undefined) return storedJson(obj);
  // Hidden, not deleted: JSON.stringify skips undefined, and a delete would turn metadata into
  // a slow dictionary-mode object for the rest of its life (in the watch cache).
  meta.resourceVersion = undefined;
  try {
    return storedJson(obj);
  } finally {
    meta.resourceVersion = rv;
  }
}

function deepCopy<T>(v: T): T {
  return structuredClone(v);
}

export class ResourceStore {
  readonly def: ResourceDef;
  readonly cache: WatchCache;
  private readonly backend: Backend;
  private readonly clock: Clock;
  private readonly namespaces: NamespaceGate;

  /** Create admission (mutating), run before defaulting and validation. */
  private readonly admit: ((obj: KubeObject) => Promise<void>) | undefined;

  constructor(opts: { def: ResourceDef; backend: Backend; cache: WatchCache; clock: Clock; namespaces: NamespaceGate; admit?: (obj: KubeObject) => Promise<void> }) {
    this.admit = opts.admit;
    this.def = opts.def;
    this.backend = opts.backend;
    this.cache = opts.cache;
    this.clock = opts.clock;
    this.namespaces = opts.namespaces;
  }

  key(namespace: string | undefined, name: string): string {
    return storageKey(this.def, this.def.namespaced ? namespace : undefined, name);
  }

  prefix(namespace?: string): string {
    return storagePrefix(this.def, this.def.namespaced ? namespace : undefined);
  }

  private notFound(name: string): ApiError {
    return apiErrors.notFound(this.def.group, this.def.plural, name);
  }

  private conflict(name: string): ApiError {
    return apiErrors.conflict(
      this.def.group,
      this.def.plural,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
    );
  }

  /** An object in this resource's served version: converts objects stored in a sibling version
   *  (events, HPAs), otherwise stamps apiVersion/kind in place. Only for private copies. */
  present(obj: KubeObject): KubeObject {
    const want = apiVersionOf(this.def);
    obj.kind = this.def.kind;
    if (obj.apiVersion && obj.apiVersion !== want) return convertTo(obj, want);
    obj.apiVersion = want;
    return obj;
  }

  /** Read-only cached objects in this resource's served version (copies only when converting). */
  view(obj: KubeObject): KubeObject {
    const want = apiVersionOf(this.def);
    return obj.apiVersion === want ? obj : convertTo(obj, want);
  }

  private validate(obj: KubeObject, old?: KubeObject): void {
    const causes = this.def.validate?.(obj, old) ?? [];
    if (causes.length > 0) {
      throw apiErrors.invalid(this.def.group, this.def.kind, obj.metadata?.name ?? '', causes);
    }
  }

  /** Read one object straight from the store (consistent). */
  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.backend.get(this.key(namespace, name));
    if (!kv) throw this.notFound(name);
    return this.present(decodeStored(kv));
  }

  async list(opts: Parameters<WatchCache['list']>[0]): Promise<ListResult> {
    return this.cache.list(opts);
  }

  watch(opts: WatchOpts): void {
    this.cache.watch(opts);
  }

  /**
   * Create an object. Takes ownership of `input` (a freshly decoded request body): it is filled
   * in place and returned, not copied. The returned object may be the very object the watch
   * cache now holds (it is offered to the cache instead of having the cache parse the stored
   * JSON again), so it is read-only: serialize it with json(), do not change it.
   */
  async create(namespace: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = input;
    obj.metadata ??= {};
    const meta = obj.metadata;
    const generatedName = !meta.name && !!meta.generateName;
    if (this.def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace ?? meta.namespace;
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) {
      throw apiErrors.invalid(this.def.group, this.def.kind, '', [
        { reason: 'FieldValueRequired', message: 'name or generateName is required', field: 'metadata.name' },
      ]);
    }
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.clock.now());
    obj.apiVersion = apiVersionOf(this.def);
    obj.kind = this.def.kind;
    prepareForCreate(this.def, obj);
    this.def.defaults?.(obj);
    // The field manager records what the writer set (defaults included), then mutating
    // admission adds its own fields (service account, priority, tolerations), which no manager
    // owns: upstream's order.
    this.trackFields(undefined, obj, opts);
    if (this.admit) await this.admit(obj);
    this.validate(obj);
    if (this.def.namespaced) await this.namespaces.checkWritable(meta.namespace!);
    if (opts.dryRun) {
      if (await this.backend.get(this.key(meta.namespace, meta.name))) {
        throw apiErrors.alreadyExists(this.def.group, this.def.plural, meta.name);
      }
      return obj;
    }
    const key = this.key(meta.namespace, meta.name);
    const value = encodeStored(obj);
    const withdraw = this.cache.offer(key, value, obj);
    try {
      const kv = await this.backend.create(key, value);
      const rv = String(kv.modRevision);
      if (meta.resourceVersion !== rv) meta.resourceVersion = rv; // the cache may have set it already
      return obj;
    } catch (e) {
      if (e instanceof KeyExistsError) {
        if (generatedName) {
          throw new ApiError(409, 'AlreadyExists', `${this.def.plural} "${meta.name}" already exists, the server was not able to generate a unique name for the object`);
        }
        throw apiErrors.alreadyExists(this.def.group, this.def.plural, meta.name);
      }
      throw e;
    } finally {
      withdraw();
    }
  }

  /**
   * The JSON of an object this store returned, as UTF-8 bytes. When the watch cache holds that
   * very object (a create or update it adopted), its memoized bytes are reused (built from the
   * stored text, not by JSON.stringify, and shared with lists and watches); otherwise the
   * object is stringified. Read-only.
   */
  json(obj: KubeObject): Buffer | string {
    const m = obj.metadata;
    if (m?.name && this.cache.get(this.key(m.namespace, m.name)) === obj) return this.cache.objectBytes(obj);
    return JSON.stringify(obj);
  }

  /**
   * Read-modify-write with compare-and-swap (upstream's GuaranteedUpdate). The mutator returns
   * the object the client asked for; the strategy keeps what it may not change. When the
   * client named a resourceVersion (in the object), a mismatch is a 409; otherwise a lost race
   * retries. A result equal to the stored object writes nothing and keeps the resourceVersion.
   * As with create(), the returned object may be shared with the watch cache: read-only.
   */
  async guaranteedUpdate(
    namespace: string | undefined,
    name: string,
    mutate: Mutator,
    opts: WriteOptions & { subresource?: string } = {},
  ): Promise<KubeObject> {
    const key = this.key(namespace, name);
    const binding = opts.subresource === 'binding';
    for (let attempt = 0; ; attempt++) {
      // A binding starts from the watch cache's object, as upstream's cacher hands its cached
      // object to GuaranteedUpdate: no store read, no parse. The compare-and-swap below is
      // against that object's revision, so a cache behind the store only costs a retry, which
      // reads the store. Every write on this path copies before it changes (read-only object).
      const cached = binding && attempt === 0 ? this.cache.get(key) : undefined;
      let current: KubeObject;
      let expected: number;
      let kv: KeyValue | null = null;
      if (cached) {
        current = this.view(cached);
        expected = Number(cached.metadata.resourceVersion);
      } else {
        kv = await this.backend.get(key);
        if (!kv) throw this.notFound(name);
        current = this.present(decodeStored(kv));
        expected = kv.modRevision;
      }
      // The mutator gets a private copy: parsing beats structuredClone. The binding mutator
      // (subresources.ts) only replaces spec and status on the object it is given, so a
      // shallow copy is private enough for it.
      const requested = await mutate(binding ? { ...current, metadata: { ...current.metadata } } : this.present(decodeStored(kv!)));
      requested.metadata ??= {};
      const wantRv = requested.metadata.resourceVersion;
      if (wantRv && wantRv !== current.metadata.resourceVersion) throw this.conflict(name);
      if (requested.metadata.name && requested.metadata.name !== name) {
        throw apiErrors.badRequest(`the name of the object (${requested.metadata.name}) does not match the name on the URL (${name})`);
      }
      if (this.def.namespaced && requested.metadata.namespace && requested.metadata.namespace !== current.metadata.namespace) {
        throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      if (requested.metadata.uid && requested.metadata.uid !== current.metadata.uid) {
        throw this.conflict(name);
      }
      const next = prepareForUpdate(this.def, requested, current, opts.subresource);
      next.apiVersion = apiVersionOf(this.def);
      next.kind = this.def.kind;
      // pods/binding writes the stored pod directly, as upstream's BindingREST (assignPod) does:
      // it sets only spec.nodeName and the PodScheduled condition of a stored (defaulted,
      // validated) pod, and always changes it (a bound pod is refused), so there is nothing to
      // default, validate or compare.
      const storageOnly = opts.subresource === 'binding';
      if (opts.subresource !== 'status' && !storageOnly) this.def.defaults?.(next);
      this.trackFields(current, next, opts);
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      if (!storageOnly) this.validate(next, current);
      const value = encodeStored(next);
      if (!storageOnly && value === encodeStored(current)) return current; // no-op: no new revision
      if (opts.dryRun) return next;
      // An object being deleted whose last finalizer went away is removed now.
      const m = next.metadata;
      if (m.deletionTimestamp && (m.finalizers ?? []).length === 0 && this.finishesDeletion(next)) {
        try {
          const { revision } = await this.backend.delete(key, expected);
          next.metadata.resourceVersion = String(revision);
          return next;
        } catch (e) {
          if (e instanceof ConflictError && (cached || !wantRv) && attempt < 20) continue;
          if (e instanceof ConflictError) throw this.conflict(name);
          if (e instanceof KeyNotFoundError) throw this.notFound(name);
          throw e;
        }
      }
      // As in create: the watch cache may adopt `next` itself, so it is read-only from here.
      const withdraw = this.cache.offer(key, value, next);
      try {
        const out = await this.backend.update(key, value, expected);
        const rv = String(out.modRevision);
        if (next.metadata.resourceVersion !== rv) next.metadata.resourceVersion = rv;
        return next;
      } catch (e) {
        if (e instanceof ConflictError && (cached || !wantRv) && attempt < 20) continue;
        if (e instanceof ConflictError) throw this.conflict(name);
        if (e instanceof KeyNotFoundError) throw this.notFound(name);
        throw e;
      } finally {
        withdraw();
      }
    }
  }

  /** Keep metadata.managedFields in step for an ordinary (non-apply) write. */
  private trackFields(old: KubeObject | undefined, next: KubeObject, opts: WriteOptions & { subresource?: string }): void {
    const fm = opts.fieldManager;
    if (!fm || fm.apply) return;
    const sub = fm.subresource ?? opts.subresource;
    if (sub === 'binding' || sub === 'finalize') return;
    updateManagedFields(old, next, {
      manager: fm.manager,
      now: this.clock.now(),
      apiVersion: apiVersionOf(this.def),
      subresource: sub,
      kind: this.def.kind,
      hasStatus: this.def.hasStatus,
    });
  }

  /** Marked objects are removed once finalizers are gone, unless a grace period still runs (pods wait for their node). */
  private finishesDeletion(obj: KubeObject): boolean {
    if (this.def.kind === 'Namespace') return (obj.spec?.finalizers ?? []).length === 0;
    return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  }

  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.backend.get(key);
      if (!kv) throw this.notFound(name);
      const current = this.present(decodeStored(kv));
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw apiErrors.conflict(this.def.group, this.def.plural, name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw apiErrors.conflict(this.def.group, this.def.plural, name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`);
      }
      const plan = this.planDelete(current, opts);
      if (opts.dryRun) return { object: plan.mark ?? current, deleted: !plan.mark };
      try {
        if (plan.mark) {
          if (encodeStored(plan.mark) === encodeStored(current)) return { object: current, deleted: false };
          const out = await this.backend.update(key, encodeStored(plan.mark), kv.modRevision);
          plan.mark.metadata.resourceVersion = String(out.modRevision);
          return { object: plan.mark, deleted: false };
        }
        const { revision } = await this.backend.delete(key, kv.modRevision);
        current.metadata.resourceVersion = String(revision);
        return { object: current, deleted: true };
      } catch (e) {
        if (e instanceof ConflictError && attempt < 20) continue;
        if (e instanceof KeyNotFoundError) throw this.notFound(name);
        throw e;
      }
    }
  }

  /** Decide between removing now and marking (deletionTimestamp) for finalizers or a grace period. */
  private planDelete(current: KubeObject, opts: DeleteOptions): { mark?: KubeObject } {
    const now = this.clock.now();
    const next = deepCopy(current);
    const m = next.metadata;
    const finalizers = [...(m.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : undefined);
    if (policy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Background' || policy === 'Foreground') {
      const i = finalizers.indexOf('orphan');
      if (i >= 0 && !(current.metadata.finalizers ?? []).includes('orphan')) finalizers.splice(i, 1);
    }
    const grace = deleteGracePeriod(this.def, current, opts.gracePeriodSeconds);
    const nsFinalizers = this.def.kind === 'Namespace' ? (current.spec?.finalizers ?? []) : [];

    if (m.deletionTimestamp) {
      // Already terminating: a shorter grace period may bring the deadline forward.
      if (this.def.kind === 'Pod' && opts.gracePeriodSeconds !== undefined) {
        const cur = m.deletionGracePeriodSeconds ?? 0;
        if (grace === 0 && finalizers.length === 0) return {};
        if (grace < cur) {
          m.deletionGracePeriodSeconds = grace;
          m.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        }
      }
      if (finalizers.length === 0 && nsFinalizers.length === 0 && (m.deletionGracePeriodSeconds ?? 0) === 0) return {};
      m.finalizers = finalizers.length ? finalizers : undefined;
      if (!m.finalizers) delete m.finalizers;
      return { mark: next };
    }
    if (finalizers.length === 0 && grace === 0 && nsFinalizers.length === 0) return {};
    m.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
    m.deletionGracePeriodSeconds = grace;
    if (finalizers.length) m.finalizers = finalizers;
    if (this.def.kind === 'Namespace') next.status = { ...(next.status ?? {}), phase: 'Terminating' };
    return { mark: next };
  }
}
