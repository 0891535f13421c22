// Sorted key index of the watch cache: all keys, and the keys of each namespace, handed out in
// ascending order so a list (or a page of it) never sorts. Adds and removes are recorded in
// two small pending sets (a binary search and a Set operation each) and folded into the sorted
// array by one merge when someone next reads the keys: a stream of creates costs O(log n) per
// key instead of an array splice (a memmove of the whole array) per key, and a read after m
// changes pays one O(n + m log m) merge. The pending sets are also folded once they outgrow
// the array, so they stay bounded.
//
// Order: JavaScript string order (UTF-16 code units). It equals the backends' byte order for
// the ASCII keys Kubernetes names produce (DNS labels and subdomains).

/** Index of the first element >= key in a sorted array. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function contains(sorted: readonly string[], key: string): boolean {
  return sorted[lowerBound(sorted, key)] === key;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Folded at least this often, whatever the array's size. */
const MIN_FOLD_AT = 1024;

/** One sorted set of keys with lazily applied changes. */
export class SortedKeys {
  /** Sorted; may still hold keys of `removed` and lack keys of `added`. Never changed in place. */
  private sorted: string[] = [];
  /** Keys present but not in `sorted`. */
  private readonly added = new Set<string>();
  /** Keys of `sorted` that are gone. */
  private readonly removed = new Set<string>();

  constructor(keys: string[] = []) {
    this.sorted = keys;
  }

  /** Add a key (no-op when present). */
  add(key: string): void {
    if (this.removed.delete(key)) return; // still in `sorted`: present again
    if (this.added.has(key) || contains(this.sorted, key)) return;
    this.added.add(key);
    this.foldWhenLarge();
  }

  /** Remove a key (no-op when absent). */
  remove(key: string): void {
    if (this.added.delete(key)) return;
    if (!contains(this.sorted, key) || this.removed.has(key)) return;
    this.removed.add(key);
    this.foldWhenLarge();
  }

  get size(): number {
    return this.sorted.length + this.added.size - this.removed.size;
  }

  /** The keys in ascending order. A snapshot: later changes build a new array. Never modify it. */
  keys(): readonly string[] {
    if (this.added.size > 0 || this.removed.size > 0) this.fold();
    return this.sorted;
  }

  private foldWhenLarge(): void {
    if (this.added.size + this.removed.size > Math.max(MIN_FOLD_AT, this.sorted.length)) this.fold();
  }

  /** Merge `added` (sorted now) into `sorted`, dropping `removed`, into a new array. */
  private fold(): void {
    const extra = [...this.added].sort(byString);
    const old = this.sorted;
    const drop = this.removed;
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < extra.length) {
      if (j >= extra.length || (i < old.length && old[i]! < extra[j]!)) {
        const k = old[i++]!;
        if (drop.size === 0 || !drop.has(k)) out.push(k);
      } else {
        out.push(extra[j++]!);
      }
    }
    this.sorted = out;
    this.added.clear();
    this.removed.clear();
  }
}

export class KeyIndex {
  private all = new SortedKeys();
  private readonly byNamespace = new Map<string, SortedKeys>();

  /** Add a key (no-op when present). `namespace` is '' for cluster-scoped keys. */
  add(key: string, namespace: string): void {
    this.all.add(key);
    let ns = this.byNamespace.get(namespace);
    if (!ns) {
      ns = new SortedKeys();
      this.byNamespace.set(namespace, ns);
    }
    ns.add(key);
  }

  remove(key: string, namespace: string): void {
    this.all.remove(key);
    const ns = this.byNamespace.get(namespace);
    if (!ns) return;
    ns.remove(key);
    if (ns.size === 0) this.byNamespace.delete(namespace);
  }

  /** Replace the whole content (relist). Keys need not be sorted. */
  reset(entries: Iterable<{ key: string; namespace: string }>): void {
    const all: string[] = [];
    const groups = new Map<string, string[]>();
    for (const e of entries) {
      all.push(e.key);
      let ns = groups.get(e.namespace);
      if (!ns) {
        ns = [];
        groups.set(e.namespace, ns);
      }
      ns.push(e.key);
    }
    this.all = new SortedKeys(all.sort(byString));
    this.byNamespace.clear();
    for (const [ns, keys] of groups) this.byNamespace.set(ns, new SortedKeys(keys.sort(byString)));
  }

  /**
   * The sorted keys of one namespace, or of everything when `namespace` is undefined or ''.
   * A snapshot as of this call (changes afterwards build a new array): never modify it.
   */
  keys(namespace?: string): readonly string[] {
    if (!namespace) return this.all.keys();
    return this.byNamespace.get(namespace)?.keys() ?? [];
  }

  get size(): number {
    return this.all.size;
  }
}
