// Server-side field validation against the OpenAPI schemas: the fields of a request body that
// its kind's schema does not know, and the keys a JSON body repeats, both as the JSON paths
// upstream's strict decoder names them (`spec.foo`, `spec.containers[0].imagee`,
// `metadata.name`), in document order. fieldvalidation.ts turns them into
// `strict decoding error: unknown field "spec.foo", ...` or warnings.

import { type Schema, type SchemaCatalog, schemaCatalog } from './schemas.ts';

/**
 * The paths of the fields in `obj` that the schema of group/version/kind does not declare.
 * Objects the schema leaves open (RawExtension, FieldsV1, x-kubernetes-preserve-unknown-fields,
 * embedded resources) are not looked into; values of the wrong type are not this function's
 * concern. A kind without a schema (a custom resource) has no unknown fields: [].
 */
export function unknownFields(group: string, version: string, kind: string, obj: unknown, catalog: SchemaCatalog = schemaCatalog()): string[] {
  const name = catalog.nameForKind(group, version, kind);
  const schema = name === undefined ? undefined : catalog.get(name);
  if (!schema) return [];
  const out: string[] = [];
  walk(catalog, schema, obj, '', out);
  return out;
}

function isOpen(s: Schema): boolean {
  if (s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-embedded-resource']) return true;
  if (s.additionalProperties === true) return true;
  // an object schema with no fields and no value schema (RawExtension, FieldsV1, Patch) takes anything
  return !s.properties && (s.additionalProperties === undefined || s.additionalProperties === false) && (s.type === 'object' || s.type === undefined);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function walk(catalog: SchemaCatalog, schema: Schema, value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const s = catalog.resolve(schema);
  if (Array.isArray(value)) {
    if (!s.items) return;
    value.forEach((v, i) => walk(catalog, s.items!, v, `${path}[${i}]`, out));
    return;
  }
  if (isOpen(s)) return;
  const obj = value as Record<string, unknown>;
  if (s.properties) {
    for (const key of Object.keys(obj)) {
      const p = Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
      if (p) walk(catalog, p, obj[key], join(path, key), out);
      else out.push(join(path, key));
    }
    return;
  }
  const ap = s.additionalProperties;
  if (ap && typeof ap === 'object') {
    for (const key of Object.keys(obj)) walk(catalog, ap, obj[key], join(path, key), out);
  }
}

// ---- duplicate keys in a JSON text ----

type Frame = { kind: 'object'; path: string; keys: Set<string>; key: string } | { kind: 'array'; path: string; index: number };

const WS = new Set([' ', '\t', '\n', '\r']);

/**
 * The paths of the keys that a JSON text repeats within one object (`metadata.name`,
 * `spec.containers[0].name`, `metadata.labels.app`), each time a repeat is seen, in document
 * order. Scans the text without building values and without recursion (any nesting depth);
 * malformed JSON ends the scan and returns what was found so far.
 */
export function duplicateFields(jsonText: string): string[] {
  const text = jsonText;
  const n = text.length;
  const out: string[] = [];
  const stack: Frame[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < n && WS.has(text[i]!)) i++;
  };
  /** Index just past the string starting at i (text[i] === '"'), or -1 when unterminated. */
  const stringEnd = (start: number): number => {
    let j = start + 1;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x5c) j += 2; // backslash: skip the escaped character
      else if (c === 0x22) return j + 1;
      else j++;
    }
    return -1;
  };
  const nextPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    return top.kind === 'object' ? join(top.path, top.key) : `${top.path}[${top.index}]`;
  };

  let state: 'value' | 'key' | 'after' = 'value';
  for (;;) {
    ws();
    if (i >= n) return out;
    if (state === 'value') {
      const c = text[i];
      if (c === '{') {
        stack.push({ kind: 'object', path: nextPath(), keys: new Set(), key: '' });
        i++;
        ws();
        if (text[i] === '}') {
          i++;
          stack.pop();
          state = 'after';
        } else state = 'key';
      } else if (c === '[') {
        stack.push({ kind: 'array', path: nextPath(), index: 0 });
        i++;
        ws();
        if (text[i] === ']') {
          i++;
          stack.pop();
          state = 'after';
        }
      } else if (c === '"') {
        const end = stringEnd(i);
        if (end < 0) return out;
        i = end;
        state = 'after';
      } else {
        const start = i;
        while (i < n && !WS.has(text[i]!) && text[i] !== ',' && text[i] !== ']' && text[i] !== '}') i++;
        if (i === start) return out;
        state = 'after';
      }
    } else if (state === 'key') {
      const top = stack[stack.length - 1];
      if (!top || top.kind !== 'object' || text[i] !== '"') return out;
      const end = stringEnd(i);
      if (end < 0) return out;
      let key: string;
      try {
        key = JSON.parse(text.slice(i, end)) as string;
      } catch {
        return out;
      }
      i = end;
      ws();
      if (text[i] !== ':') return out;
      i++;
      if (top.keys.has(key)) out.push(join(top.path, key));
      else top.keys.add(key);
      top.key = key;
      state = 'value';
    } else {
      const top = stack[stack.length - 1];
      if (!top) return out;
      const c = text[i];
      if (c === ',') {
        i++;
        if (top.kind === 'object') state = 'key';
        else {
          top.index++;
          state = 'value';
        }
      } else if ((c === '}' && top.kind === 'object') || (c === ']' && top.kind === 'array')) {
        i++;
        stack.pop();
      } else return out;
    }
  }
}
