import { FlywheelError } from '../core/errors.js';

/** Steps depend on each other in a loop; `cycle` lists them in order, first repeated at the end. */
export class PipelineCycleError extends FlywheelError {
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super('pipeline_cycle', `the steps form a cycle: ${cycle.join(' → ')}`, {
      hint: 'remove one of the .after() calls or input wirings on the cycle',
    });
    this.cycle = cycle;
  }
}

/** Two steps of one pipeline have the same name. */
export class DuplicateStepError extends FlywheelError {
  readonly step: string;
  constructor(step: string) {
    super('duplicate_step', `two steps are named "${step}"`, { hint: 'give one of them another name with { name: … }' });
    this.step = step;
  }
}

/** A step refers to a step that is not in the same pipeline (or the same compilation of it). */
export class ForeignStepError extends FlywheelError {
  readonly step: string;
  readonly reference: string;
  constructor(step: string, where: string, reference: string) {
    super('foreign_step', `step "${step}" ${where} refers to step "${reference}" of another pipeline`, {
      hint: 'wire only outputs of steps created with the same `p` inside the same pipeline function',
    });
    this.step = step;
    this.reference = reference;
  }
}

/** A required input of a step is not wired. */
export class MissingInputError extends FlywheelError {
  readonly step: string;
  readonly input: string;
  constructor(step: string, input: string, component: string) {
    super('missing_input', `step "${step}" is missing required input "${input}" of component "${component}"`, {
      hint: `wire it: { inputs: { ${input}: otherStep.outputs.… } }`,
    });
    this.step = step;
    this.input = input;
  }
}

/** A step wires an input its component does not declare, or refers to an output that does not exist. */
export class UnknownWiringError extends FlywheelError {
  readonly step: string;
  constructor(step: string, problem: string, hint?: string) {
    super('unknown_wiring', `step "${step}": ${problem}`, { hint });
    this.step = step;
  }
}

/** An input is wired to an output of another artifact type. */
export class ArtifactTypeMismatchError extends FlywheelError {
  readonly step: string;
  readonly input: string;
  readonly expected: string;
  readonly actual: string;
  constructor(step: string, input: string, expected: string, actual: string) {
    super('artifact_type_mismatch', `step "${step}" input "${input}" expects a ${expected} but is wired to a ${actual}`);
    this.step = step;
    this.input = input;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Parameters of a step (or of the pipeline) fail their schema; `issues` has one line per problem. */
export class InvalidParamsError extends FlywheelError {
  /** The step, or undefined for the pipeline's own parameters. */
  readonly step: string | undefined;
  readonly issues: readonly string[];
  constructor(owner: { step: string } | { pipeline: string }, issues: readonly string[]) {
    const who = 'step' in owner ? `step "${owner.step}"` : `pipeline "${owner.pipeline}"`;
    super('invalid_params', `${who}: ${issues.join('; ')}`);
    this.step = 'step' in owner ? owner.step : undefined;
    this.issues = issues;
  }
}

/** A step setting (retry, timeout, name) is not acceptable. */
export class InvalidStepSettingError extends FlywheelError {
  constructor(step: string, problem: string) {
    super('invalid_step_setting', `step "${step}": ${problem}`);
  }
}

/** A stored or received pipeline IR is not one this version understands. */
export class InvalidPipelineIRError extends FlywheelError {
  constructor(problem: string) {
    super('invalid_pipeline_ir', `pipeline IR: ${problem}`);
  }
}

/** An attempt of a step ran longer than its timeout. */
export class StepTimeoutError extends FlywheelError {
  readonly step: string;
  readonly timeoutMs: number;
  constructor(step: string, timeoutMs: number) {
    super('step_timeout', `step "${step}" timed out after ${timeoutMs} ms`, { hint: 'raise it with .timeout(ms) on the step' });
    this.step = step;
    this.timeoutMs = timeoutMs;
  }
}

/** A step did not leave an output where it was asked to, or left something unusable. */
export class OutputNotWrittenError extends FlywheelError {
  readonly step: string;
  readonly output: string;
  constructor(step: string, output: string, problem: string) {
    super('output_not_written', `step "${step}" output "${output}": ${problem}`);
    this.step = step;
    this.output = output;
  }
}

/** A run cannot be resumed: it completed, is still running, or has nothing to resume from. */
export class RunNotResumableError extends FlywheelError {
  readonly runId: string;
  constructor(runId: string, reason: string, hint?: string) {
    super('run_not_resumable', `run ${runId} cannot be resumed: ${reason}`, { hint });
    this.runId = runId;
  }
}

/** The pipeline file now compiles to another IR than the run recorded. */
export class PipelineChangedError extends FlywheelError {
  readonly runId: string;
  constructor(runId: string, recordedHash: string, currentHash: string) {
    super(
      'pipeline_changed',
      `the pipeline changed since run ${runId} (IR ${recordedHash.slice(0, 12)} then, ${currentHash.slice(0, 12)} now)`,
      { hint: 'start a new run instead; cached steps are reused' },
    );
    this.runId = runId;
  }
}

/** A pipeline file is missing, fails to load, or does not export a pipeline. */
export class PipelineFileError extends FlywheelError {
  readonly file: string;
  constructor(file: string, problem: string, options: { hint?: string; cause?: unknown } = {}) {
    super('pipeline_file', `pipeline file ${file}: ${problem}`, options);
    this.file = file;
  }
}
