import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { describeColumns, quoteIdentifier, quoteLiteral } from '../data/duckdb.js';
import { isNumericType, requireColumn, type ColumnRequest } from '../train/columns.js';
import { thresholdsSchema } from './validation-config.js';

/** Values a value slicing keeps by default (the others share one slice). */
export const DEFAULT_TOP_VALUES = 10;

/**
 * How to cut the evaluation data into slices by one column (any column of the data, not only a
 * model input): by value — the `top` most frequent values, the rest in `(other)` — or, for a
 * numeric column, by `buckets`: ascending boundaries, or a count of quantile buckets. Rows where
 * the column is missing (NULL, NaN) form the `(missing)` slice.
 *
 * @example
 *   { column: 'origin', top: 5 }
 *   { column: 'distance', buckets: [500, 1000, 2000] }
 *   { column: 'distance', buckets: 4, name: 'distance quartile', thresholds: { auc: { min: 0.55 } } }
 */
export const sliceSpecSchema = z
  .strictObject({
    column: z.string().min(1),
    /** How checks and fairness gaps refer to this slicing; the column by default. */
    name: z.string().min(1).optional(),
    /** Slice by value: how many of the most frequent values get a slice of their own. */
    top: z.number().int().positive().optional(),
    /** Slice by number: ascending boundaries b₁ < b₂ < … (buckets [bᵢ, bᵢ₊₁)), or how many quantile buckets. */
    buckets: z.union([z.array(z.number()).min(1), z.number().int().min(2)]).optional(),
    /** Bounds every slice with at least `minSliceRows` rows must meet, e.g. `{ auc: { min: 0.55 } }`. */
    thresholds: thresholdsSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.top !== undefined && spec.buckets !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['buckets'], message: 'slice either by value (top) or by number (buckets), not both' });
    }
    if (Array.isArray(spec.buckets)) {
      spec.buckets.forEach((b, i) => {
        if (i > 0 && !(b > (spec.buckets as number[])[i - 1]!)) ctx.addIssue({ code: 'custom', path: ['buckets', i], message: `boundaries must increase: ${b} follows ${(spec.buckets as number[])[i - 1]}` });
      });
    }
  });

export type SliceSpec = z.infer<typeof sliceSpecSchema>;

/** One slice of a slicing: a value, the other values, missing values, or a numeric bucket. */
export interface SliceDefinition {
  /** How the slice is shown: `ORD`, `(other)`, `(missing)`, `[500, 1000)`, `(-∞, 500)`. */
  key: string;
  kind: 'value' | 'other' | 'missing' | 'bucket';
  /** Bucket bounds: rows with lower ≤ value < upper; null is unbounded. */
  lower?: number | null;
  upper?: number | null;
}

/** A slicing ready to run: the slices, and SQL that gives each row the index of its slice. */
export interface SlicingPlan {
  name: string;
  column: string;
  by: 'value' | 'bucket';
  slices: SliceDefinition[];
  /** An int32 column: the index in `slices` of each row's slice. */
  request: ColumnRequest;
}

/**
 * Prepares slicings on a table expression: checks the columns exist (the error lists the
 * data's columns) and are numeric where bucketed, finds the most frequent values or the
 * quantile boundaries with DuckDB, and writes the SQL that numbers each row's slice, so the
 * slices are read in one pass with the model inputs.
 *
 * @example
 *   const [byOrigin] = await planSlicing(db, "read_parquet('feb.parquet')", [{ column: 'origin', top: 3 }]);
 *   byOrigin.slices.map((s) => s.key) // ['ATL', 'ORD', 'DFW', '(other)', '(missing)']
 */
