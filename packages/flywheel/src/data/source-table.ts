import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../core/errors.js';
import { loadArrowFiles } from './arrow-source.js';
import { queryRows, resolveSourceFiles, toNumber } from './duckdb.js';
import { readerSql, sourceFormatOf } from './source-format.js';
import type { CsvOptions, RejectsTables, SourceFormat } from './source-format.js';
import { quoteIdentifier } from './sql-text.js';

export interface OpenSourceOptions {
  /** The format of every file; detected from the file names when left out. */
  format?: SourceFormat;
  csv?: CsvOptions;
  /** Tables to put unreadable CSV lines in, instead of failing. */
  rejects?: RejectsTables;
  /** The name errors give the source, e.g. `source` or `path`. */
  field?: string;
}

export interface OpenedSource {
  files: string[];
  format: SourceFormat;
  /** Rows read, when reading counted them (text and Arrow files, which are loaded into a table). */
  rows: number | undefined;
  /**
   * SQL to read the data in a FROM clause without going through the view or table `name`: the
   * Parquet reader itself (binding a view of thousands of columns takes DuckDB long), or the table.
   */
  relation: string;
}

/** DuckDB's message without its `LINE 1: …` excerpt, which shows our wrapper SQL, not the user's. */
export function duckDbMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/\n+LINE \d+:/)[0]!.trim();
}

/**
 * Makes the data files named by `sources` (paths or globs, all of one format) readable as the
 * DuckDB relation `name`: a view over Parquet (rescanning it is cheap), and a table for CSV and
 * JSON (parsed once, which also counts their rows) and Arrow (loaded through the appender).
 *
 * @example
 *   await openSource(db, ['data/2001-*.csv'], 'source', { rejects: { errors: 'e', scans: 's' } });
 */
export async function openSource(connection: DuckDBConnection, sources: readonly string[], name: string, options: OpenSourceOptions = {}): Promise<OpenedSource> {
  const field = options.field ?? 'source';
  if (sources.length === 0) throw new InvalidInputError(field, 'name at least one file');
  const files: string[] = [];
  for (const source of sources) files.push(...await resolveSourceFiles(connection, source, field));
  const formats = new Set(files.map((file) => options.format ?? sourceFormatOf(file, field)));
  if (formats.size > 1) {
    throw new InvalidInputError(field, `the files mix formats (${[...formats].join(', ')})`, 'ingest each format on its own, or convert them first');
  }
  const format = [...formats][0]!;
  const relation = quoteIdentifier(name);
  if (format === 'arrow') return { files, format, rows: await loadArrowFiles(connection, files, name, field), relation };
  const reader = readerSql(files, format, { csv: options.csv, rejects: options.rejects });
  const kind = format === 'parquet' ? 'VIEW' : 'TABLE';
  await connection.run(`CREATE TEMP ${kind} ${relation} AS SELECT * FROM ${reader}`).catch((error: unknown) => {
    throw new InvalidInputError(field, `cannot read ${describeFiles(files)}: ${duckDbMessage(error)}`);
  });
  if (format === 'parquet') return { files, format, rows: undefined, relation: reader };
  const [counted] = await queryRows(connection, `SELECT count(*) AS n FROM ${relation}`);
  return { files, format, rows: toNumber(counted?.n) ?? 0, relation };
}

export function describeFiles(files: readonly string[]): string {
  return files.length === 1 ? JSON.stringify(files[0]) : `${files.length} files (${JSON.stringify(files[0])}, …)`;
}
