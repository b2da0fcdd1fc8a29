import { z } from 'zod';
import { hashJson } from '../core/hashing.js';
import type { AnyComponent } from './component.js';
import {
  ArtifactTypeMismatchError, ForeignStepError, InvalidPipelineIRError, MissingInputError, PipelineCycleError, UnknownWiringError,
} from './errors.js';
import { checkParams } from './params.js';
import type { AnyPipeline, Pipeline, StepDeclaration } from './pipeline.js';
import { declarationOf, isOutputRef, StepCollector } from './pipeline.js';

export const IR_VERSION = 1;

const componentIR = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('function'), name: z.string(), version: z.string() }),
  z.object({
    kind: z.literal('command'),
    name: z.string(),
    version: z.string(),
    command: z.array(z.string()).min(1),
    cwd: z.string().nullable(),
    env: z.record(z.string(), z.string()),
  }),
]);

const jsonObject = z.record(z.string(), z.json());

const stepIR = z.object({
  name: z.string().min(1),
  component: componentIR,
  params: jsonObject,
  inputs: z.record(z.string(), z.object({ step: z.string(), output: z.string(), type: z.string() })),
  outputs: z.record(z.string(), z.object({ type: z.string(), layout: z.enum(['file', 'directory']), fileName: z.string().min(1) })),
  after: z.array(z.string()),
  retry: z.object({ times: z.number().int().min(0), backoffMs: z.number().int().min(0), maxBackoffMs: z.number().int().min(0) }),
  timeoutMs: z.number().int().positive().nullable(),
  cache: z.boolean(),
});

const pipelineIR = z.object({
  irVersion: z.literal(IR_VERSION),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  pipeline: z.object({ name: z.string().min(1) }),
  params: jsonObject,
  steps: z.array(stepIR),
});

/** How a step names its component: enough to tell whether cached results still apply. */
export type ComponentIR = z.infer<typeof componentIR>;
export type StepIR = z.infer<typeof stepIR>;

/**
 * A pipeline compiled for given parameters: plain JSON that any executor can consume. Steps are
 * sorted by name and objects are hashed canonically, so the hash depends only on what the
 * pipeline does, not on declaration order.
 */
export type PipelineIR = z.infer<typeof pipelineIR>;

export interface CompiledPipeline {
  readonly ir: PipelineIR;
  /** The IR's hash, also `ir.hash`. */
  readonly hash: string;
  /** The runnable component of each step, by step name. */
  readonly components: ReadonlyMap<string, AnyComponent>;
}

/**
 * Compiles a pipeline definition with run parameters into its IR, checking everything that can
 * be checked before running: parameters against their schemas, wiring (required inputs present,
 * artifact types equal, steps of this pipeline only) and the absence of cycles.
 *
 * @example
 *   const compiled = compilePipeline(flightsPipeline, { month: 2 });
 *   console.log(compiled.hash, compiled.ir.steps.map((s) => s.name));
 */
export function compilePipeline<PIn, P>(definition: Pipeline<PIn, P>, params?: PIn): CompiledPipeline {
  const pipelineParams = checkParams(definition.params, params, { pipeline: definition.name });
  const collector = new StepCollector();
  const built = (definition as AnyPipeline).build(collector, pipelineParams.parsed) as unknown;
  if (built instanceof Promise) {
    built.catch(() => undefined);
    throw new TypeError(`pipeline ${definition.name}: the pipeline function must declare its steps synchronously (it returned a promise)`);
  }

  const components = new Map<string, AnyComponent>();
  const steps: StepIR[] = [];
  for (const handle of collector.steps) {
    const declaration = declarationOf(handle)!;
    steps.push(compileStep(declaration, collector));
    components.set(declaration.name, declaration.component);
  }
  steps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  checkAcyclic(steps);

  const body = { irVersion: IR_VERSION, pipeline: { name: definition.name }, params: pipelineParams.raw, steps } as const;
  const hash = hashJson(body);
  return Object.freeze({ ir: { ...body, hash }, hash, components });
}

