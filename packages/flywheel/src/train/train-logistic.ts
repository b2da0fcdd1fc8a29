import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { describeColumns, isNumericType, requireColumn } from './columns.js';
import { designMatrix, readRawFeatures } from './design-matrix.js';
import type { FeatureSpec } from './feature-spec.js';
import { LOGISTIC_OUTPUTS, exportLogisticOnnx } from './logistic-onnx.js';
import { fitLogisticRegression, type LogisticModel } from './logistic-regression.js';
import { learnCategories, learnStandardisation, type Preprocessing } from './preprocessing.js';
import { parseTrainerParams } from './trainer-params.js';

const column = z.string().min(1);

/** Parameters of logistic regression training; defaults shown. */
export const trainLogisticParams = z.object({
  /** 0/1 (or boolean) column to predict. */
  label: column,
  /** Numeric columns: standardised, missing → mean. */
  numeric: z.array(column).default([]),
  /** Columns one-hot encoded over their `topK` most frequent values; others and missing → all zeros. */
  categorical: z.array(column).default([]),
  /** L2 penalty on the weights. */
  l2: z.number().nonnegative().default(1e-4),
  maxIterations: z.number().int().positive().default(200),
  topK: z.number().int().positive().default(100),
});

export type TrainLogisticParams = z.infer<typeof trainLogisticParams>;
export type TrainLogisticOptions = z.input<typeof trainLogisticParams>;

export interface TrainedLogistic {
  model: LogisticModel;
  spec: FeatureSpec;
  /** The model as one ONNX graph, preprocessing included. */
  onnx: Uint8Array;
  /** Mean log loss plus penalty on the training data. */
  loss: number;
  iterations: number;
  converged: boolean;
  rows: number;
  positives: number;
}

export interface TrainProgress {
  info(message: string): void;
}

/**
 * Trains an L2-regularised logistic regression on a data file (Parquet, CSV, …) and exports it
 * as ONNX. InvalidInputError, naming the parameter, for a missing column, a label that is not
 * 0/1, a dataset without rows or with one class only.
 *
 * @example
 *   const trained = await trainLogisticRegression('jan.parquet', {
 *     label: 'delayed', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'],
 *   });
 *   await writeFile('model.onnx', trained.onnx);
 */
export async function trainLogisticRegression(
  datasetPath: string,
  options: TrainLogisticOptions,
  context: { log?: TrainProgress; signal?: AbortSignal } = {},
): Promise<TrainedLogistic> {
  const params = parseTrainerParams(trainLogisticParams, options, () => LOGISTIC_OUTPUTS);
  const from = tableFunctionFor(datasetPath, 'examples');
  return withDuckDb(async (db) => {
    const columns = await describeColumns(db, from);
    const labelColumn = requireColumn(columns, params.label, 'label', 'label');
    if (!isNumericType(labelColumn.type)) {
      throw new InvalidInputError('label', `label column ${JSON.stringify(params.label)} is ${labelColumn.type}; it must hold 0/1 numbers or booleans`);
    }
    params.numeric.forEach((name, i) => {
      const found = requireColumn(columns, name, `numeric[${i}]`, 'numeric feature');
      if (!isNumericType(found.type)) {
        throw new InvalidInputError(`numeric[${i}]`, `column ${JSON.stringify(name)} is ${found.type}, not a number`, 'list it under categorical');
      }
    });
    params.categorical.forEach((name, i) => requireColumn(columns, name, `categorical[${i}]`, 'categorical feature'));

    const { rows, positives } = await checkLabel(db, from, params.label);
    const categorical = await learnCategories(db, from, params.categorical, params.topK);
    categorical.forEach((feature, i) => {
      if (feature.categories.length === 0) {
        throw new InvalidInputError(`categorical[${i}]`, `column ${JSON.stringify(feature.name)} has no non-empty values in ${rows} rows`);
      }
    });
    const raw = await readRawFeatures(db, from, { numeric: params.numeric, categorical }, params.label);
    const preprocessing: Preprocessing = {
      numeric: params.numeric.map((name, j) => learnStandardisation(name, raw.numeric[j] as Float32Array)),
      categorical,
    };
    const matrix = designMatrix(raw, preprocessing.numeric);
    context.signal?.throwIfAborted();

    const fit = fitLogisticRegression(matrix, raw.labels as Float64Array, preprocessing, {
      l2: params.l2,
      maxIterations: params.maxIterations,
      signal: context.signal,
      onIteration: (iteration, loss) => {
        if (iteration % 25 === 0) context.log?.info(`iteration ${iteration}: loss ${loss.toFixed(6)}`);
      },
    });
    const spec: FeatureSpec = {
      version: 1,
      trainer: 'logistic-regression',
      label: params.label,
      features: [
        ...params.numeric.map((name) => ({ name, kind: 'numeric' as const })),
        ...params.categorical.map((name) => ({ name, kind: 'categorical' as const })),
      ],
      trainingRows: rows,
    };
    return { ...fit, spec, onnx: exportLogisticOnnx(fit.model, spec), rows, positives };
  });
}

/** Checks the label is 0/1 everywhere and both classes occur; returns row and positive counts. */
async function checkLabel(db: DuckDBConnection, from: string, label: string): Promise<{ rows: number; positives: number }> {
  const y = `TRY_CAST(${quoteIdentifier(label)} AS DOUBLE)`;
  const result = await db.runAndReadAll(
    `SELECT count(*)::DOUBLE AS n,
            count(*) FILTER (WHERE ${y} = 1)::DOUBLE AS positives,
            count(*) FILTER (WHERE ${quoteIdentifier(label)} IS NULL)::DOUBLE AS missing,
            count(*) FILTER (WHERE ${y} IS DISTINCT FROM 0 AND ${y} IS DISTINCT FROM 1 AND ${quoteIdentifier(label)} IS NOT NULL)::DOUBLE AS bad,
            any_value(CAST(${quoteIdentifier(label)} AS VARCHAR)) FILTER (WHERE ${y} IS DISTINCT FROM 0 AND ${y} IS DISTINCT FROM 1) AS example
     FROM ${from}`,
  );
  const row = result.getRowObjectsJS()[0] ?? {};
  const rows = Number(row.n ?? 0);
  const positives = Number(row.positives ?? 0);
  const missing = Number(row.missing ?? 0);
  const bad = Number(row.bad ?? 0);
  if (rows === 0) throw new InvalidInputError('examples', 'the dataset has no rows');
  if (missing > 0) throw new InvalidInputError('label', `label ${JSON.stringify(label)} is missing in ${missing} of ${rows} rows`, 'filter those rows out before training');
  if (bad > 0) {
    throw new InvalidInputError('label', `label ${JSON.stringify(label)} must be 0 or 1, but ${bad} of ${rows} rows hold other values (e.g. ${String(row.example)})`);
  }
  if (positives === 0 || positives === rows) {
    throw new InvalidInputError('label', `label ${JSON.stringify(label)} is ${positives === 0 ? 0 : 1} in all ${rows} rows; a classifier needs both classes`);
  }
  return { rows, positives };
}
