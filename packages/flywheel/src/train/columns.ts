import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../core/errors.js';
import type { DatasetColumn } from '../data/duckdb.js';

/** How a column arrives in JavaScript: one typed array (or string array) per column. */
export type ColumnKind = 'float64' | 'float32' | 'int32' | 'string';

export type ColumnData = Float64Array | Float32Array | Int32Array | string[];

/** A column to read: a SQL expression over the source, cast to the kind's SQL type. */
export interface ColumnRequest {
  expr: string;
  kind: ColumnKind;
}

export interface ColumnBatch {
  rowCount: number;
  /** In the order requested. NULL becomes NaN (floats), -1 (int32) or '' (strings). */
  columns: ColumnData[];
}

const SQL_TYPE: Record<ColumnKind, string> = { float64: 'DOUBLE', float32: 'FLOAT', int32: 'INTEGER', string: 'VARCHAR' };

function selectSql(from: string, columns: readonly ColumnRequest[]): string {
  const list = columns.map((c, i) => `CAST((${c.expr}) AS ${SQL_TYPE[c.kind]}) AS c${i}`).join(', ');
  return `SELECT ${list} FROM ${from}`;
}

function allocate(kind: ColumnKind, rows: number): ColumnData {
  switch (kind) {
    case 'float64':
      return new Float64Array(rows);
    case 'float32':
      return new Float32Array(rows);
    case 'int32':
      return new Int32Array(rows);
    case 'string':
      return new Array<string>(rows);
  }
}

const MISSING: Record<ColumnKind, number | string> = { float64: NaN, float32: NaN, int32: -1, string: '' };

/**
 * Streams columns of a table expression in batches of typed arrays, in the source's row order
 * (DuckDB preserves insertion order for plain scans), so large files never become one
 * JavaScript object per row.
 *
 * @example
 *   for await (const batch of scanColumns(db, "read_parquet('f.parquet')", [{ expr: 'distance', kind: 'float32' }], { batchRows: 65536 })) { … }
 */
export async function* scanColumns(
  db: DuckDBConnection,
  from: string,
  columns: readonly ColumnRequest[],
  options: { batchRows: number },
): AsyncGenerator<ColumnBatch> {
  const result = await db.stream(selectSql(from, columns));
  let batch = columns.map((c) => allocate(c.kind, options.batchRows));
  let filled = 0;
  while (true) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    let offset = 0;
    while (offset < chunk.rowCount) {
      const take = Math.min(chunk.rowCount - offset, options.batchRows - filled);
      for (let c = 0; c < columns.length; c++) {
        const vector = chunk.getColumnVector(c);
        const target = batch[c] as (number | string)[];
        const missing = MISSING[(columns[c] as ColumnRequest).kind];
        for (let i = 0; i < take; i++) target[filled + i] = (vector.getItem(offset + i) as number | string | null) ?? missing;
      }
      filled += take;
      offset += take;
      if (filled === options.batchRows) {
        yield { rowCount: filled, columns: batch };
        batch = columns.map((c) => allocate(c.kind, options.batchRows));
        filled = 0;
      }
    }
  }
  if (filled > 0) yield { rowCount: filled, columns: batch.map((data) => data.slice(0, filled)) };
}

/** Reads whole columns into arrays sized to the row count. */
export async function readColumns(
  db: DuckDBConnection,
  from: string,
  columns: readonly ColumnRequest[],
): Promise<ColumnBatch> {
  const count = await db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${from}`);
  const rows = Number(count.getRowObjectsJS()[0]?.n ?? 0);
  const out = columns.map((c) => allocate(c.kind, rows));
  let filled = 0;
  for await (const batch of scanColumns(db, from, columns, { batchRows: Math.max(1, Math.min(rows, 1 << 16)) })) {
    batch.columns.forEach((data, c) => copyInto(out[c] as ColumnData, data, filled));
    filled += batch.rowCount;
  }
  return { rowCount: filled, columns: out };
}

function copyInto(target: ColumnData, source: ColumnData, offset: number): void {
  if (Array.isArray(target)) {
    for (let i = 0; i < source.length; i++) target[offset + i] = (source as string[])[i] as string;
  } else {
    (target as Float64Array).set(source as Float64Array, offset);
  }
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(.*\))?|BOOLEAN)$/;

/** Whether DuckDB can read the type as a number without parsing text. */
export function isNumericType(type: string): boolean {
  return NUMERIC_TYPE.test(type);
}

/**
 * The column named `name`, or an InvalidInputError for `field` that names the column and lists
 * what the dataset has.
 */
export function requireColumn(columns: readonly DatasetColumn[], name: string, field: string, what: string): DatasetColumn {
  const column = columns.find((c) => c.name === name);
  if (!column) {
    const have = columns.map((c) => c.name).join(', ');
    throw new InvalidInputError(field, `${what} column ${JSON.stringify(name)} is not in the dataset (columns: ${have})`);
  }
  return column;
}
