import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { writeParquet } from '../data/test-support.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { readFeatureSpec } from './feature-spec.js';
import { trainLogisticRegression } from './train-logistic.js';

interface Reference {
  rows: Record<string, unknown>[];
  params: { label: string; numeric: string[]; categorical: string[]; l2: number; topK: number };
  expected: {
    numeric: { name: string; mean: number; std: number }[];
    categories: string[];
    intercept: number;
    numericWeights: number[];
    categoryWeights: number[];
  };
}

let dir: string;
let reference: Reference;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-train-'));
  reference = JSON.parse(await readFile(new URL('./fixtures/logistic-reference.json', import.meta.url), 'utf8')) as Reference;
  referencePath = join(dir, 'reference.ndjson');
  await writeFile(referencePath, reference.rows.map((r) => JSON.stringify(r)).join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trainLogisticRegression', () => {
  it('matches the weights scikit-learn fits on the same data and preprocessing', async () => {
    const trained = await trainLogisticRegression(referencePath, { ...reference.params, maxIterations: 500 });
    const { expected } = reference;
    expect(trained.converged).toBe(true);
    expect(trained.rows).toBe(300);
    trained.model.preprocessing.numeric.forEach((f, i) => {
      expect(f.name).toBe(expected.numeric[i]!.name);
      expect(f.mean).toBeCloseTo(expected.numeric[i]!.mean, 6);
      expect(f.std).toBeCloseTo(expected.numeric[i]!.std, 6);
    });
    expect(trained.model.preprocessing.categorical[0]!.categories).toEqual(expected.categories);
    expect(trained.model.intercept).toBeCloseTo(expected.intercept, 5);
    Array.from(trained.model.numericWeights).forEach((w, i) => expect(w).toBeCloseTo(expected.numericWeights[i]!, 5));
    Array.from(trained.model.categoricalWeights[0]!).forEach((w, i) => expect(w).toBeCloseTo(expected.categoryWeights[i]!, 5));
  });

  it('is deterministic', async () => {
    const a = await trainLogisticRegression(referencePath, reference.params);
    const b = await trainLogisticRegression(referencePath, reference.params);
    expect(Buffer.from(b.onnx).equals(Buffer.from(a.onnx))).toBe(true);
  });

  it('stores the feature spec in the model', async () => {
    const trained = await trainLogisticRegression(referencePath, reference.params);
    expect(readFeatureSpec(readOnnxHeader(trained.onnx).metadata)).toEqual({
      version: 1,
      trainer: 'logistic-regression',
      label: 'y',
      features: [
        { name: 'x1', kind: 'numeric' },
        { name: 'x2', kind: 'numeric' },
        { name: 'cat', kind: 'categorical' },
      ],
      trainingRows: 300,
    });
  });

  describe('refuses bad input with the culprit named', () => {
    const rejects = async (path: string, options: Parameters<typeof trainLogisticRegression>[1], field: string, message: RegExp) => {
      const error = await trainLogisticRegression(path, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as InvalidInputError).message).toMatch(message);
    };

    it('a missing label or feature column', async () => {
      await rejects(referencePath, { ...reference.params, label: 'delayed' }, 'label', /label column "delayed" is not in the dataset \(columns: x1, x2, cat, y\)/);
      await rejects(referencePath, { ...reference.params, numeric: ['x1', 'x3'] }, 'numeric[1]', /numeric feature column "x3" is not in the dataset/);
      await rejects(referencePath, { ...reference.params, categorical: ['kind'] }, 'categorical[0]', /categorical feature column "kind"/);
    });

    it('a text column listed as numeric', async () => {
      await rejects(referencePath, { ...reference.params, numeric: ['cat'], categorical: [] }, 'numeric[0]', /"cat" is VARCHAR, not a number/);
    });

    it('a label that is not 0/1, or missing', async () => {
      const path = join(dir, 'bad-label.parquet');
      await writeParquet(path, 'SELECT x::DOUBLE AS x, (x % 3)::INTEGER AS y FROM range(10) t(x)');
      await rejects(path, { label: 'y', numeric: ['x'] }, 'label', /must be 0 or 1 for classification, but 3 of 10 rows hold other values \(e\.g\. 2\)/);
      const missing = join(dir, 'missing-label.parquet');
      await writeParquet(missing, 'SELECT x::DOUBLE AS x, CASE WHEN x = 4 THEN NULL ELSE x % 2 END::INTEGER AS y FROM range(10) t(x)');
      await rejects(missing, { label: 'y', numeric: ['x'] }, 'label', /missing in 1 of 10 rows/);
    });

    it('no rows, or one class only', async () => {
      const empty = join(dir, 'empty.parquet');
      await writeParquet(empty, 'SELECT 1.0::DOUBLE AS x, 1 AS y WHERE false');
      await rejects(empty, { label: 'y', numeric: ['x'] }, 'examples', /no rows/);
      const oneClass = join(dir, 'one-class.parquet');
      await writeParquet(oneClass, 'SELECT x::DOUBLE AS x, 1 AS y FROM range(5) t(x)');
      await rejects(oneClass, { label: 'y', numeric: ['x'] }, 'label', /is 1 in all 5 rows; a classifier needs both classes/);
    });

    it('no features, a feature twice, the label as a feature, bad parameters', async () => {
      await rejects(referencePath, { label: 'y' }, 'numeric', /no features/);
      await rejects(referencePath, { label: 'y', numeric: ['x1'], categorical: ['x1'] }, 'categorical[0]', /"x1" is listed twice/);
      await rejects(referencePath, { label: 'y', numeric: ['y'] }, 'label', /both the label and a feature/);
      await rejects(referencePath, { ...reference.params, topK: 0 }, 'topK', /./);
    });

    it('an infinite numeric feature or timestamp; NaN counts as missing', async () => {
      const path = join(dir, 'infinite-feature.parquet');
      await writeParquet(
        path,
        `SELECT x::DOUBLE AS x, CASE WHEN x = 2 THEN 'NaN'::DOUBLE WHEN x IN (3, 7) THEN '-Infinity'::DOUBLE ELSE x END AS z,
                CASE WHEN x = 4 THEN 'infinity'::TIMESTAMP ELSE TIMESTAMP '2001-01-01' + INTERVAL (x) HOUR END AS t, (x % 2)::INTEGER AS y
         FROM range(10) t(x)`,
      );
      await rejects(path, { label: 'y', numeric: ['x', 'z'] }, 'numeric[1]', /numeric feature "z" is infinite \(or beyond float32's ±3\.4e38\) in 2 of 10 rows \(e\.g\. -inf\)/);
      await rejects(path, { label: 'y', numeric: ['x'], time: [{ column: 't' }] }, 'time[0].column', /time feature "t" is infinite in 1 of 10 rows \(e\.g\. infinity\)/);
      const nan = join(dir, 'nan-feature.parquet');
      await writeParquet(nan, "SELECT CASE WHEN x = 2 THEN 'NaN'::DOUBLE ELSE x END AS z, (x % 2)::INTEGER AS y FROM range(10) t(x)");
      const trained = await trainLogisticRegression(nan, { label: 'y', numeric: ['z'] });
      // The mean of the 9 present values, 0…9 without 2.
      expect(trained.model.preprocessing.numeric[0]!.mean).toBeCloseTo(43 / 9, 6);
    });

    it('a categorical column without values', async () => {
      const path = join(dir, 'empty-category.parquet');
      await writeParquet(path, "SELECT x::DOUBLE AS x, CASE WHEN x % 2 = 0 THEN '' ELSE NULL END AS c, (x % 2)::INTEGER AS y FROM range(6) t(x)");
      await rejects(path, { label: 'y', numeric: ['x'], categorical: ['c'] }, 'categorical[0]', /"c" has no non-empty values/);
    });
  });

  it('accepts a boolean label', async () => {
    const path = join(dir, 'boolean-label.parquet');
    await writeParquet(path, 'SELECT x::DOUBLE AS x, x > 4 AS y FROM range(10) t(x)');
    const trained = await trainLogisticRegression(path, { label: 'y', numeric: ['x'] });
    expect(trained.positives).toBe(5);
    expect(trained.model.numericWeights[0]).toBeGreaterThan(0);
  });
});
