import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { quoteIdentifier, tableFunctionFor, withDuckDb } from '../../data/duckdb.js';
import { describeColumns, isNumericType, requireColumn } from '../columns.js';
import type { FeatureSpec } from '../feature-spec.js';
import { learnCategories } from '../preprocessing.js';
import { parseTrainerParams } from '../trainer-params.js';
import type { TrainProgress } from '../train-logistic.js';
import { fitGbdt, type FitGbdtResult } from './fit-gbdt.js';
import { GBDT_OUTPUTS, exportGbdtOnnx } from './gbdt-onnx.js';
import { readGbdtColumns } from './gbdt-columns.js';

const column = z.string().min(1);

/** Parameters of gradient-boosted tree training; defaults shown. */
export const trainGbdtParams = z.object({
  /** Column to predict: 0/1 (or boolean) for classification, a number for regression. */
  label: column,
  task: z.enum(['classification', 'regression']),
  /** Numeric columns, binned by quantiles; missing values get their own bin. */
  numeric: z.array(column).default([]),
  /** Columns split by sets of categories; the `maxBins − 1` most frequent are kept, the rest share one bin. */
  categorical: z.array(column).default([]),
  /** Trees at most (boosting rounds). */
  maxIterations: z.number().int().positive().default(200),
  /** Shrinkage applied to every leaf value. */
  learningRate: z.number().positive().default(0.1),
  /** Leaves per tree at most; trees grow best split first. */
  maxLeafNodes: z.number().int().min(2).default(31),
  /** Depth per tree at most (root = 0); no limit when absent. */
  maxDepth: z.number().int().positive().optional(),
  /** Training rows a leaf needs at least. */
  minSamplesLeaf: z.number().int().positive().default(20),
  /** Sum of hessians a leaf needs at least. */
  minHessianLeaf: z.number().nonnegative().default(1e-3),
  /** L2 penalty on leaf values. */
  l2: z.number().nonnegative().default(0),
  /** Bins per feature at most, besides the missing bin. */
  maxBins: z.number().int().min(2).max(255).default(255),
  /** Hold out a share of the rows and stop when their loss stops improving; `false` grows all trees. */
  earlyStopping: z
    .union([
      z.literal(false),
      z.object({
        validationFraction: z.number().gt(0).lt(1).default(0.1),
        patience: z.number().int().positive().default(10),
      }),
    ])
    .default({ validationFraction: 0.1, patience: 10 }),
  /** Seeds the validation split and the sample the bin edges are placed on. */
  seed: z.number().int().nonnegative().default(0),
});

export type TrainGbdtParams = z.infer<typeof trainGbdtParams>;
export type TrainGbdtOptions = z.input<typeof trainGbdtParams>;

export interface TrainedGbdt extends FitGbdtResult {
  spec: FeatureSpec;
  /** The model as one ONNX graph, preprocessing included. */
  onnx: Uint8Array;
  /** Rows in the dataset (training and validation). */
  rows: number;
  /** Where the time went: reading with DuckDB, fitting (binning included), writing ONNX. */
  timings: { readMs: number; fitMs: number; exportMs: number };
}

/**
 * Trains gradient-boosted trees on a data file (Parquet, CSV, …) and exports them as one ONNX
 * graph with their preprocessing. InvalidInputError, naming the parameter, for a missing
 * column, a text column listed as numeric, a missing or non-finite label, a classification
 * label that is not 0/1 or has one class only, or a dataset without rows.
 *
 * @example
 *   const trained = await trainGbdt('jan.parquet', {
 *     label: 'delayed', task: 'classification', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'],
 *   });
 *   await writeFile('model.onnx', trained.onnx);
 */
