// Turns a message decoded by protobufjs into the JSON Go's encoding/json would write for the same
// Kubernetes object, so that a protobuf request body and a JSON one arrive at the registry alike.
//
// The descriptor (scripts/gen-proto.ts) names fields by their JSON names and carries, per field,
// the Go facts that decide the JSON form (`options.go` flags):
//   p pointer  – on the wire only when set; kept even when zero (replicas: 0)
//   k keep     – no omitempty: zero values are written (nil pointers, slices and maps as null)
//   i inline   – an embedded struct whose fields join the parent object (Volume's VolumeSource)
//   z omitzero – an all-zero struct is left out
// Go writes a non-pointer struct field even with omitempty; gogo-protobuf (what Kubernetes uses)
// writes every non-pointer scalar, so such fields are always present in real bodies.
// A few types have their own JSON form: Quantity (string), IntOrString (number or string),
// Time/MicroTime (RFC 3339, null when zero), Duration (Go duration string), FieldsV1 and
// RawExtension (the embedded JSON); bytes become base64; named slices (ExtraValue) become arrays.

import protobuf from 'protobufjs/light.js';
import { formatGoDuration, formatRfc3339, formatRfc3339Micro } from './go-format.ts';

type Message = Record<string, unknown>;

/** Decodes embedded raw bytes (RawExtension, FieldsV1) into their JSON value; throws on bad input. */
export type RawDecoder = (raw: Buffer) => unknown;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1.';
const SPECIAL: Record<string, (msg: Message | undefined, raw: RawDecoder) => unknown> = {
  'k8s.io.apimachinery.pkg.api.resource.Quantity': (m) => (m?.['string'] as string | undefined) || '0',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': (m) =>
    m && toBigInt(m['type']) === 1n ? ((m['strVal'] as string | undefined) ?? '') : Number(m?.['intVal'] ?? 0),
  [META + 'Time']: (m) => (isZeroMessage(m) ? null : formatRfc3339(toBigInt(m?.['seconds']))),
  [META + 'MicroTime']: (m) =>
    isZeroMessage(m) ? null : formatRfc3339Micro(toBigInt(m?.['seconds']), Number(m?.['nanos'] ?? 0)),
  [META + 'Duration']: (m) => formatGoDuration(toBigInt(m?.['duration'])),
  [META + 'FieldsV1']: (m, raw) => embedded(m?.['Raw'], raw),
  'k8s.io.apimachinery.pkg.runtime.RawExtension': (m, raw) => embedded(m?.['raw'], raw),
};

/** The JSON form of `msg` (undefined: the message is absent and Go would hold its zero value). */
export function messageToJson(type: protobuf.Type, msg: Message | undefined, raw: RawDecoder): unknown {
  const special = SPECIAL[type.fullName.slice(1)];
  if (special) return special(msg, raw);
  if (goFlags(type) === 'list') {
    const items = (msg?.['items'] as unknown[] | undefined) ?? [];
    const field = type.fields['items'] as protobuf.Field;
    return items.length === 0 ? null : items.map((v) => valueToJson(field, v, raw));
  }
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) writeField(out, field, msg, raw);
  return out;
}

function writeField(out: Record<string, unknown>, field: protobuf.Field, msg: Message | undefined, raw: RawDecoder): void {
  const flags = goFlags(field);
  const pointer = flags.includes('p');
  const keep = flags.includes('k');
  const name = field.name;
  const value = msg?.[name];
  const present = msg !== undefined && Object.hasOwn(msg, name);

  if (field.map) {
    const entries = Object.entries((value as Record<string, unknown> | undefined) ?? {});
    if (entries.length > 0) out[name] = Object.fromEntries(entries.map(([k, v]) => [k, valueToJson(field, v, raw)]));
    else if (keep) out[name] = null;
    return;
  }
  if (field.repeated) {
    const items = (value as unknown[] | undefined) ?? [];
    if (items.length > 0) out[name] = items.map((v) => valueToJson(field, v, raw));
    else if (keep) out[name] = null;
    return;
  }

  const type = field.resolvedType;
  if (type instanceof protobuf.Type) {
    if (!present && pointer) {
      if (keep) out[name] = null;
      return;
    }
    if (flags.includes('z') && isZeroMessage(value as Message | undefined)) return;
    const json = messageToJson(type, present ? (value as Message) : undefined, raw);
    if (flags.includes('i')) {
      if (json && typeof json === 'object') Object.assign(out, json);
      return;
    }
    // A named slice is a slice to encoding/json: omitempty leaves out an empty one.
    if (json === null && goFlags(type) === 'list' && !keep) return;
    out[name] = json;
    return;
  }

  // Scalars. bytes is a Go slice: nil when absent, so it behaves like a pointer here.
  if (!present) {
    if (keep) out[name] = pointer || field.type === 'bytes' ? null : zeroScalar(field.type);
    return;
  }
  const json = scalarToJson(field.type, value);
  if (!pointer && !keep && isZeroScalar(json)) return;
  out[name] = json;
}

/** One element of a repeated field or one value of a map. */
function valueToJson(field: protobuf.Field, value: unknown, raw: RawDecoder): unknown {
  const type = field.resolvedType;
  if (type instanceof protobuf.Type) return messageToJson(type, value as Message, raw);
  return scalarToJson(field.type, value);
}

function scalarToJson(type: string, value: unknown): unknown {
  switch (type) {
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return Number(toBigInt(value));
    default:
      return value;
  }
}

function zeroScalar(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bool') return false;
  return 0;
}

function isZeroScalar(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** An absent message, or one with no field on the wire (how gogo writes a zero Time). */
function isZeroMessage(m: Message | undefined): boolean {
  return m === undefined || m === null || Object.keys(m).every((k) => isEmptyDefault(m[k]));
}

function isEmptyDefault(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && Object.keys(v).length === 0;
}

function embedded(bytes: unknown, raw: RawDecoder): unknown {
  if (!bytes || (bytes as Uint8Array).length === 0) return null;
  return raw(Buffer.from(bytes as Uint8Array));
}

/** protobufjs gives 64-bit integers as numbers or Long objects; both print as decimals. */
function toBigInt(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  return BigInt(typeof v === 'number' ? v : String(v));
}

function goFlags(obj: protobuf.ReflectionObject): string {
  const go = obj.options?.['go'];
  return typeof go === 'string' ? go : '';
}
