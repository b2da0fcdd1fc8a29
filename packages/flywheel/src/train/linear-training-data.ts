import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { designMatrix, readRawFeatures, type DesignMatrix } from './design-matrix.js';
import { learnCategories, learnStandardisation, type Preprocessing } from './preprocessing.js';
import { timeFeaturesOf, timeFeaturesParam } from './time-parts.js';
import type { FeatureParams } from './trainer-params.js';

const column = z.string().min(1);

/**
 * The feature parameters of the linear trainers (logistic and linear regression), to spread into
 * their schemas; defaults shown.
 *
 * @example
 *   z.object({ label: z.string(), ...linearFeatureParams, l2: z.number().default(1e-4) })
 */
export const linearFeatureParams = {
  /** Numeric columns: standardised, missing → mean. */
  numeric: z.array(column).default([]),
  /** Columns one-hot encoded over their `topK` most frequent values; others and missing → all zeros. */
  categorical: z.array(column).default([]),
  /** Timestamp columns and the UTC parts derived from each, every part one-hot encoded over its values. */
  time: timeFeaturesParam,
  /** Categories kept per categorical column (ties broken alphabetically). */
  topK: z.number().int().positive().default(100),
};

/** A linear trainer's data: the preprocessing learned from it, its design matrix and labels. */
export interface LinearTrainingData {
  preprocessing: Preprocessing;
  matrix: DesignMatrix;
  labels: Float64Array;
}

/**
 * Learns the preprocessing of the linear trainers from a dataset already checked by
 * `checkDataset` — the `topK` categories of each categorical column (InvalidInputError for one
 * without values), mean and standard deviation of each numeric one — and reads the design
 * matrix and the labels.
 *
 * @example
 *   const { preprocessing, matrix, labels } = await readLinearTrainingData(db, from, params, rows);
 */
export async function readLinearTrainingData(
  db: DuckDBConnection,
  from: string,
  params: FeatureParams & { topK: number },
  rows: number,
): Promise<LinearTrainingData> {
  const categorical = await learnCategories(db, from, params.categorical, params.topK);
  categorical.forEach((feature, i) => {
    if (feature.categories.length === 0) {
      throw new InvalidInputError(`categorical[${i}]`, `column ${JSON.stringify(feature.name)} has no non-empty values in ${rows} rows`);
    }
  });
  const time = timeFeaturesOf(params.time);
  const raw = await readRawFeatures(db, from, { numeric: params.numeric, categorical, time }, params.label);
  const preprocessing: Preprocessing = {
    numeric: params.numeric.map((name, j) => learnStandardisation(name, raw.numeric[j] as Float32Array)),
    categorical,
    time,
  };
  return { preprocessing, matrix: designMatrix(raw, preprocessing.numeric), labels: raw.labels as Float64Array };
}
