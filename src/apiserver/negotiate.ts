// Output media type negotiation for resource requests, as upstream's apiserver does it: the
// Accept header's media ranges are tried best first (by q, then by specificity, then in the
// order given) and the first one the server can write wins. We write JSON (also for `*/*`,
// `application/*`, and JSON with parameters such as kubectl's `as=Table` ranges) and YAML;
// protobuf bodies are read but never written, so a client that accepts only protobuf, or only
// something else (a browser's text/html), gets 406 Not Acceptable with the types we do write,
// instead of an answer it cannot read. No Accept header, or an empty one, means JSON. Streams
// (watches) have no YAML form, as upstream.

import { apiErrors } from '../base/errors.ts';
import { yamlLibrary } from './request.ts';

export type OutputType = 'json' | 'yaml';

interface Range {
  type: string;
  /** Its parameters (names lower-cased), e.g. `as`, `g`, `v` of a conversion. */
  params: Record<string, string>;
  q: number;
  specificity: number;
  at: number;
}

/** The Accept header's media ranges with q > 0, best first. */
function ranges(accept: string): Range[] {
  const out: Range[] = [];
  accept.split(',').forEach((clause, at) => {
    const [media, ...kvs] = clause.split(';');
    const type = media!.trim().toLowerCase();
    if (type === '') return;
    const params: Record<string, string> = {};
    for (const kv of kvs) {
      const eq = kv.indexOf('=');
      if (eq > 0) params[kv.slice(0, eq).trim().toLowerCase()] = kv.slice(eq + 1).trim();
    }
    let q = 1;
    if (params.q !== undefined) {
      const v = Number(params.q);
      q = Number.isFinite(v) ? Math.min(Math.max(v, 0), 1) : 0;
    }
    if (q <= 0) return;
    const specificity = type === '*/*' ? 0 : type.endsWith('/*') ? 1 : 2;
    out.push({ type, params, q, specificity, at });
  });
  return out.sort((a, b) => b.q - a.q || b.specificity - a.specificity || a.at - b.at);
}

const MEMO_MAX = 64;

/** `compute(accept)`, remembered in `memo` (Accept headers repeat; cleared when full). */
function remembered<T>(memo: Map<string, T>, key: string, compute: () => T): T {
  let v = memo.get(key);
  if (v === undefined) {
    v = compute();
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, v);
  }
  return v;
}

function writable(type: string, stream: boolean): OutputType | undefined {
  if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
  if (type === 'application/yaml' && !stream) return 'yaml';
  return undefined;
}

const outputTypes = new Map<string, OutputType | null>();

/** The output type an Accept header allows (`stream`: for a watch), or null when we write none it accepts. */
export function outputType(accept: string | undefined, stream = false): OutputType | null {
  if (accept === undefined || accept === 'application/json') return 'json'; // what nearly every request sends
  return remembered(outputTypes, stream ? `s|${accept}` : accept, () => {
    if (accept.trim() === '') return 'json';
    for (const r of ranges(accept)) {
      const w = writable(r.type, stream);
      if (w) return w;
    }
    return null;
  });
}

/** 406 for a request whose Accept header allows nothing we write. */
export function notAcceptable(stream = false): Error {
  return apiErrors.notAcceptable(`only the following media types are accepted: ${stream ? 'application/json' : 'application/json, application/yaml'}`);
}

/**
 * A JSON body as YAML, keys sorted and lists not indented under their key, as upstream's
 * JSON-to-YAML conversion writes it; strings that YAML 1.1 (Go's yaml.v2, which kubectl and
 * client-go read with) would take for something else — timestamps, yes/no/on/off, 0777 — are
 * quoted.
 */
export function jsonToYaml(body: string | Buffer): string {
  const value: unknown = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  return yamlLibrary().stringify(value, { version: '1.1', sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/** A metadata-only answer asked for in Accept (client-go's metadata client and informers). */
export interface MetadataTarget {
  kind: 'PartialObjectMetadata' | 'PartialObjectMetadataList';
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1. */
  apiVersion: string;
}

const targets = new Map<string, MetadataTarget | null>();

/**
 * The PartialObjectMetadata(List) conversion an Accept header asks for: its best JSON range
 * with an `as` parameter, when that is `as=PartialObjectMetadata` or
 * `as=PartialObjectMetadataList` with `g=meta.k8s.io` and `v=v1` or `v1beta1` (a Table is
 * not one; its rows carry metadata already). Protobuf ranges are skipped, as we answer in JSON.
 */
export function metadataTarget(accept: string | undefined): MetadataTarget | undefined {
  if (accept === undefined || !accept.includes('PartialObjectMetadata')) return undefined;
  const t = remembered(targets, accept, (): MetadataTarget | null => {
    const r = ranges(accept).find((x) => x.type === 'application/json' && x.params.as !== undefined);
    const { as, g, v } = r?.params ?? {};
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) {
      return { kind: as, apiVersion: `meta.k8s.io/${v}` };
    }
    return null;
  });
  return t ?? undefined;
}

/** The PartialObjectMetadata form of an object with `metadata` (a Table row's, a watch event's). */
export function partialObject<M>(metadata: M, apiVersion = 'meta.k8s.io/v1'): { kind: 'PartialObjectMetadata'; apiVersion: string; metadata: M } {
  return { kind: 'PartialObjectMetadata', apiVersion, metadata };
}

/** An object as PartialObjectMetadata (406 when a list was asked for). */
export function asPartialObject(obj: { kind?: string; metadata?: unknown }, target: MetadataTarget): Record<string, unknown> {
  if (target.kind !== 'PartialObjectMetadata') {
    throw apiErrors.notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${obj.kind ?? 'object'})`);
  }
  return partialObject(obj.metadata ?? {}, target.apiVersion);
}

/** A list as PartialObjectMetadataList (406 when a single object was asked for). */
export function asPartialList(listKind: string, metadata: Record<string, unknown>, items: readonly { metadata?: unknown }[], target: MetadataTarget): Record<string, unknown> {
  if (target.kind !== 'PartialObjectMetadataList') {
    throw apiErrors.notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${listKind})`);
  }
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: target.apiVersion,
    metadata,
    items: items.map((o) => partialObject(o.metadata ?? {}, target.apiVersion)),
  };
}
