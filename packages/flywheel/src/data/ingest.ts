import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Dataset } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { describeColumns, queryRows, quoteLiteral, resolveSourceFiles, tableFunctionFor, toNumber, withDuckDb } from './duckdb.js';

export interface IngestOptions {
  /** A data file, or a glob of files of one type: .parquet, .csv, .tsv, .json, .ndjson, .jsonl. */
  source: string;
  /**
   * One SELECT over the table `source`, e.g.
   * `SELECT *, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = 1`.
   * Default: every row and column.
   */
  query?: string;
  /** The Parquet file to write (zstd-compressed); its folder is created if needed. */
  output: string;
}

export interface IngestedColumn {
  name: string;
  /** DuckDB type as stored in the Parquet file, e.g. `BIGINT`, `VARCHAR`, `TIMESTAMP`. */
  type: string;
}

export interface IngestResult {
  /** Rows in the source, before the query. */
  rowsRead: number;
  rowsWritten: number;
  columns: IngestedColumn[];
  /** What deserves a look but did not stop ingestion, e.g. an empty result. */
  warnings: string[];
}

/**
 * Reads a data file (or a glob of them) with DuckDB, optionally reshapes it with a SQL query over
 * the table `source`, and writes the result as one Parquet file. The output appears only when
 * complete, so a failed run never leaves half a file behind.
 *
 * @example
 *   const { rowsWritten } = await ingest({
 *     source: 'node_modules/vega-datasets/data/flights-3m.parquet',
 *     query: 'SELECT *, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = 1',
 *     output: 'data/flights-2001-01.parquet',
 *   });
 */
export async function ingest(options: IngestOptions): Promise<IngestResult> {
  const { source, output } = options;
  const query = options.query === undefined ? undefined : normaliseQuery(options.query);
  const table = tableFunctionFor(source, 'source');
  await mkdir(dirname(output), { recursive: true });
  const partial = `${output}.partial-${process.pid}`;
  try {
    return await withDuckDb(async (connection) => {
      const files = await resolveSourceFiles(connection, source);
      await connection.run(`CREATE VIEW source AS SELECT * FROM ${table}`).catch((error: unknown) => {
        throw new InvalidInputError('source', `cannot read ${JSON.stringify(source)}: ${duckDbMessage(error)}`);
      });
      const copy = `COPY (${query ?? 'SELECT * FROM source'}) TO ${quoteLiteral(partial)} (FORMAT parquet, COMPRESSION zstd)`;
      const prepared = await connection.prepare(copy).catch((error: unknown) => {
        throw new InvalidInputError('query', duckDbMessage(error), 'the query must be one SELECT over the table `source`');
      });
      const written = await prepared.run().catch((error: unknown) => {
        const message = duckDbMessage(error);
        // DuckDB names the file in errors of reading it (a value that does not fit the type detected
        // from a sample, malformed JSON); anything else went wrong in the query.
        const field = query === undefined || files.some((file) => message.includes(file)) ? 'source' : 'query';
        throw new InvalidInputError(field, `ingesting ${JSON.stringify(source)} failed: ${message}`);
      });
      const rowsWritten = Number(written.rowsChanged);
      const rowsRead = query === undefined
        ? rowsWritten
        : (toNumber((await queryRows(connection, 'SELECT count(*) AS n FROM source'))[0]?.n) ?? 0);
      const columns = await describeColumns(connection, `SELECT * FROM read_parquet(${quoteLiteral(partial)})`);
      await rename(partial, output);
      const warnings = rowsWritten > 0 ? [] : [
        rowsRead === 0
          ? `${source} has no rows; wrote an empty dataset`
          : `the query kept none of the ${rowsRead} rows of ${source}; wrote an empty dataset`,
      ];
      return { rowsRead, rowsWritten, columns, warnings };
    });
  } finally {
    await rm(partial, { force: true });
  }
}

function normaliseQuery(query: string): string {
  const trimmed = query.trim().replace(/;+\s*$/, '');
  if (trimmed === '') throw new InvalidInputError('query', 'must not be empty', 'leave it out to keep every row and column');
  return trimmed;
}

/** DuckDB's message without its `LINE 1: COPY (…` excerpt, which shows our wrapper, not the user's text. */
function duckDbMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(/\n+LINE \d+:/)[0]!.trim();
}

const ingestParams = z.object({
  source: z.string().min(1),
  query: z.string().min(1).optional(),
});

/**
 * Pipeline step: ingests `params.source` (optionally through `params.query`) into the `examples`
 * Dataset, recording `rowCount` and `columns` on it.
 *
 * @example
 *   const data = p.step(ingestComponent, {
 *     params: { source: FLIGHTS, query: 'SELECT * FROM source WHERE month(date) = 1' },
 *   });
 */
export const ingestComponent = component({
  name: 'ingest',
  version: '1',
  description: 'Reads CSV, Parquet or JSON (optionally through a SQL query) into a Parquet dataset',
  params: ingestParams,
  outputs: { examples: Dataset },
  run: async ({ params, outputs, log }) => {
    const started = performance.now();
    const result = await ingest({ source: params.source, query: params.query, output: outputs.examples.path });
    for (const warning of result.warnings) log.warn(warning);
    Object.assign(outputs.examples.properties, {
      rowCount: result.rowsWritten,
      columns: result.columns.map(({ name, type }) => ({ name, type })),
    });
    log.info(`ingested ${result.rowsWritten} of ${result.rowsRead} rows (${result.columns.length} columns) in ${Math.round(performance.now() - started)} ms`);
    return { rowsRead: result.rowsRead, rowsWritten: result.rowsWritten };
  },
});
