// A binary heap with keyed access (the scheduling queue's activeQ and backoffQ): push, pop,
// peek, and update/delete of an element by key in O(log n). Ordering is a `less` function
// given at construction; equal elements come out in no particular order.

export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();
  private readonly keyOf: (item: T) => string;
  private readonly less: (a: T, b: T) => boolean;

  constructor(keyOf: (item: T) => string, less: (a: T, b: T) => boolean) {
    this.keyOf = keyOf;
    this.less = less;
  }

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds the item, or replaces the item with the same key and restores the order. */
  push(item: T): void {
    const key = this.keyOf(item);
    const at = this.index.get(key);
    if (at !== undefined) {
      this.items[at] = item;
      this.fix(at);
      return;
    }
    this.items.push(item);
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    return this.removeAt(0);
  }

  delete(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.removeAt(i);
  }

  /** Every item, in heap (not sorted) order. */
  values(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): T {
    const items = this.items;
    const out = items[i]!;
    const last = items.pop()!;
    this.index.delete(this.keyOf(out));
    if (i < items.length) {
      items[i] = last;
      this.index.set(this.keyOf(last), i);
      this.fix(i);
    }
    return out;
  }

  private fix(i: number): void {
    if (!this.down(i)) this.up(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent]!;
      if (!this.less(item, p)) break;
      items[i] = p;
      this.index.set(this.keyOf(p), i);
      i = parent;
    }
    items[i] = item;
    this.index.set(this.keyOf(item), i);
  }

  /** Sift down; true when the item moved. */
  private down(i0: number): boolean {
    const items = this.items;
    const n = items.length;
    const item = items[i0]!;
    let i = i0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r]!, items[l]!) ? r : l;
      if (!this.less(items[c]!, item)) break;
      items[i] = items[c]!;
      this.index.set(this.keyOf(items[i]!), i);
      i = c;
    }
    items[i] = item;
    this.index.set(this.keyOf(item), i);
    return i > i0;
  }
}
