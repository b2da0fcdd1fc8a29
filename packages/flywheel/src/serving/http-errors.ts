import { ConflictError, FlywheelError, InvalidInputError, NotFoundError } from '../core/errors.js';

/** The request body is larger than the server accepts. */
export class PayloadTooLargeError extends FlywheelError {
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super('payload_too_large', `request body is larger than ${limitBytes} bytes`, { hint: 'send fewer instances per request' });
    this.limitBytes = limitBytes;
  }
}

/** The path exists but not for this HTTP method. */
export class MethodNotAllowedError extends FlywheelError {
  readonly allow: readonly string[];
  constructor(method: string, path: string, allow: readonly string[]) {
    super('method_not_allowed', `${method} is not allowed on ${path}`, { hint: `use ${allow.join(' or ')}` });
    this.allow = allow;
  }
}

/** The request body is in a format the endpoint does not read. */
export class UnsupportedMediaTypeError extends FlywheelError {
  constructor(contentType: string, supported: readonly string[]) {
    super('unsupported_media_type', `content type ${JSON.stringify(contentType)} is not supported`, { hint: `send ${supported.join(' or ')}` });
  }
}

/** Body of every error response: OIP v2's `error` message plus what a client needs to rebuild the error. */
export interface ErrorBody {
  error: string;
  code: string;
  field?: string;
  hint?: string;
}

/** HTTP status for an error: the client's fault (4xx) for Flywheel's input errors, 500 otherwise. */
export function httpStatusOf(error: unknown): number {
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof MethodNotAllowedError) return 405;
  if (error instanceof ConflictError) return 409;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof UnsupportedMediaTypeError) return 415;
  // A request that met a version in the instant it was unloaded: safe to retry.
  if (error instanceof FlywheelError && error.code === 'model_retired') return 503;
  return 500;
}

export function errorBody(error: unknown): ErrorBody {
  if (error instanceof FlywheelError) {
    const body: ErrorBody = { error: error.message, code: error.code };
    if (error instanceof InvalidInputError) body.field = error.field;
    if (error.hint) body.hint = error.hint;
    return body;
  }
  return { error: 'internal error', code: 'internal' };
}
