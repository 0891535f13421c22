// Serialized JSON of cached objects, computed at most once per object and shared by every
// watcher and list that sends it (1,000 watchers of one event cost one serialization).
//
// Objects parsed from the store are seeded with the stored text (which lacks
// metadata.resourceVersion): their JSON is that text with `"resourceVersion":"<rv>"` spliced
// in as the first field of metadata, so even the first LIST of a large cache does not run
// JSON.stringify. The splice is used only when the stored text provably starts the way the
// parsed object does (compact JSON, metadata preceded only by scalar fields); otherwise the
// object is stringified. Either way the result parses to a value deep-equal to the object.
//
// Large LISTs send the UTF-8 bytes of that JSON (`bytes`), also kept once per object listed:
// a repeated LIST then copies bytes instead of joining and re-encoding 10,000 strings.
//
// Entries live exactly as long as their object (WeakMap); objects must not be mutated.

import type { KubeObject } from '../../api/types.ts';

export class JsonMemo {
  private readonly json_ = new WeakMap<object, string>();
  private readonly raw = new WeakMap<object, string>();
  private readonly utf8 = new WeakMap<object, Buffer>();

  /** Remember the stored text `obj` was parsed from (before resourceVersion was set on it). */
  seed(obj: KubeObject, storedText: string): void {
    this.raw.set(obj, storedText);
  }

  json(obj: KubeObject): string {
    let s = this.json_.get(obj);
    if (s !== undefined) return s;
    const raw = this.raw.get(obj);
    if (raw !== undefined) {
      this.raw.delete(obj);
      s = spliceResourceVersion(obj, raw);
    }
    s ??= JSON.stringify(obj);
    this.json_.set(obj, s);
    return s;
  }

  /** The UTF-8 bytes of json(obj), encoded once per object. Read-only. */
  bytes(obj: KubeObject): Buffer {
    let b = this.utf8.get(obj);
    if (b === undefined) {
      b = Buffer.from(this.json(obj), 'utf8');
      this.utf8.set(obj, b);
    }
    return b;
  }
}

/**
 * The JSON of `obj`, built from `storedText` (the same object without
 * metadata.resourceVersion) by inserting the resourceVersion; undefined when the text does not
 * have the expected shape.
 */
export function spliceResourceVersion(obj: KubeObject, storedText: string): string | undefined {
  const rv = obj.metadata?.resourceVersion;
  if (typeof rv !== 'string') return undefined;
  let head = '{';
  for (const k in obj) {
    if (k === 'metadata') break;
    const v = obj[k];
    if (v !== null && typeof v === 'object') return undefined;
    if (v === undefined || typeof v === 'function' || typeof v === 'bigint') return undefined;
    head += `${JSON.stringify(k)}:${JSON.stringify(v)},`;
  }
  head += '"metadata":{';
  if (!storedText.startsWith(head)) return undefined;
  const rest = storedText.slice(head.length);
  const field = `"resourceVersion":${JSON.stringify(rv)}`;
  return head + field + (rest.startsWith('}') ? '' : ',') + rest;
}
