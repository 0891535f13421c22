// The transport-neutral request/response of the API core. The HTTPS server (https.ts) and the
// in-process transport both speak these, so tests exercise real API semantics without a socket.

import { type ApiError, apiErrors } from '../base/errors.ts';
import type * as Yaml from 'yaml';
import { createRequire } from 'node:module';
import type * as ProtobufDecode from './protobuf/decode.ts';

/** The protobuf decoder (protobufjs + its descriptor, ~9 MB resident), loaded on first use:
 *  most clients never send protobuf. Node 24 loads ES modules synchronously through require. */
let protobufDecode: typeof ProtobufDecode | undefined;
function protobufDecoder(): typeof ProtobufDecode {
  if (!protobufDecode) {
    const self = import.meta.url;
    protobufDecode = createRequire(self)(self.endsWith('.ts') ? './protobuf/decode.ts' : './protobuf/decode.js') as typeof ProtobufDecode;
  }
  return protobufDecode;
}

/** The YAML library, loaded on first use (a few MB resident; most bodies and answers are JSON). */
let yaml: typeof Yaml | undefined;
export function yamlLibrary(): typeof Yaml {
  yaml ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yaml;
}

function parseYaml(text: string, opts: Yaml.ParseOptions & Yaml.DocumentOptions & Yaml.SchemaOptions & Yaml.ToJSOptions): unknown {
  return yamlLibrary().parse(text, opts);
}

export interface RequestUser {
  name: string;
  uid?: string;
  groups: string[];
  /** Extra attributes (from impersonation's Impersonate-Extra-* headers). */
  extra?: Record<string, string[]>;
}

export interface ApiRequest {
  method: string;
  /** Decoded URL path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The whole body (already size-checked by the transport), if any. */
  body?: Buffer;
  user?: RequestUser;
  /** Impersonate-* headers (lower-case names), every value of each; not in `headers`. */
  impersonation?: Record<string, string[]>;
  /** Aborted when the client goes away or the server shuts down. */
  signal: AbortSignal;
  /** Warnings collected while handling; sent back as Warning headers. */
  warnings?: string[];
}

/** Where a streaming response writes. `write` returns the bytes still buffered for this client. */
export interface ResponseSink {
  /**
   * Queue a chunk (a string is sent as UTF-8); returns how much is buffered for the client.
   * A Buffer chunk is the sink's only until drain() resumes the writer, which may then reuse
   * it: a sink that keeps chunks longer copies them.
   */
  write(chunk: string | Buffer): number;
  end(): void;
  /** Optional back-pressure: calls `resume` once what is buffered for this client has been
   *  written (at once when nothing waits). Never called after the client has gone. */
  drain?(resume: () => void): void;
}

export interface BufferedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface StreamingResponse {
  status: number;
  headers?: Record<string, string>;
  /** Called once the headers are on the wire; must eventually call sink.end(). */
  stream(sink: ResponseSink): void;
}

export type ApiResponse = BufferedResponse | StreamingResponse;

export function isStreaming(r: ApiResponse): r is StreamingResponse {
  return typeof (r as StreamingResponse).stream === 'function';
}

/** Request bodies over this size get 413 (the apiserver's limit for object writes). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const JSON_TYPE = 'application/json';
/** Kubernetes' protobuf wire format; kubectl 1.32's typed clients send it for writes. */
export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

export function jsonResponse(status: number, obj: unknown, extra?: Record<string, string>): BufferedResponse {
  return { status, headers: { 'content-type': JSON_TYPE, ...extra }, body: JSON.stringify(obj) };
}

/** The media type of the body, lower-cased, without parameters (`application/json`). Missing → JSON
 *  (kubectl scale --current-replicas sends PUT without Content-Type). */
export function bodyMediaType(req: ApiRequest): string {
  const ct = req.headers['content-type'];
  if (!ct) return JSON_TYPE;
  return ct.split(';')[0]!.trim().toLowerCase();
}

