// metadata.managedFields on the wire and in memory.
//
// An entry is {manager, operation, apiVersion, time, fieldsType: "FieldsV1", fieldsV1,
// subresource}. In memory, entries are keyed by a manager identifier: the entry without its
// fields and time (and, for Apply entries, without apiVersion, so one applier keeps one entry
// across versions), written as Go writes that JSON: one entry per (manager, operation,
// subresource[, apiVersion for updates]).

import { FieldSet, goJsonString } from './fieldpath.ts';
import type { VersionedSet } from './updater.ts';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: unknown;
  subresource?: string;
}

/** What identifies a manager: its name, operation, subresource, and (for updates) apiVersion. */
export interface ManagerInfo {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion?: string;
  readonly subresource?: string;
}

/** Ownership by manager identifier, and the time of each manager's last change. */
export interface Managed {
  readonly fields: Map<string, VersionedSet>;
  readonly times: Map<string, string>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** The identifier of a manager, as upstream builds it (Go's JSON of the reduced entry). */
export function managerIdentifier(info: ManagerInfo): string {
  const parts = [`"manager":${goJsonString(info.manager)}`, `"operation":${goJsonString(info.operation)}`];
  if (info.operation !== 'Apply' && info.apiVersion) parts.push(`"apiVersion":${goJsonString(info.apiVersion)}`);
  if (info.subresource) parts.push(`"subresource":${goJsonString(info.subresource)}`);
  return `{${parts.join(',')}}`;
}

export function parseIdentifier(id: string): ManagerInfo {
  const o = JSON.parse(id) as ManagerInfo;
  return o;
}

/** RFC 3339 at whole seconds in UTC, as metav1.Time is written. */
export function formatTime(d: Date): string {
  const sec = Math.floor(d.getTime() / 1000);
  if (sec === lastSecond) return lastText; // writes come many to a second
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ (or ±YYYYYY-… outside years 0–9999)
  const text = iso.endsWith('Z') && iso[iso.length - 5] === '.' ? `${iso.slice(0, -5)}Z` : iso.replace(/\.\d+Z$/, 'Z');
  if (Number.isFinite(sec)) {
    lastSecond = sec;
    lastText = text;
  }
  return text;
}

/** The last second formatTime wrote (a memo of a pure function). */
let lastSecond = Number.NaN;
let lastText = '';

function normalizeTime(t: unknown): string | undefined {
  if (typeof t !== 'string' || t === '') return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? t : formatTime(new Date(ms));
}

/** Decode wire entries. Throws an Error worded as upstream's on an invalid entry. */
export function decodeManagedFields(entries: unknown): Managed {
  const out = emptyManaged();
  if (entries === undefined || entries === null) return out;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`managed fields entry ${i} must be an object`);
    const e = raw as ManagedFieldsEntry;
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion.length < 1) throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || (e.fieldsType as string) === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const id = managerIdentifier({
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(typeof e.subresource === 'string' && e.subresource ? { subresource: e.subresource } : {}),
    });
    let set: FieldSet;
    try {
      set = FieldSet.fromFieldsV1(e.fieldsV1 ?? {});
    } catch (err) {
      throw new Error(`error decoding versioned set from entry ${i}: error decoding set: ${(err as Error).message}`);
    }
    out.fields.set(id, { set, apiVersion: e.apiVersion, applied: e.operation === 'Apply' });
    const t = normalizeTime(e.time);
    if (t) out.times.set(id, t);
    else out.times.delete(id);
  });
  return out;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

/** Encode to wire entries, sorted as upstream sorts them; undefined when there are none. */
export function encodeManagedFields(m: Managed): ManagedFieldsEntry[] | undefined {
  if (m.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const info = parseIdentifier(id);
    const e: ManagedFieldsEntry = {
      manager: info.manager,
      operation: vs.applied ? 'Apply' : info.operation,
      apiVersion: vs.apiVersion,
    };
    const t = m.times.get(id);
    if (t) e.time = t;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = vs.set.toFieldsV1();
    if (info.subresource) e.subresource = info.subresource;
    entries.push(e);
  }
  entries.sort(compareEntries);
  return entries;
}

function str(a: string | undefined, b: string | undefined): number {
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}

/** The order upstream sorts entries in: operation, time (seconds), manager, apiVersion, subresource. */
export function compareEntries(p: ManagedFieldsEntry, q: ManagedFieldsEntry): number {
  return (
    str(p.operation, q.operation) ||
    seconds(p.time) - seconds(q.time) ||
    str(p.manager, q.manager) ||
    str(p.apiVersion, q.apiVersion) ||
    str(p.subresource, q.subresource)
  );
}

/**
 * True when a write asks to clear managedFields: an empty list, or a list of one empty entry
 * (upstream's reset; an absent field keeps the stored entries instead).
 */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length === 0) return true;
  if (v.length === 1) {
    const e = v[0] as unknown;
    return e !== null && typeof e === 'object' && !Array.isArray(e) && Object.keys(e).length === 0;
  }
  return false;
}