export async function planSlicing(db: DuckDBConnection, from: string, specs: readonly SliceSpec[]): Promise<SlicingPlan[]> {
  const columns = await describeColumns(db, from);
  const plans: SlicingPlan[] = [];
  for (const [i, spec] of specs.entries()) {
    const found = requireColumn(columns, spec.column, `slices[${i}].column`, 'slice');
    const base = { name: spec.name ?? spec.column, column: spec.column };
    if (spec.buckets === undefined) {
      plans.push({ ...base, by: 'value', ...(await valueSlices(db, from, spec.column, spec.top ?? DEFAULT_TOP_VALUES)) });
      continue;
    }
    if (!isNumericType(found.type)) {
      throw new InvalidInputError(`slices[${i}].buckets`, `column ${JSON.stringify(spec.column)} is ${found.type}; buckets need numbers`, 'slice it by value: leave out buckets');
    }
    const boundaries = Array.isArray(spec.buckets) ? spec.buckets : await quantileBoundaries(db, from, spec.column, spec.buckets);
    plans.push({ ...base, by: 'bucket', ...bucketSlices(spec.column, boundaries) });
  }
  return plans;
}

async function valueSlices(db: DuckDBConnection, from: string, column: string, top: number): Promise<Pick<SlicingPlan, 'slices' | 'request'>> {
  // NaN is a missing value, like NULL (its text would otherwise make a slice of its own).
  const value = `CASE WHEN coalesce(isnan(TRY_CAST(${quoteIdentifier(column)} AS DOUBLE)), false) THEN NULL ELSE CAST(${quoteIdentifier(column)} AS VARCHAR) END`;
  const result = await db.runAndReadAll(
    `SELECT ${value} AS v, count(*) AS n FROM ${from} WHERE ${value} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${top}`,
  );
  const values = result.getRowObjectsJS().map((row) => String(row.v));
  const other = values.length;
  // list_position is 1-based and NULL for a value not in the list (or a NULL value).
  const expr =
    values.length === 0
      ? `CASE WHEN ${value} IS NULL THEN ${other + 1} ELSE ${other} END`
      : `coalesce(list_position([${values.map(quoteLiteral).join(', ')}], ${value}) - 1, CASE WHEN ${value} IS NULL THEN ${other + 1} ELSE ${other} END)`;
  return {
    slices: [
      ...values.map((v) => ({ key: v, kind: 'value' as const })),
      { key: '(other)', kind: 'other' },
      { key: '(missing)', kind: 'missing' },
    ],
    request: { expr, kind: 'int32' },
  };
}

async function quantileBoundaries(db: DuckDBConnection, from: string, column: string, buckets: number): Promise<number[]> {
  const x = `CAST(${quoteIdentifier(column)} AS DOUBLE)`;
  const levels = Array.from({ length: buckets - 1 }, (_, i) => (i + 1) / buckets);
  const result = await db.runAndReadAll(`SELECT quantile_disc(${x}, [${levels.join(', ')}]) AS q FROM ${from} WHERE ${x} IS NOT NULL AND NOT isnan(${x})`);
  const quantiles = (result.getRowObjectsJS()[0]?.q ?? []) as number[] | null;
  // Ties make equal quantiles: keep each boundary once (fewer, larger buckets).
  return [...new Set((quantiles ?? []).filter((q) => Number.isFinite(q)))];
}

function bucketSlices(column: string, boundaries: readonly number[]): Pick<SlicingPlan, 'slices' | 'request'> {
  const x = `CAST(${quoteIdentifier(column)} AS DOUBLE)`;
  const bounds = [null, ...boundaries, null];
  const slices: SliceDefinition[] = bounds.slice(0, -1).map((lower, b) => {
    const upper = bounds[b + 1] as number | null;
    return { key: `${lower === null ? '(-∞' : `[${lower}`}, ${upper === null ? '∞)' : `${upper})`}`, kind: 'bucket', lower, upper };
  });
  slices.push({ key: '(missing)', kind: 'missing' });
  // The bucket of x is the number of boundaries at or below it.
  const index = boundaries.length === 0 ? '0' : boundaries.map((b) => `(${x} >= ${quoteLiteral(String(b))}::DOUBLE)::INTEGER`).join(' + ');
  return { slices, request: { expr: `CASE WHEN ${x} IS NULL OR isnan(${x}) THEN ${boundaries.length + 1} ELSE ${index} END`, kind: 'int32' } };
}
