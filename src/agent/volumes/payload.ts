// Pure builders of the files a configMap, secret or downwardAPI volume (or projected source)
// holds: keys or items → relative path, bytes and mode, with upstream's defaults (mode 0644)
// and error messages.

import type { KubeObject } from '../../api/types.ts';
import type { FileProjection, Payload } from './atomicwriter.ts';
import { extractFieldPath, extractResourceValue, findContainer } from './fieldpath.ts';
import type { Allocatable } from './fieldpath.ts';

export const DEFAULT_MODE = 0o644;

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

/** The bytes of every key of a ConfigMap (data, then binaryData). */
export function configMapFiles(cm: KubeObject | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((cm?.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries((cm?.binaryData ?? {}) as Record<string, string>)) if (!out.has(k)) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** The bytes of every key of a Secret (data is base64; stringData, if a client left it, wins). */
export function secretFiles(secret: KubeObject | undefined): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, v] of Object.entries((secret?.data ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries((secret?.stringData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/**
 * Keys (or the listed items) → files. A listed key that is missing is an error unless the
 * source is optional: `configmap references non-existent config key: k` /
 * `references non-existent secret key: k`.
 */
export function keysPayload(kind: 'configMap' | 'secret', files: Map<string, Buffer>, items: KeyToPath[] | undefined, defaultMode: number, optional: boolean): Payload {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, data] of files) payload.set(k, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = files.get(item.key);
    if (!data) {
      if (optional) continue;
      throw new Error(kind === 'configMap' ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}`);
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

export interface DownwardAPIItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string | number };
  mode?: number;
}

/** downwardAPI items → files; errors from all items are reported together. */
export function downwardAPIPayload(pod: KubeObject, items: DownwardAPIItem[] | undefined, defaultMode: number, allocatable: Allocatable): Payload {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    try {
      let value: string;
      if (item.fieldRef) value = extractFieldPath(pod, item.fieldRef.fieldPath);
      else if (item.resourceFieldRef) {
        const name = item.resourceFieldRef.containerName ?? '';
        const container = findContainer(pod, name);
        if (!container) throw new Error(`container ${JSON.stringify(name)} not found in pod`);
        value = extractResourceValue(container, item.resourceFieldRef.resource, item.resourceFieldRef.divisor, allocatable);
      } else continue;
      payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new Error(aggregate(errors));
  return payload;
}

/** upstream's utilerrors.NewAggregate message: one error alone, several as `[a, b]`. */
export function aggregate(errors: string[]): string {
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}

/** Merge projected sources' payloads; later sources win on the same path, as upstream. */
export function mergePayloads(parts: Payload[]): Payload {
  const out: Payload = new Map<string, FileProjection>();
  for (const p of parts) for (const [k, v] of p) out.set(k, v);
  return out;
}
