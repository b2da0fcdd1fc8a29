import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../data/duckdb.js';
import { readColumns, type ColumnRequest } from './columns.js';
import { categoryIndexSql, type CategoricalFeature, type NumericFeature, type Preprocessing } from './preprocessing.js';

/**
 * Preprocessed features in the sparse layout the trainer works on: one dense standardised column
 * per numeric feature and one active index per categorical feature (its one-hot column).
 */
export interface DesignMatrix {
  rows: number;
  /** Standardised values, column by column; missing values are 0 (the mean). */
  numeric: Float64Array[];
  /** Category position per row, -1 for none (the all-zeros encoding). */
  categorical: Int32Array[];
}

/** Feature columns as read, before standardisation. */
export interface RawFeatures {
  rows: number;
  /** Numeric features as float32, as the ONNX model is fed; NaN where missing. */
  numeric: Float32Array[];
  /** Category position per row, -1 for none. */
  categorical: Int32Array[];
  /** The label as 0/1 doubles, when asked for. */
  labels: Float64Array | undefined;
}

/**
 * Reads numeric columns and category positions (mapped in DuckDB, so no strings cross into
 * JavaScript), and optionally the label, in row order.
 */
export async function readRawFeatures(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; categorical: readonly CategoricalFeature[] },
  label?: string,
): Promise<RawFeatures> {
  return readFeatureColumns(db, from, { numeric: features.numeric, categoryCodes: features.categorical.map(categoryIndexSql) }, label);
}

/**
 * Reads a model's features as typed arrays in row order: numeric columns as float32 (what an
 * ONNX model is fed; null → NaN), categorical ones as int32 codes computed by the given SQL
 * expressions, and the label as doubles when asked for.
 */
export async function readFeatureColumns(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; categoryCodes: readonly string[] },
  label?: string,
): Promise<RawFeatures> {
  const requests: ColumnRequest[] = [
    ...features.numeric.map((name): ColumnRequest => ({ expr: quoteIdentifier(name), kind: 'float32' })),
    ...features.categoryCodes.map((expr): ColumnRequest => ({ expr, kind: 'int32' })),
  ];
  if (label !== undefined) requests.push({ expr: quoteIdentifier(label), kind: 'float64' });
  const { rowCount, columns } = await readColumns(db, from, requests);
  const offset = features.numeric.length;
  return {
    rows: rowCount,
    numeric: features.numeric.map((_, j) => columns[j] as Float32Array),
    categorical: features.categoryCodes.map((_, c) => columns[offset + c] as Int32Array),
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
  };
}

/** Reads a dataset's features through learned preprocessing, e.g. to predict in TypeScript. */
export async function readDesignMatrix(db: DuckDBConnection, from: string, preprocessing: Preprocessing): Promise<DesignMatrix> {
  const raw = await readRawFeatures(db, from, { numeric: preprocessing.numeric.map((f) => f.name), categorical: preprocessing.categorical });
  return designMatrix(raw, preprocessing.numeric);
}
