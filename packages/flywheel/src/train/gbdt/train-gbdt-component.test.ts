import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../config/stack.js';
import { ingestComponent } from '../../data/ingest.js';
import { sampleDataPath } from '../../data/sample-data.js';
import { monthQuery } from '../../demo/flights-pipeline.js';
import { pushModelComponent } from '../../deploy/push-model-component.js';
import { evaluateComponent } from '../../evaluate/evaluate-component.js';
import { readOnnxHeader } from '../../onnx/onnx-model.js';
import { compilePipeline } from '../../pipeline/ir.js';
import { pipeline } from '../../pipeline/pipeline.js';
import { runPipeline } from '../../pipeline/runner.js';
import { openTempStack } from '../../pipeline/test-stack.js';
import { readFeatureSpec } from '../feature-spec.js';
import { FLIGHT_FEATURES } from '../test-support.js';
import { trainGbdtComponent } from './train-gbdt-component.js';

let stack: Stack;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ stack, dispose } = await openTempStack());
});
afterAll(async () => {
  await dispose();
});

/** Two days of January to train on, two of February to evaluate on. */
const flights = pipeline({ name: 'flights-gbdt' }, (p) => {
  const source = sampleDataPath('flights-3m.parquet');
  const train = p.step(ingestComponent, { name: 'ingest-train', params: { source, query: monthQuery(1, 2) } });
  const next = p.step(ingestComponent, { name: 'ingest-eval', params: { source, query: monthQuery(2, 2) } });
  const model = p.step(trainGbdtComponent, {
    name: 'train',
    inputs: { examples: train.outputs.examples },
    params: { ...FLIGHT_FEATURES, task: 'classification', maxIterations: 40, earlyStopping: { patience: 5 } },
  });
  const evaluation = p.step(evaluateComponent, { inputs: { model: model.outputs.model, examples: next.outputs.examples } });
  p.step(pushModelComponent, {
    name: 'push',
    inputs: { model: model.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing },
    params: { model: 'flights-gbdt' },
  });
});

describe('train-gbdt in a pipeline run', () => {
  it('trains on a Dataset, writes a Model the evaluator scores and the registry takes, and records what it learned', async () => {
    const result = await runPipeline(stack, compilePipeline(flights));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('complete');

    const model = result.steps.train!.outputs.model!;
    expect(model.type).toBe('Model');
    const properties = model.properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      task: 'classification',
      featureSpec: { trainer: 'gradient-boosted-trees', label: 'delayed', features: FLIGHT_FEATURES.numeric.map((name) => ({ name, kind: 'numeric' })).concat(
        FLIGHT_FEATURES.categorical.map((name) => ({ name, kind: 'categorical' })),
      ) },
    });
    expect(properties.iterations).toBeGreaterThan(0);
    expect(properties.iterations).toBeLessThanOrEqual(40);
    expect(properties.bestValidationLoss).toBeGreaterThan(0);
    expect(properties.trainingSeconds).toBeGreaterThan(0);
    expect(Object.keys(properties.featureImportance as object)).toEqual(['distance', 'hour', 'dow', 'origin', 'destination']);

    const bytes = await stack.artifacts.readBytes(model.digest!);
    expect(readFeatureSpec(readOnnxHeader(bytes).metadata)?.trainingRows).toBe(properties.trainingRows);
    const metrics = JSON.parse((await stack.artifacts.readBytes(result.steps.evaluate!.outputs.metrics!.digest!)).toString('utf8')) as Record<string, number>;
    expect(metrics.auc).toBeGreaterThan(0.55);

    const version = await stack.registry.resolve('flights-gbdt', 'champion');
    expect(version.digest).toBe(model.digest);
    expect(version.signature).toMatchObject({
      inputs: [{ name: 'distance', type: 'float32', shape: ['N', 1] }, { name: 'hour' }, { name: 'dow' }, { name: 'origin', type: 'string' }, { name: 'destination' }],
      outputs: [{ name: 'label', type: 'int64', shape: ['N'] }, { name: 'probabilities', type: 'float32', shape: ['N', 2] }],
    });

    // Everything but the push (it moves registry aliases, so it always runs) comes from the cache.
    const again = await runPipeline(stack, compilePipeline(flights));
    expect(again.counts).toMatchObject({ cached: 4, completed: 1 });
    expect(again.steps.push?.status).toBe('completed');
  });
});
