import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { writeParquet } from '../data/test-support.js';
import { scoreDataset } from '../evaluate/score-dataset.js';
import { describeOnnxModel } from '../onnx/model-signature.js';
import { onnxRuntime, openInferenceSession } from '../onnx/onnx-runtime.js';
import { readDesignMatrix } from './design-matrix.js';
import { predictProbabilities } from './logistic-regression.js';
import { FLIGHT_FEATURES, runTrainedModel, writeJanuaryAndFebruaryFlights } from './test-support.js';
import { trainLogisticRegression, type TrainedLogistic } from './train-logistic.js';

let dir: string;
let trained: TrainedLogistic;
let modelPath: string;
let scoredPath: string;
let january: string;
let withTimePath: string;

beforeAll(async () => {
  const flights = await writeJanuaryAndFebruaryFlights('flywheel-parity-', 20_000);
  ({ dir, january, februaryWithOddRows: withTimePath } = flights);
  // A small top-K leaves many February airports unseen; the extra rows add missing values.
  trained = await trainLogisticRegression(january, { ...FLIGHT_FEATURES, topK: 20 });
  modelPath = join(dir, 'model.onnx');
  await writeFile(modelPath, trained.onnx);
  scoredPath = join(dir, 'scored.parquet');
  await writeParquet(
    scoredPath,
    `SELECT distance, hour, dow, origin, destination, delayed FROM read_parquet(${quoteLiteral(flights.february)})
     UNION ALL SELECT * FROM (VALUES
       (NULL, 8, 2, 'SFO', 'LAX', 0), (700, NULL, NULL, NULL, 'ORD', 1), (300, 23, 7, 'ZZZ', '', 0), (NULL, NULL, NULL, NULL, NULL, 1)
     ) t(distance, hour, dow, origin, destination, delayed)`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the exported ONNX graph', () => {
  it('takes the raw features and returns label [N] and probabilities [N,2]', async () => {
    const { signature } = await describeOnnxModel(modelPath);
    expect(signature).toEqual({
      inputs: [
        { name: 'distance', type: 'float32', shape: ['N', 1] },
        { name: 'hour', type: 'float32', shape: ['N', 1] },
        { name: 'dow', type: 'float32', shape: ['N', 1] },
        { name: 'origin', type: 'string', shape: ['N', 1] },
        { name: 'destination', type: 'string', shape: ['N', 1] },
      ],
      outputs: [
        { name: 'label', type: 'int64', shape: ['N'] },
        { name: 'probabilities', type: 'float32', shape: ['N', 2] },
      ],
    });
  });

  it('predicts what the TypeScript model predicts, to 1e-5, on 20k flights with missing and unseen values', async () => {
    const scores = await scoreDataset(modelPath, scoredPath, { batchRows: 7_000 });
    const expected = await withDuckDb(async (db) => {
      const matrix = await readDesignMatrix(db, tableFunctionFor(scoredPath), trained.model.preprocessing);
      return predictProbabilities(trained.model, matrix);
    });
    expect(scores.rowCount).toBe(20_004);
    expect(expected.length).toBe(20_004);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(scores.predictions[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('labels a row 1 exactly when its probability is above one half', async () => {
    const ort = await onnxRuntime();
    const session = await openInferenceSession(modelPath);
    try {
      const n = 4;
      const out = await session.run({
        distance: new ort.Tensor('float32', Float32Array.of(300, 2500, Number.NaN, 900), [n, 1]),
        hour: new ort.Tensor('float32', Float32Array.of(6, 19, 12, Number.NaN), [n, 1]),
        dow: new ort.Tensor('float32', Float32Array.of(2, 5, 7, 1), [n, 1]),
        origin: new ort.Tensor('string', ['SFO', 'ORD', 'ZZZ', ''], [n, 1]),
        destination: new ort.Tensor('string', ['LAX', 'EWR', 'ATL', ''], [n, 1]),
      });
      const probabilities = out.probabilities!.data as Float32Array;
      const labels = out.label!.data as BigInt64Array;
      for (let i = 0; i < n; i++) {
        expect(probabilities[2 * i]! + probabilities[2 * i + 1]!).toBeCloseTo(1, 6);
        expect(labels[i]).toBe(probabilities[2 * i + 1]! > 0.5 ? 1n : 0n);
      }
    } finally {
      await session.release();
    }
  });
});

describe('the exported ONNX graph with time features', () => {
  it('takes the timestamp as float64 seconds and predicts what TypeScript predicts, to 1e-5, on 20k flights', async () => {
    const trained = await trainLogisticRegression(january, { label: 'delayed', numeric: ['distance'], categorical: ['origin', 'destination'], topK: 20, time: [{ column: 'date' }] });
    const path = join(dir, 'with-time.onnx');
    await writeFile(path, trained.onnx);
    const { signature } = await describeOnnxModel(path);
    expect(signature.inputs.at(-1)).toEqual({ name: 'date', type: 'float64', shape: ['N', 1] });

    const actual = await runTrainedModel(trained.onnx, withTimePath, 'probabilities', 1);
    const expected = await withDuckDb(async (db) => predictProbabilities(trained.model, await readDesignMatrix(db, tableFunctionFor(withTimePath), trained.model.preprocessing)));
    expect(actual.length).toBe(20_005);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-5);
  });
});
