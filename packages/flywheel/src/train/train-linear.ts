import { z } from 'zod';
import { tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { checkDataset } from './dataset-checks.js';
import { featureSpecToJson, specFeatures, type FeatureSpec } from './feature-spec.js';
import { LINEAR_OUTPUTS, exportLinearRegressionOnnx } from './linear-onnx.js';
import { fitLinearRegression, type FitLinearResult } from './linear-regression.js';
import { linearFeatureParams, readLinearTrainingData } from './linear-training-data.js';
import type { TrainProgress } from './train-logistic.js';
import { parseTrainerParams } from './trainer-params.js';

/** Parameters of linear (ridge) regression training; defaults shown. */
export const trainLinearParams = z.object({
  /** Numeric column to predict. */
  label: z.string().min(1),
  ...linearFeatureParams,
  /** Ridge penalty `l2/2 · ‖w‖²` on the weights, next to half the mean squared error (scikit-learn's `Ridge(alpha = rows · l2)`); 0 for ordinary least squares. */
  l2: z.number().nonnegative().default(1e-4),
});

export type TrainLinearParams = z.infer<typeof trainLinearParams>;
export type TrainLinearOptions = z.input<typeof trainLinearParams>;

export interface TrainedLinear extends FitLinearResult {
  spec: FeatureSpec;
  /** The model as one ONNX graph, preprocessing included. */
  onnx: Uint8Array;
  rows: number;
  /** Where the time went: reading (checks included) with DuckDB, fitting, writing ONNX. */
  timings: { readMs: number; fitMs: number; exportMs: number };
}

/**
 * Trains a linear regression (ridge, or least squares with `l2: 0`) on a data file (Parquet,
 * CSV, …), solved exactly from the normal equations, and exports it as one ONNX graph with its
 * preprocessing. Deterministic. InvalidInputError, naming the parameter, for a missing column, a
 * label that is text, missing, NaN or infinite, a dataset without rows, an infinite feature value
 * (see `checkDataset`).
 *
 * @example
 *   const trained = await trainLinearRegression('jan.parquet', {
 *     label: 'delay', numeric: ['distance'], categorical: ['origin'], time: [{ column: 'date' }],
 *   });
 *   await writeFile('model.onnx', trained.onnx);
 */
export async function trainLinearRegression(
  datasetPath: string,
  options: TrainLinearOptions,
  context: { log?: TrainProgress; signal?: AbortSignal } = {},
): Promise<TrainedLinear> {
  const params = parseTrainerParams(trainLinearParams, options, () => LINEAR_OUTPUTS);
  const from = tableFunctionFor(datasetPath, 'examples');
  const started = performance.now();
  const { rows, preprocessing, matrix, labels } = await withDuckDb(async (db) => {
    const { rows } = await checkDataset(db, from, params, { task: 'regression' });
    return { rows, ...(await readLinearTrainingData(db, from, params, rows)) };
  });
  const read = performance.now();
  context.signal?.throwIfAborted();

  const fit = fitLinearRegression(matrix, labels, preprocessing, { l2: params.l2 });
  if (fit.aliased.length > 0) {
    context.log?.info(`${fit.aliased.length} columns depend linearly on earlier ones and get weight 0: ${fit.aliased.join(', ')}`);
  }
  const fitted = performance.now();
  const spec: FeatureSpec = {
    version: 1,
    trainer: 'linear-regression',
    label: params.label,
    features: specFeatures({ numeric: params.numeric, categorical: params.categorical, time: preprocessing.time }),
    trainingRows: rows,
  };
  const onnx = exportLinearRegressionOnnx(fit.model, spec);
  const exported = performance.now();
  return { ...fit, spec, onnx, rows, timings: { readMs: read - started, fitMs: fitted - read, exportMs: exported - fitted } };
}

/** What train-linear records on its Model artifact (and returns), e.g. for the tune component's trials too. */
export function linearModelSummary(trained: TrainedLinear, trainingSeconds: number) {
  return {
    featureSpec: featureSpecToJson(trained.spec),
    trainingRmse: trained.rmse,
    trainingR2: trained.r2,
    aliasedColumns: trained.aliased,
    trainingSeconds,
    trainingRows: trained.rows,
  };
}
