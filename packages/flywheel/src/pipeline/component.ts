import type { z } from 'zod';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { Stack } from '../config/stack.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import type { ArtifactType } from './artifact-types.js';

export type ArtifactSpecs = Record<string, ArtifactType>;
type EmptySpecs = Record<never, ArtifactType>;

/** An input artifact as a running component sees it: already on local disk. */
export interface InputArtifact {
  id: number;
  type: string;
  /** Local path to read (a file or a directory, by the type's layout). */
  path: string;
  uri: string;
  digest: string;
  properties: JsonObject;
}

/** An output a running component writes: a path to fill and properties to attach. */
export interface OutputArtifact {
  type: string;
  /** Where to write the file (or create the directory); the folder exists. */
  path: string;
  /** Recorded on the artifact in the metadata store, e.g. row counts. */
  properties: JsonObject;
}

export interface StepLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface RunContext<P, I extends ArtifactSpecs, O extends ArtifactSpecs> {
  params: P;
  inputs: { [K in keyof I]: InputArtifact };
  outputs: { [K in keyof O]: OutputArtifact };
  /** Lines written here go to the step's stored log and the live progress view. */
  log: StepLogger;
  /** Aborted on cancellation or timeout; long work should watch it. */
  signal: AbortSignal;
  /** A scratch folder for this attempt, removed afterwards. */
  workDir: string;
  /** 1 on the first attempt, 2 on the first retry… */
  attempt: number;
  /** The assembled backends, e.g. to register a model version. */
  stack: Stack;
  /**
   * The step's tracked run (experiment = the pipeline's name): `tracking.logMetric('loss', 0.3, { step })`.
   * Metrics are buffered and written in batches; the runner ends the run with the step.
   */
  tracking: TrackedRun;
  /** Identity of the current run and step, for records the component makes. */
  run: { id: string; step: string; executionId: number };
}

interface ComponentBase<P, I extends ArtifactSpecs, O extends ArtifactSpecs, Opt extends keyof I & string, PIn> {
  /** Unique name, e.g. `train-logistic`. */
  readonly name: string;
  /** Bump when behaviour changes: cached results of other versions are not reused. */
  readonly version: string;
  readonly description: string | undefined;
  /** Parses what a step passes (`PIn`, defaults may be left out) into what `run` sees (`P`). */
  readonly params: z.ZodType<P, PIn> | undefined;
  readonly inputs: I;
  readonly outputs: O;
  /** Names of inputs a step may leave unwired. */
  readonly optionalInputs: readonly Opt[];
  /**
   * Whether a step's result may be reused from an earlier identical execution (true by default).
   * False for components whose result depends on state outside their inputs, such as the registry.
   */
  readonly cacheable: boolean;
}

/** Values a function component returns are stored on its execution and shown in `runs show`. */
export type ComponentResult = void | Record<string, JsonValue>;

export interface FunctionComponent<
  P = unknown, I extends ArtifactSpecs = ArtifactSpecs, O extends ArtifactSpecs = ArtifactSpecs,
  Opt extends keyof I & string = keyof I & string, PIn = unknown,
> extends ComponentBase<P, I, O, Opt, PIn> {
  readonly kind: 'function';
  // Method syntax on purpose: parameters of methods are compared bivariantly, so a component with
  // specific inputs still fits AnyComponent.
  run(context: RunContext<P, I, O>): Promise<ComponentResult> | ComponentResult;
}

/**
 * A component that runs an executable. The command gets the paths of its inputs and outputs and
 * its parameters in a JSON file named by the environment variable FLYWHEEL_STEP (its shape is
 * `CommandStepSpec`), and `{{inputs.x}}`, `{{outputs.y}}`, `{{params.z}}`, `{{params}}`
 * placeholders in its arguments are replaced. Exit code 0 is success; stdout and stderr are the log.
 * Properties of an output (row counts…) may be written as a JSON object to that file's
 * `outputs.<name>.propertiesPath`.
 */
export interface CommandComponent<
  P = unknown, I extends ArtifactSpecs = ArtifactSpecs, O extends ArtifactSpecs = ArtifactSpecs,
  Opt extends keyof I & string = keyof I & string, PIn = unknown,
