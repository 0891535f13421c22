// Server-side field validation (the fieldValidation query parameter): Strict rejects unknown
// and duplicate fields with upstream's "strict decoding error" 400, Warn lets the write through
// with one Warning header per problem, Ignore does neither. Unset means Warn, as upstream.

import { ApiError, apiErrors } from '../base/errors.ts';
import type { ResourceDef } from '../api/types.ts';
import type { ApiRequest } from './request.ts';
import { checkDecoded, duplicateFieldsOf } from './openapi/unknown-fields.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(req: ApiRequest): FieldValidation {
  const v = req.query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw apiErrors.badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

/** Add a warning to the response of this request (sent as `Warning: 299 - "<text>"`). */
export function addWarning(req: ApiRequest, text: string): void {
  (req.warnings ??= []).push(text);
}

/**
 * Check an object (as decoded from the request, or as a patch left it) against its schema.
 * `bodyText` is the raw JSON body when the object came straight from one, unchanged since it
 * was decoded (duplicate detection). A value of the wrong JSON type (a number where the schema
 * has a string, a string for an object, ...) is a 400 in every mode, as upstream's decoding
 * into Go types makes it; unknown and duplicate fields follow the mode.
 */
export function checkFields(req: ApiRequest, def: ResourceDef, obj: unknown, bodyText?: string): void {
  const mode = fieldValidationOf(req);
  const { unknown, typeError } = checkDecoded(def.group, def.version, def.kind, obj);
  // upstream names the version alone: `Deployment in version "v1" cannot be handled as a Deployment`
  const cannot = `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}`;
  if (typeError !== undefined) throw new ApiError(400, 'BadRequest', `${cannot}: ${typeError}`);
  const b64Error = byteFieldsError(def, obj);
  if (b64Error !== undefined) throw new ApiError(400, 'BadRequest', `${cannot}: ${b64Error}`);
  if (mode === 'Ignore') return;
  const problems: string[] = [];
  if (bodyText !== undefined && bodyText.trimStart().startsWith('{')) {
    for (const f of duplicateFieldsOf(bodyText, obj)) problems.push(`duplicate field "${f}"`);
  }
  for (const f of unknown) problems.push(`unknown field "${f}"`);
  if (problems.length === 0) return;
  if (mode === 'Warn') {
    for (const p of problems) addWarning(req, p);
    return;
  }
  throw new ApiError(400, 'BadRequest', `${cannot}: strict decoding error: ${problems.join(', ')}`);
}

/** The Warning header value for a list of warnings (RFC 7234 warn-code 299, quoted, comma separated). */
export function warningHeader(warnings: string[]): string {
  // a patch retried after a lost compare-and-swap checks its result again: say each thing once
  return [...new Set(warnings)].map((w) => `299 - "${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ');
}

/** The []byte maps of the kinds we serve: their values are base64 in JSON (the schemas do not say so). */
const BYTE_MAPS: Record<string, string> = { '/v1/Secret': 'data', '/v1/ConfigMap': 'binaryData' };

/**
 * Go's base64 decoding of a []byte field (standard alphabet, padded; CR and LF skipped), as
 * upstream's decoder refuses a Secret's data value that is not base64:
 * `illegal base64 data at input byte 0`. Undefined when every value decodes.
 */
function byteFieldsError(def: ResourceDef, obj: unknown): string | undefined {
  const field = BYTE_MAPS[`${def.group}/${def.version}/${def.kind}`];
  if (field === undefined || obj === null || typeof obj !== 'object') return undefined;
  const map = (obj as Record<string, unknown>)[field];
  if (map === null || typeof map !== 'object') return undefined;
  for (const v of Object.values(map)) {
    if (typeof v !== 'string') continue; // a type mismatch, reported by checkDecoded
    const at = illegalBase64At(v);
    if (at >= 0) return `illegal base64 data at input byte ${at}`;
  }
  return undefined;
}

/** The offset Go's StdEncoding reports for a bad base64 string, or -1 when it decodes. */
export function illegalBase64At(s: string): number {
  let n = 0; // significant characters seen
  let pad = 0;
  let quantumStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) continue;
    if (n % 4 === 0) quantumStart = i;
    const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (c === 0x3d) {
      // padding: only at the end of a quantum, after at least two characters of it
      if (n % 4 < 2) return i;
      pad++;
      n++;
      continue;
    }
    if (!alpha || pad > 0) return i;
    n++;
  }
  if (n % 4 === 0) return -1;
  return pad > 0 ? s.length : quantumStart; // not enough padding; an unpadded last quantum
}
