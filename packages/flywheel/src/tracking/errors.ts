import { FlywheelError } from '../core/errors.js';

/**
 * Tracking errors carry MLflow's error codes, so an MLflow-compatible API returns them unchanged
 * (`RESOURCE_DOES_NOT_EXIST` → 404, the others → 400) and MLflow clients react as they do to MLflow.
 */
export type TrackingErrorCode = 'RESOURCE_DOES_NOT_EXIST' | 'RESOURCE_ALREADY_EXISTS' | 'INVALID_PARAMETER_VALUE' | 'INVALID_STATE';

/** An experiment, run, tag or artifact that was looked up does not exist. */
export class ResourceDoesNotExistError extends FlywheelError {
  declare readonly code: 'RESOURCE_DOES_NOT_EXIST';
  constructor(message: string, hint?: string) {
    super('RESOURCE_DOES_NOT_EXIST', message, { hint });
  }
}

/** An experiment of that name exists already. */
export class ResourceAlreadyExistsError extends FlywheelError {
  declare readonly code: 'RESOURCE_ALREADY_EXISTS';
  constructor(message: string, hint?: string) {
    super('RESOURCE_ALREADY_EXISTS', message, { hint });
  }
}

/**
 * A value was refused: a bad key, a value over a limit, a param changed, a deleted run written
 * to. `field` names the offending input, e.g. `metrics[3].key`, when there is one.
 */
export class InvalidParameterValueError extends FlywheelError {
  declare readonly code: 'INVALID_PARAMETER_VALUE';
  readonly field: string | undefined;
  constructor(message: string, options: { field?: string; hint?: string } = {}) {
    super('INVALID_PARAMETER_VALUE', message, { hint: options.hint });
    this.field = options.field;
  }
}

/** The operation does not apply to the entity's state, e.g. renaming a deleted experiment. */
export class InvalidStateError extends FlywheelError {
  declare readonly code: 'INVALID_STATE';
  constructor(message: string, hint?: string) {
    super('INVALID_STATE', message, { hint });
  }
}

/**
 * A search filter or order-by clause that does not parse or does not type-check. `position`
 * counts characters from 1 in `source`; `token` is the text found there (empty at the end).
 */
export class FilterSyntaxError extends InvalidParameterValueError {
  readonly source: string;
  readonly position: number;
  readonly token: string;
  constructor(problem: string, where: { source: string; position: number; token: string }, field = 'filter') {
    const found = where.token === '' ? 'the end' : JSON.stringify(where.token);
    super(`Invalid ${field} ${JSON.stringify(where.source)}: ${problem} (at position ${where.position}, found ${found})`, { field });
    this.source = where.source;
    this.position = where.position;
    this.token = where.token;
  }
}

/** Whether the store refused a request (an error with one of MLflow's codes), as opposed to failing to answer. */
export function isTrackingError(error: unknown): error is ResourceDoesNotExistError | ResourceAlreadyExistsError | InvalidParameterValueError | InvalidStateError {
  return error instanceof ResourceDoesNotExistError || error instanceof ResourceAlreadyExistsError || error instanceof InvalidParameterValueError || error instanceof InvalidStateError;
}
