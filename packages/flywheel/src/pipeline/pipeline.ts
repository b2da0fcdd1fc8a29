import type { z } from 'zod';
import type { ArtifactType } from './artifact-types.js';
import type { AnyComponent, ArtifactSpecs } from './component.js';
import { DuplicateStepError, InvalidStepSettingError } from './errors.js';

/** Marks values made by this module, so a pipeline loaded through another copy of it is still recognised. */
export const PIPELINE_KIND = 'flywheel.pipeline';
export const OUTPUT_REF_KIND = 'flywheel.output';

const STEP_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const PIPELINE_NAME = /^[a-z0-9][a-z0-9_.-]{0,127}$/i;

/** An output of a step, to wire into inputs of later steps; `T` makes the wiring type-checked. */
export interface OutputRef<T extends ArtifactType = ArtifactType> {
  readonly kind: typeof OUTPUT_REF_KIND;
  readonly step: StepHandle;
  readonly output: string;
  readonly type: T;
}

export interface RetryOptions {
  /** Wait before the first retry; doubled for each further one. 1000 by default. */
  backoffMs?: number;
  /** Upper bound of the wait. 30000 by default. */
  maxBackoffMs?: number;
}

/** A step placed in a pipeline: its outputs to wire, and fluent settings. */
export interface StepHandle<O extends ArtifactSpecs = ArtifactSpecs> {
  readonly name: string;
  readonly component: AnyComponent;
  readonly outputs: { readonly [K in keyof O]: OutputRef<O[K]> };
  /** Runs a failed step again up to `times` more times, waiting `backoffMs · 2^(n-1)` (capped) before retry n. */
  retry(times: number, options?: RetryOptions): this;
  /** Fails an attempt (and aborts its signal) after `ms` milliseconds. */
  timeout(ms: number): this;
  /**
   * `cache(false)` always runs the step, even when an earlier identical execution exists. Steps of
   * components declared `cacheable: false` start uncached.
   */
  cache(enabled: boolean): this;
  /** Runs this step only after the given steps completed, without wiring their outputs. */
  after(...steps: StepHandle[]): this;
}

type ParamsInputOf<C extends AnyComponent> = NonNullable<C['params']> extends z.ZodType<unknown, infer In> ? In : never;

type OptionalInputOf<C extends AnyComponent> = C['optionalInputs'][number] & keyof C['inputs'];

/** The wiring a component accepts: each required input an output of the same artifact type. */
export type StepInputs<C extends AnyComponent> =
  & { [K in Exclude<keyof C['inputs'] & string, OptionalInputOf<C>>]: OutputRef<C['inputs'][K]> }
  & { [K in OptionalInputOf<C>]?: OutputRef<C['inputs'][K]> };

// `{} extends X` is true exactly when every field of X is optional, so the field may be left out.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type ParamsField<C extends AnyComponent> = {} extends ParamsInputOf<C> ? { params?: ParamsInputOf<C> } : { params: ParamsInputOf<C> };
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type InputsField<C extends AnyComponent> = {} extends StepInputs<C> ? { inputs?: StepInputs<C> } : { inputs: StepInputs<C> };

export type StepOptions<C extends AnyComponent> = {
  /** The component's name by default, with `-2`, `-3`… when it is used more than once. */
  name?: string;
} & ParamsField<C> & InputsField<C>;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
type StepOptionsArgs<C extends AnyComponent> = {} extends StepOptions<C> ? [options?: StepOptions<C>] : [options: StepOptions<C>];

export interface PipelineBuilder {
  /**
   * Adds a step running `component`.
   *
   * @example
   *   const data = p.step(ingest, { params: { month: 1 } });
   *   const model = p.step(train, { inputs: { examples: data.outputs.examples } }).retry(2);
   */
  step<C extends AnyComponent>(component: C, ...options: StepOptionsArgs<C>): StepHandle<C['outputs']>;
}

