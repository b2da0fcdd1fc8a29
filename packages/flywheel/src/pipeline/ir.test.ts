import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashJson } from '../core/hashing.js';
import { Dataset, Directory, Metrics, Model } from './artifact-types.js';
import { commandComponent, component } from './component.js';
import type { AnyComponent } from './component.js';
import {
  ArtifactTypeMismatchError, DuplicateStepError, ForeignStepError, InvalidParamsError, InvalidPipelineIRError, InvalidStepSettingError,
  MissingInputError, PipelineCycleError, UnknownWiringError,
} from './errors.js';
import { compilePipeline, parsePipelineIR } from './ir.js';
import type { PipelineIR } from './ir.js';
import { pipeline } from './pipeline.js';
import type { PipelineBuilder, StepHandle } from './pipeline.js';

const ingest = component({
  name: 'ingest', version: '1',
  params: z.object({ source: z.string(), month: z.number().int() }),
  outputs: { examples: Dataset },
  run: () => undefined,
});
const train = component({
  name: 'train', version: '2',
  params: z.object({ epochs: z.number().int().positive() }),
  inputs: { examples: Dataset },
  outputs: { model: Model, report: Directory },
  run: () => undefined,
});
const evaluate = component({ name: 'evaluate', version: '1', inputs: { examples: Dataset, model: Model }, outputs: { metrics: Metrics }, run: () => undefined });
const noop = component({ name: 'noop', version: '1', run: () => undefined });
const script = commandComponent({
  name: 'script', version: '3', inputs: { model: Model },
  command: ['python3', 'score.py', '{{inputs.model}}'], cwd: 'scripts', env: { B: '2', A: '1' },
});

/** Steps wired without static types, as from JavaScript. */
function untyped(p: PipelineBuilder): { step(component: AnyComponent, options?: Record<string, unknown>): StepHandle } {
  return p as never;
}

const flights = pipeline({ name: 'flights', params: z.object({ month: z.number().int().default(1) }) }, (p, { month }) => {
  const data = p.step(ingest, { params: { source: 'flights.parquet', month } });
  const model = p.step(train, { params: { epochs: 5 }, inputs: { examples: data.outputs.examples } }).retry(2, { backoffMs: 10 }).timeout(60_000);
  const evaluation = p.step(evaluate, { inputs: { examples: data.outputs.examples, model: model.outputs.model } });
  p.step(script, { inputs: { model: model.outputs.model } }).after(evaluation).cache(false);
});

