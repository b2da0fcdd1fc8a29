import { FlywheelError } from '../core/errors.js';

/** A command component exited with a non-zero code or was killed by a signal. */
export class CommandFailedError extends FlywheelError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last lines the command wrote to stderr. */
  readonly stderrTail: readonly string[];
  constructor(command: string, exit: { code: number | null; signal: string | null }, stderrTail: readonly string[]) {
    const how = exit.code !== null ? `exited with code ${exit.code}` : `was killed by ${exit.signal ?? 'a signal'}`;
    const tail = stderrTail.length > 0 ? `\n${stderrTail.map((line) => `  | ${line}`).join('\n')}` : '';
    super('command_failed', `command \`${command}\` ${how}${tail}`);
    this.exitCode = exit.code;
    this.signal = exit.signal;
    this.stderrTail = stderrTail;
  }
}

/** The executable of a command component could not be started. */
export class CommandNotFoundError extends FlywheelError {
  readonly executable: string;
  constructor(executable: string, problem: string, hint: string) {
    super('command_not_found', `executable "${executable}" ${problem}`, { hint });
    this.executable = executable;
  }
}

/** A `{{…}}` placeholder in a command names nothing the step has. */
export class InvalidPlaceholderError extends FlywheelError {
  readonly placeholder: string;
  constructor(step: string, placeholder: string, problem: string) {
    super('invalid_placeholder', `step "${step}": placeholder ${placeholder} ${problem}`);
    this.placeholder = placeholder;
  }
}

/** A command component wrote an output properties file that is not a JSON object. */
export class InvalidOutputPropertiesError extends FlywheelError {
  constructor(step: string, file: string, problem: string) {
    super('invalid_output_properties', `step "${step}": ${file}: ${problem}`, { hint: 'write a JSON object, e.g. {"rows": 1200}' });
  }
}
