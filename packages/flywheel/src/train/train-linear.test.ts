import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { writeParquet } from '../data/test-support.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { readDesignMatrix } from './design-matrix.js';
import { readFeatureSpec } from './feature-spec.js';
import { predictLinearRegression } from './linear-regression.js';
import { columnNames, flatWeights } from './linear-weights.js';
import { trainLinearRegression, type TrainLinearOptions } from './train-linear.js';

interface ReferenceCase {
  params: TrainLinearOptions & { topK: number; l2: number };
  expected: {
    numeric: { name: string; mean: number; std: number }[];
    categories: Record<string, string[]>;
    columns: string[];
    intercept: number;
    weights: number[];
    aliased: string[];
    /** Of the first 20 rows. */
    predictions: number[];
  };
}

let dir: string;
let cases: Record<'ridge' | 'ols' | 'aliased', ReferenceCase>;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-linear-'));
  const reference = JSON.parse(await readFile(new URL('./fixtures/linear-reference.json', import.meta.url), 'utf8')) as { rows: unknown[]; cases: typeof cases };
  cases = reference.cases;
  referencePath = join(dir, 'reference.ndjson');
  await writeFile(referencePath, reference.rows.map((r) => JSON.stringify(r)).join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trainLinearRegression', () => {
  it.each(['ridge', 'ols', 'aliased'] as const)('matches scikit-learn on the same data and preprocessing (%s)', async (name) => {
    const { params, expected } = cases[name];
    const trained = await trainLinearRegression(referencePath, params);
    const { preprocessing } = trained.model;
    expect(trained.rows).toBe(300);
    preprocessing.numeric.forEach((f, i) => {
      expect(f.name).toBe(expected.numeric[i]!.name);
      expect(f.mean).toBeCloseTo(expected.numeric[i]!.mean, 6);
      expect(f.std).toBeCloseTo(expected.numeric[i]!.std, 6);
    });
    expect(Object.fromEntries(preprocessing.categorical.map((f) => [f.name, f.categories]))).toEqual(expected.categories);
    expect(columnNames(preprocessing)).toEqual(expected.columns);
    expect(trained.aliased).toEqual(expected.aliased);
    expect(trained.model.intercept).toBeCloseTo(expected.intercept, 6);
    flatWeights(trained.model).forEach((w, j) => expect(w, expected.columns[j]).toBeCloseTo(expected.weights[j]!, 6));

    const predictions = await withDuckDb(async (db) => predictLinearRegression(trained.model, await readDesignMatrix(db, tableFunctionFor(referencePath), preprocessing)));
    expected.predictions.forEach((p, i) => expect(predictions[i]).toBeCloseTo(p, 6));
  });

  it('learns nothing from a constant column: standardised to 0, weight 0 (aliased with the intercept at l2 = 0)', async () => {
    const path = join(dir, 'constant.parquet');
    await writeParquet(path, 'SELECT x::DOUBLE AS x, 7.5::DOUBLE AS flat, 2 * x + 1 AS y FROM range(200) t(x)');
    for (const l2 of [0, 1e-3]) {
      const trained = await trainLinearRegression(path, { label: 'y', numeric: ['x', 'flat'], l2 });
      expect(trained.model.preprocessing.numeric[1]).toMatchObject({ name: 'flat', mean: 7.5, std: 1 });
      expect(trained.model.numericWeights[1]).toBe(0);
      expect(trained.aliased).toEqual(l2 === 0 ? ['flat'] : []);
      expect(predictLinearRegression(trained.model, await withDuckDb((db) => readDesignMatrix(db, tableFunctionFor(path), trained.model.preprocessing)))[10]).toBeCloseTo(21, l2 === 0 ? 6 : 0);
    }
  });

  it('is deterministic', async () => {
    const a = await trainLinearRegression(referencePath, cases.ridge.params);
    const b = await trainLinearRegression(referencePath, cases.ridge.params);
    expect(Buffer.from(b.onnx).equals(Buffer.from(a.onnx))).toBe(true);
  });

  it('stores the feature spec in the model, a timestamp with its parts', async () => {
    const trained = await trainLinearRegression(referencePath, { ...cases.ridge.params, time: [{ column: 'ts', parts: ['month', 'hour'] }] });
    expect(readFeatureSpec(readOnnxHeader(trained.onnx).metadata)).toEqual({
      version: 1,
      trainer: 'linear-regression',
      label: 'y',
      features: [
        { name: 'x1', kind: 'numeric' },
        { name: 'x2', kind: 'numeric' },
        { name: 'cat', kind: 'categorical' },
        { name: 'ts', kind: 'timestamp', parts: ['month', 'hour'] },
      ],
      trainingRows: 300,
    });
    expect(trained.r2).toBeGreaterThan(0.9);
    // The noise has standard deviation 0.5; missing values of x2 and cat add to it.
    expect(trained.rmse).toBeLessThan(0.75);
  });

  it('takes all three time parts when none are listed', async () => {
    const trained = await trainLinearRegression(referencePath, { label: 'y', time: [{ column: 'ts' }] });
    expect(trained.model.preprocessing.time).toEqual([{ name: 'ts', parts: ['hour', 'dayOfWeek', 'month'] }]);
  });

  describe('refuses bad input with the culprit named', () => {
    const rejects = async (path: string, options: TrainLinearOptions, field: string, message: RegExp) => {
      const error = await trainLinearRegression(path, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as InvalidInputError).message).toMatch(message);
    };

    it('a label that is text, missing, NaN or infinite', async () => {
      const text = join(dir, 'text-label.csv');
      await writeFile(text, 'x,y\n1,2.5\n2,n/a\n3,4\n4,unknown\n');
      await rejects(text, { label: 'y', numeric: ['x'] }, 'label', /label column "y" is VARCHAR; it must hold numbers: 2 of 4 rows hold text that is not a number \(e\.g\. "(n\/a|unknown)"\)/);
      const missing = join(dir, 'missing-label.parquet');
      await writeParquet(missing, 'SELECT x::DOUBLE AS x, CASE WHEN x IN (2, 4) THEN NULL ELSE x END::DOUBLE AS y FROM range(10) t(x)');
      await rejects(missing, { label: 'y', numeric: ['x'] }, 'label', /label "y" is missing in 2 of 10 rows/);
      const nonfinite = join(dir, 'nan-label.parquet');
      await writeParquet(nonfinite, "SELECT x::DOUBLE AS x, CASE WHEN x = 3 THEN 'NaN'::DOUBLE WHEN x = 5 THEN 'Infinity'::DOUBLE ELSE x END AS y FROM range(10) t(x)");
      await rejects(nonfinite, { label: 'y', numeric: ['x'] }, 'label', /label "y" is NaN or infinite in 2 of 10 rows \(e\.g\. (nan|inf)\)/);
    });

    it('no rows', async () => {
      const empty = join(dir, 'empty.parquet');
      await writeParquet(empty, 'SELECT 1.0::DOUBLE AS x, 1.0::DOUBLE AS y WHERE false');
      await rejects(empty, { label: 'y', numeric: ['x'] }, 'examples', /no rows/);
    });

    it('a missing column, a time column that is not a timestamp, a part listed twice', async () => {
      await rejects(referencePath, { label: 'y', numeric: ['x1'], time: [{ column: 'when' }] }, 'time[0].column', /time feature column "when" is not in the dataset/);
      await rejects(referencePath, { label: 'y', time: [{ column: 'x1' }] }, 'time[0].column', /column "x1" is DOUBLE, not a DATE, TIMESTAMP or TIMESTAMPTZ/);
      await rejects(referencePath, { label: 'y', time: [{ column: 'ts', parts: ['hour', 'hour'] }] }, 'time.0.parts', /lists a part twice/);
      await rejects(referencePath, { label: 'y', numeric: ['x1'], time: [{ column: 'x1' }] }, 'time[0].column', /"x1" is listed twice/);
      await rejects(referencePath, { label: 'y', numeric: ['variable'] }, 'numeric[0]', /may not be named "variable"/);
    });
  });
});
