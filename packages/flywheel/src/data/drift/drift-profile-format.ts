import { z } from 'zod';
import { readFormatFile } from '../format-file.js';

/** The `format` tag of a drift profile; bumped when a field changes meaning or goes away. */
export const DRIFT_PROFILE_FORMAT = 'flywheel.drift-profile/v1';

const count = z.number().int().nonnegative();

/**
 * A numeric column's distribution as value/count pairs, values strictly increasing. Exact: every
 * distinct value with its rows. Summarised (more distinct values than the profile keeps): the
 * sorted values cut into `quantiles` groups of consecutive values, each group stored as its median
 * value with the group's size.
 */
const distribution = z.strictObject({
  exact: z.boolean(),
  values: z.array(z.number()),
  counts: z.array(count),
  /** For a summarised distribution, how far KS statistics and Wasserstein distances computed from it can be off; null when exact. */
  errorBound: z.strictObject({
    /** The largest group's share of the values: no CDF value moves by more. */
    ksStatistic: z.number().nonnegative(),
    /** Σ over groups of (share of values) × (group's value range): the most mass times distance moved. */
    wasserstein: z.number().nonnegative(),
  }).nullable(),
});

const numeric = z.strictObject({
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  /** Sample standard deviation (n − 1); null with a single value. */
  std: z.number().nullable(),
  distribution,
  /** The PSI / Jensen–Shannon bins, computed exactly from all values: reference-quantile edges and counts. */
  bins: z.strictObject({ count: z.number().int().min(2), edges: z.array(z.number()), counts: z.array(count) }),
});

const categorical = z.strictObject({
  /** All categories when `exact`, otherwise the most frequent ones; most frequent first, ties by value. */
  values: z.array(z.string()),
  counts: z.array(count),
  exact: z.boolean(),
  /** Rows whose category is not listed (0 when exact). */
  otherCount: count,
});

const columnBase = {
  name: z.string(),
  /** The DuckDB type, e.g. `DOUBLE`, `VARCHAR`. */
  type: z.string(),
  /** Rows with a usable value: non-NULL, and for numeric columns finite. */
  count,
  /** NULL rows. */
  missing: count,
  /** NaN and ±Infinity rows of a numeric column. */
  nonFinite: count,
};

const column = z.discriminatedUnion('kind', [
  z.strictObject({ ...columnBase, kind: z.literal('numeric'), numeric: numeric.nullable() }),
  z.strictObject({ ...columnBase, kind: z.literal('categorical'), categorical }),
  z.strictObject({ ...columnBase, kind: z.literal('other') }),
]);

/** Validates a drift profile (see docs/drift.md for every field). */
export const driftProfileFormat = z.strictObject({
  format: z.literal(DRIFT_PROFILE_FORMAT),
  /** The data file the profile was computed from. */
  source: z.string(),
  rows: count,
  settings: z.strictObject({ maxDistinctValues: z.number().int().positive(), quantiles: z.number().int().positive() }),
  columns: z.array(column),
});

export type DriftProfile = z.infer<typeof driftProfileFormat>;
export type DriftProfileColumn = z.infer<typeof column>;
export type NumericProfile = z.infer<typeof numeric>;
export type CategoricalProfile = z.infer<typeof categorical>;

/** Reads and validates a drift profile JSON file. */
export function readDriftProfileFile(path: string): Promise<DriftProfile> {
  return readFormatFile(path, DRIFT_PROFILE_FORMAT, driftProfileFormat);
}
