import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { runComponent } from '../data/test-support.js';
import { describeOnnxModel } from '../onnx/model-signature.js';
import { readDesignMatrix } from './design-matrix.js';
import { predictLinearRegression } from './linear-regression.js';
import { runTrainedModel, writeJanuaryAndFebruaryFlights } from './test-support.js';
import { trainLinearComponent } from './train-linear-component.js';
import { trainLinearRegression, type TrainedLinear } from './train-linear.js';

let dir: string;
let january: string;
let scoredPath: string;
let trained: TrainedLinear;
const PARAMS = { label: 'delay', numeric: ['distance'], categorical: ['origin', 'destination'], topK: 20, time: [{ column: 'date' }] };

beforeAll(async () => {
  // A small top-K leaves many February airports unseen; the extra rows add missing values and far-away dates.
  ({ dir, january, februaryWithOddRows: scoredPath } = await writeJanuaryAndFebruaryFlights('flywheel-linear-onnx-', 10_000));
  trained = await trainLinearRegression(january, PARAMS);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the exported linear regression', () => {
  it('takes the raw features, the timestamp as float64 seconds, and returns variable [N,1]', async () => {
    const path = join(dir, 'model.onnx');
    await writeFile(path, trained.onnx);
    const { signature, opsets } = await describeOnnxModel(path);
    expect(signature).toEqual({
      inputs: [
        { name: 'distance', type: 'float32', shape: ['N', 1] },
        { name: 'origin', type: 'string', shape: ['N', 1] },
        { name: 'destination', type: 'string', shape: ['N', 1] },
        { name: 'date', type: 'float64', shape: ['N', 1] },
      ],
      outputs: [{ name: 'variable', type: 'float32', shape: ['N', 1] }],
    });
    expect(opsets).toEqual({ '': 17, 'ai.onnx.ml': 3 });
  });

  it('predicts what the TypeScript model predicts, to 1e-5 relative, on 10k flights with missing and unseen values', async () => {
    const actual = await runTrainedModel(trained.onnx, scoredPath, 'variable', 0);
    const expected = await withDuckDb(async (db) => predictLinearRegression(trained.model, await readDesignMatrix(db, tableFunctionFor(scoredPath), trained.model.preprocessing)));
    expect(actual.length).toBe(10_005);
    expect(expected.length).toBe(10_005);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('learns from the time of day: hours of the evening predict longer delays than the morning', () => {
    const hours = trained.model.timeWeights[0]!;
    expect(hours[19]! - hours[7]!).toBeGreaterThan(5);
  });
});

describe('train-linear', () => {
  it('writes the model and records its feature spec, fit and aliased columns', async () => {
    const run = await runComponent(trainLinearComponent, { dir, params: { ...PARAMS, l2: 0 }, inputs: { examples: january } });
    const properties = run.outputs.model.properties;
    expect(properties).toMatchObject({
      featureSpec: { trainer: 'linear-regression', label: 'delay', features: [{ name: 'distance' }, { name: 'origin' }, { name: 'destination' }, { name: 'date', kind: 'timestamp', parts: ['hour', 'dayOfWeek', 'month'] }] },
      trainingRows: 30_000,
    });
    // January only: every month column but January's is zero, and January's sums to the intercept.
    expect(properties.aliasedColumns).toEqual(expect.arrayContaining(['date.month=1', 'date.month=12']));
    expect(properties.trainingR2).toBeGreaterThan(0);
    expect(run.logs.map((l) => l.message).join('\n')).toMatch(/trained on 30000 rows in .*s: RMSE/);
  });
});