describe('compilePipeline', () => {
  it('compiles to a versioned JSON IR with component identity, wiring and settings', () => {
    const { ir, hash, components } = compilePipeline(flights, { month: 2 });
    expect(ir.irVersion).toBe(1);
    expect(ir.pipeline).toEqual({ name: 'flights' });
    expect(ir.params).toEqual({ month: 2 });
    expect(ir.hash).toBe(hash);
    expect(ir.steps.map((s) => s.name)).toEqual(['evaluate', 'ingest', 'script', 'train']);
    const [evaluateStep, ingestStep, scriptStep, trainStep] = ir.steps;
    expect(ingestStep).toEqual({
      name: 'ingest',
      component: { kind: 'function', name: 'ingest', version: '1' },
      params: { source: 'flights.parquet', month: 2 },
      inputs: {},
      outputs: { examples: { type: 'Dataset', layout: 'file', fileName: 'data.parquet' } },
      after: [],
      retry: { times: 0, backoffMs: 1000, maxBackoffMs: 30000 },
      timeoutMs: null,
      cache: true,
    });
    expect(trainStep!.retry).toEqual({ times: 2, backoffMs: 10, maxBackoffMs: 30000 });
    expect(trainStep!.timeoutMs).toBe(60_000);
    expect(trainStep!.outputs.report).toEqual({ type: 'Directory', layout: 'directory', fileName: 'dir' });
    expect(evaluateStep!.inputs).toEqual({
      examples: { step: 'ingest', output: 'examples', type: 'Dataset' },
      model: { step: 'train', output: 'model', type: 'Model' },
    });
    expect(scriptStep!.component).toEqual({
      kind: 'command', name: 'script', version: '3', command: ['python3', 'score.py', '{{inputs.model}}'], cwd: 'scripts', env: { A: '1', B: '2' },
    });
    expect(scriptStep!.after).toEqual(['evaluate']);
    expect(scriptStep!.cache).toBe(false);
    expect(components.get('script')).toBe(script);
    expect(JSON.parse(JSON.stringify(ir))).toEqual(ir);
  });

  it('hashes the canonical JSON of the IR without its hash, the same on every run and machine', () => {
    const { ir, hash } = compilePipeline(flights, { month: 2 });
    const { hash: _, ...body } = ir;
    expect(hash).toBe(hashJson(body));
    expect(compilePipeline(flights, { month: 2 }).hash).toBe(hash);
    // Pinned: a change here means every stored run hash changes, so resumes of old runs are refused.
    expect(hash).toBe('adfdfecf9625fe68f5f92b7073e43b550fd616d0a281346a846279140e48f9b1');
  });

  it('does not depend on key order or on the order independent steps are declared in', () => {
    const a = pipeline({ name: 'order' }, (p) => {
      p.step(ingest, { name: 'jan', params: { source: 's', month: 1 } });
      p.step(ingest, { name: 'feb', params: { month: 2, source: 's' } });
    });
    const b = pipeline({ name: 'order' }, (p) => {
      p.step(ingest, { name: 'feb', params: { source: 's', month: 2 } });
      p.step(ingest, { name: 'jan', params: { month: 1, source: 's' } });
    });
    expect(compilePipeline(a).hash).toBe(compilePipeline(b).hash);
  });

  it('changes the hash when what runs changes', () => {
    const base = compilePipeline(flights, { month: 2 }).hash;
    expect(compilePipeline(flights, { month: 3 }).hash).not.toBe(base);
    const retried = pipeline({ name: 'flights' }, (p) => {
      p.step(ingest, { params: { source: 'flights.parquet', month: 2 } }).retry(1);
    });
    const plain = pipeline({ name: 'flights' }, (p) => {
      p.step(ingest, { params: { source: 'flights.parquet', month: 2 } });
    });
    expect(compilePipeline(retried).hash).not.toBe(compilePipeline(plain).hash);
  });

  it('names steps after their component, deduplicated', () => {
    const definition = pipeline({ name: 'names' }, (p) => {
      p.step(noop);
      p.step(noop);
      p.step(noop, { name: 'noop-3' });
      p.step(noop);
    });
    expect(compilePipeline(definition).ir.steps.map((s) => s.name)).toEqual(['noop', 'noop-2', 'noop-3', 'noop-4']);
  });

  it('rejects duplicate step names', () => {
    const definition = pipeline({ name: 'dupes' }, (p) => {
      p.step(noop, { name: 'same' });
      p.step(noop, { name: 'same' });
    });
    expect(() => compilePipeline(definition)).toThrow(DuplicateStepError);
    expect(() => compilePipeline(definition)).toThrow('two steps are named "same"');
  });

  it('names the steps on a cycle', () => {
    const definition = pipeline({ name: 'loop' }, (p) => {
      const start = p.step(noop, { name: 'start' });
      const a = p.step(noop, { name: 'a' }).after(start);
      const b = p.step(noop, { name: 'b' }).after(a);
      const c = p.step(noop, { name: 'c' }).after(b);
      a.after(c);
    });
    expect(() => compilePipeline(definition)).toThrow(PipelineCycleError);
    expect(() => compilePipeline(definition)).toThrow('the steps form a cycle: a → b → c → a');
    const self = pipeline({ name: 'self' }, (p) => {
      const s = p.step(noop, { name: 'self' });
      s.after(s);
    });
    expect(() => compilePipeline(self)).toThrow('the steps form a cycle: self → self');
  });

  it('names the step and input of a missing required input', () => {
    const definition = pipeline({ name: 'missing' }, (p) => {
      const data = p.step(ingest, { params: { source: 's', month: 1 } });
      untyped(p).step(evaluate, { inputs: { examples: data.outputs.examples } });
    });
    expect(() => compilePipeline(definition)).toThrow(MissingInputError);
    expect(() => compilePipeline(definition)).toThrow('step "evaluate" is missing required input "model" of component "evaluate"');
  });

  it('names step, input, expected and actual type of a wrong artifact type', () => {
    const definition = pipeline({ name: 'mistyped' }, (p) => {
      const data = p.step(ingest, { params: { source: 's', month: 1 } });
      const model = p.step(train, { params: { epochs: 1 }, inputs: { examples: data.outputs.examples } });
      untyped(p).step(evaluate, { inputs: { examples: model.outputs.model, model: model.outputs.model } });
    });
    const error = catchError(() => compilePipeline(definition));
    expect(error).toBeInstanceOf(ArtifactTypeMismatchError);
    expect(error).toMatchObject({ code: 'artifact_type_mismatch', step: 'evaluate', input: 'examples', expected: 'Dataset', actual: 'Model' });
    expect((error as Error).message).toBe('step "evaluate" input "examples" expects a Dataset but is wired to a Model');
  });

  it('names the step and param path of params failing the component schema', () => {
    const definition = pipeline({ name: 'bad-params' }, (p) => {
      const data = p.step(ingest, { params: { source: 's', month: 1 } });
      untyped(p).step(train, { params: { epochs: 'ten' }, inputs: { examples: data.outputs.examples } });
    });
    const error = catchError(() => compilePipeline(definition));
    expect(error).toBeInstanceOf(InvalidParamsError);
    expect((error as Error).message).toBe('step "train": params.epochs: expected number, received string');
    const missing = pipeline({ name: 'no-params' }, (p) => {
      untyped(p).step(ingest, { params: { source: 's' } });
    });
    expect(() => compilePipeline(missing)).toThrow('step "ingest": params.month: expected number, received undefined');
  });

  it('rejects params that are not plain JSON', () => {
    const definition = pipeline({ name: 'dates' }, (p) => {
      untyped(p).step(noop, { params: { when: new Date(0) } });
    });
    expect(() => compilePipeline(definition)).toThrow('step "noop": params.when: a Date is not plain JSON');
  });

  it('validates pipeline params against the pipeline schema', () => {
    expect(() => compilePipeline(flights, { month: 1.5 } as never)).toThrow('pipeline "flights": params.month: expected int, received number');
    expect(compilePipeline(flights, {}).ir.params).toEqual({});
  });

  it('rejects references to steps of another pipeline', () => {
    let leaked: StepHandle<{ examples: typeof Dataset }> | undefined;
    const first = pipeline({ name: 'first' }, (p) => {
      leaked = p.step(ingest, { params: { source: 's', month: 1 } });
    });
    compilePipeline(first);
    const second = pipeline({ name: 'second' }, (p) => {
      p.step(train, { params: { epochs: 1 }, inputs: { examples: leaked!.outputs.examples } });
    });
    expect(() => compilePipeline(second)).toThrow(ForeignStepError);
    expect(() => compilePipeline(second)).toThrow('step "train" input "examples" refers to step "ingest" of another pipeline');
    const afterForeign = pipeline({ name: 'third' }, (p) => {
      p.step(noop).after(leaked!);
    });
    expect(() => compilePipeline(afterForeign)).toThrow('step "noop" .after() refers to step "ingest" of another pipeline');
  });

  it('rejects inputs the component does not declare and values that are not outputs', () => {
    const unknown = pipeline({ name: 'unknown' }, (p) => {
      const data = p.step(ingest, { params: { source: 's', month: 1 } });
      untyped(p).step(noop, { inputs: { examples: data.outputs.examples } });
    });
    expect(() => compilePipeline(unknown)).toThrow(UnknownWiringError);
    expect(() => compilePipeline(unknown)).toThrow('step "noop": component "noop" has no input "examples"');
    const notAnOutput = pipeline({ name: 'path' }, (p) => {
      untyped(p).step(evaluate, { inputs: { examples: '/data.parquet' } });
    });
    expect(() => compilePipeline(notAnOutput)).toThrow('step "evaluate": input "examples" must be wired to an output of another step');
  });

  it('checks fluent settings where they are made', () => {
    const definition = pipeline({ name: 'settings' }, (p) => {
      p.step(noop).retry(-1);
    });
    expect(() => compilePipeline(definition)).toThrow(InvalidStepSettingError);
    expect(() => compilePipeline(definition)).toThrow('step "noop": retry times must be an integer ≥ 0, got -1');
    const timeout = pipeline({ name: 'settings' }, (p) => {
      p.step(noop).timeout(0);
    });
    expect(() => compilePipeline(timeout)).toThrow('step "noop": timeout must be a whole number of milliseconds > 0, got 0');
  });

  it('refuses a pipeline function that declares steps asynchronously', () => {
    const definition = pipeline({ name: 'async' }, (async () => undefined) as never);
    expect(() => compilePipeline(definition)).toThrow('must declare its steps synchronously');
  });
});

