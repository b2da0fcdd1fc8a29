import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../data/duckdb.js';
import { readColumns, type ColumnRequest } from './columns.js';
import { categoryIndexSql, type CategoricalFeature, type NumericFeature, type Preprocessing } from './preprocessing.js';
import { timePartPositionSql, type TimeFeature } from './time-parts.js';

/**
 * Preprocessed features in the sparse layout the linear trainers work on: one dense standardised
 * column per numeric feature and one active index per one-hot block (categorical feature or time
 * part).
 */
export interface DesignMatrix {
  rows: number;
  /** Standardised values, column by column; missing values are 0 (the mean). */
  numeric: Float64Array[];
  /** Category position per row, -1 for none (the all-zeros encoding). */
  categorical: Int32Array[];
  /** Per time part (features in order, their parts in order), value − first value; -1 when missing. */
  time: Int32Array[];
}

/** Feature columns as read, before standardisation. */
export interface RawFeatures {
  rows: number;
  /** Numeric features as float32, as the ONNX model is fed; NaN where missing. */
  numeric: Float32Array[];
  /** Category position per row, -1 for none. */
  categorical: Int32Array[];
  /** Time part positions per row, as in DesignMatrix. */
  time: Int32Array[];
  /** The label as doubles, when asked for. */
  labels: Float64Array | undefined;
}

/** The features the linear trainers read: numeric and categorical columns, timestamps and their parts. */
export interface LinearFeatureColumns {
  numeric: readonly string[];
  categorical: readonly CategoricalFeature[];
  time: readonly TimeFeature[];
}

/**
 * Reads numeric columns, category positions and time part positions (all computed in DuckDB, so
 * no strings or timestamps cross into JavaScript), and optionally the label, in row order.
 */
export async function readRawFeatures(db: DuckDBConnection, from: string, features: LinearFeatureColumns, label?: string): Promise<RawFeatures> {
  const timeParts = features.time.flatMap((t) => t.parts.map((part) => timePartPositionSql(t.name, part)));
  const read = await readFeatureColumns(
    db,
    from,
    { numeric: features.numeric.map(quoteIdentifier), codes: [...features.categorical.map(categoryIndexSql), ...timeParts] },
    label,
  );
  const categoricalCount = features.categorical.length;
  return {
    rows: read.rows,
    numeric: read.numeric,
    categorical: read.codes.slice(0, categoricalCount),
    time: read.codes.slice(categoricalCount),
    labels: read.labels,
  };
}

/** Feature columns read by readFeatureColumns. */
export interface FeatureColumns {
  rows: number;
  numeric: Float32Array[];
  codes: Int32Array[];
  labels: Float64Array | undefined;
}

/**
 * Reads a model's features as typed arrays in row order: numeric SQL expressions as float32
 * (what an ONNX model is fed; null → NaN), integer codes (category positions, time parts) as
 * int32, and the label as doubles when asked for.
 */
export async function readFeatureColumns(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; codes: readonly string[] },
  label?: string,
): Promise<FeatureColumns> {
  const requests: ColumnRequest[] = [
    ...features.numeric.map((expr): ColumnRequest => ({ expr, kind: 'float32' })),
    ...features.codes.map((expr): ColumnRequest => ({ expr, kind: 'int32' })),
  ];
  if (label !== undefined) requests.push({ expr: quoteIdentifier(label), kind: 'float64' });
  const { rowCount, columns } = await readColumns(db, from, requests);
  const offset = features.numeric.length;
  return {
    rows: rowCount,
    numeric: features.numeric.map((_, j) => columns[j] as Float32Array),
    codes: features.codes.map((_, c) => columns[offset + c] as Int32Array),
    labels: label === undefined ? undefined : (columns[requests.length - 1] as Float64Array),
  };
}

/** Standardises the numeric columns; missing values become 0, the mean. */
export function designMatrix(raw: RawFeatures, numeric: readonly NumericFeature[]): DesignMatrix {
  return {
    rows: raw.rows,
    numeric: numeric.map((feature, j) => {
      const values = raw.numeric[j] as Float32Array;
      const out = new Float64Array(raw.rows);
      for (let i = 0; i < raw.rows; i++) {
        const x = values[i] as number;
        out[i] = Number.isNaN(x) ? 0 : (x - feature.mean) / feature.std;
      }
      return out;
    }),
    categorical: raw.categorical,
    time: raw.time,
  };
}

/** Reads a dataset's features through learned preprocessing, e.g. to predict in TypeScript. */
export async function readDesignMatrix(db: DuckDBConnection, from: string, preprocessing: Preprocessing): Promise<DesignMatrix> {
  const raw = await readRawFeatures(db, from, { ...preprocessing, numeric: preprocessing.numeric.map((f) => f.name) });
  return designMatrix(raw, preprocessing.numeric);
}
