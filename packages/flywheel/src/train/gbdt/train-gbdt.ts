import { z } from 'zod';
import { tableFunctionFor, withDuckDb } from '../../data/duckdb.js';
import { checkDataset } from '../dataset-checks.js';
import { featureSpecToJson, specFeatures, type FeatureSpec } from '../feature-spec.js';
import { learnCategories } from '../preprocessing.js';
import { timeFeaturesOf, timeFeaturesParam, timePartName } from '../time-parts.js';
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
  /** Timestamp columns and the UTC parts derived from each, every part a numeric feature (binned like one). */
  time: timeFeaturesParam,
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
 * label that is not 0/1 or has one class only, a dataset without rows, or an infinite feature
 * value (see `checkDataset`). `context.helperThread` as in FitGbdtOptions.
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
  context: { log?: TrainProgress; signal?: AbortSignal; helperThread?: boolean } = {},
): Promise<TrainedGbdt> {
  const params = parseTrainerParams(trainGbdtParams, options, (p) => GBDT_OUTPUTS[p.task]);
  const from = tableFunctionFor(datasetPath, 'examples');
  const started = performance.now();
  const time = timeFeaturesOf(params.time);
  const { data, rows } = await withDuckDb(async (db) => {
    const { rows } = await checkDataset(db, from, params, { task: params.task, notBinaryHint: 'use task "regression" to predict a number' });
    const categorical = await learnCategories(db, from, params.categorical, params.maxBins - 1);
    const read = await readGbdtColumns(db, from, { numeric: params.numeric, categorical, time }, params.label);
    const numericNames = [...params.numeric, ...time.flatMap((t) => t.parts.map((part) => timePartName(t.name, part)))];
    return {
      rows,
      data: {
        rows: read.rows,
        numeric: numericNames.map((name, j) => ({ name, values: read.numeric[j] as Float32Array })),
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
    helperThread: context.helperThread,
    onIteration: (iteration, validationLoss) => {
      if (iteration % 25 === 0) context.log?.info(`tree ${iteration}${validationLoss === undefined ? '' : `: validation loss ${validationLoss.toFixed(6)}`}`);
    },
  });
  const fitted = performance.now();
  const spec: FeatureSpec = {
    version: 1,
    trainer: 'gradient-boosted-trees',
    label: params.label,
    features: specFeatures({ numeric: params.numeric, categorical: params.categorical, time }),
    trainingRows: rows,
  };
  const onnx = exportGbdtOnnx(fit.model, spec, { iterations: fit.iterations, bestValidationLoss: fit.bestValidationLoss, learningRate: params.learningRate });
  const exported = performance.now();
  return { ...fit, spec, onnx, rows, timings: { readMs: read - started, fitMs: fitted - read, exportMs: exported - fitted } };
}

/** What train-gbdt records on its Model artifact (and returns), e.g. for the tune component's trials too. */
export function gbdtModelSummary(trained: TrainedGbdt, task: TrainGbdtParams['task'], trainingSeconds: number) {
  return {
    featureSpec: featureSpecToJson(trained.spec),
    task,
    iterations: trained.iterations,
    bestValidationLoss: trained.bestValidationLoss,
    trainingLoss: trained.trainingLoss,
    trainingSeconds,
    trainingRows: trained.rows,
    featureImportance: Object.fromEntries(trained.featureImportance.map((f) => [f.name, f.gain])),
  };
}
