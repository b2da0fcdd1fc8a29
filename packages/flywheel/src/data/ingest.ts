import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Dataset, Rejects } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { describeColumns, queryRows, toNumber, withDuckDb } from './duckdb.js';
import { collectCsvRejects, collectSplitRejects, createRejectsTable, readRejectsSummary, rejectsPathFor, writeRejects } from './ingest-rejects.js';
import type { RejectsSummary } from './ingest-rejects.js';
import { csvOptionsSchema, SOURCE_FORMATS } from './source-format.js';
import type { CsvOptions, RejectsTables, SourceFormat } from './source-format.js';
import { describeFiles, duckDbMessage, openSource } from './source-table.js';
import { compileSplitSpec, SPLIT_COLUMN, splitNames, splitSpecSchema, withSplitColumn } from './split.js';
import type { CompiledSplitSpec, SplitSpec } from './split.js';
import { quoteIdentifier, quoteLiteral } from './sql-text.js';

export interface IngestOptions {
  /**
   * Data files or globs (`data/2001-*.csv`), all of one format: CSV, Parquet, JSON/NDJSON or Arrow
   * IPC (see sourceFormatOf). May be left out when `query` reads its own data, e.g.
   * `SELECT * FROM read_csv('a.csv') JOIN read_parquet('b.parquet') USING (id)`.
   */
  source?: string | readonly string[];
  /** The format of the source files; detected from their extensions by default. */
  format?: SourceFormat;
  /** How to read CSV files; detected from the files by default. */
  csv?: CsvOptions;
  /**
   * One SELECT over the table `source`, e.g.
   * `SELECT *, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = 1`.
   * Default: every row and column.
   */
  query?: string;
  /** The Parquet file to write (zstd-compressed); its folder is created if needed. */
  output: string;
  /**
   * Assigns each row to a split, stored in an added `split` column: an object (see SplitSpec) or
   * its command-line text, e.g. `random:0.8,seed=42`, `hash:user_id:0.8`, `time:date:2001-03-01`.
   */
  split?: SplitSpec | string;
  /** The Parquet file of rejected rows. Default: beside `output`, `<name>.rejects.parquet`. */
  rejectsOutput?: string;
  /**
   * Fail, writing no dataset, when more than this share (0…1) of the rows read is rejected.
   * Default 1: rejected rows never fail ingestion (they are reported and kept aside).
   */
  maxRejectedShare?: number;
}

