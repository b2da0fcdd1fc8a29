import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier, quoteLiteral } from '../../data/duckdb.js';
import { readFeatureColumns } from '../design-matrix.js';
import { timePartSql, type TimeFeature } from '../time-parts.js';
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
 * Reads the model's features of a table expression and, when asked, the label: numeric columns,
 * then the parts of the timestamp columns (numeric features of the trees, NaN when missing), and
 * categories as their codes.
 */
export async function readGbdtColumns(
  db: DuckDBConnection,
  from: string,
  features: { numeric: readonly string[]; categorical: readonly CategoryList[]; time: readonly TimeFeature[] },
  label?: string,
): Promise<GbdtFeatures & { labels: Float64Array | undefined }> {
  const timeParts = features.time.flatMap((t) => t.parts.map((part) => timePartSql(t.name, part)));
  const read = await readFeatureColumns(
    db,
    from,
    { numeric: [...features.numeric.map(quoteIdentifier), ...timeParts], codes: features.categorical.map(categoryCodeSql) },
    label,
  );
  return { rows: read.rows, numeric: read.numeric, categorical: read.codes, labels: read.labels };
}
