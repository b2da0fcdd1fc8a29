/**
 * Every error Flywheel raises on purpose is a FlywheelError: a stable `code` callers can branch on,
 * a message that names the culprit, and a `hint` that says what to do about it.
 *
 * @example
 *   throw new NotFoundError('model version', 'flights@7', 'list versions with `flywheel models show flights`');
 */
export class FlywheelError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }

  /** The message followed by the hint, as the CLI prints it. */
  describe(): string {
    return this.hint ? `${this.message}\n  hint: ${this.hint}` : this.message;
  }
}

/** A value given by the user (config, CLI flag, request field, parameter) is not acceptable. */
export class InvalidInputError extends FlywheelError {
  readonly field: string;
  constructor(field: string, problem: string, hint?: string) {
    super('invalid_input', `${field}: ${problem}`, { hint });
    this.field = field;
  }
}

/** Something looked up by name or id does not exist. */
export class NotFoundError extends FlywheelError {
  readonly kind: string;
  readonly key: string;
  constructor(kind: string, key: string, hint?: string) {
    super('not_found', `${kind} ${JSON.stringify(key)} does not exist`, { hint });
    this.kind = kind;
    this.key = key;
  }
}

/** An operation conflicts with stored state (a duplicate name, an immutable value changed). */
export class ConflictError extends FlywheelError {
  constructor(message: string, hint?: string) {
    super('conflict', message, { hint });
  }
}

/** Stored state was written by a newer Flywheel or is damaged; nothing is changed. */
export class IncompatibleStateError extends FlywheelError {
  constructor(message: string, hint?: string) {
    super('incompatible_state', message, { hint });
  }
}

export function isFlywheelError(error: unknown): error is FlywheelError {
  return error instanceof FlywheelError;
}

/** The message of anything thrown, for logs and run records. */
export function errorMessage(error: unknown): string {
  if (error instanceof FlywheelError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
