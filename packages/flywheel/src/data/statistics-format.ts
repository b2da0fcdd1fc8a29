import { z } from 'zod';
import { readFormatFile } from './format-file.js';

/** The `format` tag of a statistics document; bumped when a field is added, changes meaning or goes away. */
export const STATISTICS_FORMAT = 'flywheel.statistics/v2';
/** Documents of this older version are read too; the fields v2 added are then absent. */
export const STATISTICS_FORMAT_V1 = 'flywheel.statistics/v1';

const count = z.number().int().nonnegative();

/** One value of a categorical column and how many rows hold it. */
const valueCount = z.strictObject({ value: z.string(), count });

const quantiles = z.strictObject({ p01: z.number(), p25: z.number(), p50: z.number(), p75: z.number(), p99: z.number() });

/** Bin `i` holds values in [edges[i], edges[i+1]); the last bin also holds its upper edge. */
const histogram = z.strictObject({ edges: z.array(z.number()), counts: z.array(count) });

/** Measures over the finite values (NaN and ±Infinity are counted in `nonFinite` instead). */
const numericStatistics = z.strictObject({
  min: z.number().nullable(),
  max: z.number().nullable(),
  mean: z.number().nullable(),
  /** Sample standard deviation; null with fewer than two values. */
  std: z.number().nullable(),
  nonFinite: count,
  quantiles: quantiles.nullable(),
  /** False when the quantiles are t-digest estimates (a high-cardinality column). */
  quantilesExact: z.boolean().optional(),
  histogram: histogram.nullable(),
});

const categoricalStatistics = z.strictObject({
  /** Most frequent values first; ties in value order. */
  topValues: z.array(valueCount),
  /** True when `topValues` lists every distinct value, so shares outside a domain are exact. */
  allValues: z.boolean(),
  /**
   * False when `topValues` are the candidates of an approximate top-k sketch (a high-cardinality
   * column): their counts are exact, but a value about as frequent as the last one may be missing.
   */
  topValuesExact: z.boolean().optional(),
  /** Values that read as numbers (`12`, `3.5e2`): a column of numbers with a few words in it has mixed types. */
  numericValues: count.optional(),
  /** In characters (Unicode code points); null without values. */
  length: z.strictObject({ min: z.number(), mean: z.number(), max: z.number() }).nullable(),
});

const columnBase = {
  name: z.string(),
  /** The DuckDB type, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  type: z.string(),
  /** Non-missing values. */
  count,
  /** NULL values. */
  missing: count,
  /** Distinct non-missing values. */
  distinct: count,
  /** False when `distinct` is a HyperLogLog estimate (a high-cardinality column). */
  distinctExact: z.boolean().optional(),
};

const columnStatistics = z.discriminatedUnion('kind', [
  z.strictObject({ ...columnBase, kind: z.literal('numeric'), numeric: numericStatistics }),
  z.strictObject({ ...columnBase, kind: z.literal('categorical'), categorical: categoricalStatistics }),
  z.strictObject({ ...columnBase, kind: z.literal('boolean'), boolean: z.strictObject({ trueCount: count, falseCount: count }) }),
  /** Bounds in DuckDB's text form, e.g. `2001-01-01 00:01:00` (time zones as UTC offsets). */
  z.strictObject({ ...columnBase, kind: z.literal('timestamp'), timestamp: z.strictObject({ min: z.string().nullable(), max: z.string().nullable() }) }),
  z.strictObject({ ...columnBase, kind: z.literal('other') }),
]);

/** Validates a statistics document (see docs/data.md for every field). */
export const statisticsFormat = z.strictObject({
  format: z.enum([STATISTICS_FORMAT, STATISTICS_FORMAT_V1]).transform((): typeof STATISTICS_FORMAT => STATISTICS_FORMAT),
  rowCount: count,
  /** Rows equal to an earlier row in every column; null when not counted. */
  duplicateRows: count.nullable().optional(),
  /** Whether every column's distinct count, quantiles and top values are exact rather than sketched. */
  exact: z.strictObject({ distinct: z.boolean(), quantiles: z.boolean(), topValues: z.boolean().optional() }),
  /** The error bounds of the figures marked approximate (see docs/data.md). */
  approximation: z.strictObject({
    /** Of a HyperLogLog distinct count: about 95% of estimates lie within twice this. */
    distinctRelativeStandardError: z.number().nonnegative(),
    /** Of a t-digest quantile, as a share of rows: typically well within this. */
    quantileRankError: z.number().nonnegative(),
  }).optional(),
  columns: z.array(columnStatistics),
});

export type DatasetStatistics = z.output<typeof statisticsFormat>;
export type ColumnStatistics = z.infer<typeof columnStatistics>;
export type NumericStatistics = z.infer<typeof numericStatistics>;
export type CategoricalStatistics = z.infer<typeof categoricalStatistics>;
export type ValueCount = z.infer<typeof valueCount>;

/** Reads and validates a statistics JSON file (v2, or v1 which lacks the fields v2 added). */
export function readStatisticsFile(path: string): Promise<DatasetStatistics> {
  return readFormatFile(path, [STATISTICS_FORMAT, STATISTICS_FORMAT_V1], statisticsFormat);
}
