import { stat } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { readerSql, sourceFormatOf } from './source-format.js';
import { quoteLiteral } from './sql-text.js';

export { quoteIdentifier, quoteLiteral } from './sql-text.js';

/** Settings of the DuckDB instance a piece of work gets; DuckDB's defaults otherwise. */
export interface DuckDbSettings {
  /** Most memory DuckDB may use before spilling to disk, e.g. `1GB`; default 80% of RAM. */
  memoryLimit?: string;
}

/**
 * Runs `work` with a fresh in-memory DuckDB connection and closes it afterwards. DuckDB does the
 * scanning so that large files never become one JavaScript object per row.
 *
 * @example
 *   const rows = await withDuckDb(async (db) => (await db.runAndReadAll('SELECT 42 AS x')).getRowObjectsJS());
 */
export async function withDuckDb<T>(work: (connection: DuckDBConnection) => Promise<T>, settings: DuckDbSettings = {}): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const options: Record<string, string> = {};
  if (settings.memoryLimit !== undefined) options.memory_limit = settings.memoryLimit;
  const instance = await DuckDBInstance.create(':memory:', options).catch((error: unknown) => {
    throw new InvalidInputError('duckdb', `cannot start DuckDB with ${JSON.stringify(options)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const connection = await instance.connect();
  try {
    // Timestamps with a time zone then print and truncate the same on every machine.
    await connection.run("SET TimeZone = 'UTC'");
    return await work(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * The SQL table expression that reads a data file by its extension, e.g.
 * `read_parquet('/data/flights.parquet')`. Unknown extensions are an InvalidInputError; Arrow IPC
 * files need loadArrowFiles instead, since DuckDB here cannot read them itself.
 */
export function tableFunctionFor(path: string, field = 'source'): string {
  const format = sourceFormatOf(path, field);
  if (format === 'arrow') {
    throw new InvalidInputError(field, `${JSON.stringify(path)} is an Arrow IPC file, which this step reads only through ingest`, 'ingest it into Parquet first (flywheel data ingest)');
  }
  return readerSql([path], format);
}

/** Rows of a query as plain objects (BIGINT as bigint); for small results such as aggregates. */
export async function queryRows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** A count or measure DuckDB returned (bigint, number or NULL) as a JSON-safe number or null. */
export function toNumber(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number') return value;
  throw new TypeError(`expected a number from DuckDB, got ${typeof value}`);
}

const GLOB = /[*?[]/;

/**
 * The files a path or glob names, checked before DuckDB reads them: a missing file is a
 * NotFoundError naming it, and an empty file an InvalidInputError (DuckDB would read a zero-byte
 * CSV as one column of no rows, which hides the mistake).
 */
export async function resolveSourceFiles(connection: DuckDBConnection, source: string, field = 'source'): Promise<string[]> {
  const files = GLOB.test(source)
    ? (await queryRows(connection, `SELECT file FROM glob(${quoteLiteral(source)}) ORDER BY file`)).map((row) => String(row.file))
    : [source];
  if (files.length === 0) {
    throw new NotFoundError('source file', source, 'no file matches this pattern; check the path and the working directory');
  }
  for (const file of files) {
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new NotFoundError('source file', file, 'check the path and the working directory');
      throw error;
    });
    if (!info.isFile()) throw new InvalidInputError(field, `${JSON.stringify(file)} is not a file`);
    if (info.size === 0) throw new InvalidInputError(field, `${JSON.stringify(file)} is empty (0 bytes)`);
  }
  return files;
}

/** A column of a dataset and its DuckDB type. */
export interface DatasetColumn {
  name: string;
  type: string;
}

/**
 * The columns of a table expression, in order, without reading its rows.
 *
 * @example
 *   const columns = await describeColumns(connection, tableFunctionFor('flights.parquet')); // [{ name: 'delay', type: 'INTEGER' }, …]
 */
export async function describeColumns(connection: DuckDBConnection, from: string): Promise<DatasetColumn[]> {
  const rows = await queryRows(connection, `DESCRIBE SELECT * FROM ${from}`);
  return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}