export interface IngestedColumn {
  name: string;
  /** DuckDB type as stored in the Parquet file, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  type: string;
}

/**
 * What ingest did. The counts always reconcile:
 * `rowsRead = rowsWritten + rowsRejected + rowsFiltered`.
 */
export interface IngestResult {
  /** The dataset written. */
  output: string;
  /** Rows found in the source: the readable ones and the rejected ones. */
  rowsRead: number;
  /** Rows in the dataset. */
  rowsWritten: number;
  /** Rows set aside in the rejects file: unreadable source rows, and rows a time split cannot place. */
  rowsRejected: number;
  /**
   * Readable rows the query did not pass on (its WHERE); 0 without a query, negative when the
   * query makes more rows than it reads (a join, UNNEST).
   */
  rowsFiltered: number;
  /** Rows per split in split order, when a split was asked for. */
  splits: Record<string, number> | null;
  columns: IngestedColumn[];
  rejects: RejectsSummary;
  /** What deserves a look but did not stop ingestion: rejected rows, an empty result. */
  warnings: string[];
}

const CSV_REJECTS: RejectsTables = { errors: 'flywheel_reject_errors', scans: 'flywheel_reject_scans' };

/**
 * Reads data files (or a glob, or a SQL query) with DuckDB, optionally reshapes them with a query
 * over the table `source` and assigns splits, and writes one Parquet file. CSV rows that cannot be
 * read (malformed lines, values that do not fit the column type, bytes that are not UTF-8) are
 * kept with their file, line, column and reason in a rejects file beside the dataset, never
 * silently dropped. Both files appear only when complete.
 *
 * @example
 *   const result = await ingest({
 *     source: 'node_modules/vega-datasets/data/flights-3m.parquet',
 *     query: 'SELECT *, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = 1',
 *     split: 'random:0.8,seed=42',
 *     output: 'data/flights-2001-01.parquet',
 *   });
 *   result.splits; // { train: 406…, eval: 101… }
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  const { output } = options;
  const query = options.query === undefined ? undefined : normaliseQuery(options.query);
  const sources = options.source === undefined ? [] : typeof options.source === 'string' ? [options.source] : [...options.source];
  if (sources.length === 0 && query === undefined) {
    throw new InvalidInputError('source', 'name a source file, or a query that reads its own data');
  }
  const split = options.split === undefined ? undefined : compileSplitSpec(options.split);
  const maxRejectedShare = options.maxRejectedShare ?? 1;
  if (!(maxRejectedShare >= 0 && maxRejectedShare <= 1)) {
    throw new InvalidInputError('maxRejectedShare', `must be a share between 0 and 1, got ${maxRejectedShare}`);
  }
  const rejectsOutput = options.rejectsOutput ?? rejectsPathFor(output);
  await mkdir(dirname(output), { recursive: true });
  await mkdir(dirname(rejectsOutput), { recursive: true });
  const partial = `${output}.partial-${process.pid}`;
  const rejectsPartial = `${rejectsOutput}.partial-${process.pid}`;
  try {
    return await withDuckDb(async (connection) => {
      await createRejectsTable(connection);
      const opened = sources.length === 0 ? undefined : await openSource(connection, sources, 'source', {
        format: options.format, csv: options.csv, rejects: CSV_REJECTS,
      });
      const select = query ?? 'SELECT * FROM source';
      const selected = await describeQuery(connection, select);
      const fail = (error: unknown): never => {
        const message = duckDbMessage(error);
        // DuckDB names the file in errors of reading it (a Parquet string that is not UTF-8,
        // malformed JSON); anything else went wrong in the query.
        const field = query === undefined || opened?.files.some((file) => message.includes(file)) ? 'source' : 'query';
        throw new InvalidInputError(field, `ingesting ${opened ? describeFiles(opened.files) : 'the query'} failed: ${message}`);
      };

      let splitRejected = 0;
      let final = select;
      if (split) {
        await checkSplit(connection, split, selected);
        if (split.kind === 'time') splitRejected = await collectSplitRejects(connection, select, split.column).catch(fail);
        final = withSplitColumn(select, split);
        if (split.kind === 'time') final = `SELECT * FROM (${final}) WHERE ${quoteIdentifier(SPLIT_COLUMN)} IS NOT NULL`;
      }
      const written = await connection.run(`COPY (${final}) TO ${quoteLiteral(partial)} (FORMAT parquet, COMPRESSION zstd)`).catch(fail);
      const rowsWritten = Number(written.rowsChanged);
      if (opened?.format === 'csv') await collectCsvRejects(connection, CSV_REJECTS);

      const produced = rowsWritten + splitRejected;
      // Text and Arrow sources were counted as they were read; a Parquet source needs counting
      // only when a query stands between it and the output.
      const sourceRows = opened?.rows ?? (query === undefined || !opened ? produced : await countSource(connection));
      const rejects = await readRejectsSummary(connection, rejectsOutput);
      const readRejected = rejects.rows - splitRejected;
      const counts = {
        rowsRead: sourceRows + readRejected,
        rowsWritten,
        rowsRejected: rejects.rows,
        rowsFiltered: sourceRows - produced,
      };
      await writeRejects(connection, rejectsPartial);
      await rename(rejectsPartial, rejectsOutput);
      if (counts.rowsRead > 0 && counts.rowsRejected / counts.rowsRead > maxRejectedShare) {
        const first = rejects.examples[0];
        throw new InvalidInputError('source', `${counts.rowsRejected} of ${counts.rowsRead} rows were rejected, more than maxRejectedShare (${maxRejectedShare}); `
          + `the first: ${first ? describeReject(first) : '?'}`, `every rejected row is listed in ${rejectsOutput}`);
      }
      const columns = await describeColumns(connection, `read_parquet(${quoteLiteral(partial)})`);
      const splits = split ? await countSplits(connection, partial, splitNames(split)) : null;
      await rename(partial, output);
      return { output, ...counts, splits, columns, rejects, warnings: warningsOf(counts, rejects, describeSources(sources)) };
    });
  } finally {
    await rm(partial, { force: true });
    await rm(rejectsPartial, { force: true });
  }
}

function normaliseQuery(query: string): string {
  const trimmed = query.trim().replace(/;+\s*$/, '');
  if (trimmed === '') throw new InvalidInputError('query', 'must not be empty', 'leave it out to keep every row and column');
  return trimmed;
}

/**
 * The columns the query yields, without running it. Preparing the statement refuses a second
 * statement smuggled after the SELECT.
 */
async function describeQuery(connection: DuckDBConnection, select: string): Promise<{ name: string; type: string }[]> {
  try {
    const prepared = await connection.prepare(`DESCRIBE (${select})`);
    const rows = (await prepared.runAndReadAll()).getRowObjectsJS();
    return rows.map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
  } catch (error) {
    throw new InvalidInputError('query', duckDbMessage(error), 'the query must be one SELECT over the table `source`');
  }
}

async function countSource(connection: DuckDBConnection): Promise<number> {
  return toNumber((await queryRows(connection, 'SELECT count(*) AS n FROM source'))[0]?.n) ?? 0;
}

/** The split column must exist, `split` must not, and time boundaries must be times in order. */
async function checkSplit(connection: DuckDBConnection, split: CompiledSplitSpec, columns: { name: string; type: string }[]): Promise<void> {
  const names = columns.map((column) => column.name);
  if (names.includes(SPLIT_COLUMN)) {
    throw new InvalidInputError('split', `the data already has a column ${JSON.stringify(SPLIT_COLUMN)}`, 'rename it in the query, or leave the split out');
  }
  if (split.kind === 'random') return;
  const column = columns.find((c) => c.name === split.column);
  if (!column) throw new InvalidInputError('split.column', `the data has no column ${JSON.stringify(split.column)}`, `columns: ${names.join(', ')}`);
  if (split.kind !== 'time') return;
  const casts = split.boundaries.map((boundary, i) => `TRY_CAST(${quoteLiteral(boundary)} AS ${column.type}) AS b${i}`);
  const [row] = await queryRows(connection, `SELECT ${casts.join(', ')}`);
  split.boundaries.forEach((boundary, i) => {
    if (row![`b${i}`] === null) {
      throw new InvalidInputError('split.boundaries', `${JSON.stringify(boundary)} is not a ${column.type} like the column ${JSON.stringify(split.column)}`);
    }
  });
  if (split.boundaries.length > 1) {
    const ordered = split.boundaries.slice(1).map((b, i) => `CAST(${quoteLiteral(split.boundaries[i]!)} AS ${column.type}) < CAST(${quoteLiteral(b)} AS ${column.type}) AS o${i}`);
    const [order] = await queryRows(connection, `SELECT ${ordered.join(', ')}`);
    if (Object.values(order!).some((value) => value !== true)) {
      throw new InvalidInputError('split.boundaries', `must be in increasing order, got ${split.boundaries.join(', ')}`);
    }
  }
}

async function countSplits(connection: DuckDBConnection, path: string, names: string[]): Promise<Record<string, number>> {
  const rows = await queryRows(connection, `SELECT ${quoteIdentifier(SPLIT_COLUMN)} AS name, count(*) AS n FROM read_parquet(${quoteLiteral(path)}) GROUP BY ALL`);
  const counts = new Map(rows.map((row) => [String(row.name), toNumber(row.n) ?? 0]));
  return Object.fromEntries(names.map((name) => [name, counts.get(name) ?? 0]));
}

function describeSources(sources: string[]): string {
  return sources.length === 0 ? 'the query' : sources.join(', ');
}

function describeReject(reject: RejectsSummary['examples'][number]): string {
  const where = reject.file === null ? `row ${reject.row}` : `${reject.file}:${reject.line}`;
  return `${where}${reject.column === null ? '' : ` column ${JSON.stringify(reject.column)}`}: ${reject.message}`;
}

function warningsOf(counts: Omit<IngestResult, 'output' | 'splits' | 'columns' | 'rejects' | 'warnings'>, rejects: RejectsSummary, source: string): string[] {
  const warnings: string[] = [];
  if (counts.rowsRejected > 0) {
    const reasons = Object.entries(rejects.reasons).map(([reason, n]) => `${n} ${reason}`).join(', ');
    const first = rejects.examples[0];
    warnings.push(`${counts.rowsRejected} of ${counts.rowsRead} rows were rejected (${reasons}), e.g. ${first ? describeReject(first) : '?'}; all are in ${rejects.path}`);
  }
  if (counts.rowsWritten === 0) {
    if (counts.rowsRead === 0) warnings.push(`${source} has no rows; wrote an empty dataset`);
    else if (counts.rowsRejected === counts.rowsRead) warnings.push(`all ${counts.rowsRead} rows of ${source} were rejected; wrote an empty dataset`);
    else warnings.push(`the query kept none of the ${counts.rowsRead} rows of ${source}; wrote an empty dataset`);
  }
  return warnings;
}

const ingestParams = z.object({
  source: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  format: z.enum(SOURCE_FORMATS).optional(),
  csv: csvOptionsSchema.optional(),
  query: z.string().min(1).optional(),
  split: z.union([z.string().min(1), splitSpecSchema]).optional(),
  maxRejectedShare: z.number().min(0).max(1).optional(),
}).refine((params) => params.source !== undefined || params.query !== undefined, { message: 'give a source, or a query that reads its own data', path: ['source'] });

/**
 * Pipeline step: ingests `params.source` (optionally through `params.query`, optionally split)
 * into the `examples` Dataset, and the rows it could not read into `rejects`. Records the counts
 * (`rowCount`, `rowsRead`, `rowsRejected`, `rowsFiltered`), `columns` and `splits` on the dataset.
 *
 * @example
 *   const data = p.step(ingestComponent, {
 *     params: { source: 'data/2001-*.csv', query: 'SELECT * FROM source WHERE delay IS NOT NULL', split: 'random:0.8,seed=1' },
 *   });
 */
export const ingestComponent = component({
  name: 'ingest',
  version: '2',
  description: 'Reads CSV, Parquet, JSON or Arrow (optionally through a SQL query, optionally split) into a Parquet dataset, keeping rejected rows aside',
  params: ingestParams,
  outputs: { examples: Dataset, rejects: Rejects },
  run: async ({ params, outputs, log }) => {
    const started = performance.now();
    const result = await ingest({
      source: params.source,
      format: params.format,
      csv: params.csv,
      query: params.query,
      split: params.split,
      maxRejectedShare: params.maxRejectedShare,
      output: outputs.examples.path,
      rejectsOutput: outputs.rejects.path,
    });
    for (const warning of result.warnings) log.warn(warning);
    Object.assign(outputs.examples.properties, {
      rowCount: result.rowsWritten,
      rowsRead: result.rowsRead,
      rowsRejected: result.rowsRejected,
      rowsFiltered: result.rowsFiltered,
      columns: result.columns.map(({ name, type }) => ({ name, type })),
      ...(result.splits ? { splits: result.splits } : {}),
    });
    Object.assign(outputs.rejects.properties, { rowCount: result.rowsRejected, reasons: result.rejects.reasons });
    const splits = result.splits ? ` (${Object.entries(result.splits).map(([name, n]) => `${name} ${n}`).join(', ')})` : '';
    log.info(`ingested ${result.rowsWritten} of ${result.rowsRead} rows${splits}, ${result.rowsRejected} rejected, ${result.rowsFiltered} filtered by the query; `
      + `${result.columns.length} columns in ${Math.round(performance.now() - started)} ms`);
    return { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten, rowsRejected: result.rowsRejected, rowsFiltered: result.rowsFiltered };
  },
});
