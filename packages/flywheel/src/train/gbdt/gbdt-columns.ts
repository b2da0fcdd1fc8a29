import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../../data/duckdb.js';
import { readFeatureColumns } from '../design-matrix.js';
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

/** Reads the model's features of a table expression (categories as their codes) and, when asked, the label. */
export async function readGbdtColumns(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; categorical: readonly CategoryList[] },
  label?: string,
): Promise<GbdtFeatures & { labels: Float64Array | undefined }> {
  return readFeatureColumns(db, from, { numeric: features.numeric, categoryCodes: features.categorical.map(categoryCodeSql) }, label);
}
