// Turning the API's answers back into errors: a non-2xx response (or a watch ERROR event)
// carries a metav1.Status, rebuilt here into the same ApiError class the server threw, so
// callers test `e.httpCode === 409` or `e.reason === 'AlreadyExists'` whatever the transport.

import { ApiError, type StatusDetails } from '../base/errors.ts';

/** metav1.Status as it travels on the wire. */
export interface Status {
  kind: 'Status';
  apiVersion: string;
  metadata?: Record<string, unknown>;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code?: number;
}

/** The StatusReason upstream assumes for a bare HTTP code (client-go's NewGenericServerResponse). */
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function isStatus(v: unknown): v is Status {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'Status';
}

/** An ApiError from a Status object (e.g. a watch ERROR event's object). */
export function statusToApiError(s: Status, httpCode?: number): ApiError {
  const code = s.code || httpCode || 500;
  const reason = s.reason || REASON_BY_CODE[code] || 'Unknown';
  return new ApiError(code, reason, s.message ?? `the server responded with ${code} ${reason}`, s.details);
}

/** An ApiError from a non-2xx HTTP answer: its Status body when there is one, else the code and text. */
export function apiErrorFrom(status: number, body: Buffer | string): ApiError {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isStatus(parsed)) return statusToApiError(parsed, status);
  } catch {
    // not JSON: fall through
  }
  const reason = REASON_BY_CODE[status] ?? 'Unknown';
  const message = text.trim() ? text.trim().slice(0, 1024) : `the server responded with ${status} ${reason}`;
  return new ApiError(status, reason, message);
}

function codeOf(e: unknown): number | undefined {
  return e instanceof ApiError ? e.httpCode : undefined;
}

export const isNotFound = (e: unknown): boolean => codeOf(e) === 404;
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.reason === 'AlreadyExists';
/** 409 Conflict (an update lost a compare-and-swap race), not AlreadyExists. */
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.httpCode === 409 && e.reason !== 'AlreadyExists';
/** 410: the requested resourceVersion or continue token is too old (Expired or Gone). */
export const isExpired = (e: unknown): boolean => codeOf(e) === 410;
export const isAbort = (e: unknown): boolean => (e as { name?: string } | null)?.name === 'AbortError';