> extends ComponentBase<P, I, O, Opt, PIn> {
  readonly kind: 'command';
  readonly command: readonly string[];
  /** Resolved against the pipeline file's folder. */
  readonly cwd: string | undefined;
  readonly env: Readonly<Record<string, string>>;
}

export type Component<
  P = unknown, I extends ArtifactSpecs = ArtifactSpecs, O extends ArtifactSpecs = ArtifactSpecs,
  Opt extends keyof I & string = keyof I & string, PIn = unknown,
> = FunctionComponent<P, I, O, Opt, PIn> | CommandComponent<P, I, O, Opt, PIn>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: any component fits here
export type AnyComponent = Component<any, ArtifactSpecs, ArtifactSpecs, string, any>;

interface ComponentOptions<P, I extends ArtifactSpecs, O extends ArtifactSpecs, Opt extends keyof I & string, PIn> {
  name: string;
  version: string;
  description?: string;
  params?: z.ZodType<P, PIn>;
  inputs?: I;
  outputs?: O;
  optionalInputs?: Opt[];
  /** False when the result depends on state outside the inputs (the registry, the clock): never cached. */
  cacheable?: boolean;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;

function base<P, I extends ArtifactSpecs, O extends ArtifactSpecs, Opt extends keyof I & string, PIn>(
  options: ComponentOptions<P, I, O, Opt, PIn>,
): ComponentBase<P, I, O, Opt, PIn> {
  if (!NAME.test(options.name)) {
    throw new TypeError(`component name ${JSON.stringify(options.name)} must be lowercase letters, digits and dashes, starting with a letter`);
  }
  if (!options.version) throw new TypeError(`component ${options.name}: version must not be empty`);
  for (const name of options.optionalInputs ?? []) {
    if (!options.inputs || !Object.hasOwn(options.inputs, name)) {
      throw new TypeError(`component ${options.name}: optional input ${JSON.stringify(name)} is not one of its inputs`);
    }
  }
  return {
    name: options.name,
    version: options.version,
    description: options.description,
    params: options.params,
    inputs: (options.inputs ?? {}) as I,
    outputs: (options.outputs ?? {}) as O,
    optionalInputs: options.optionalInputs ?? [],
    cacheable: options.cacheable ?? true,
  };
}

/**
 * A component written as a TypeScript function.
 *
 * @example
 *   const count = component({
 *     name: 'count-rows', version: '1',
 *     inputs: { examples: Dataset }, outputs: { report: Metrics },
 *     run: async ({ inputs, outputs }) => { … write outputs.report.path … },
 *   });
 */
export function component<
  P = Record<string, never>, I extends ArtifactSpecs = EmptySpecs, O extends ArtifactSpecs = EmptySpecs,
  Opt extends keyof I & string = never, PIn = P,
>(
  options: ComponentOptions<P, I, O, Opt, PIn> & { run: (context: RunContext<P, I, O>) => Promise<ComponentResult> | ComponentResult },
): FunctionComponent<P, I, O, Opt, PIn> {
  return Object.freeze({ ...base(options), kind: 'function' as const, run: options.run });
}

/**
 * A component that runs an executable, e.g. `python3 train.py`.
 *
 * @example
 *   const train = commandComponent({
 *     name: 'train-sklearn', version: '1',
 *     inputs: { examples: Dataset }, outputs: { model: Model },
 *     command: ['python3', 'train.py', '--data', '{{inputs.examples}}', '--out', '{{outputs.model}}'],
 *   });
 */
export function commandComponent<
  P = Record<string, never>, I extends ArtifactSpecs = EmptySpecs, O extends ArtifactSpecs = EmptySpecs,
  Opt extends keyof I & string = never, PIn = P,
>(
  options: ComponentOptions<P, I, O, Opt, PIn> & { command: string[]; cwd?: string; env?: Record<string, string> },
): CommandComponent<P, I, O, Opt, PIn> {
  if (options.command.length === 0) throw new TypeError(`component ${options.name}: command must not be empty`);
  return Object.freeze({
    ...base(options),
    kind: 'command' as const,
    command: Object.freeze([...options.command]),
    cwd: options.cwd,
    env: Object.freeze({ ...(options.env ?? {}) }),
  });
}
