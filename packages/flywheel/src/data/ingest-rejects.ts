import type { DuckDBConnection } from '@duckdb/node-api';
import { queryRows, toNumber } from './duckdb.js';
import type { RejectsTables } from './source-format.js';
import { quoteIdentifier, quoteLiteral } from './sql-text.js';

/** The DuckDB table ingest gathers rejected rows in before writing them out. */
const REJECTS_TABLE = 'flywheel_rejects';

/** One reason a row was set aside. A row with several problems has one entry per problem. */
export interface RejectedRow {
  /** The source file, for rows that could not be read from it. */
  file: string | null;
  /** The line in `file` (1-based, the header is line 1). */
  line: number | null;
  /** The row number in the query's result (1-based), for rows a time split could not place. */
  row: number | null;
  /** The column concerned, when there is one. */
  column: string | null;
  /**
   * `cast` (a value does not fit the column type), `missing_columns`, `too_many_columns`,
   * `unquoted_value`, `line_size_over_maximum`, `invalid_encoding` (not UTF-8), `invalid_state`
   * (a line DuckDB's CSV parser could not make sense of), or `no_split_value`.
   */
  reason: string;
  message: string;
  /** The raw CSV line, or the row as JSON. */
  content: string | null;
}

export interface RejectsSummary {
  /** The rejects file (Parquet, one RejectedRow per entry). */
  path: string;
  /** Rows rejected; a row with several problems counts once. */
  rows: number;
  /** Entries per reason. */
  reasons: Record<string, number>;
  /** The first entries, in file and line order. */
  examples: RejectedRow[];
}

const EXAMPLES = 5;

/** `data/x.parquet` → `data/x.rejects.parquet`. */
export function rejectsPathFor(output: string): string {
  return output.endsWith('.parquet') ? `${output.slice(0, -'.parquet'.length)}.rejects.parquet` : `${output}.rejects.parquet`;
}

export async function createRejectsTable(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE TEMP TABLE ${REJECTS_TABLE} (
    file VARCHAR, line BIGINT, "row" BIGINT, "column" VARCHAR, reason VARCHAR, message VARCHAR, content VARCHAR)`);
}

/** Moves the lines DuckDB's CSV reader set aside (store_rejects) into the rejects table. */
export async function collectCsvRejects(connection: DuckDBConnection, tables: RejectsTables): Promise<void> {
  const [exists] = await queryRows(connection, `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = ${quoteLiteral(tables.errors)}`);
  if (toNumber(exists?.n) === 0) return;
  await connection.run(`INSERT INTO ${REJECTS_TABLE}
    SELECT s.file_path, e.line, NULL, e.column_name, lower(replace(e.error_type, ' ', '_')), e.error_message, e.csv_line
    FROM ${quoteIdentifier(tables.errors)} e JOIN ${quoteIdentifier(tables.scans)} s USING (scan_id, file_id)`);
}

/**
 * Sets aside the rows of `select` whose time-split column is NULL (they belong to no split) and
 * returns how many there were.
 */
export async function collectSplitRejects(connection: DuckDBConnection, select: string, column: string): Promise<number> {
  const message = quoteLiteral(`the split column ${JSON.stringify(column)} has no value, so the row belongs to no split`);
  const inserted = await connection.run(`INSERT INTO ${REJECTS_TABLE}
    SELECT NULL, NULL, __rn, ${quoteLiteral(column)}, 'no_split_value', ${message}, to_json(__row)::VARCHAR
    FROM (SELECT row_number() OVER () AS __rn, q AS __row FROM (${select}) q)
    WHERE __row.${quoteIdentifier(column)} IS NULL`);
  return Number(inserted.rowsChanged);
}

export async function readRejectsSummary(connection: DuckDBConnection, path: string): Promise<RejectsSummary> {
  const [counted] = await queryRows(connection, `SELECT count(*) AS n FROM (SELECT DISTINCT file, line, "row" FROM ${REJECTS_TABLE})`);
  const reasons = await queryRows(connection, `SELECT reason, count(*) AS n FROM ${REJECTS_TABLE} GROUP BY reason ORDER BY n DESC, reason`);
  const examples = await queryRows(connection, `SELECT * FROM ${REJECTS_TABLE} ORDER BY file, line, "row", "column" LIMIT ${EXAMPLES}`);
  return {
    path,
    rows: toNumber(counted?.n) ?? 0,
    reasons: Object.fromEntries(reasons.map((row) => [String(row.reason), toNumber(row.n) ?? 0])),
    examples: examples.map((row) => ({
      file: row.file === null ? null : String(row.file),
      line: toNumber(row.line),
      row: toNumber(row.row),
      column: row.column === null ? null : String(row.column),
      reason: String(row.reason),
      message: String(row.message),
      content: row.content === null ? null : String(row.content),
    })),
  };
}

/** Writes every rejected row to a Parquet file, in file and line order. */
export async function writeRejects(connection: DuckDBConnection, path: string): Promise<void> {
  await connection.run(`COPY (SELECT * FROM ${REJECTS_TABLE} ORDER BY file, line, "row", "column") TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`);
}
