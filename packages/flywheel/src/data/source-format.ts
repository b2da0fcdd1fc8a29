import { extname } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { quoteLiteral } from './sql-text.js';

/** The kinds of files Flywheel reads. */
export const SOURCE_FORMATS = ['csv', 'parquet', 'json', 'arrow'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

const EXTENSIONS: Record<string, SourceFormat> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.parquet': 'parquet',
  '.json': 'json',
  '.ndjson': 'json',
  '.jsonl': 'json',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrow',
};
// DuckDB decompresses these itself, for text formats only.
const COMPRESSIONS = new Set(['.gz', '.zst']);

/**
 * The format of a data file by its extension: `.csv`, `.tsv` (CSV), `.parquet`, `.json`,
 * `.ndjson`, `.jsonl`, `.arrow`, `.feather`, `.ipc`, `.arrows` (Arrow IPC); text formats may end
 * in `.gz` or `.zst`. Unknown extensions are an InvalidInputError listing the known ones.
 */
export function sourceFormatOf(path: string, field = 'source'): SourceFormat {
  let extension = extname(path).toLowerCase();
  if (COMPRESSIONS.has(extension)) {
    const inner = EXTENSIONS[extname(path.slice(0, -extension.length)).toLowerCase()];
    if (inner === 'csv' || inner === 'json') return inner;
    extension = `${extname(path.slice(0, -extension.length))}${extension}`;
  }
  const format = EXTENSIONS[extension];
  if (!format) {
    throw new InvalidInputError(field, `cannot read ${JSON.stringify(path)}: unknown file type ${JSON.stringify(extension || '(none)')}`,
      `use one of ${Object.keys(EXTENSIONS).join(', ')} (text formats may be .gz or .zst compressed), or name the format`);
  }
  return format;
}

/** How to read CSV files; everything is detected from the file when left out. */
export interface CsvOptions {
  /** The field separator, e.g. `;` or `\t`. */
  delimiter?: string;
  /** Whether the first line names the columns. */
  header?: boolean;
  /**
   * DuckDB types for some columns, e.g. `{ id: 'BIGINT', price: 'DECIMAL(10,2)' }`; the others
   * are detected. A value that does not fit its column's type is a rejected row.
   */
  columnTypes?: Record<string, string>;
  /** The text encoding. Default `utf-8`. */
  encoding?: 'utf-8' | 'latin-1' | 'utf-16';
  /** Texts that mean "no value", e.g. `['', 'NA', 'null']`. Default: the empty field. */
  nullStrings?: string[];
}

/** Validates CsvOptions given as step parameters. */
export const csvOptionsSchema: z.ZodType<CsvOptions> = z.strictObject({
  delimiter: z.string().min(1).optional(),
  header: z.boolean().optional(),
  columnTypes: z.record(z.string(), z.string().min(1)).optional(),
  encoding: z.enum(['utf-8', 'latin-1', 'utf-16']).optional(),
  nullStrings: z.array(z.string()).optional(),
});

/** Names of the tables DuckDB fills with CSV lines it could not read (`store_rejects`). */
export interface RejectsTables {
  errors: string;
  scans: string;
}

function sqlList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}

function csvArguments(options: CsvOptions, rejects: RejectsTables | undefined): string[] {
  const args: string[] = [];
  if (options.delimiter !== undefined) args.push(`delim = ${quoteLiteral(options.delimiter)}`);
  if (options.header !== undefined) args.push(`header = ${options.header}`);
  if (options.encoding !== undefined) args.push(`encoding = ${quoteLiteral(options.encoding)}`);
  if (options.nullStrings !== undefined) args.push(`nullstr = ${sqlList(options.nullStrings)}`);
  const types = Object.entries(options.columnTypes ?? {});
  if (types.length > 0) args.push(`types = {${types.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ')}}`);
  if (rejects) {
    args.push('store_rejects = true', `rejects_table = ${quoteLiteral(rejects.errors)}`, `rejects_scan = ${quoteLiteral(rejects.scans)}`);
  }
  return args;
}

/**
 * The SQL table expression reading `files` (all of one format other than Arrow, which DuckDB here
 * cannot read; see loadArrowFiles). Several files are matched up by column name, except CSV files
 * read with `rejects`, which must have the same columns. With `rejects`, CSV lines that cannot be
 * read land in those tables instead of failing the scan.
 */
export function readerSql(files: readonly string[], format: Exclude<SourceFormat, 'arrow'>, options: { csv?: CsvOptions; rejects?: RejectsTables } = {}): string {
  const target = files.length === 1 ? quoteLiteral(files[0]!) : sqlList(files);
  // DuckDB cannot keep rejects while matching CSV columns by name: CSV files read together
  // must then have the same columns in the same order.
  const many = files.length > 1 && !(format === 'csv' && options.rejects) ? ['union_by_name = true'] : [];
  switch (format) {
    case 'parquet':
      return `read_parquet(${[target, ...many].join(', ')})`;
    case 'json':
      return `read_json_auto(${[target, ...many].join(', ')})`;
    case 'csv':
      return `read_csv(${[target, ...many, ...csvArguments(options.csv ?? {}, options.rejects)].join(', ')})`;
  }
}
