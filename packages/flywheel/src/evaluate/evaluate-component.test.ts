import { join } from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../config/stack.js';
import type { JsonObject } from '../core/json.js';
import { ingestComponent } from '../data/ingest.js';
import { sampleDataPath } from '../data/sample-data.js';
import { pushModelComponent } from '../deploy/push-model-component.js';
import type { Artifact } from '../metadata/model.js';
import { compilePipeline } from '../pipeline/ir.js';
import { pipeline } from '../pipeline/pipeline.js';
import { runPipeline } from '../pipeline/runner.js';
import { openTempStack } from '../pipeline/test-stack.js';
import { trainGbdtComponent } from '../train/gbdt/train-gbdt-component.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticComponent } from '../train/train-logistic-component.js';
import { resolveBaselineComponent } from './baseline.js';
import { blessingSchema } from './blessing.js';
import { evaluateComponent } from './evaluate-component.js';

let stack: Stack;
let dir: string;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ stack, dir, dispose } = await openTempStack());
  await writeFlightsMonth(join(dir, 'january.parquet'), 1, 20_000);
  await writeFlightsMonth(join(dir, 'february.parquet'), 2, 10_000);
});
afterAll(async () => {
  await dispose();
});

const classifierParams = z.object({ numeric: z.array(z.string()), evaluation: z.record(z.string(), z.unknown()) });

/** train a classifier on January → evaluate it on February against the champion → push. */
const flights = pipeline({ name: 'evaluate-flights', params: classifierParams }, (p, { numeric, evaluation }) => {
  const january = p.step(ingestComponent, { name: 'january', params: { source: join(dir, 'january.parquet') } });
  const february = p.step(ingestComponent, { name: 'february', params: { source: join(dir, 'february.parquet') } });
  const model = p.step(trainLogisticComponent, { name: 'train', inputs: { examples: january.outputs.examples }, params: { label: FLIGHT_FEATURES.label, numeric, categorical: ['origin'] } });
  const champion = p.step(resolveBaselineComponent, { name: 'champion', params: { model: 'flights' } });
  const evaluated = p.step(evaluateComponent, {
    inputs: { model: model.outputs.model, examples: february.outputs.examples, baseline: champion.outputs.baseline },
    params: evaluation,
  });
  p.step(pushModelComponent, { name: 'push', params: { model: 'flights' }, inputs: { model: model.outputs.model, metrics: evaluated.outputs.metrics, blessing: evaluated.outputs.blessing } });
});

/** train a gradient-boosted regressor on the cars → evaluate it on them → push. */
const cars = pipeline({ name: 'evaluate-cars' }, (p) => {
  const data = p.step(ingestComponent, { name: 'cars', params: { source: sampleDataPath('cars.json'), query: 'SELECT * FROM source WHERE Miles_per_Gallon IS NOT NULL' } });
  const model = p.step(trainGbdtComponent, {
    name: 'train',
    inputs: { examples: data.outputs.examples },
    params: { label: 'Miles_per_Gallon', task: 'regression', numeric: ['Horsepower', 'Weight_in_lbs'], categorical: ['Origin'], maxIterations: 40, earlyStopping: false },
  });
  const champion = p.step(resolveBaselineComponent, { name: 'champion', params: { model: 'cars' } });
  const evaluated = p.step(evaluateComponent, {
    inputs: { model: model.outputs.model, examples: data.outputs.examples, baseline: champion.outputs.baseline },
    params: { slices: [{ column: 'Origin' }, { column: 'Cylinders', buckets: [5, 7] }], fairness: [{ slice: 'Origin', metric: 'mae', maxGap: 5 }], thresholds: { r2: { min: 0.7 }, mape: { max: 0.3 } } },
  });
  p.step(pushModelComponent, { name: 'push', params: { model: 'cars' }, inputs: { model: model.outputs.model, metrics: evaluated.outputs.metrics, blessing: evaluated.outputs.blessing } });
});

async function json(artifact: Artifact): Promise<Record<string, unknown>> {
  return JSON.parse((await stack.artifacts.readBytes(artifact.digest as string)).toString('utf8')) as Record<string, unknown>;
}

async function runFlights(runId: string, numeric: string[], evaluation: JsonObject) {
  const result = await runPipeline(stack, compilePipeline(flights, { numeric, evaluation }), { runId });
  const evaluate = result.steps.evaluate!;
  if (evaluate.status !== 'completed' && evaluate.status !== 'cached') return { result, evaluate };
  const execution = await stack.metadata.getExecution(evaluate.executionId!);
  return {
    result,
    evaluate,
    metrics: await json(evaluate.outputs.metrics!),
    blessing: blessingSchema.parse(await json(evaluate.outputs.blessing!)),
    returned: execution.properties.result as Record<string, unknown>,
  };
}

const SLICED: JsonObject = {
  slices: [{ column: 'origin', top: 5 }, { column: 'distance', buckets: 4 }, { column: 'delay', buckets: [0, 15, 60], name: 'delay band' }],
  minSliceRows: 50,
  fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.5 }, { slice: 'distance', metric: 'logLoss' }],
  thresholds: { auc: { min: 0.5 }, logLoss: { max: 0.7 }, brierScore: { max: 0.25 } },
  decisionThreshold: 0.3,
};

