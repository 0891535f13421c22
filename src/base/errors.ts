// Errors with stable machine-readable codes. One class per failure mode; the API edge
// (src/apiserver/status.ts) is the only place that turns them into Kubernetes Status objects.

/** Base class: every skiff error carries a stable `code`. */
export class SkiffError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

// ---- store sentinel errors (the whole storage contract uses only these) ----

/** create() on a key that already exists. */
export class KeyExistsError extends SkiffError {
  readonly key: string;
  constructor(key: string) {
    super('KeyExists', `key ${key} already exists`);
    this.key = key;
  }
}

/** update()/delete() whose expected revision does not match the key's current modRevision. */
export class ConflictError extends SkiffError {
  readonly key: string;
  /** the key's current modRevision, when known */
  readonly actualRevision: number;
  constructor(key: string, expected: number, actual: number) {
    super('Conflict', `key ${key}: expected revision ${expected}, found ${actual}`);
    this.key = key;
    this.actualRevision = actual;
  }
}

/** get/update/delete of a key that does not exist. */
export class KeyNotFoundError extends SkiffError {
  readonly key: string;
  constructor(key: string) {
    super('KeyNotFound', `key ${key} not found`);
    this.key = key;
  }
}

/** A read or watch at a revision older than the last compaction. */
export class CompactedError extends SkiffError {
  readonly requested: number;
  readonly compactRevision: number;
  constructor(requested: number, compactRevision: number) {
    super('Compacted', `revision ${requested} has been compacted (compacted at ${compactRevision})`);
    this.requested = requested;
    this.compactRevision = compactRevision;
  }
}

/** A read or watch at a revision newer than the store's current revision. */
export class FutureRevisionError extends SkiffError {
  readonly requested: number;
  readonly current: number;
  constructor(requested: number, current: number) {
    super('FutureRevision', `revision ${requested} is newer than the current revision ${current}`);
    this.requested = requested;
    this.current = current;
  }
}

// ---- API errors: a Kubernetes StatusReason and HTTP code ----

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/**
 * An error the API answers with a metav1.Status. `reason` is the Kubernetes StatusReason
 * (NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...), `httpCode` its HTTP status.
 */
export class ApiError extends SkiffError {
  readonly httpCode: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(httpCode: number, reason: string, message: string, details?: StatusDetails) {
    super(reason, message);
    this.httpCode = httpCode;
    this.reason = reason;
    this.details = details;
  }
}

/** Resource-qualified name as Kubernetes prints it: `pods`, `deployments.apps`. */
function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

export const apiErrors = {
  notFound(group: string, resource: string, name: string): ApiError {
    return new ApiError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  alreadyExists(group: string, resource: string, name: string): ApiError {
    return new ApiError(409, 'AlreadyExists', `${qualified(group, resource)} "${name}" already exists`, {
      name,
      group: group || undefined,
      kind: resource,
    });
  },
  conflict(group: string, resource: string, name: string, why: string): ApiError {
    return new ApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`,
      { name, group: group || undefined, kind: resource },
    );
  },
  /** 422 with one cause per bad field. `kind` is the Kind (Pod), as kubectl prints it. */
  invalid(group: string, kind: string, name: string, causes: StatusCause[]): ApiError {
    const list = causes.map((c) => `${c.field}: ${c.message}`);
    const summary = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
    return new ApiError(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${summary}`, {
      name,
      group: group || undefined,
      kind,
      causes,
    });
  },
  badRequest(message: string): ApiError {
    return new ApiError(400, 'BadRequest', message);
  },
  forbidden(message: string): ApiError {
    return new ApiError(403, 'Forbidden', message);
  },
  methodNotAllowed(message: string): ApiError {
    return new ApiError(405, 'MethodNotAllowed', message);
  },
  notAcceptable(message: string): ApiError {
    return new ApiError(406, 'NotAcceptable', message);
  },
  unsupportedMediaType(contentType: string): ApiError {
    return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`, {
      causes: [{ reason: 'UnsupportedMediaType', message: contentType }],
    });
  },
  tooLarge(limit: number): ApiError {
    return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  },
  expired(message: string): ApiError {
    return new ApiError(410, 'Expired', message);
  },
  gone(message: string): ApiError {
    return new ApiError(410, 'Gone', message);
  },
  unauthorized(): ApiError {
    return new ApiError(401, 'Unauthorized', 'Unauthorized');
  },
  serviceUnavailable(message: string, retryAfterSeconds?: number): ApiError {
    return new ApiError(503, 'ServiceUnavailable', message, retryAfterSeconds ? { retryAfterSeconds } : undefined);
  },
  internal(message: string): ApiError {
    return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
};
