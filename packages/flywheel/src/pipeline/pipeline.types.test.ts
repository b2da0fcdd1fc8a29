import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { Dataset, Model, Schema } from './artifact-types.js';
import { commandComponent, component } from './component.js';
import { ArtifactTypeMismatchError, MissingInputError } from './errors.js';
import { compilePipeline } from './ir.js';
import type { OutputRef, StepHandle } from './pipeline.js';
import { pipeline } from './pipeline.js';

const ingest = component({ name: 'ingest', version: '1', outputs: { examples: Dataset, schema: Schema }, run: () => undefined });
const train = component({
  name: 'train',
  version: '1',
  params: z.object({ epochs: z.number().int(), rate: z.number().default(0.1) }),
  inputs: { examples: Dataset, schema: Schema },
  optionalInputs: ['schema'],
  outputs: { model: Model },
  run: () => undefined,
});
const evaluate = component({ name: 'evaluate', version: '1', inputs: { examples: Dataset, model: Model }, run: () => undefined });
const shell = commandComponent({ name: 'shell', version: '1', inputs: { examples: Dataset }, command: ['true'] });

describe('pipeline DSL types', () => {
  it('types outputs by artifact type and accepts correct wiring', () => {
    const definition = pipeline({ name: 'typed' }, (p) => {
      const data = p.step(ingest);
      expectTypeOf(data.outputs.examples).toEqualTypeOf<OutputRef<typeof Dataset>>();
      // `rate` has a default, so only `epochs` is required; the optional `schema` input may be left out.
      const model = p.step(train, { params: { epochs: 3 }, inputs: { examples: data.outputs.examples } });
      expectTypeOf(model).toEqualTypeOf<StepHandle<{ model: typeof Model }>>();
      p.step(evaluate, { inputs: { examples: data.outputs.examples, model: model.outputs.model } }).after(model).retry(1).cache(false);
      p.step(shell, { inputs: { examples: data.outputs.examples } });
    });
    expect(compilePipeline(definition).ir.steps.map((s) => s.name)).toEqual(['evaluate', 'ingest', 'shell', 'train']);
  });

  it('rejects a Model wired into a Dataset input at compile time, and again at run time', () => {
    const definition = pipeline({ name: 'mistyped' }, (p) => {
      const data = p.step(ingest);
      const model = p.step(train, { params: { epochs: 1 }, inputs: { examples: data.outputs.examples } });
      // @ts-expect-error a Model is not a Dataset
      p.step(evaluate, { inputs: { examples: model.outputs.model, model: model.outputs.model } });
    });
    expect(() => compilePipeline(definition)).toThrow(ArtifactTypeMismatchError);
    expect(() => compilePipeline(definition)).toThrow('step "evaluate" input "examples" expects a Dataset but is wired to a Model');
  });

  it('requires required inputs and params, and rejects unknown ones', () => {
    const definition = pipeline({ name: 'incomplete' }, (p) => {
      const data = p.step(ingest);
      // @ts-expect-error `model` is a required input
      p.step(evaluate, { inputs: { examples: data.outputs.examples } });
    });
    expect(() => compilePipeline(definition)).toThrow(MissingInputError);

    pipeline({ name: 'more-mistakes' }, (p) => {
      const data = p.step(ingest);
      // @ts-expect-error params with a required field must be given
      p.step(train, { inputs: { examples: data.outputs.examples } });
      // @ts-expect-error epochs is a number
      p.step(train, { params: { epochs: 'three' }, inputs: { examples: data.outputs.examples } });
      // @ts-expect-error `model` is not an input of `train`
      p.step(train, { params: { epochs: 1 }, inputs: { examples: data.outputs.examples, model: data.outputs.schema } });
      // @ts-expect-error `evaluate` needs its inputs, so options cannot be left out
      p.step(evaluate);
      // @ts-expect-error ingest has no `model` output
      p.step(evaluate, { inputs: { examples: data.outputs.examples, model: data.outputs.model } });
    });
  });

  it('passes parsed pipeline params to the pipeline function', () => {
    const definition = pipeline({ name: 'with-params', params: z.object({ month: z.number().int().default(1) }) }, (p, params) => {
      expectTypeOf(params).toEqualTypeOf<{ month: number }>();
      p.step(train, { name: `train-${params.month}`, params: { epochs: params.month }, inputs: { examples: p.step(ingest).outputs.examples } });
    });
    expect(compilePipeline(definition, {}).ir.steps.map((s) => s.name)).toEqual(['ingest', 'train-1']);
    // @ts-expect-error month is a number
    expect(() => compilePipeline(definition, { month: 'may' })).toThrow('pipeline "with-params": params.month: expected number');
  });
});
