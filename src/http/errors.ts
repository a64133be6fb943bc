/**
 * The HTTP API's refusals as typed errors: each carries its status and the JSON body the caller sees, so a
 * handler throws and one place turns the error into a response. Messages never quote headers or keys.
 */

export interface FieldIssue {
  /** Dotted path of the field, e.g. `override.0`; empty for the body as a whole. */
  path: string;
  message: string;
}

export class HttpApiError extends Error {
  override name = 'HttpApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): Record<string, unknown> {
    return { error: this.message, ...this.extra };
  }
}

/** 400: the body, query or a header does not have the shape the route documents. */
export class RequestValidationError extends HttpApiError {
  override name = 'RequestValidationError';
  constructor(
    where: string,
    readonly issues: FieldIssue[],
  ) {
    super(
      400,
      `invalid ${where}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      { issues },
    );
  }
}

/** 415: a POST whose body is not JSON. */
export class UnsupportedMediaTypeError extends HttpApiError {
  override name = 'UnsupportedMediaTypeError';
  constructor(got: string | null) {
    super(415, `the body must be JSON (Content-Type: application/json), not ${got ? `"${got}"` : 'missing'}`);
  }
}

/** 413: a body larger than the API accepts (its requests are a few hundred bytes of JSON). */
export class PayloadTooLargeError extends HttpApiError {
  override name = 'PayloadTooLargeError';
  constructor(limit: number) {
    super(413, `the body is larger than ${limit} bytes`);
  }
}

/** 401: no usable identity (a malformed principal, or none where one is required). */
export class UnauthenticatedError extends HttpApiError {
  override name = 'UnauthenticatedError';
  constructor(message: string) {
    super(401, message);
  }
}

/** 403: an identity without the app role the route needs. */
export class ForbiddenError extends HttpApiError {
  override name = 'ForbiddenError';
  constructor(
    message: string,
    /** Who was refused, for the audit line. */
    readonly caller: string,
  ) {
    super(403, message);
  }
}

export class NotFoundError extends HttpApiError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super(404, message);
  }
}

/** 409: the monitor refused, or another operation is running (`runningOperationId`). */
export class ConflictError extends HttpApiError {
  override name = 'ConflictError';
  constructor(message: string, extra: Record<string, unknown> = {}) {
    super(409, message, extra);
  }
}

/** 422: an Idempotency-Key already used for a different request (another route or body). */
export class IdempotencyKeyReusedError extends HttpApiError {
  override name = 'IdempotencyKeyReusedError';
  constructor(key: string) {
    super(
      422,
      `Idempotency-Key ${key} was already used for a different request; use a new key for a new request`,
      { idempotencyKey: key },
    );
  }
}

/** 503: the monitor is not running yet, or did not answer in time (the request stays queued). */
export class MonitorUnavailableError extends HttpApiError {
  override name = 'MonitorUnavailableError';
  constructor(message: string, extra: Record<string, unknown> = {}, retryAfterSeconds = 30) {
    super(503, message, extra, { 'Retry-After': String(retryAfterSeconds) });
  }
}
