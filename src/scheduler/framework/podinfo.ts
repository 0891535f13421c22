// PodInfo: the facts about a pod the scheduler computes once and every plugin reuses — the
// effective resource request (upstream's PodRequests: the larger of the init-container peak and
// the sum of the containers, with restartable "sidecar" init containers counted as running
// alongside, plus overhead), the non-zero request used for scoring, and the parsed inter-pod
// (anti-)affinity terms with compiled label selectors. Also the resource-name classification
// and ResourceList parsing shared with nodeinfo.ts, and a compiled label matcher that does not
// allocate per call (filters run once per node per pod).

import type { KubeObject } from '../../api/types.ts';
import { Quantity } from '../../api/quantity.ts';
import { fromLabelSelectorObject, LabelSelector } from '../../api/selectors.ts';
import type { LabelRequirement, LabelSelectorObject } from '../../api/selectors.ts';
import { isQualifiedName } from '../../api/validation/names.ts';
import type { AffinityTerm, HostPortInfo, PodInfo, Resource, WeightedAffinityTerm } from './types.ts';

/** Upstream's defaults for containers that request no cpu/memory, used only for scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export type Labels = Readonly<Record<string, string>>;
export const EMPTY_LABELS: Labels = Object.freeze({});

// ---- resource names ---------------------------------------------------------------------------

/** No '/' or a kubernetes.io/ prefix: a resource Kubernetes itself defines. */
export function isNativeResourceName(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

/** A vendor resource such as nvidia.com/gpu (upstream's IsExtendedResourceName). */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResourceName(name) || name.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${name}`).length === 0;
}

/** Resources kept in Resource.scalar: extended, hugepages-*, prefixed native, attachable volumes. */
export function isScalarResourceName(name: string): boolean {
  return (
    name.startsWith('hugepages-') ||
    name.startsWith('attachable-volumes-') ||
    name.includes('kubernetes.io/') ||
    isExtendedResourceName(name)
  );
}

// ---- quantities -------------------------------------------------------------------------------

const NANOS_PER_UNIT = 1_000_000_000n;
const NANOS_PER_MILLI = 1_000_000n;
const nanoCache = new Map<string, bigint>();

/** A quantity as an exact count of nano-units (quantities are exact to 1e-9); 0 when invalid. */
function nanos(q: unknown): bigint {
  if (typeof q === 'number') q = String(q);
  if (typeof q !== 'string') return 0n;
  const hit = nanoCache.get(q);
  if (hit !== undefined) return hit;
  const parsed = Quantity.tryParse(q);
  let n = 0n;
  if (parsed) n = parsed.scale >= -9 ? parsed.unscaled * 10n ** BigInt(parsed.scale + 9) : 0n;
  if (nanoCache.size > 4096) nanoCache.clear(); // a bounded memo: pods repeat the same few strings
  nanoCache.set(q, n);
  return n;
}

function ceilDiv(n: bigint, d: bigint): number {
  if (n <= 0n) return n === 0n ? 0 : -Number(-n / d);
  return Number((n + d - 1n) / d);
}

/** Upstream's MilliValue() of a quantity in nanos. */
const toMilli = (n: bigint): number => ceilDiv(n, NANOS_PER_MILLI);
/** Upstream's Value() of a quantity in nanos. */
const toValue = (n: bigint): number => ceilDiv(n, NANOS_PER_UNIT);

/** A ResourceList (node allocatable, a request map) as a Resource. Unknown names are ignored. */
export function resourceFromList(rl: Record<string, unknown> | null | undefined): Resource {
  const r: Resource = { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
  if (!rl) return r;
  for (const name of Object.keys(rl)) addToResource(r, name, nanos(rl[name]));
  return r;
}

function addToResource(r: Resource, name: string, n: bigint): void {
  switch (name) {
    case 'cpu':
      r.milliCPU += toMilli(n);
      return;
    case 'memory':
      r.memory += toValue(n);
      return;
    case 'ephemeral-storage':
      r.ephemeralStorage += toValue(n);
      return;
    case 'pods':
      r.allowedPodNumber += toValue(n);
      return;
    default:
      if (isScalarResourceName(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + toValue(n));
  }
}

// ---- effective pod requests (upstream PodRequests) --------------------------------------------

type ReqList = Map<string, bigint>;

function addList(into: ReqList, from: ReqList): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0n) + v);
}

function maxList(into: ReqList, from: ReqList): void {
  for (const [k, v] of from) {
    const cur = into.get(k);
    if (cur === undefined || v > cur) into.set(k, v);
  }
}

const DEFAULT_NON_ZERO: ReadonlyArray<[string, bigint]> = [
  ['cpu', BigInt(DEFAULT_MILLI_CPU_REQUEST) * NANOS_PER_MILLI],
  ['memory', BigInt(DEFAULT_MEMORY_REQUEST) * NANOS_PER_UNIT],
];

function containerRequests(c: any, nonZero: boolean): ReqList {
  const out: ReqList = new Map();
  const reqs = c?.resources?.requests as Record<string, unknown> | undefined;
  if (reqs) for (const name of Object.keys(reqs)) out.set(name, nanos(reqs[name]));
  // Missing (not explicitly zero) cpu/memory get the scoring defaults.
  if (nonZero) for (const [k, v] of DEFAULT_NON_ZERO) if (!out.has(k)) out.set(k, v);
  return out;
}

function isRestartableInit(c: any): boolean {
  return c?.restartPolicy === 'Always';
}

/**
 * The pod's effective request per resource name, in nano-units, as upstream's PodRequests:
 * sum(containers) + sum(sidecars), raised to the peak of any init step (a regular init container
 * plus the sidecars started before it), plus spec.overhead. With `nonZero`, containers missing a
 * cpu/memory request count as 100m/200Mi.
 */
export function podRequests(pod: KubeObject, nonZero = false): ReqList {
  const spec = pod.spec ?? {};
  const reqs: ReqList = new Map();
  for (const c of spec.containers ?? []) addList(reqs, containerRequests(c, nonZero));
  const sidecars: ReqList = new Map();
  const initPeak: ReqList = new Map();
  for (const c of spec.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    if (isRestartableInit(c)) {
      addList(reqs, cr);
      addList(sidecars, cr);
      maxList(initPeak, sidecars);
    } else {
      const step: ReqList = new Map(cr);
      addList(step, sidecars);
      maxList(initPeak, step);
    }
  }
  maxList(reqs, initPeak);
  const overhead = spec.overhead as Record<string, unknown> | undefined;
  if (overhead) for (const name of Object.keys(overhead)) reqs.set(name, (reqs.get(name) ?? 0n) + nanos(overhead[name]));
  return reqs;
}

/** Everything podRequests reads, as one value: pods with equal values have equal requests
 *  (the signature resource plugins sign pods with). */
export function podResourceSignature(pod: KubeObject): unknown[] {
  const spec = pod.spec ?? {};
  const containers = (spec.containers ?? []).map((c: any) => c?.resources?.requests ?? null);
  const inits = (spec.initContainers ?? []).map((c: any) => [c?.resources?.requests ?? null, c?.restartPolicy ?? null]);
  return [containers, inits, spec.overhead ?? null];
}

/** The effective request as a Resource (cpu in milli, the rest in units). */
export function podRequestResource(pod: KubeObject): Resource {
  const r: Resource = { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
  for (const [name, n] of podRequests(pod)) addToResource(r, name, n);
  return r;
}

/** One resource of the pod's request in the unit scorers use (milli-CPU, bytes, count); with
 *  `nonZero`, containers without a cpu/memory request count the defaults. */
export function podRequestOf(pod: KubeObject, resource: string, nonZero: boolean): number {
  const n = podRequests(pod, nonZero).get(resource) ?? 0n;
  return resource === 'cpu' ? toMilli(n) : toValue(n);
}

// ---- compiled label matching -------------------------------------------------------------------

const OP_IN = 0;
const OP_NOTIN = 1;
const OP_EXISTS = 2;
const OP_NOT_EXISTS = 3;
const OP_GT = 4;
const OP_LT = 5;

export type LabelMatcher = (labels: Labels | null | undefined) => boolean;

const MATCH_NOTHING: LabelMatcher = () => false;
const MATCH_EVERYTHING: LabelMatcher = () => true;

function opCode(r: LabelRequirement): number {
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      return OP_IN;
    case '!=':
    case 'notin':
      return OP_NOTIN;
    case 'exists':
      return OP_EXISTS;
    case '!':
      return OP_NOT_EXISTS;
    case 'gt':
      return OP_GT;
    case 'lt':
      return OP_LT;
  }
}

function parseIntLabel(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?[0-9]+$/.test(s)) return undefined;
  return Number(s);
}

/** A LabelSelector as a closure that allocates nothing per call. */
export function compileSelector(sel: LabelSelector): LabelMatcher {
  if (sel.nothing) return MATCH_NOTHING;
  if (sel.requirements.length === 0) return MATCH_EVERYTHING;
  const n = sel.requirements.length;
  const keys: string[] = [];
  const ops: number[] = [];
  const single: (string | undefined)[] = [];
  const sets: (Set<string> | undefined)[] = [];
  const nums: (number | undefined)[] = [];
  for (const r of sel.requirements) {
    keys.push(r.key);
    const op = opCode(r);
    ops.push(op);
    single.push(r.values.length === 1 ? r.values[0] : undefined);
    sets.push(r.values.length > 1 ? new Set(r.values) : undefined);
    nums.push(op === OP_GT || op === OP_LT ? parseIntLabel(r.values[0]) : undefined);
  }
  return (labels) => {
    const ls = (labels ?? EMPTY_LABELS) as Record<string, unknown>;
    for (let i = 0; i < n; i++) {
      const raw = ls[keys[i]!];
      const v = typeof raw === 'string' ? raw : undefined;
      switch (ops[i]) {
        case OP_IN: {
          if (v === undefined) return false;
          const s = sets[i];
          if (s ? !s.has(v) : v !== single[i]) return false;
          break;
        }
        case OP_NOTIN: {
          if (v === undefined) break;
          const s = sets[i];
          if (s ? s.has(v) : v === single[i]) return false;
          break;
        }
        case OP_EXISTS:
          if (v === undefined) return false;
          break;
        case OP_NOT_EXISTS:
          if (v !== undefined) return false;
          break;
        default: {
          const lv = parseIntLabel(v);
          const rv = nums[i];
          if (lv === undefined || rv === undefined) return false;
          if (ops[i] === OP_GT ? !(lv > rv) : !(lv < rv)) return false;
        }
      }
    }
    return true;
  };
}

/** A metav1.LabelSelector object compiled (null selects nothing, {} everything); an invalid
 *  selector selects nothing (the apiserver rejects those, so this is only a safety net). */
export function compileSelectorObject(obj: LabelSelectorObject | null | undefined, extra: LabelRequirement[] = []): LabelMatcher {
  try {
    const sel = fromLabelSelectorObject(obj);
    if (sel.nothing || extra.length === 0) return compileSelector(sel);
    return compileSelector(new LabelSelector([...sel.requirements, ...extra]));
  } catch {
    return MATCH_NOTHING;
  }
}

// ---- inter-pod affinity terms ---------------------------------------------------------------

function podLabels(pod: KubeObject): Labels {
  return (pod.metadata.labels as Labels | undefined) ?? EMPTY_LABELS;
}

/** A PodAffinityTerm of `pod` parsed as upstream: own namespace when neither namespaces nor a
 *  namespaceSelector is given; matchLabelKeys/mismatchLabelKeys merged into the selector as
 *  `key in (value)` / `key notin (value)` with the pod's own label values. */
export function newAffinityTerm(pod: KubeObject, term: any): AffinityTerm {
  const labels = podLabels(pod);
  const extra: LabelRequirement[] = [];
  if (term?.labelSelector != null) {
    for (const key of term.matchLabelKeys ?? []) {
      const v = labels[key];
      if (typeof v === 'string') extra.push({ key, operator: 'in', values: [v] });
    }
    for (const key of term.mismatchLabelKeys ?? []) {
      const v = labels[key];
      if (typeof v === 'string') extra.push({ key, operator: 'notin', values: [v] });
    }
  }
  const listed: string[] = term?.namespaces ?? [];
  const nsSel = term?.namespaceSelector;
  const namespaces = new Set<string>(listed.length === 0 && nsSel == null ? [pod.metadata.namespace ?? 'default'] : listed);
  return {
    namespaces,
    namespaceSelector: nsSel == null ? null : compileSelectorObject(nsSel),
    selector: compileSelectorObject(term?.labelSelector, extra),
    topologyKey: term?.topologyKey ?? '',
  };
}

/** Whether `pod` is selected by `term`: its namespace is listed (or its namespace's labels match
 *  the term's namespaceSelector) and its labels match the selector. */
export function affinityTermMatches(term: AffinityTerm, pod: KubeObject, nsLabels: Labels | null | undefined): boolean {
  const ns = pod.metadata.namespace ?? 'default';
  if (term.namespaces.has(ns) || (term.namespaceSelector !== null && term.namespaceSelector(nsLabels ?? EMPTY_LABELS))) {
    return term.selector(podLabels(pod));
  }
  return false;
}

function requiredTerms(pod: KubeObject, terms: any[] | undefined): AffinityTerm[] {
  if (!terms || terms.length === 0) return NO_TERMS;
  return terms.map((t) => newAffinityTerm(pod, t));
}

function weightedTerms(pod: KubeObject, terms: any[] | undefined): WeightedAffinityTerm[] {
  if (!terms || terms.length === 0) return NO_WEIGHTED;
  const out: WeightedAffinityTerm[] = [];
  for (const t of terms) {
    const w = Number(t?.weight ?? 0);
    if (w === 0) continue; // upstream skips zero-weight terms
    out.push({ ...newAffinityTerm(pod, t?.podAffinityTerm), weight: w });
  }
  return out;
}

const NO_TERMS: AffinityTerm[] = [];
const NO_WEIGHTED: WeightedAffinityTerm[] = [];

/** The pod's own required pod-affinity terms (used by queueing hints without a full PodInfo). */
export function requiredAffinityTermsOf(pod: KubeObject): AffinityTerm[] {
  return requiredTerms(pod, pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
}

/** The pod's own required pod-anti-affinity terms. */
export function requiredAntiAffinityTermsOf(pod: KubeObject): AffinityTerm[] {
  return requiredTerms(pod, pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
}

// ---- the PodInfo -----------------------------------------------------------------------------

/** Compute a pod's PodInfo. Never throws: unparsable quantities count as zero and invalid
 *  selectors select nothing (the apiserver's validation rejects both before they get here). */
export function newPodInfo(pod: KubeObject): PodInfo {
  const affinity = pod.spec?.affinity;
  const pa = affinity?.podAffinity;
  const paa = affinity?.podAntiAffinity;
  const nonZero = podRequests(pod, true);
  return {
    pod,
    request: podRequestResource(pod),
    nonZeroRequest: { milliCPU: toMilli(nonZero.get('cpu') ?? 0n), memory: toValue(nonZero.get('memory') ?? 0n) },
    requiredAffinityTerms: requiredTerms(pod, pa?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinityTerms: requiredTerms(pod, paa?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinityTerms: weightedTerms(pod, pa?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinityTerms: weightedTerms(pod, paa?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

// ---- small pod facts shared by the cache and plugins ---------------------------------------

/** The pod's identity in a NodeInfo: its UID, or namespace/name when it has none (tests). */
export function podKey(pod: KubeObject): string {
  return pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
}

/** spec.priority, 0 when unset (upstream's PodPriority). */
export function podPriority(pod: KubeObject): number {
  const p = pod.spec?.priority;
  return typeof p === 'number' ? p : 0;
}

/** Host ports the pod holds for its whole life (containers and sidecar init containers), with
 *  upstream's defaults applied: hostIP 0.0.0.0, protocol TCP. */
export function podHostPorts(pod: KubeObject): HostPortInfo[] {
  const out: HostPortInfo[] = [];
  const spec = pod.spec ?? {};
  const add = (c: any): void => {
    for (const p of c?.ports ?? []) {
      const port = Number(p?.hostPort ?? 0);
      if (port > 0) out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port });
    }
  };
  for (const c of spec.initContainers ?? []) if (isRestartableInit(c)) add(c);
  for (const c of spec.containers ?? []) add(c);
  return out;
}

/** Has any pod (anti-)affinity stanza (upstream's podWithAffinity). */
export function hasPodAffinity(pod: KubeObject): boolean {
  const a = pod.spec?.affinity;
  return a != null && (a.podAffinity != null || a.podAntiAffinity != null);
}

/** Has required anti-affinity terms (upstream's podWithRequiredAntiAffinity). */
export function hasRequiredAntiAffinity(pod: KubeObject): boolean {
  const t = pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return Array.isArray(t) && t.length > 0;
}
