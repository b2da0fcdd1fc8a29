import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { sampleDataPath } from '../data/sample-data.js';
import { writeParquet } from '../data/test-support.js';
import { readColumns } from '../train/columns.js';
import { trainGbdt } from '../train/gbdt/train-gbdt.js';
import { binaryMetrics } from './binary-metrics.js';
import { evaluateModel, type Evaluation } from './evaluate-model.js';
import { evaluationToJson } from './evaluation-report.js';
import { regressionMetrics } from './regression-metrics.js';
import { scoreDataset } from './score-dataset.js';
import { writeIdentityModel } from './test-support.js';

let dir: string;
let data: string;
let classifier: string;
let regressor: string;

// 1000 rows: region north 500, south 300, east 150, west 40, missing 10; size 0–36 with 11 missing.
const ROWS = `SELECT i,
    ((i * 7919) % 1000) / 1000.0 AS score,
    (((i * 104729) % 7) < 2 + 4 * ((i * 7919) % 1000) / 1000.0)::INTEGER AS y,
    CASE WHEN i % 100 < 50 THEN 'north' WHEN i % 100 < 80 THEN 'south' WHEN i % 100 < 95 THEN 'east' WHEN i % 100 < 99 THEN 'west' END AS region,
    CASE WHEN i % 97 = 0 THEN NULL ELSE (i % 37)::DOUBLE END AS size
  FROM range(1000) t(i)`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-evaluate-model-'));
  data = join(dir, 'data.parquet');
  await writeParquet(data, `SELECT i, score::DOUBLE AS score, y, region, size FROM (${ROWS})`);
  classifier = join(dir, 'classifier.onnx');
  regressor = join(dir, 'regressor.onnx');
  await writeIdentityModel(classifier, 'classification');
  await writeIdentityModel(regressor, 'regression');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The data's columns in file order, for expected values computed by hand. */
async function columns(): Promise<{ score: Float64Array; y: Float64Array; region: string[]; size: Float64Array }> {
  return withDuckDb(async (db) => {
    const read = await readColumns(db, tableFunctionFor(data), [
      { expr: 'score', kind: 'float64' }, { expr: 'y', kind: 'float64' }, { expr: "coalesce(region, '(missing)')", kind: 'string' }, { expr: 'size', kind: 'float64' },
    ]);
    const [score, y, region, size] = read.columns as [Float64Array, Float64Array, string[], Float64Array];
    return { score, y, region, size };
  });
}

function rowsWhere(all: Awaited<ReturnType<typeof columns>>, keep: (i: number) => boolean): { y: number[]; score: number[] } {
  const y: number[] = [];
  const score: number[] = [];
  for (let i = 0; i < all.score.length; i++) {
    if (!keep(i)) continue;
    y.push(all.y[i]!);
    score.push(all.score[i]!);
  }
  return { y, score };
}

function classification(evaluation: Evaluation) {
  if (evaluation.task !== 'classification') throw new Error(`expected a classification, got ${evaluation.task}`);
  return evaluation;
}

