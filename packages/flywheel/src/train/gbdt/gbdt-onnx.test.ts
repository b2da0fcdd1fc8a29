import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, tableFunctionFor, withDuckDb } from '../../data/duckdb.js';
import { writeParquet } from '../../data/test-support.js';
import { scoreDataset } from '../../evaluate/score-dataset.js';
import { describeOnnxModel } from '../../onnx/model-signature.js';
import { onnxRuntime, openInferenceSession } from '../../onnx/onnx-runtime.js';
import { readFeatureSpec } from '../feature-spec.js';
import { FLIGHT_FEATURES, runTrainedModel, writeJanuaryAndFebruaryFlights } from '../test-support.js';
import { predictGbdt } from './fit-gbdt.js';
import { readGbdtColumns } from './gbdt-columns.js';
import { GBDT_METADATA_KEY } from './gbdt-onnx.js';
import { trainGbdt, type TrainedGbdt } from './train-gbdt.js';

let dir: string;
let january: string;
let scoredPath: string;
let withTimePath: string;

beforeAll(async () => {
  const flights = await writeJanuaryAndFebruaryFlights('flywheel-gbdt-onnx-', 20_000);
  ({ dir, january, februaryWithOddRows: withTimePath } = flights);
  scoredPath = join(dir, 'scored.parquet');
  await writeParquet(
    scoredPath,
    `SELECT distance, hour, dow, origin, destination, delay, delayed FROM read_parquet(${quoteLiteral(flights.february)})
     UNION ALL SELECT * FROM (VALUES
       (NULL, 8, 2, 'SFO', 'LAX', 10, 0), (700, NULL, NULL, NULL, 'ORD', 40, 1), (300, 23, 7, 'ZZZ', '', -3, 0),
       (NULL, NULL, NULL, NULL, NULL, 0, 1), ('Infinity'::DOUBLE, 12, 3, 'ORD', 'ATL', 2, 0), ('-Infinity'::DOUBLE, 12, 3, 'ATL', 'ZZZ', 5, 1)
     ) t(distance, hour, dow, origin, destination, delay, delayed)`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The model's predictions computed in TypeScript for every row of the scored file. */
async function typescriptPredictions(trained: TrainedGbdt): Promise<Float64Array> {
  return withDuckDb(async (db) => {
    const numeric = trained.model.features.filter((f) => f.kind === 'numeric').map((f) => f.name);
    const categorical = trained.model.features.flatMap((f) => (f.kind === 'categorical' ? [f] : []));
    return predictGbdt(trained.model, await readGbdtColumns(db, tableFunctionFor(scoredPath), { numeric, categorical, time: [] }));
  });
}

async function onnxPredictions(trained: TrainedGbdt, name: string): Promise<Float64Array> {
  const path = join(dir, name);
  await writeFile(path, trained.onnx);
  const scores = await scoreDataset(path, scoredPath, { batchRows: 7_000 });
  expect(scores.rowCount).toBe(20_006);
  return scores.predictions;
}

describe('the exported ONNX graph', () => {
  let classifier: TrainedGbdt;

  beforeAll(async () => {
    // Few bins leave many airports in the "other" bin; the extra scored rows add missing, infinite and unseen values.
    classifier = await trainGbdt(january, { ...FLIGHT_FEATURES, task: 'classification', maxBins: 32, maxIterations: 60 });
  });

  it('takes the raw features and returns label [N] and probabilities [N,2], with the feature spec', async () => {
    const path = join(dir, 'classifier.onnx');
    await writeFile(path, classifier.onnx);
    const { signature, metadata, opsets, irVersion } = await describeOnnxModel(path);
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
    expect(irVersion).toBe(10);
    expect(opsets).toEqual({ '': 21, 'ai.onnx.ml': 5 });
    expect(readFeatureSpec(metadata)).toMatchObject({ trainer: 'gradient-boosted-trees', label: 'delayed', trainingRows: 30_000 });
    expect(JSON.parse(metadata[GBDT_METADATA_KEY] as string)).toMatchObject({ task: 'classification', trees: classifier.iterations });
  });

  it('predicts what the TypeScript model predicts, to 1e-5, on 20k flights with missing and unseen values', async () => {
    const actual = await onnxPredictions(classifier, 'classifier.onnx');
    const expected = await typescriptPredictions(classifier);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('labels a row 1 exactly when its probability is above one half', async () => {
    const ort = await onnxRuntime();
    const session = await openInferenceSession(classifier.onnx);
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
      expect(out.label!.dims).toEqual([n]);
      for (let i = 0; i < n; i++) {
        expect(probabilities[2 * i]! + probabilities[2 * i + 1]!).toBeCloseTo(1, 6);
        expect(labels[i]).toBe(probabilities[2 * i + 1]! > 0.5 ? 1n : 0n);
      }
    } finally {
      await session.release();
    }
  });

  it('predicts a regression target as variable [N,1], matching TypeScript to 1e-5 relative', async () => {
    const regressor = await trainGbdt(january, {
      label: 'delay', task: 'regression', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'], maxIterations: 60,
    });
    const path = join(dir, 'regressor.onnx');
    await writeFile(path, regressor.onnx);
    const { signature } = await describeOnnxModel(path);
    expect(signature.outputs).toEqual([{ name: 'variable', type: 'float32', shape: ['N', 1] }]);
    const actual = await onnxPredictions(regressor, 'regressor.onnx');
    const expected = await typescriptPredictions(regressor);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });

  it('predicts the base score when no split was worth making', async () => {
    const path = join(dir, 'constant.parquet');
    await writeParquet(path, 'SELECT 1.0::DOUBLE AS flat, (x % 4 = 0)::INTEGER AS y FROM range(200) t(x)');
    const trained = await trainGbdt(path, { label: 'y', task: 'classification', numeric: ['flat'], earlyStopping: false });
    expect(trained).toMatchObject({ iterations: 0, stoppedBecause: 'no-split' });
    const session = await openInferenceSession(trained.onnx);
    try {
      const ort = await onnxRuntime();
      const out = await session.run({ flat: new ort.Tensor('float32', Float32Array.of(1, Number.NaN, 5), [3, 1]) });
      for (const p of Array.from(out.probabilities!.data as Float32Array).filter((_, i) => i % 2 === 1)) expect(p).toBeCloseTo(0.25, 6);
    } finally {
      await session.release();
    }
  });
});

describe('the exported ONNX graph with time features', () => {
  it.each(['classification', 'regression'] as const)('splits on the parts of a float64 timestamp input and predicts what TypeScript predicts, to 1e-5 (%s)', async (task) => {
    const trained = await trainGbdt(january, {
      label: task === 'classification' ? 'delayed' : 'delay', task, numeric: ['distance'], categorical: ['origin', 'destination'], time: [{ column: 'date' }], maxBins: 32, maxIterations: 60,
    });
    expect(trained.featureImportance.map((f) => f.name)).toEqual(['distance', 'date.hour', 'date.dayOfWeek', 'date.month', 'origin', 'destination']);
    expect(trained.featureImportance[1]!.gain).toBeGreaterThan(0);
    const path = join(dir, `with-time-${task}.onnx`);
    await writeFile(path, trained.onnx);
    const { signature } = await describeOnnxModel(path);
    expect(signature.inputs.at(-1)).toEqual({ name: 'date', type: 'float64', shape: ['N', 1] });

    const actual = await runTrainedModel(trained.onnx, withTimePath, task === 'classification' ? 'probabilities' : 'variable', task === 'classification' ? 1 : 0);
    const expected = await withDuckDb(async (db) => {
      const categorical = trained.model.features.flatMap((f) => (f.kind === 'categorical' ? [f] : []));
      return predictGbdt(trained.model, await readGbdtColumns(db, tableFunctionFor(withTimePath), { numeric: ['distance'], categorical, time: [{ name: 'date', parts: ['hour', 'dayOfWeek', 'month'] }] }));
    });
    expect(actual.length).toBe(20_005);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
    expect(worst).toBeLessThan(1e-5);
  });
});