export async function trainGbdt(
  datasetPath: string,
  options: TrainGbdtOptions,
  context: { log?: TrainProgress; signal?: AbortSignal } = {},
): Promise<TrainedGbdt> {
  const params = parseTrainerParams(trainGbdtParams, options, (p) => GBDT_OUTPUTS[p.task]);
  const from = tableFunctionFor(datasetPath, 'examples');
  const started = performance.now();
  const { data, rows } = await withDuckDb(async (db) => {
    const columns = await describeColumns(db, from);
    const labelColumn = requireColumn(columns, params.label, 'label', 'label');
    if (!isNumericType(labelColumn.type)) {
      throw new InvalidInputError('label', `label column ${JSON.stringify(params.label)} is ${labelColumn.type}; it must hold ${params.task === 'classification' ? '0/1 numbers or booleans' : 'numbers'}`);
    }
    params.numeric.forEach((name, i) => {
      const found = requireColumn(columns, name, `numeric[${i}]`, 'numeric feature');
      if (!isNumericType(found.type)) {
        throw new InvalidInputError(`numeric[${i}]`, `column ${JSON.stringify(name)} is ${found.type}, not a number`, 'list it under categorical');
      }
    });
    params.categorical.forEach((name, i) => requireColumn(columns, name, `categorical[${i}]`, 'categorical feature'));
    const rows = await checkLabel(db, from, params.label, params.task);
    const categorical = await learnCategories(db, from, params.categorical, params.maxBins - 1);
    const read = await readGbdtColumns(db, from, { numeric: params.numeric, categorical }, params.label);
    return {
      rows,
      data: {
        rows: read.rows,
        numeric: params.numeric.map((name, j) => ({ name, values: read.numeric[j] as Float32Array })),
        categorical: categorical.map((feature, c) => ({ name: feature.name, categories: feature.categories, codes: read.categorical[c] as Int32Array })),
        labels: read.labels as Float64Array,
      },
    };
  });
  const read = performance.now();
  context.signal?.throwIfAborted();

  const fit = fitGbdt(data, {
    ...params,
    signal: context.signal,
    onIteration: (iteration, validationLoss) => {
      if (iteration % 25 === 0) context.log?.info(`tree ${iteration}${validationLoss === undefined ? '' : `: validation loss ${validationLoss.toFixed(6)}`}`);
    },
  });
  const fitted = performance.now();
  const spec: FeatureSpec = {
    version: 1,
    trainer: 'gradient-boosted-trees',
    label: params.label,
    features: [
      ...params.numeric.map((name) => ({ name, kind: 'numeric' as const })),
      ...params.categorical.map((name) => ({ name, kind: 'categorical' as const })),
    ],
    trainingRows: rows,
  };
  const onnx = exportGbdtOnnx(fit.model, spec, { iterations: fit.iterations, bestValidationLoss: fit.bestValidationLoss, learningRate: params.learningRate });
  const exported = performance.now();
  return { ...fit, spec, onnx, rows, timings: { readMs: read - started, fitMs: fitted - read, exportMs: exported - fitted } };
}

/** Checks the label is present and finite everywhere (and 0/1 with both classes to classify); returns the row count. */
async function checkLabel(db: DuckDBConnection, from: string, label: string, task: TrainGbdtParams['task']): Promise<number> {
  const raw = quoteIdentifier(label);
  const y = `TRY_CAST(${raw} AS DOUBLE)`;
  const result = await db.runAndReadAll(
    `SELECT count(*)::DOUBLE AS n,
            count(*) FILTER (WHERE ${raw} IS NULL)::DOUBLE AS missing,
            count(*) FILTER (WHERE isnan(${y}) OR isinf(${y}))::DOUBLE AS nonfinite,
            any_value(CAST(${raw} AS VARCHAR)) FILTER (WHERE isnan(${y}) OR isinf(${y})) AS nonfiniteExample,
            count(*) FILTER (WHERE ${y} = 1)::DOUBLE AS positives,
            count(*) FILTER (WHERE ${y} IS DISTINCT FROM 0 AND ${y} IS DISTINCT FROM 1 AND ${raw} IS NOT NULL)::DOUBLE AS bad,
            any_value(CAST(${raw} AS VARCHAR)) FILTER (WHERE ${y} IS DISTINCT FROM 0 AND ${y} IS DISTINCT FROM 1) AS badExample
     FROM ${from}`,
  );
  const row = result.getRowObjectsJS()[0] ?? {};
  const rows = Number(row.n ?? 0);
  const missing = Number(row.missing ?? 0);
  const nonfinite = Number(row.nonfinite ?? 0);
  const positives = Number(row.positives ?? 0);
  const bad = Number(row.bad ?? 0);
  const name = JSON.stringify(label);
  if (rows === 0) throw new InvalidInputError('examples', 'the dataset has no rows');
  if (missing > 0) throw new InvalidInputError('label', `label ${name} is missing in ${missing} of ${rows} rows`, 'filter those rows out before training');
  if (nonfinite > 0) {
    throw new InvalidInputError('label', `label ${name} is NaN or infinite in ${nonfinite} of ${rows} rows (e.g. ${String(row.nonfiniteExample)})`, 'filter those rows out before training');
  }
  if (task === 'classification') {
    if (bad > 0) {
      throw new InvalidInputError('label', `label ${name} must be 0 or 1 for classification, but ${bad} of ${rows} rows hold other values (e.g. ${String(row.badExample)})`, 'use task "regression" to predict a number');
    }
    if (positives === 0 || positives === rows) {
      throw new InvalidInputError('label', `label ${name} is ${positives === 0 ? 0 : 1} in all ${rows} rows; a classifier needs both classes`);
    }
  }
  return rows;
}
