// Serialized JSON of cached objects, computed at most once per object and shared by every
// watcher, list and response that sends it (1,000 watchers of one event cost one serialization).
//
// Objects parsed from the store are seeded with the stored text (which lacks
// metadata.resourceVersion): their JSON is that text with `"resourceVersion":"<rv>"` spliced
// in as the first field of metadata, so even the first LIST of a large cache does not run
// JSON.stringify. The splice is used only when the stored text provably starts the way the
// parsed object does (compact JSON, metadata preceded only by scalar fields); otherwise the
// object is stringified. Either way the result parses to a value deep-equal to the object.
//
// What is kept is the UTF-8 bytes of that JSON only, in a buffer of its own outside the
// JavaScript heap: responses, watch events and LIST bodies are written from them as they are,
// and the garbage collector neither copies nor marks them. (Keeping the JSON string as well
// put ≈ 4 KB more per pod on the heap, which every young-generation collection copied while
// the object was new: the collection pauses grew with it.)
//
// Entries live exactly as long as their object (WeakMap); objects must not be mutated.

import type { KubeObject } from '../../api/types.ts';

export class JsonMemo {
  private readonly raw = new WeakMap<object, string>();
  private readonly utf8 = new WeakMap<object, Buffer>();

  /** Remember the stored text `obj` was parsed from (before resourceVersion was set on it). */
  seed(obj: KubeObject, storedText: string): void {
    this.raw.set(obj, storedText);
  }

  /** The UTF-8 bytes of the object's JSON, encoded once per object. Read-only. */
  bytes(obj: KubeObject): Buffer {
    let b = this.utf8.get(obj);
    if (b !== undefined) return b;
    let s: string | undefined;
    const raw = this.raw.get(obj);
    if (raw !== undefined) {
      this.raw.delete(obj);
      s = spliceResourceVersion(obj, raw);
    }
    s ??= JSON.stringify(obj);
    b = ownBuffer(s);
    this.utf8.set(obj, b);
    return b;
  }

  /** The object's JSON as a string (decoded from bytes(obj); for callers that need text). */
  json(obj: KubeObject): string {
    return this.bytes(obj).toString('utf8');
  }
}

/** Bytes of at least this many (UTF-8) bytes come out of Buffer.from unpooled already. */
const UNPOOLED_BYTES = Buffer.poolSize >>> 1;

/**
 * `text` as UTF-8 in a buffer of its own: a small Buffer.from() result is a slice of a shared
 * 8 KiB pool, which one long-lived slice would keep alive whole.
 */
function ownBuffer(text: string): Buffer {
  if (text.length >= UNPOOLED_BYTES) return Buffer.from(text, 'utf8');
  const b = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  b.write(text, 0, 'utf8');
  return b;
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
