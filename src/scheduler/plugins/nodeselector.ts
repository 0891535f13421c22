// Node selection terms compiled into matchers (upstream's component-helpers nodeaffinity):
// a pod's required node affinity (spec.nodeSelector AND requiredDuringScheduling terms),
// NodeSelector terms (ORed; each term ANDs matchExpressions on labels and matchFields on
// metadata.name), and preferred terms summed into a score. Terms that fail to parse match
// nothing, as upstream's lazy-error selector behaves for the filter.

import type { KubeObject } from '../../api/types.ts';
import { LabelSelector, newRequirement } from '../../api/selectors.ts';
import type { LabelOperator, LabelRequirement } from '../../api/selectors.ts';
import { compileSelector, EMPTY_LABELS } from '../framework/podinfo.ts';
import type { LabelMatcher, Labels } from '../framework/podinfo.ts';

/** True when the node passes. */
export type NodeMatcher = (node: KubeObject) => boolean;

export const MATCH_ALL_NODES: NodeMatcher = () => true;
const MATCH_NO_NODE: NodeMatcher = () => false;

const NODE_OPS: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!', Gt: 'gt', Lt: 'lt' };

export function nodeLabels(node: KubeObject): Labels {
  return (node.metadata.labels as Labels | undefined) ?? EMPTY_LABELS;
}

interface FieldReq {
  key: string;
  equal: boolean;
  value: string;
}

interface CompiledTerm {
  labels: LabelMatcher | null;
  fields: FieldReq[] | null;
}

function isEmptyTerm(t: any): boolean {
  return t == null || ((t.matchExpressions ?? []).length === 0 && (t.matchFields ?? []).length === 0);
}

/** Parse one NodeSelectorTerm; undefined when it is invalid. */
function compileTerm(t: any): CompiledTerm | undefined {
  let labels: LabelMatcher | null = null;
  let fields: FieldReq[] | null = null;
  const exprs: any[] = t.matchExpressions ?? [];
  if (exprs.length > 0) {
    const reqs: LabelRequirement[] = [];
    for (const e of exprs) {
      const op = NODE_OPS[e?.operator];
      if (!op) return undefined;
      try {
        reqs.push(newRequirement(String(e.key), op, [...(e.values ?? [])]));
      } catch {
        return undefined;
      }
    }
    labels = compileSelector(new LabelSelector(reqs));
  }
  const fexprs: any[] = t.matchFields ?? [];
  if (fexprs.length > 0) {
    fields = [];
    for (const e of fexprs) {
      if ((e?.operator !== 'In' && e?.operator !== 'NotIn') || (e.values ?? []).length !== 1) return undefined;
      fields.push({ key: String(e.key), equal: e.operator === 'In', value: String(e.values[0]) });
    }
  }
  return { labels, fields };
}

function termMatches(t: CompiledTerm, node: KubeObject): boolean {
  if (t.labels !== null && !t.labels(nodeLabels(node))) return false;
  if (t.fields !== null) {
    const name = node.metadata.name ?? '';
    for (const f of t.fields) {
      const v = f.key === 'metadata.name' ? name : '';
      if ((v === f.value) !== f.equal) return false;
    }
  }
  return true;
}

/** A v1.NodeSelector: the node passes when any (valid, non-empty) term matches. */
export function compileNodeSelector(ns: { nodeSelectorTerms?: any[] } | null | undefined): NodeMatcher {
  const terms: CompiledTerm[] = [];
  for (const t of ns?.nodeSelectorTerms ?? []) {
    if (isEmptyTerm(t)) continue;
    const c = compileTerm(t);
    if (c) terms.push(c);
  }
  if (terms.length === 0) return MATCH_NO_NODE;
  if (terms.length === 1) {
    const only = terms[0]!;
    return (node) => termMatches(only, node);
  }
  return (node) => {
    for (const t of terms) if (termMatches(t, node)) return true;
    return false;
  };
}

/** Scores a node by the summed weights of the preferred terms it matches. */
export type NodeScorer = (node: KubeObject) => number;

/** v1.PreferredSchedulingTerm[] compiled; zero-weight, empty and invalid terms are dropped.
 *  Null when nothing is left. */
export function compilePreferredTerms(terms: any[] | null | undefined): NodeScorer | null {
  const parsed: { term: CompiledTerm; weight: number }[] = [];
  for (const t of terms ?? []) {
    const weight = Number(t?.weight ?? 0);
    if (weight === 0 || isEmptyTerm(t?.preference)) continue;
    const c = compileTerm(t.preference);
    if (c) parsed.push({ term: c, weight });
  }
  if (parsed.length === 0) return null;
  return (node) => {
    let sum = 0;
    for (const p of parsed) if (termMatches(p.term, node)) sum += p.weight;
    return sum;
  };
}

/** The pod's required node affinity: spec.nodeSelector AND the required affinity terms. */
export function requiredNodeAffinity(pod: KubeObject): NodeMatcher {
  const sel = pod.spec?.nodeSelector as Record<string, string> | undefined;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  let bySelector: LabelMatcher | null = null;
  if (sel && Object.keys(sel).length > 0) {
    bySelector = compileSelector(new LabelSelector(Object.entries(sel).map(([key, v]) => ({ key, operator: '=' as const, values: [String(v)] }))));
  }
  const byAffinity = required != null ? compileNodeSelector(required) : null;
  if (bySelector === null && byAffinity === null) return MATCH_ALL_NODES;
  if (byAffinity === null) return (node) => bySelector!(nodeLabels(node));
  if (bySelector === null) return byAffinity;
  return (node) => bySelector!(nodeLabels(node)) && byAffinity(node);
}
