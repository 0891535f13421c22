// The watch cache's history: a fixed-capacity ring buffer of the most recent changes, in
// revision order, so a watch from revision N can be replayed without the database.
//
// Coverage: after a (re)list at revision R the history is complete for every revision > R.
// When the ring is full the oldest change is dropped and coverage shrinks to revisions after
// that change. A watch from N can be served iff N >= floor (see `floor`).

import type { ChangeRecord } from './event.ts';

export class History {
  private readonly capacity: number;
  private readonly ring: (ChangeRecord | undefined)[];
  /** Index of the oldest record. */
  private head = 0;
  private count = 0;
  private floorRevision = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    // Grows as changes arrive (head stays 0 until the ring is full), so an idle resource
    // costs nothing: preallocating 10k slots for each of ~35 resources cost ~3 MB.
    this.ring = [];
  }

  /** Forget everything; history is complete for revisions > revision from now on. */
  reset(revision: number): void {
    this.ring.length = 0;
    this.head = 0;
    this.count = 0;
    this.floorRevision = revision;
  }

  /** Append a change (revisions must increase). Evicts the oldest when full. */
  push(change: ChangeRecord): void {
    if (this.count === this.capacity) {
      const evicted = this.ring[this.head]!;
      this.floorRevision = evicted.revision;
      this.ring[this.head] = change;
      this.head = (this.head + 1) % this.capacity;
      return;
    }
    this.ring[(this.head + this.count) % this.capacity] = change;
    this.count++;
  }

  /**
   * The oldest revision a watch may start from: every change with a revision above it is
   * retained. It is the list revision until a change is evicted, then the revision of the last
   * evicted change (no change of this prefix lies between it and the oldest retained one).
   */
  get floor(): number {
    return this.floorRevision;
  }

  get size(): number {
    return this.count;
  }

  private at(i: number): ChangeRecord {
    return this.ring[(this.head + i) % this.capacity]!;
  }

  /** Retained changes with revision > after, oldest first. Caller checks `after >= floor`. */
  *since(after: number): IterableIterator<ChangeRecord> {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.count; i++) yield this.at(i);
  }
}