describe('evaluate in a pipeline run', () => {
  it('writes every metric, slice, fairness gap and curve, and blesses the first model with every check listed', async () => {
    const first = await runFlights('run-1', ['dow'], SLICED);
    expect(first.result.error).toBeUndefined();
    const { metrics, blessing, returned } = first as Required<typeof first>;

    expect(metrics).toMatchObject({ task: 'classification', rowCount: 10_000, confusionMatrix: { threshold: 0.3 } });
    for (const name of ['auc', 'prAuc', 'logLoss', 'brierScore', 'accuracy', 'precision', 'recall', 'f1', 'positiveRate', 'meanPrediction']) {
      expect(typeof metrics[name], name).toBe('number');
    }
    expect(metrics.calibration).toHaveLength(10);
    const slices = metrics.slices as { name: string; slices: { key: string; rowCount: number; sufficient: boolean; metrics: Record<string, number | null> }[] }[];
    expect(slices.map((s) => s.name)).toEqual(['origin', 'distance', 'delay band']);
    expect(slices[0]!.slices.map((s) => s.key)).toHaveLength(6); // the top 5 origins and (other)
    for (const slicing of slices) expect(slicing.slices.reduce((n, s) => n + s.rowCount, 0)).toBe(10_000);
    // delay is not a model input: slices may use any column of the data. No delay is missing: that slice is left out.
    expect(slices[2]!.slices.map((s) => s.key)).toEqual(['(-∞, 0)', '[0, 15)', '[15, 60)', '[60, ∞)']);
    expect(slices[2]!.slices.find((s) => s.key === '[0, 15)')!.metrics.positiveRate).toBe(0);
    expect(slices[2]!.slices.find((s) => s.key === '[0, 15)')!.metrics.auc).toBeNull();
    expect(metrics.fairness).toMatchObject([{ slice: 'origin', metric: 'auc', slicesCompared: 6 }, { slice: 'distance', metric: 'logLoss', slicesCompared: 4 }]);

    expect(blessing.blessed).toBe(true);
    expect(blessing.checks.map((c) => `${c.check} ${c.metric} ${c.passed}`)).toEqual([
      'change auc true', 'threshold auc true', 'threshold logLoss true', 'threshold brierScore true', 'fairness-gap auc true',
    ]);
    expect(blessing.reasons[0]).toMatch(/^no champion yet/);
    expect(returned).toMatchObject({ blessed: true, auc: metrics.auc, prAuc: metrics.prAuc, rowCount: 10_000, baselineVersion: null });

    const version = await stack.registry.resolve('flights', 'champion');
    expect(version.metrics).toMatchObject({ auc: metrics.auc, brierScore: metrics.brierScore, rowCount: 10_000 });
    expect(version.metrics).not.toHaveProperty('confusionMatrix');
  });

  it('does not bless a better model that misses an absolute threshold, and says which', async () => {
    const strict = await runFlights('run-2', ['distance', 'hour'], { ...SLICED, thresholds: { auc: { min: 0.99 }, logLoss: { max: 0.7 } } });
    const { blessing } = strict as Required<typeof strict>;
    expect(blessing.blessed).toBe(false);
    expect(blessing.checks[0]).toMatchObject({ check: 'change', metric: 'auc', passed: true, baseline: expect.any(Number) });
    expect(blessing.checks[1]).toMatchObject({ check: 'threshold', metric: 'auc', threshold: { min: 0.99 }, passed: false });
    expect(blessing.reasons[1]).toMatch(/^auc 0\.\d{6} is below the minimum 0\.99$/);
    expect((await stack.registry.resolve('flights', 'champion')).version).toBe(1);
  });

  it('evaluates a regressor: rmse against the champion, regression thresholds, slices and fairness', async () => {
    const result = await runPipeline(stack, compilePipeline(cars), { runId: 'cars-1' });
    expect(result.error).toBeUndefined();
    const metrics = await json(result.steps.evaluate!.outputs.metrics!);
    const blessing = blessingSchema.parse(await json(result.steps.evaluate!.outputs.blessing!));
    expect(metrics).toMatchObject({ task: 'regression', rowCount: 398 });
    expect(metrics).not.toHaveProperty('calibration');
    expect(metrics.r2 as number).toBeGreaterThan(0.7);
    expect(blessing).toMatchObject({ blessed: true, metric: 'rmse' });
    expect(blessing.checks.map((c) => `${c.check} ${c.metric}`)).toEqual(['change rmse', 'threshold r2', 'threshold mape', 'fairness-gap mae']);
    expect((await stack.registry.resolve('cars', 'champion')).metrics).toMatchObject({ rmse: metrics.rmse, r2: metrics.r2 });
  });

  it('refuses unknown metrics and bad slicings when the pipeline is compiled', () => {
    expect(() => compilePipeline(flights, { numeric: ['dow'], evaluation: { thresholds: { aucc: { min: 0.6 } } } })).toThrow(/params\.thresholds\.aucc: unknown metric "aucc" \(metrics: auc, prAuc/);
    expect(() => compilePipeline(flights, { numeric: ['dow'], evaluation: { fairness: [{ slice: 'origin', metric: 'auc' }] } })).toThrow(/params\.fairness\[0\]\.slice: no slicing named "origin"/);
    expect(() => compilePipeline(flights, { numeric: ['dow'], evaluation: { metric: 'auc' } })).toThrow(/params: Unrecognized key: "metric"/);
  });

  it('fails the step, naming the culprit, for a regression metric on a classifier or a missing slice column', async () => {
    const wrongTask = await runFlights('run-3', ['dow'], { thresholds: { rmse: { max: 1 } } });
    expect(wrongTask.evaluate.status).toBe('failed');
    expect(wrongTask.evaluate.error).toMatch(/thresholds\.rmse: rmse is a regression metric, but the model is a binary classifier/);
    const missing = await runFlights('run-4', ['dow'], { slices: [{ column: 'carrier' }] });
    expect(missing.evaluate.error).toMatch(/slices\[0\]\.column: slice column "carrier" is not in the dataset \(columns: .*origin.*delayed/);
  });
});
