// Field ownership through applies and updates (the behaviour of structured-merge-diff's
// merge.Updater). Pure: inputs are not mutated, results are new values.
//
// - update: whoever changes a field takes it; other managers lose the fields that were changed
//   (for an apply without force, that is a conflict instead) or removed.
// - apply: the configuration is merged into the live object; the applier's set becomes exactly
//   the fields of its configuration; fields it applied last time and no longer applies are
//   removed from the object unless another manager owns them.
//
// All managers' sets are compared in the request's version (skiff serves each kind in one
// shape, so no conversion between versions is attempted).

import { FieldSet, jsonEqual, type Json, type JsonMap, type Path } from './fieldpath.ts';
import type { SsaSchema } from './schema.ts';
import { compare, ensureNamedFieldsAreMembers, merge, removeItems, toFieldSet, type Comparison } from './typed.ts';

/** The fields one manager owns, in the version it wrote them. */
export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  /** True for an Apply entry, false for an Update entry. */
  readonly applied: boolean;
}

/** Sets by manager identifier (see managedfields.ts). */
export type ManagerSets = ReadonlyMap<string, VersionedSet>;

export interface Conflict {
  /** The manager identifier. */
  readonly manager: string;
  readonly path: Path;
}

/** An apply would change fields other managers own. */
export class ConflictsError extends Error {
  readonly conflicts: readonly Conflict[];
  constructor(conflicts: readonly Conflict[]) {
    super(`${conflicts.length} apply conflict(s)`);
    this.conflicts = conflicts;
  }
}

/** Removes the fields a write may not claim (upstream's reset fields, e.g. `status` on the main resource). */
export type FieldFilter = (set: FieldSet) => FieldSet;

const identity: FieldFilter = (s) => s;

function filtered(c: Comparison, f: FieldFilter): Comparison {
  return { added: f(c.added), modified: f(c.modified), removed: f(c.removed) };
}

export class Updater {
  private readonly schema: SsaSchema;
  private readonly filter: FieldFilter;

  constructor(schema: SsaSchema, filter: FieldFilter = identity) {
    this.schema = schema;
    this.filter = filter;
  }

  /** What a write from `oldObj` to `newObj` changes, without the fields it may not claim. */
  changes(oldObj: Json, newObj: Json): Comparison {
    return filtered(compare(oldObj, newObj, this.schema), this.filter);
  }

  /**
   * Ownership after `oldObj` became `newObj`, before crediting `workflow`: other managers lose
   * changed fields (or, without force, the write fails with the conflicts) and removed ones.
   */
  private update(
    oldObj: Json,
    newObj: Json,
    managers: ManagerSets,
    workflow: string,
    force: boolean,
    given?: Comparison,
  ): { managers: Map<string, VersionedSet>; comparison: Comparison } {
    const comparison = given ?? this.changes(oldObj, newObj);
    const changed = comparison.modified.union(comparison.added);
    const conflicts = new Map<string, FieldSet>();
    const out = new Map(managers);
    for (const [m, vs] of [...managers].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      if (m === workflow) continue;
      const c = vs.set.intersection(changed);
      if (!c.empty()) conflicts.set(m, c);
    }
    if (!force && conflicts.size > 0) {
      const list: Conflict[] = [];
      for (const [m, set] of conflicts) for (const p of set.paths()) list.push({ manager: m, path: p });
      throw new ConflictsError(list);
    }
    for (const [m, c] of conflicts) {
      const vs = out.get(m)!;
      out.set(m, { ...vs, set: vs.set.difference(c) });
    }
    if (!comparison.removed.empty()) {
      for (const [m, vs] of out) if (m !== workflow) out.set(m, { ...vs, set: vs.set.difference(comparison.removed) });
    }
    for (const [m, vs] of out) if (vs.set.empty()) out.delete(m);
    return { managers: out, comparison };
  }

  /**
   * An ordinary write (create, update, non-apply patch) by `manager`: it takes the fields it
   * added or changed and loses those it removed. Never conflicts.
   */
  updateOwnership(liveObj: Json, newObj: Json, version: string, managers: ManagerSets, manager: string, given?: Comparison): Map<string, VersionedSet> {
    const { managers: out, comparison } = this.update(liveObj, newObj, managers, manager, true, given);
    const prev = out.get(manager)?.set ?? new FieldSet();
    const set = this.filter(prev.difference(comparison.removed).union(comparison.modified).union(comparison.added));
    out.set(manager, { set, apiVersion: version, applied: false });
    if (set.empty()) out.delete(manager);
    return out;
  }

  /**
   * A server-side apply of `config` by `manager`. Returns the merged object (undefined when it
   * equals the live one) and the new ownership; throws ConflictsError unless `force`.
   */
  apply(
    liveObj: JsonMap,
    config: JsonMap,
    version: string,
    managers: ManagerSets,
    manager: string,
    force: boolean,
  ): { object: JsonMap | undefined; managers: Map<string, VersionedSet> } {
    let merged = (merge(liveObj, config, this.schema) ?? {}) as JsonMap;
    const lastSet = managers.get(manager);
    const set = this.filter(toFieldSet(config, this.schema));
    const withApplier = new Map(managers);
    withApplier.set(manager, { set, apiVersion: version, applied: true });
    merged = this.prune(merged, withApplier, lastSet);
    const { managers: out } = this.update(liveObj, merged, withApplier, manager, force);
    return { object: jsonEqual(liveObj, merged) ? undefined : merged, managers: out };
  }

  /** Remove what the applier applied last time and not now, unless someone else owns it. */
  private prune(merged: JsonMap, managers: ManagerSets, lastSet: VersionedSet | undefined): JsonMap {
    if (!lastSet || lastSet.set.empty()) return merged;
    const s = this.schema;
    const named = (x: FieldSet): FieldSet => ensureNamedFieldsAreMembers(x, s);
    const last = named(lastSet.set);
    const asMap = (v: Json): JsonMap => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});

    let pruned = asMap(removeItems(merged, last, s));
    // Add back what any manager (the applier's new configuration included) owns.
    let owned = new FieldSet();
    for (const vs of managers.values()) owned = owned.union(vs.set);
    const mergedSet = named(toFieldSet(merged, s));
    pruned = asMap(removeItems(merged, mergedSet.difference(named(toFieldSet(pruned, s)).union(named(owned))), s));
    // Add back what was removed but not applied last time by this applier (unowned, or Update-owned).
    const prunedSet = named(toFieldSet(pruned, s));
    return asMap(removeItems(merged, mergedSet.difference(prunedSet).intersection(last), s));
  }
}