/** A pipeline definition: compile it with parameters to get its IR (see compilePipeline). */
export interface Pipeline<PIn = unknown, P = unknown> {
  readonly kind: typeof PIPELINE_KIND;
  readonly name: string;
  readonly description: string | undefined;
  readonly params: z.ZodType<P, PIn> | undefined;
  /** Declares the steps; called on every compilation with the parsed parameters. */
  readonly build: (p: PipelineBuilder, params: P) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- variance: any pipeline fits here
export type AnyPipeline = Pipeline<any, any>;

export interface PipelineOptions<S extends z.ZodObject> {
  name: string;
  description?: string;
  /** Parameters of a run, e.g. `z.object({ month: z.number().int() })`. */
  params?: S;
}

/**
 * Defines a pipeline: a graph of component steps, wired output → input.
 *
 * @example
 *   export default pipeline({ name: 'flights-ct', params: z.object({ month: z.number() }) }, (p, { month }) => {
 *     const data = p.step(ingest, { params: { month } });
 *     p.step(train, { inputs: { examples: data.outputs.examples } });
 *   });
 */
export function pipeline<S extends z.ZodObject = z.ZodObject<Record<never, never>>>(
  options: PipelineOptions<S> | string,
  build: (p: PipelineBuilder, params: z.output<S>) => void,
): Pipeline<z.input<S>, z.output<S>> {
  const { name, description, params } = typeof options === 'string' ? { name: options } as PipelineOptions<S> : options;
  if (!PIPELINE_NAME.test(name)) {
    throw new TypeError(`pipeline name ${JSON.stringify(name)} must be letters, digits, dots, dashes and underscores`);
  }
  const schema = params as z.ZodType<z.output<S>, z.input<S>> | undefined;
  return Object.freeze({ kind: PIPELINE_KIND, name, description, params: schema, build });
}

export function isPipeline(value: unknown): value is AnyPipeline {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === PIPELINE_KIND;
}

export function isOutputRef(value: unknown): value is OutputRef {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === OUTPUT_REF_KIND;
}

/** What a step handle holds, read by the compiler. */
export interface StepDeclaration {
  readonly owner: object;
  readonly name: string;
  readonly component: AnyComponent;
  readonly params: unknown;
  readonly inputs: unknown;
  readonly after: readonly StepHandle[];
  readonly retry: { times: number; backoffMs: number; maxBackoffMs: number };
  readonly timeoutMs: number | null;
  readonly cache: boolean;
}

const declarations = new WeakMap<StepHandle, StepDeclaration>();

/** The declaration behind a handle, or undefined for something that is not a step handle. */
export function declarationOf(handle: unknown): StepDeclaration | undefined {
  return typeof handle === 'object' && handle !== null ? declarations.get(handle as StepHandle) : undefined;
}

const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_MAX_BACKOFF_MS = 30_000;

class Step implements StepHandle {
  readonly outputs: Record<string, OutputRef>;
  private readonly declaration: { -readonly [K in keyof StepDeclaration]: StepDeclaration[K] };

  constructor(owner: object, name: string, component: AnyComponent, params: unknown, inputs: unknown) {
    this.declaration = {
      owner, name, component, params, inputs, after: [],
      retry: { times: 0, backoffMs: DEFAULT_BACKOFF_MS, maxBackoffMs: DEFAULT_MAX_BACKOFF_MS },
      timeoutMs: null,
      cache: component.cacheable,
    };
    declarations.set(this, this.declaration);
    this.outputs = {};
    for (const [output, type] of Object.entries(component.outputs)) {
      this.outputs[output] = Object.freeze({ kind: OUTPUT_REF_KIND, step: this, output, type });
    }
    Object.freeze(this.outputs);
  }

  get name(): string {
    return this.declaration.name;
  }

  get component(): AnyComponent {
    return this.declaration.component;
  }

  retry(times: number, options: RetryOptions = {}): this {
    const backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    const maxBackoffMs = options.maxBackoffMs ?? Math.max(DEFAULT_MAX_BACKOFF_MS, backoffMs);
    if (!Number.isInteger(times) || times < 0) this.invalid(`retry times must be an integer ≥ 0, got ${times}`);
    if (!Number.isInteger(backoffMs) || backoffMs < 0) this.invalid(`retry backoffMs must be an integer ≥ 0, got ${backoffMs}`);
    if (!Number.isInteger(maxBackoffMs) || maxBackoffMs < backoffMs) {
      this.invalid(`retry maxBackoffMs must be an integer ≥ backoffMs (${backoffMs}), got ${maxBackoffMs}`);
    }
    this.declaration.retry = { times, backoffMs, maxBackoffMs };
    return this;
  }

  timeout(ms: number): this {
    if (!Number.isInteger(ms) || ms <= 0) this.invalid(`timeout must be a whole number of milliseconds > 0, got ${ms}`);
    this.declaration.timeoutMs = ms;
    return this;
  }

  cache(enabled: boolean): this {
    this.declaration.cache = enabled;
    return this;
  }

  after(...steps: StepHandle[]): this {
    this.declaration.after = [...this.declaration.after, ...steps];
    return this;
  }

  private invalid(problem: string): never {
    throw new InvalidStepSettingError(this.declaration.name, problem);
  }
}

/** Collects the steps of one compilation; handles remember it, so wiring across pipelines is caught. */
export class StepCollector implements PipelineBuilder {
  readonly steps: StepHandle[] = [];
  private readonly names = new Set<string>();
  /** Next suffix to try per base name, so naming n copies of a component stays O(n). */
  private readonly suffixes = new Map<string, number>();

  step<C extends AnyComponent>(component: C, ...args: StepOptionsArgs<C>): StepHandle<C['outputs']> {
    const options = (args[0] ?? {}) as { name?: string; params?: unknown; inputs?: unknown };
    const name = options.name ?? this.freeName(component.name);
    if (!STEP_NAME.test(name)) {
      throw new InvalidStepSettingError(name, 'a step name has letters, digits, dashes and underscores (at most 63), starting with a letter or digit');
    }
    if (this.names.has(name)) throw new DuplicateStepError(name);
    this.names.add(name);
    const handle = new Step(this, name, component, options.params, options.inputs);
    this.steps.push(handle);
    return handle as unknown as StepHandle<C['outputs']>;
  }

  private freeName(base: string): string {
    if (!this.names.has(base)) return base;
    for (let n = this.suffixes.get(base) ?? 2; ; n++) {
      const candidate = `${base}-${n}`;
      if (!this.names.has(candidate)) {
        this.suffixes.set(base, n + 1);
        return candidate;
      }
    }
  }
}
