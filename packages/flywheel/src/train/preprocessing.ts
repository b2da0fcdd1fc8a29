import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../data/duckdb.js';
import type { TimeFeature } from './time-parts.js';

/** Standardisation of a numeric feature: `(x - mean) / std`, missing → mean (so → 0). */
export interface NumericFeature {
  name: string;
  mean: number;
  std: number;
}

/** One-hot encoding of a categorical feature: one column per category; others and missing → all zeros. */
export interface CategoricalFeature {
  name: string;
  /** Most frequent first; ties in alphabetical order. */
  categories: string[];
}

/**
 * How the linear trainers turn raw columns into model columns. A time part is one-hot encoded
 * over all its values (24 hours, 7 days, 12 months; missing → all zeros): its effect need not be
 * monotonic, which a single standardised column would force.
 */
export interface Preprocessing {
  numeric: NumericFeature[];
  categorical: CategoricalFeature[];
  time: TimeFeature[];
}

/**
 * The `topK` most frequent values of each categorical column, counted by DuckDB. The empty
 * string is never a category because a missing string reaches the model as ''.
 */
export async function learnCategories(
  db: DuckDBConnection,
  from: string,
  columns: readonly string[],
  topK: number,
): Promise<CategoricalFeature[]> {
  const features: CategoricalFeature[] = [];
  for (const name of columns) {
    const value = `CAST(${quoteIdentifier(name)} AS VARCHAR)`;
    const rows = (
      await db.runAndReadAll(
        `SELECT ${value} AS value, count(*) AS n FROM ${from} WHERE ${value} <> '' GROUP BY 1 ORDER BY n DESC, value LIMIT ${topK}`,
      )
    ).getRowObjectsJS();
    features.push({ name, categories: rows.map((r) => String(r.value)) });
  }
  return features;
}

/**
 * Mean and population standard deviation of the present (non-NaN) values, summed in row order
 * so that training is reproducible bit for bit (a parallel SQL aggregate is not).
 */
export function learnStandardisation(name: string, values: Float32Array): NumericFeature {
  let count = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) continue;
    count++;
    sum += x;
  }
  if (count === 0) return { name, mean: 0, std: 1 };
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (!Number.isNaN(x)) squares += (x - mean) * (x - mean);
  }
  const std = Math.sqrt(squares / count);
  // A constant column carries no signal; scale 1 keeps it at 0 instead of dividing by 0.
  return { name, mean, std: std > 0 ? std : 1 };
}

/**
 * SQL that maps a categorical column to its category's position (0-based), or -1 when the value is
 * missing or not a category. DuckDB's ENUM cast does the lookup by hash and keeps row order.
 */
export function categoryIndexSql(feature: CategoricalFeature): string {
  if (feature.categories.length === 0) return '-1';
  const enumType = `ENUM(${feature.categories.map(quoteLiteral).join(', ')})`;
  return `coalesce(enum_code(TRY_CAST(CAST(${quoteIdentifier(feature.name)} AS VARCHAR) AS ${enumType})), -1)`;
}
