/** One field that failed validation: where it was (body, querystring, params, headers) and why. */
export interface FieldError {
  in: string;
  field: string;
  message: string;
}

/**
 * Every failure a caller can be told about. Carries its HTTP status; the error handler in app.ts
 * turns it into RFC 9457 problem+json. 5xx details never leave the server.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = new.target.name;
  }
}

export const invalid = (errors: FieldError[], detail = errors.map((e) => `${e.field}: ${e.message}`).join('; ')) =>
  new AppError(400, 'validation', 'Invalid request', detail, { errors });

export const notFound = (detail: string) => new AppError(404, 'not-found', 'Not found', detail);

export const conflict = (detail: string, extensions: Record<string, unknown> = {}) =>
  new AppError(409, 'conflict', 'Conflict', detail, extensions);

export const preconditionFailed = (detail: string) =>
  new AppError(412, 'precondition-failed', 'Precondition failed', detail);

export const unprocessable = (detail: string) => new AppError(422, 'unprocessable', 'Unprocessable request', detail);

export const unavailable = (detail: string, retryAfterSeconds: number) =>
  new AppError(503, 'unavailable', 'Service unavailable', detail, {}, { 'retry-after': String(retryAfterSeconds) });
