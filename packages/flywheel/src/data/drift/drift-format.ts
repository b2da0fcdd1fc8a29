import { z } from 'zod';
import { readFormatFile } from '../format-file.js';
import { DRIFT_KINDS } from './options.js';

/** The `format` tag of a drift report; bumped when a field changes meaning or goes away. */
export const DRIFT_FORMAT = 'flywheel.drift/v1';

const count = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();

/** One side of the comparison: where it came from and how many rows it had. */
const source = z.strictObject({
  /** The data file or drift profile that was read, as given. */
  path: z.string(),
  /** `data` (a Parquet, CSV or JSON file, scanned) or `profile` (a flywheel.drift-profile/v1 document). */
  from: z.enum(['data', 'profile']),
  rows: count,
});

/** Rows of one side of a feature. */
const sideCounts = z.strictObject({
  /** Rows with a usable value (non-NULL; for numeric features also finite). */
  count,
  /** NULL rows. */
  missing: count,
  /** NaN and ±Infinity rows (numeric features only; 0 otherwise). */
  nonFinite: count,
});

/** One threshold comparison behind a verdict. */
const check = z.strictObject({
  /** `ks_p_value`, `chi_square_p_value`, `ks_statistic`, `wasserstein_normalized`, `psi`, `jensen_shannon` or `l_infinity`. */
  test: z.string(),
  /** `significance` (a p-value that must be below its threshold) or `effect` (a distance that must reach it). */
  role: z.enum(['significance', 'effect']),
  /** The measured value; null when it cannot be computed (a normalised distance over a constant reference). */
  value: z.number().nullable(),
  threshold: z.number(),
  /** p-value below, or distance at or above, the threshold (a null value with a non-zero distance counts as reached). */
  met: z.boolean(),
});

const bins = z.strictObject({
  /** Bin j holds edges[j−1] < v <= edges[j]; the first and last bins are open-ended. */
  edges: z.array(z.number()),
  reference: z.array(nonNegative),
  current: z.array(nonNegative),
});

const histogram = z.strictObject({
  /** histogramBins + 1 equally spaced edges over both sides' joint range. */
  edges: z.array(z.number()),
  reference: z.array(nonNegative),
  current: z.array(nonNegative),
});

const moments = z.strictObject({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Sample standard deviation (n − 1); null with a single value. */
  std: z.number().nullable(),
});

const numericDetails = z.strictObject({
  tests: z.strictObject({
    ks: z.strictObject({ statistic: nonNegative, pValue: nonNegative, method: z.enum(['exact', 'asymptotic']) }),
    /** distance in the feature's unit; normalized = distance / reference std (null if the reference is constant and the distance is not 0). */
    wasserstein: z.strictObject({ distance: nonNegative, normalized: nonNegative.nullable() }),
    psi: nonNegative,
    jensenShannon: nonNegative,
  }),
  reference: moments,
  current: moments,
  bins,
  histogram,
  /** Bounds on the error of `ks.statistic` and `wasserstein.distance` when a side came from a summarised profile; null when exact. */
  errorBound: z.strictObject({ ksStatistic: nonNegative, wasserstein: nonNegative }).nullable(),
});

const categoryRow = z.strictObject({ value: z.string(), reference: count, current: count });

const categoricalDetails = z.strictObject({
  tests: z.strictObject({
    chiSquare: z.strictObject({ statistic: nonNegative, pValue: nonNegative, dof: count, yates: z.boolean() }),
    lInfinity: nonNegative,
    jensenShannon: nonNegative,
  }),
  /** The most frequent categories over both sides (up to maxCategories), most frequent first, ties by value. */
  categories: z.array(categoryRow),
  /** The categories not listed, summed. */
  others: z.strictObject({ categories: count, reference: count, current: count }),
  /** Categories only in the current data: how many, their rows, and the most frequent few. */
  unseen: z.strictObject({ categories: count, current: count, examples: z.array(z.string()) }),
  /** Categories only in the reference data. */
  vanished: z.strictObject({ categories: count, reference: count, examples: z.array(z.string()) }),
  /** False when a side came from a profile that kept only its most frequent categories (the rest compared as one). */
  exact: z.boolean(),
});

const featureBase = {
  name: z.string(),
  /** DuckDB types of the column on each side; null where it is absent. */
  types: z.strictObject({ reference: z.string().nullable(), current: z.string().nullable() }),
  reference: sideCounts.nullable(),
  current: sideCounts.nullable(),
};

const NOT_COMPARED = ['ignored', 'missing_in_reference', 'missing_in_current', 'type_mismatch', 'unsupported_type', 'no_values'] as const;

// A plain union: `status` does not tell the two compared shapes apart, `kind` does not tell them from not_compared.
const feature = z.union([
  z.strictObject({
    ...featureBase,
    status: z.enum(['drifted', 'stable']),
    kind: z.literal('numeric'),
    checks: z.array(check),
    numeric: numericDetails,
  }),
  z.strictObject({
    ...featureBase,
    status: z.enum(['drifted', 'stable']),
    kind: z.literal('categorical'),
    checks: z.array(check),
    categorical: categoricalDetails,
  }),
  z.strictObject({
    ...featureBase,
    status: z.literal('not_compared'),
    kind: z.enum(['numeric', 'categorical', 'other']),
    /** Why: `ignored`, `missing_in_reference`, `missing_in_current`, `type_mismatch`, `unsupported_type`, `no_values`. */
    reason: z.enum(NOT_COMPARED),
    description: z.string(),
  }),
]);

/** Validates a drift report (see docs/drift.md for every field). */
export const driftFormat = z.strictObject({
  format: z.literal(DRIFT_FORMAT),
  kind: z.enum(DRIFT_KINDS),
  reference: source,
  current: source,
  settings: z.strictObject({ bins: count, histogramBins: count, psiEpsilon: nonNegative, driftShare: nonNegative }),
  summary: z.strictObject({
    /** Columns on either side. */
    features: count,
    compared: count,
    drifted: count,
    /** drifted / compared (0 when nothing was compared). */
    share: nonNegative,
    /** share > settings.driftShare. */
    datasetDrift: z.boolean(),
  }),
  /** Reference column order, then columns only in the current data. */
  features: z.array(feature),
});

export type DriftReport = z.infer<typeof driftFormat>;
export type DriftFeature = z.infer<typeof feature>;
export type DriftCheck = z.infer<typeof check>;
export type NotComparedReason = (typeof NOT_COMPARED)[number];
export type NumericDriftDetails = z.infer<typeof numericDetails>;
export type CategoricalDriftDetails = z.infer<typeof categoricalDetails>;
export type DriftSideCounts = z.infer<typeof sideCounts>;

/** Reads and validates a drift report JSON file. */
export function readDriftReportFile(path: string): Promise<DriftReport> {
  return readFormatFile(path, DRIFT_FORMAT, driftFormat);
}
