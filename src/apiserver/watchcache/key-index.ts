// Sorted key index of the watch cache: all keys, and the keys of each namespace, kept in
// ascending order at all times so a list (or a page of it) never sorts. Insert and remove are
// a binary search plus one array splice (a memmove), which stays in the microseconds for the
// tens of thousands of keys one resource holds.
//
// Order: JavaScript string order (UTF-16 code units). It equals the backends' byte order for
// the ASCII keys Kubernetes names produce (DNS labels and subdomains).

/** Index of the first element >= key in a sorted array. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: string[], key: string): void {
  const i = lowerBound(sorted, key);
  if (sorted[i] === key) return;
  if (i === sorted.length) sorted.push(key);
  else sorted.splice(i, 0, key);
}

function removeSorted(sorted: string[], key: string): void {
  const i = lowerBound(sorted, key);
  if (sorted[i] === key) sorted.splice(i, 1);
}

export class KeyIndex {
  private all: string[] = [];
  private readonly byNamespace = new Map<string, string[]>();

  /** Add a key (no-op when present). `namespace` is '' for cluster-scoped keys. */
  add(key: string, namespace: string): void {
    insertSorted(this.all, key);
    let ns = this.byNamespace.get(namespace);
    if (!ns) {
      ns = [];
      this.byNamespace.set(namespace, ns);
    }
    insertSorted(ns, key);
  }

  remove(key: string, namespace: string): void {
    removeSorted(this.all, key);
    const ns = this.byNamespace.get(namespace);
    if (!ns) return;
    removeSorted(ns, key);
    if (ns.length === 0) this.byNamespace.delete(namespace);
  }

  /** Replace the whole content (relist). Keys need not be sorted. */
  reset(entries: Iterable<{ key: string; namespace: string }>): void {
    this.all = [];
    this.byNamespace.clear();
    for (const e of entries) {
      this.all.push(e.key);
      let ns = this.byNamespace.get(e.namespace);
      if (!ns) {
        ns = [];
        this.byNamespace.set(e.namespace, ns);
      }
      ns.push(e.key);
    }
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    this.all.sort(cmp);
    for (const ns of this.byNamespace.values()) ns.sort(cmp);
  }

  /**
   * The sorted keys of one namespace, or of everything when `namespace` is undefined or ''.
   * The array is live: read it synchronously and never modify it.
   */
  keys(namespace?: string): readonly string[] {
    if (!namespace) return this.all;
    return this.byNamespace.get(namespace) ?? [];
  }

  get size(): number {
    return this.all.length;
  }
}