const bodyTexts = new WeakMap<Buffer, string>();

/** The body as UTF-8 text ('' when there is none), decoded once per body and shared. */
export function bodyText(req: ApiRequest): string {
  const body = req.body;
  if (!body) return '';
  let text = bodyTexts.get(body);
  if (text === undefined) {
    text = body.toString('utf8');
    bodyTexts.set(body, text);
  }
  return text;
}

/**
 * How deeply a request body's objects and lists may nest. Upstream's JSON decoder stops at
 * 10,000; ours walk objects recursively (field validation, defaulting, managed fields, merges)
 * and run out of stack a few thousand levels down, so bodies are held to 1,000 (a real object
 * is a few dozen deep) and a merge of two such still fits.
 */
export const MAX_NESTING = 1000;

/** In a JSON text, the index of the quote closing the string opened at `open`: the next quote not escaped by an odd run of backslashes; -1 when unterminated. */
export function closingQuote(text: string, open: number): number {
  let close = open;
  for (;;) {
    close = text.indexOf('"', close + 1);
    if (close < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return close;
  }
}

/** Whether a JSON text nests objects/lists deeper than `limit` (a scan, no parse; shorter texts cannot). */
export function jsonNestsDeeper(text: string, limit = MAX_NESTING): boolean {
  const n = text.length;
  if (n <= 2 * limit) return false;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i);
      if (i < 0) return false;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Whether a parsed value nests objects/lists deeper than `limit` (iterative). */
export function valueNestsDeeper(value: unknown, limit = MAX_NESTING): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

export function tooDeep(): ApiError {
  return apiErrors.badRequest(`the request body nests objects or lists more than ${MAX_NESTING} levels deep`);
}

/** Decode a JSON or YAML request body into a value. Malformed → 400; other media types → 415. */
export function decodeBody(req: ApiRequest, allowed: string[] = [JSON_TYPE, 'application/yaml', PROTOBUF_TYPE]): unknown {
  const type = bodyMediaType(req);
  if (allowed.includes(PROTOBUF_TYPE) && type === PROTOBUF_TYPE) {
    if (!req.body || req.body.length === 0) throw apiErrors.badRequest('the request body is empty; expected a protobuf object');
    return protobufDecoder().decodeProtobufObject(req.body);
  }
  if (!allowed.includes(type)) throw apiErrors.unsupportedMediaType(type);
  const text = bodyText(req);
  if (!/\S/.test(text)) throw apiErrors.badRequest('the request body is empty; expected a JSON or YAML object');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    let value: unknown;
    try {
      value = parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      if (e instanceof RangeError) throw tooDeep(); // the YAML parser's own recursion
      throw apiErrors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
    if (valueNestsDeeper(value)) throw tooDeep();
    return value;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw apiErrors.badRequest(`error decoding JSON body: ${(e as Error).message}`);
  }
  if (jsonNestsDeeper(text)) throw tooDeep();
  return value;
}

/** Decode a body that must be a JSON object. */
export function decodeObjectBody(req: ApiRequest, allowed?: string[]): Record<string, any> {
  const v = decodeBody(req, allowed);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw apiErrors.badRequest('the request body must be a JSON or YAML object');
  }
  return v as Record<string, any>;
}

/** Parse an integer query parameter; absent → undefined; bad → 400. */
export function intParam(req: ApiRequest, name: string): number | undefined {
  const v = req.query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw apiErrors.badRequest(`invalid value for ${name}: "${v}" is not an integer`);
  return Number(v);
}

export function boolParam(req: ApiRequest, name: string): boolean {
  const v = req.query.get(name);
  return v === 'true' || v === '1';
}

/** True when the Accept header asks for a server-side Table (kubectl get). */
export function wantsTable(req: ApiRequest): boolean {
  const accept = req.headers['accept'] ?? '';
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '');
    if (p.startsWith('application/json') && p.includes('as=Table') && p.includes('g=meta.k8s.io')) return true;
  }
  return false;
}
