import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.js';
import { writeParquet } from '../../data/test-support.js';
import { scoreDataset } from '../../evaluate/score-dataset.js';
import { readOnnxHeader } from '../../onnx/onnx-model.js';
import { readFeatureSpec } from '../feature-spec.js';
import type { CategoricalBins } from './binning.js';
import { trainGbdt } from './train-gbdt.js';

let dir: string;
let basic: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-gbdt-'));
  basic = join(dir, 'basic.parquet');
  // y depends on x and on the kind; `flat` never changes.
  await writeParquet(
    basic,
    `SELECT x::DOUBLE AS x, 7.0::DOUBLE AS flat, ['a', 'b', 'c', 'd'][1 + x % 4] AS kind,
            ((x % 4 IN (1, 3)) <> (hash(x) % 5 = 0) OR x > 1500)::INTEGER AS y
     FROM range(2000) t(x)`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trainGbdt', () => {
  it('learns from numeric and categorical columns, never splitting a constant one', async () => {
    const trained = await trainGbdt(basic, { label: 'y', task: 'classification', numeric: ['x', 'flat'], categorical: ['kind'], maxIterations: 50 });
    expect(trained.rows).toBe(2000);
    expect(trained.trainingRows + trained.validationRows).toBe(2000);
    expect(trained.validationRows).toBe(200);
    expect(trained.iterations).toBeGreaterThan(0);
    // A fifth of the labels below x = 1500 are flipped: about 0.38 is the best loss to be had.
    expect(trained.bestValidationLoss).toBeLessThan(0.42);
    const importance = Object.fromEntries(trained.featureImportance.map((f) => [f.name, f.gain]));
    expect(importance.flat).toBe(0);
    expect(importance.kind).toBeGreaterThan(0.2);
    expect(importance.x).toBeGreaterThan(0.2);
    expect(readFeatureSpec(readOnnxHeader(trained.onnx).metadata)).toEqual({
      version: 1,
      trainer: 'gradient-boosted-trees',
      label: 'y',
      features: [
        { name: 'x', kind: 'numeric' },
        { name: 'flat', kind: 'numeric' },
        { name: 'kind', kind: 'categorical' },
      ],
      trainingRows: 2000,
    });
  });

  it('writes the same model file byte for byte for the same data and seed', async () => {
    const options = { label: 'y', task: 'classification' as const, numeric: ['x'], categorical: ['kind'], maxIterations: 20 };
    const a = await trainGbdt(basic, options);
    const b = await trainGbdt(basic, options);
    expect(Buffer.from(b.onnx).equals(Buffer.from(a.onnx))).toBe(true);
  });

  it('keeps the most frequent categories of a column with 100k levels, the rest sharing one bin', async () => {
    const path = join(dir, 'many-levels.parquet');
    // 300k rows: 20 frequent levels carry the signal, 100k rare ones (3 rows each) are noise.
    await writeParquet(
      path,
      `SELECT CASE WHEN x < 100000 THEN 'f' || (x % 20) ELSE 'r' || (x % 100000) END AS code,
              CASE WHEN x < 100000 THEN (x % 20 < 7)::INTEGER ELSE (hash(x) % 3 = 0)::INTEGER END AS y
       FROM range(400000) t(x)`,
    );
    const trained = await trainGbdt(path, { label: 'y', task: 'classification', categorical: ['code'], maxIterations: 30, learningRate: 0.5, maxBins: 64 });
    const bins = trained.model.features[0] as CategoricalBins;
    expect(bins.categories).toHaveLength(63);
    expect(bins.categories.slice(0, 20).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `f${i}`).sort());
    expect(bins.otherBin).toBe(63);

    const modelPath = join(dir, 'many-levels.onnx');
    await writeFile(modelPath, trained.onnx);
    const probe = join(dir, 'many-levels-probe.parquet');
    await writeParquet(probe, "SELECT * FROM (VALUES ('f1', 1), ('f10', 0), ('never-seen', 0), ('r77', 1)) t(code, y)");
    const { predictions: probabilities } = await scoreDataset(modelPath, probe);
    expect(probabilities[0]).toBeGreaterThan(0.9);
    expect(probabilities[1]).toBeLessThan(0.1);
    // An unseen level and a rare one both fall in the "other" bin.
    expect(probabilities[2]).toBe(probabilities[3]);
  });

  it('predicts a number with task "regression"', async () => {
    const path = join(dir, 'regression.parquet');
    await writeParquet(path, "SELECT x::DOUBLE AS x, ['a', 'b'][1 + x % 2] AS side, (x / 10.0 + CASE WHEN x % 2 = 0 THEN 100 ELSE 0 END)::DOUBLE AS y FROM range(1000) t(x)");
    const trained = await trainGbdt(path, { label: 'y', task: 'regression', numeric: ['x'], categorical: ['side'], maxIterations: 200, learningRate: 0.3 });
    expect(trained.bestValidationLoss).toBeLessThan(1);
    expect(trained.featureImportance[1]!.gain).toBeGreaterThan(0.5);
  });

  describe('refuses bad input with the culprit named', () => {
    const rejects = async (path: string, options: Parameters<typeof trainGbdt>[1], field: string, message: RegExp) => {
      const error = await trainGbdt(path, options).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as InvalidInputError).message).toMatch(message);
    };
    const base = { label: 'y', task: 'classification' as const, numeric: ['x'] };

    it('a missing label or feature column, a text column as numeric', async () => {
      await rejects(basic, { ...base, label: 'delayed' }, 'label', /label column "delayed" is not in the dataset \(columns: x, flat, kind, y\)/);
      await rejects(basic, { ...base, numeric: ['x', 'z'] }, 'numeric[1]', /numeric feature column "z" is not in the dataset/);
      await rejects(basic, { ...base, categorical: ['sort'] }, 'categorical[0]', /categorical feature column "sort"/);
      await rejects(basic, { ...base, numeric: ['kind'] }, 'numeric[0]', /"kind" is VARCHAR, not a number/);
    });

    it('a classification label that is not 0/1, missing, or of one class', async () => {
      const path = join(dir, 'bad-label.parquet');
      await writeParquet(path, 'SELECT x::DOUBLE AS x, (x % 3)::INTEGER AS y FROM range(10) t(x)');
      await rejects(path, base, 'label', /must be 0 or 1 for classification, but 3 of 10 rows hold other values \(e\.g\. 2\)/);
      const missing = join(dir, 'missing-label.parquet');
      await writeParquet(missing, 'SELECT x::DOUBLE AS x, CASE WHEN x = 4 THEN NULL ELSE x % 2 END::INTEGER AS y FROM range(10) t(x)');
      await rejects(missing, base, 'label', /missing in 1 of 10 rows/);
      const oneClass = join(dir, 'one-class.parquet');
      await writeParquet(oneClass, 'SELECT x::DOUBLE AS x, 1 AS y FROM range(5) t(x)');
      await rejects(oneClass, base, 'label', /is 1 in all 5 rows; a classifier needs both classes/);
    });

    it('NaN or infinite labels', async () => {
      const path = join(dir, 'nan-label.parquet');
      await writeParquet(path, "SELECT x::DOUBLE AS x, CASE WHEN x = 3 THEN 'NaN'::DOUBLE WHEN x = 5 THEN '-Infinity'::DOUBLE ELSE x END AS y FROM range(10) t(x)");
      await rejects(path, { ...base, task: 'regression' }, 'label', /label "y" is NaN or infinite in 2 of 10 rows/);
      await rejects(path, base, 'label', /NaN or infinite in 2 of 10 rows/);
    });

    it('an infinite or float32-overflowing numeric feature, an infinite timestamp; NaN counts as missing', async () => {
      const path = join(dir, 'infinite-feature.parquet');
      await writeParquet(
        path,
        `SELECT x::DOUBLE AS x, CASE WHEN x = 2 THEN 'NaN'::DOUBLE WHEN x = 3 THEN 1e39 ELSE x END AS z,
                CASE WHEN x = 4 THEN '-infinity'::TIMESTAMP ELSE TIMESTAMP '2001-01-01' + INTERVAL (x) HOUR END AS t, (x % 2)::INTEGER AS y
         FROM range(10) t(x)`,
      );
      await rejects(path, { ...base, numeric: ['z'] }, 'numeric[0]', /numeric feature "z" is infinite \(or beyond float32's ±3\.4e38\) in 1 of 10 rows \(e\.g\. 1e\+39\)/);
      await rejects(path, { ...base, time: [{ column: 't', parts: ['hour'] }] }, 'time[0].column', /time feature "t" is infinite in 1 of 10 rows \(e\.g\. -infinity\)/);
      const nan = join(dir, 'nan-feature.parquet');
      await writeParquet(nan, "SELECT CASE WHEN x % 10 = 2 THEN 'NaN'::DOUBLE ELSE x END AS z, (x % 2)::INTEGER AS y FROM range(100) t(x)");
      const trained = await trainGbdt(nan, { label: 'y', task: 'classification', numeric: ['z'], earlyStopping: false, maxIterations: 2 });
      expect(trained.trainingRows).toBe(100);
    });

    it('no rows', async () => {
      const empty = join(dir, 'empty.parquet');
      await writeParquet(empty, 'SELECT 1.0::DOUBLE AS x, 1 AS y WHERE false');
      await rejects(empty, base, 'examples', /no rows/);
    });

    it('no features, a feature twice or named like an output, the label as a feature, bad parameters', async () => {
      await rejects(basic, { label: 'y', task: 'classification' }, 'numeric', /no features/);
      await rejects(basic, { ...base, categorical: ['x'] }, 'categorical[0]', /"x" is listed twice/);
      await rejects(basic, { ...base, numeric: ['y'] }, 'label', /both the label and a feature/);
      await rejects(basic, { label: 'y', task: 'regression', numeric: ['variable'] }, 'numeric[0]', /may not be named "variable"/);
      await rejects(basic, { ...base, maxBins: 256 }, 'maxBins', /./);
      await rejects(basic, { ...base, earlyStopping: { validationFraction: 1 } }, 'earlyStopping.validationFraction', /./);
      await rejects(basic, { ...base, task: 'ranking' as 'regression' }, 'task', /./);
    });
  });
});