function compileStep(declaration: StepDeclaration, owner: object): StepIR {
  const { name, component } = declaration;
  const params = checkParams(component.params, declaration.params, { step: name }).raw;

  const inputs: StepIR['inputs'] = {};
  const given = declaration.inputs ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new UnknownWiringError(name, 'inputs must be an object of step outputs, e.g. { examples: data.outputs.examples }');
  }
  for (const [input, ref] of Object.entries(given)) {
    if (ref === undefined) continue;
    const expected = component.inputs[input];
    if (!expected) {
      const known = Object.keys(component.inputs);
      throw new UnknownWiringError(name, `component "${component.name}" has no input "${input}"`, `its inputs are: ${known.length > 0 ? known.join(', ') : 'none'}`);
    }
    if (!isOutputRef(ref)) {
      throw new UnknownWiringError(name, `input "${input}" must be wired to an output of another step, e.g. data.outputs.examples`);
    }
    const producer = declarationOf(ref.step);
    if (!producer || producer.owner !== owner) throw new ForeignStepError(name, `input "${input}"`, ref.step.name);
    const produced = producer.component.outputs[ref.output];
    if (!produced) {
      throw new UnknownWiringError(name, `input "${input}" refers to output "${ref.output}", which step "${producer.name}" does not have`);
    }
    if (produced.name !== expected.name) throw new ArtifactTypeMismatchError(name, input, expected.name, produced.name);
    inputs[input] = { step: producer.name, output: ref.output, type: produced.name };
  }
  for (const input of Object.keys(component.inputs)) {
    if (!inputs[input] && !component.optionalInputs.includes(input)) throw new MissingInputError(name, input, component.name);
  }

  const after = new Set<string>();
  for (const handle of declaration.after) {
    const other = declarationOf(handle);
    if (!other) throw new UnknownWiringError(name, `.after() takes steps returned by p.step(), got ${handle === null ? 'null' : typeof handle}`);
    if (other.owner !== owner) throw new ForeignStepError(name, '.after()', other.name);
    after.add(other.name);
  }

  const outputs: StepIR['outputs'] = {};
  for (const [output, type] of Object.entries(component.outputs)) {
    outputs[output] = { type: type.name, layout: type.layout, fileName: type.fileName };
  }

  return {
    name,
    component: component.kind === 'function'
      ? { kind: 'function', name: component.name, version: component.version }
      : { kind: 'command', name: component.name, version: component.version, command: [...component.command], cwd: component.cwd ?? null, env: { ...component.env } },
    params,
    inputs,
    outputs,
    after: [...after].sort(),
    retry: { ...declaration.retry },
    timeoutMs: declaration.timeoutMs,
    cache: declaration.cache,
  };
}

/** Names of the steps a step waits for: producers of its inputs and its `.after()` steps. */
export function dependenciesOf(step: StepIR): string[] {
  const names = new Set(step.after);
  for (const input of Object.values(step.inputs)) names.add(input.step);
  return [...names];
}

/** Throws PipelineCycleError naming the steps of one cycle; O(steps + edges). */
function checkAcyclic(steps: readonly StepIR[]): void {
  const index = new Map(steps.map((step, i) => [step.name, i]));
  const dependencies = steps.map((step) => dependenciesOf(step).map((name) => index.get(name)!));
  const dependents: number[][] = steps.map(() => []);
  const waiting = new Int32Array(steps.length);
  dependencies.forEach((deps, i) => {
    waiting[i] = deps.length;
    for (const d of deps) dependents[d]!.push(i);
  });
  const queue: number[] = [];
  for (let i = 0; i < steps.length; i++) if (waiting[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    for (const next of dependents[queue[head]!]!) if (--waiting[next]! === 0) queue.push(next);
  }
  if (queue.length === steps.length) return;

  // Every step left waits on another step left, so walking dependencies must come back round.
  let at = waiting.findIndex((count) => count > 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(at)) {
    seenAt.set(at, path.length);
    path.push(at);
    at = dependencies[at]!.find((d) => waiting[d]! > 0)!;
  }
  const cycle = path.slice(seenAt.get(at)!).reverse().map((i) => steps[i]!.name);
  // Starting from the first name makes the message the same however the walk began.
  const first = cycle.indexOf([...cycle].sort()[0]!);
  const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
  throw new PipelineCycleError([...rotated, rotated[0]!]);
}

/**
 * Reads an IR that came from elsewhere (a file, a database, another process): checks its shape,
 * its hash, that every referenced step exists with an output of the declared type, and that it
 * has no cycle. The same errors as compilePipeline.
 */
export function parsePipelineIR(value: unknown): PipelineIR {
  const parsed = pipelineIR.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidPipelineIRError(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const ir = parsed.data;
  const { hash, ...body } = ir;
  if (hashJson(body) !== hash) throw new InvalidPipelineIRError('the hash does not match the content');

  const byName = new Map<string, StepIR>();
  for (const step of ir.steps) {
    if (byName.has(step.name)) throw new InvalidPipelineIRError(`two steps are named "${step.name}"`);
    byName.set(step.name, step);
  }
  for (const step of ir.steps) {
    for (const [input, ref] of Object.entries(step.inputs)) {
      const producer = byName.get(ref.step);
      if (!producer) throw new UnknownWiringError(step.name, `input "${input}" refers to step "${ref.step}", which is not in the pipeline`);
      const produced = producer.outputs[ref.output];
      if (!produced) throw new UnknownWiringError(step.name, `input "${input}" refers to output "${ref.output}", which step "${ref.step}" does not have`);
      if (produced.type !== ref.type) throw new ArtifactTypeMismatchError(step.name, input, ref.type, produced.type);
    }
    for (const name of step.after) {
      if (!byName.has(name)) throw new UnknownWiringError(step.name, `.after() refers to step "${name}", which is not in the pipeline`);
    }
  }
  checkAcyclic(ir.steps);
  return ir;
}
