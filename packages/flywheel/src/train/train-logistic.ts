import { z } from 'zod';
import { tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { checkDataset } from './dataset-checks.js';
import { featureSpecToJson, specFeatures, type FeatureSpec } from './feature-spec.js';
import { linearFeatureParams, readLinearTrainingData } from './linear-training-data.js';
import { LOGISTIC_OUTPUTS, exportLogisticOnnx } from './logistic-onnx.js';
import { fitLogisticRegression, type LogisticModel } from './logistic-regression.js';
import { parseTrainerParams } from './trainer-params.js';

/** Parameters of logistic regression training; defaults shown. */
export const trainLogisticParams = z.object({
  /** 0/1 (or boolean) column to predict. */
  label: z.string().min(1),
  ...linearFeatureParams,
  /** L2 penalty `l2/2 · ‖w‖²` on the weights, next to the mean log loss. */
  l2: z.number().nonnegative().default(1e-4),
  maxIterations: z.number().int().positive().default(200),
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
 * 0/1, a dataset without rows or with one class only, an infinite feature value (see
 * `checkDataset`).
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
    const { rows, positives } = await checkDataset(db, from, params, { task: 'classification', notBinaryHint: 'train-linear predicts a number' });
    const { preprocessing, matrix, labels } = await readLinearTrainingData(db, from, params, rows);
    context.signal?.throwIfAborted();

    const fit = fitLogisticRegression(matrix, labels, preprocessing, {
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
      features: specFeatures({ numeric: params.numeric, categorical: params.categorical, time: preprocessing.time }),
      trainingRows: rows,
    };
    return { ...fit, spec, onnx: exportLogisticOnnx(fit.model, spec), rows, positives };
  });
}

/** What train-logistic records on its Model artifact (and returns), e.g. for the tune component's trials too. */
export function logisticModelSummary(trained: TrainedLogistic) {
  return {
    featureSpec: featureSpecToJson(trained.spec),
    trainingLoss: trained.loss,
    iterations: trained.iterations,
    converged: trained.converged,
    trainingRows: trained.rows,
  };
}