describe('parsePipelineIR', () => {
  const rehash = (ir: Omit<PipelineIR, 'hash'> & { hash?: string }): PipelineIR => {
    const { hash: _, ...body } = ir;
    return { ...body, hash: hashJson(body) };
  };

  it('accepts an IR that went through JSON', () => {
    const { ir } = compilePipeline(flights, { month: 2 });
    expect(parsePipelineIR(JSON.parse(JSON.stringify(ir)))).toEqual(ir);
  });

  it('rejects a tampered IR, a wrong artifact type, a missing step and a cycle', () => {
    const { ir } = compilePipeline(flights, { month: 2 });
    expect(() => parsePipelineIR({ ...ir, irVersion: 2 })).toThrow(InvalidPipelineIRError);
    expect(() => parsePipelineIR({ ...ir, params: { month: 3 } })).toThrow('pipeline IR: the hash does not match the content');

    const mistyped = structuredClone(ir);
    mistyped.steps[0]!.inputs.model!.type = 'Dataset';
    expect(() => parsePipelineIR(rehash(mistyped))).toThrow('step "evaluate" input "model" expects a Dataset but is wired to a Model');

    const dangling = structuredClone(ir);
    dangling.steps[0]!.inputs.model!.step = 'gone';
    expect(() => parsePipelineIR(rehash(dangling))).toThrow('step "evaluate": input "model" refers to step "gone", which is not in the pipeline');

    const cyclic = structuredClone(ir);
    cyclic.steps[1]!.after = ['script'];
    expect(() => parsePipelineIR(rehash(cyclic))).toThrow(PipelineCycleError);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
