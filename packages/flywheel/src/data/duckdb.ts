import { extname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../core/errors.js';

/**
 * Runs `work` with a fresh in-memory DuckDB connection and closes it afterwards. DuckDB does the
 * scanning so that large files never become one JavaScript object per row.
 *
 * @example
 *   const rows = await withDuckDb(async (db) => (await db.runAndReadAll('SELECT 42 AS x')).getRowObjectsJS());
 */
export async function withDuckDb<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** `my "col"` → `"my ""col"""`: an identifier safe to splice into SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `it's` → `'it''s'`: a string literal safe to splice into SQL. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const READERS: Record<string, string> = {
  '.parquet': 'read_parquet',
  '.csv': 'read_csv',
  '.tsv': 'read_csv',
  '.json': 'read_json_auto',
  '.ndjson': 'read_json_auto',
  '.jsonl': 'read_json_auto',
};

/**
 * The SQL table expression that reads a data file by its extension, e.g.
 * `read_parquet('/data/flights.parquet')`. Unknown extensions are an InvalidInputError.
 */
export function tableFunctionFor(path: string, field = 'source'): string {
  const reader = READERS[extname(path).toLowerCase()];
  if (!reader) {
    throw new InvalidInputError(field, `cannot read ${JSON.stringify(path)}: unknown file type`, `use one of ${Object.keys(READERS).join(', ')}`);
  }
  return `${reader}(${quoteLiteral(path)})`;
}
