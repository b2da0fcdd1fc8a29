import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../../data/duckdb.js';
import { readColumns, type ColumnRequest } from '../columns.js';
import type { GbdtFeatures } from './fit-gbdt.js';

/** A categorical feature's kept categories, most frequent first. */
export interface CategoryList {
  name: string;
  categories: readonly string[];
}

/**
 * SQL for a categorical column's code: the category's position, `categories.length` for any
 * other value, `categories.length + 1` for null or ''. DuckDB's ENUM cast does the lookup, so no
 * string crosses into JavaScript; the ONNX graph's LabelEncoder maps strings the same way.
 */
export function categoryCodeSql(feature: CategoryList): string {
  const value = `CAST(${quoteIdentifier(feature.name)} AS VARCHAR)`;
  const other = feature.categories.length;
  const known =
    other === 0 ? String(other) : `coalesce(enum_code(TRY_CAST(${value} AS ENUM(${feature.categories.map(quoteLiteral).join(', ')}))), ${other})`;
  return `CASE WHEN ${value} IS NULL OR ${value} = '' THEN ${other + 1} ELSE ${known} END`;
}

/**
 * Reads the model's features of a table expression as typed arrays in row order: numeric
 * columns as float32 (what the ONNX model is fed; null → NaN), categorical ones as codes, and
 * the label as doubles when asked for.
 */
export async function readGbdtColumns(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; categorical: readonly CategoryList[] },
  label?: string,
): Promise<GbdtFeatures & { labels: Float64Array | undefined }> {
  const requests: ColumnRequest[] = [
    ...features.numeric.map((name): ColumnRequest => ({ expr: quoteIdentifier(name), kind: 'float32' })),
    ...features.categorical.map((f): ColumnRequest => ({ expr: categoryCodeSql(f), kind: 'int32' })),
  ];
  if (label !== undefined) requests.push({ expr: quoteIdentifier(label), kind: 'float64' });
  const { rowCount, columns } = await readColumns(db, from, requests);
  const offset = features.numeric.length;
  return {
    rows: rowCount,
    numeric: features.numeric.map((_, j) => columns[j] as Float32Array),
    categorical: features.categorical.map((_, c) => columns[offset + c] as Int32Array),
    labels: label === undefined ? undefined : (columns[requests.length - 1] as Float64Array),
  };
}
