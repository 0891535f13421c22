// The one place where errors become Kubernetes metav1.Status objects and HTTP codes.

import { ApiError, apiErrors, CompactedError, SkiffError } from '../base/errors.ts';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: ApiError['details'];
  code: number;
}

/** Map any thrown value to an ApiError (unknown errors become 500 InternalError). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof CompactedError) {
    return apiErrors.expired(`too old resource version: ${err.requested} (${err.compactRevision})`);
  }
  if (err instanceof SkiffError) {
    // Store sentinels that escaped the registry's own mapping.
    switch (err.code) {
      case 'KeyExists':
        return new ApiError(409, 'AlreadyExists', err.message);
      case 'Conflict':
        return new ApiError(409, 'Conflict', err.message);
      case 'KeyNotFound':
        return new ApiError(404, 'NotFound', err.message);
      case 'FutureRevision':
        return new ApiError(504, 'Timeout', `Too large resource version: ${err.message}`);
    }
  }
  const msg = err instanceof Error ? err.message : String(err);
  return apiErrors.internal(msg);
}

export function statusOf(err: ApiError): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: err.reason,
    code: err.httpCode,
  };
  if (err.details) s.details = err.details;
  return s;
}

export function successStatus(details?: ApiError['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}