describe('evaluateModel on a classifier', () => {
  it('computes the metrics of the whole data, its confusion matrix and calibration curve', async () => {
    const all = await columns();
    const evaluation = classification(await evaluateModel(classifier, data, 'y', { decisionThreshold: 0.4, calibrationBins: 5 }));
    expect(evaluation.metrics).toEqual(binaryMetrics(all.y, all.score, { threshold: 0.4 }));
    expect(evaluation.confusionMatrix.threshold).toBe(0.4);
    expect(evaluation.confusionMatrix.tp + evaluation.confusionMatrix.fn).toBe(evaluation.metrics.positives);
    expect(evaluation.calibration.map((b) => b.upper)).toEqual([0.2, 0.4, 0.6000000000000001, 0.8, 1]);
    expect(evaluation.calibration.reduce((sum, b) => sum + b.count, 0)).toBe(1000);
    expect(evaluation.slices).toEqual([]);
  });

  it('slices by the most frequent values of any column, the rest in (other), missing apart, small slices marked', async () => {
    const all = await columns();
    const evaluation = classification(await evaluateModel(classifier, data, 'y', { slices: [{ column: 'region', top: 3 }], minSliceRows: 30 }));
    const [byRegion] = evaluation.slices;
    expect(byRegion).toMatchObject({ name: 'region', column: 'region', by: 'value' });
    expect(byRegion!.slices.map((s) => [s.key, s.kind, s.rowCount, s.sufficient])).toEqual([
      ['north', 'value', 500, true],
      ['south', 'value', 300, true],
      ['east', 'value', 150, true],
      ['(other)', 'other', 40, true],
      ['(missing)', 'missing', 10, false],
    ]);
    const inSlice = (key: string) => (i: number) => (['north', 'south', 'east', '(missing)'].includes(key) ? all.region[i] === key : all.region[i] === 'west');
    for (const slice of byRegion!.slices) {
      const { y, score } = rowsWhere(all, inSlice(slice.key));
      expect(slice.metrics, slice.key).toEqual(binaryMetrics(y, score));
    }
  });

  it('slices a number by boundaries or quantiles, missing values apart', async () => {
    const all = await columns();
    const evaluation = await evaluateModel(classifier, data, 'y', {
      slices: [{ column: 'size', buckets: [10, 20] }, { column: 'size', buckets: 4, name: 'size quartile' }],
    });
    const [bounded, quartiles] = evaluation.slices;
    expect(bounded!.slices.map((s) => [s.key, s.lower, s.upper])).toEqual([['(-∞, 10)', null, 10], ['[10, 20)', 10, 20], ['[20, ∞)', 20, null], ['(missing)', undefined, undefined]]);
    const count = (keep: (v: number) => boolean) => all.size.filter(keep).length;
    expect(bounded!.slices.map((s) => s.rowCount)).toEqual([count((v) => v < 10), count((v) => v >= 10 && v < 20), count((v) => v >= 20), count(Number.isNaN)]);
    const { y, score } = rowsWhere(all, (i) => all.size[i]! >= 10 && all.size[i]! < 20);
    expect(bounded!.slices[1]!.metrics).toEqual(binaryMetrics(y, score));
    // quantile_disc of 0–36 at 1/4, 1/2, 3/4: 9, 18, 27 (roughly even buckets).
    expect(quartiles).toMatchObject({ name: 'size quartile', by: 'bucket' });
    expect(quartiles!.slices.map((s) => s.key)).toEqual(['(-∞, 9)', '[9, 18)', '[18, 27)', '[27, ∞)', '(missing)']);
  });

  it('reports the fairness gap across a slicing, with its extremes', async () => {
    const evaluation = await evaluateModel(classifier, data, 'y', {
      slices: [{ column: 'region' }], fairness: [{ slice: 'region', metric: 'auc' }, { slice: 'region', metric: 'logLoss' }],
    });
    const aucs = evaluation.slices[0]!.slices.filter((s) => s.sufficient).map((s) => ({ key: s.key, value: (s.metrics as { auc: number }).auc }));
    const sorted = [...aucs].sort((a, b) => a.value - b.value);
    const [auc, logLoss] = evaluation.fairness;
    expect(auc).toMatchObject({ slice: 'region', metric: 'auc', min: sorted[0], max: sorted.at(-1), slicesCompared: 4, slicesLeftOut: ['(missing)'] });
    expect(auc!.gap).toBeCloseTo(sorted.at(-1)!.value - sorted[0]!.value, 12);
    expect(logLoss!.metric).toBe('logLoss');
    const json = evaluationToJson(evaluation);
    expect(json).toMatchObject({ task: 'classification', rowCount: 1000, fairness: [{ slice: 'region', metric: 'auc' }, { metric: 'logLoss' }] });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('refuses a missing slice column (listing the columns), buckets of text and a metric of the other task', async () => {
    await expect(evaluateModel(classifier, data, 'y', { slices: [{ column: 'regoin' }] })).rejects.toThrow(
      'slices[0].column: slice column "regoin" is not in the dataset (columns: i, score, y, region, size)',
    );
    await expect(evaluateModel(classifier, data, 'y', { slices: [{ column: 'region', buckets: 3 }] })).rejects.toThrow(/slices\[0\]\.buckets: column "region" is VARCHAR; buckets need numbers/);
    await expect(evaluateModel(classifier, data, 'y', { slices: [{ column: 'region' }], fairness: [{ slice: 'region', metric: 'rmse' }] })).rejects.toThrow(
      /fairness\[0\]\.metric: rmse is a regression metric, but the model is a binary classifier \(its metrics: auc, prAuc, logLoss/,
    );
    await expect(evaluateModel(classifier, data, 'y', { fairness: [{ slice: 'region', metric: 'auc' }] })).rejects.toThrow(/fairness\[0\]\.slice: no slicing named "region" in slices \(none defined\)/);
    await expect(evaluateModel(classifier, data, 'y', { slices: [{ column: 'region', top: 2, buckets: 3 }] })).rejects.toThrow(/slices\[0\]\.buckets: slice either by value/);
  });
});

describe('evaluateModel on a regressor', () => {
  it('reads the label as a number and computes regression metrics, per slice too', async () => {
    const all = await columns();
    const evaluation = await evaluateModel(regressor, data, 'size', { slices: [{ column: 'region', top: 2 }] }).catch((e: unknown) => e);
    // The identity regressor predicts `score`; `size` has missing values, which a regressor cannot be scored on.
    expect(String(evaluation)).toMatch(/label: label column "size" is missing \(or NaN\) in row 0; a regressor is evaluated on finite numbers/);
    const ok = await evaluateModel(regressor, data, 'i', { slices: [{ column: 'region', top: 2 }] });
    expect(ok.task).toBe('regression');
    const labels = Float64Array.from({ length: 1000 }, (_, i) => i);
    expect(ok.metrics).toEqual(regressionMetrics(labels, all.score));
    expect(ok.slices[0]!.slices.map((s) => s.key)).toEqual(['north', 'south', '(other)', '(missing)']);
    expect(evaluationToJson(ok)).not.toHaveProperty('calibration');
  });

  it('names the row of an infinite label and of a NaN prediction', async () => {
    const odd = join(dir, 'odd.parquet');
    await writeParquet(odd, "SELECT * FROM (VALUES (0.5, 1.0), ('NaN'::DOUBLE, 2.0), (0.2, 'Infinity'::DOUBLE)) t(score, y)");
    await expect(evaluateModel(regressor, odd, 'y')).rejects.toThrow(/label column "y" is Infinity in row 2/);
    const nan = join(dir, 'nan.parquet');
    await writeParquet(nan, "SELECT * FROM (VALUES (0.5, 1), ('NaN'::DOUBLE, 0)) t(score, y)");
    await expect(evaluateModel(classifier, nan, 'y')).rejects.toThrow('model: classifier.onnx predicts NaN for row 1 of the evaluation data');
  });

  it('scores a real gradient-boosted regressor exported to ONNX', async () => {
    const cars = join(dir, 'cars.parquet');
    await writeParquet(cars, `SELECT * FROM ${tableFunctionFor(sampleDataPath('cars.json'))} WHERE Miles_per_Gallon IS NOT NULL`);
    const trained = await trainGbdt(cars, {
      label: 'Miles_per_Gallon', task: 'regression', numeric: ['Horsepower', 'Weight_in_lbs', 'Acceleration'], categorical: ['Origin'], maxIterations: 50, earlyStopping: false,
    });
    const model = join(dir, 'cars.onnx');
    await writeFile(model, trained.onnx);

    const scores = await scoreDataset(model, cars, { label: 'Miles_per_Gallon' });
    expect(scores).toMatchObject({ task: 'regression', rowCount: 398 });
    const evaluation = await evaluateModel(model, cars, 'Miles_per_Gallon', { slices: [{ column: 'Origin' }, { column: 'Weight_in_lbs', buckets: 3 }], fairness: [{ slice: 'Origin', metric: 'mae' }] });
    if (evaluation.task !== 'regression') throw new Error('expected a regression');
    expect(evaluation.metrics).toEqual(regressionMetrics(scores.labels!, scores.predictions));
    expect(evaluation.metrics.r2).toBeGreaterThan(0.8);
    expect(evaluation.metrics.rmse).toBeLessThan(4);
    expect(evaluation.slices[0]!.slices.map((s) => s.key).sort()).toEqual(['Europe', 'Japan', 'USA']);
    expect(evaluation.slices[1]!.slices.reduce((n, s) => n + s.rowCount, 0)).toBe(398);
    expect(evaluation.fairness[0]).toMatchObject({ slice: 'Origin', metric: 'mae', slicesCompared: 3 });
    await withDuckDb(async (db) => {
      const check = await db.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet(${quoteLiteral(cars)}) WHERE Origin = 'USA'`);
      expect(evaluation.slices[0]!.slices.find((s) => s.key === 'USA')!.rowCount).toBe(check.getRowObjectsJS()[0]!.n);
    });
  });
});
