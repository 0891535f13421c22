// The watch cache's failure modes. Each is an ApiError carrying the Kubernetes reason and HTTP
// code upstream's cacher answers with, so the API edge (status.ts) maps them like any other
// ApiError; the extra fields are for callers that want to react (e.g. tests, metrics).

import { ApiError } from '../../base/errors.ts';

/** A watch from a revision older than the history the cache keeps (410 Expired). */
export class TooOldResourceVersionError extends ApiError {
  readonly requested: number;
  /** The oldest revision a watch may start from now. */
  readonly oldest: number;
  constructor(requested: number, oldest: number) {
    super(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
    this.requested = requested;
    this.oldest = oldest;
  }
}

/** A list at a revision that the backend has compacted (410 Expired). */
export class ResourceVersionExpiredError extends ApiError {
  readonly requested: number;
  constructor(requested: number) {
    super(410, 'Expired', 'The resourceVersion for the provided list is too old.');
    this.requested = requested;
  }
}

/** A continue token whose revision has been compacted (410 Expired). */
export class ContinueExpiredError extends ApiError {
  readonly revision: number;
  constructor(revision: number) {
    super(
      410,
      'Expired',
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
    );
    this.revision = revision;
  }
}

/** A resourceVersion the cache did not reach within the bounded wait (504 Timeout, retry in 1s). */
export class TooLargeResourceVersionError extends ApiError {
  readonly requested: number;
  readonly current: number;
  constructor(requested: number, current: number) {
    super(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
    this.requested = requested;
    this.current = current;
  }
}

/** A continue token that is not one of ours (400 BadRequest). */
export class InvalidContinueError extends ApiError {
  constructor(why: string) {
    super(400, 'BadRequest', `invalid continue token: continue key is not valid: ${why}`);
  }
}

/** A resourceVersion parameter that is not a revision (400 BadRequest). */
export class InvalidResourceVersionError extends ApiError {
  constructor(value: string) {
    super(400, 'BadRequest', `resourceVersion: Invalid value: "${value}": must be a non-negative integer`);
  }
}

/** The cache is (re)building from the backend (429, retry in 1s, as upstream). */
export class CacheNotReadyError extends ApiError {
  constructor() {
    super(429, 'TooManyRequests', 'storage is (re)initializing', { retryAfterSeconds: 1 });
  }
}
