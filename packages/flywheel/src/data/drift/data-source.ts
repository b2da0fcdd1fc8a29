import type { DuckDBConnection, DuckDBResult } from '@duckdb/node-api';
import { InvalidInputError } from '../../core/errors.js';
import { columnKindOf, valueTypeOf } from '../column-types.js';
import { describeColumns, queryRows, quoteIdentifier, resolveSourceFiles, tableFunctionFor, toNumber } from '../duckdb.js';
import type { BucketedSample } from './numeric-comparison.js';

/** How drift treats a column: numbers, categories (strings and booleans), or not at all. */
export type FeatureKind = 'numeric' | 'categorical' | 'other';

export interface ColumnDescription {
  name: string;
  /** The DuckDB type. */
  type: string;
  kind: FeatureKind;
  /** A numeric column's smallest and largest finite value; null without any. */
  range: { min: number; max: number } | null;
}

function featureKindOf(duckdbType: string): FeatureKind {
  const kind = columnKindOf(valueTypeOf(duckdbType));
  if (kind === 'numeric') return 'numeric';
  return kind === 'categorical' || kind === 'boolean' ? 'categorical' : 'other';
}

/**
 * A streamed result runs ahead of its reader on DuckDB's threads until this much is buffered:
 * room for a batch of numeric columns of a million rows, so that the next batch is scanned while
 * JavaScript works on the current one, without holding whole results in memory.
 */
const STREAM_BUFFER = '48MB';

/**
 * Runs `work` with a fresh in-memory DuckDB instance and `count` connections to it, closed
 * afterwards. Separate connections let the scan of one side (or of the next columns) run on
 * DuckDB's threads while JavaScript works on what came back before.
 */
export async function withDuckDbConnections<T>(count: number, work: (connections: DuckDBConnection[]) => Promise<T>): Promise<T> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connections: DuckDBConnection[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const connection = await instance.connect();
      connections.push(connection);
      await connection.run("SET TimeZone = 'UTC'");
      await connection.run(`SET streaming_buffer_size = '${STREAM_BUFFER}'`);
    }
    return await work(connections);
  } finally {
    for (const connection of connections) connection.closeSync();
    instance.closeSync();
  }
}

/** Two connections that take turns streaming numeric batches, and one for everything else. */
export type SourceConnections = readonly [DuckDBConnection, DuckDBConnection, DuckDBConnection];

/**
 * One data file (or glob) opened as a view in DuckDB. Opening reads only what Parquet metadata
 * answers (row count, each numeric column's minimum and maximum); the numeric columns are then
 * streamed in batches as DOUBLE, the categorical ones read as counts per value. Numeric batches
 * alternate between two connections, as a new query on a connection ends the stream before it; a
 * third one answers the other queries meanwhile.
 */
export class DuckDbDataSource {
  private streams = 0;

  private constructor(
    private readonly connections: SourceConnections,
    private readonly view: string,
    readonly path: string,
    readonly rows: number,
    readonly columns: ColumnDescription[],
  ) {}

  private get connection(): DuckDBConnection {
    return this.connections[2];
  }

  /** Opens `path`; `field` names the option in errors (a missing file is a NotFoundError naming it). */
  static async open(connections: SourceConnections, path: string, field: string, view: string): Promise<DuckDbDataSource> {
    const connection = connections[2];
    const table = tableFunctionFor(path, field);
    await resolveSourceFiles(connection, path, field);
    await connection.run(`CREATE VIEW ${view} AS SELECT * FROM ${table}`).catch((error: unknown) => {
      throw new InvalidInputError(field, `cannot read ${JSON.stringify(path)}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const columns = (await describeColumns(connection, view))
      .map(({ name, type }): ColumnDescription => ({ name, type, kind: featureKindOf(type), range: null }));
    const measures = [`count(*) AS row_count`];
    columns.forEach(({ name, kind }, i) => {
      if (kind === 'numeric') measures.push(`min(${quoteIdentifier(name)})::DOUBLE AS min${i}`, `max(${quoteIdentifier(name)})::DOUBLE AS max${i}`);
    });
    const [row] = await queryRows(connection, `SELECT ${measures.join(', ')} FROM ${view}`);
    const rows = toNumber(row?.row_count) ?? 0;
    const refine: number[] = [];
    columns.forEach((column, i) => {
      const min = toNumber(row?.[`min${i}`]);
      const max = toNumber(row?.[`max${i}`]);
      if (min === null || max === null) return;
      if (Number.isFinite(min) && Number.isFinite(max)) column.range = { min, max };
      else refine.push(i);
    });
    // NaN sorts above every number and ±Infinity are extremes too: those columns need a scan for their finite bounds.
    if (refine.length > 0) {
      const bounds = refine.flatMap((i) => {
        const column = `${quoteIdentifier(columns[i]!.name)}::DOUBLE`;
        return [`min(${column}) FILTER (WHERE isfinite(${column})) AS min${i}`, `max(${column}) FILTER (WHERE isfinite(${column})) AS max${i}`];
      });
      const [finite] = await queryRows(connection, `SELECT ${bounds.join(', ')} FROM ${view}`);
      for (const i of refine) {
        const min = toNumber(finite?.[`min${i}`]);
        const max = toNumber(finite?.[`max${i}`]);
        if (min !== null && max !== null) columns[i]!.range = { min, max };
      }
    }
    return new DuckDbDataSource(connections, view, path, rows, columns);
  }

  /**
   * Starts streaming numeric columns, scanned on DuckDB's threads ahead of the reader. NULL comes
   * back as NaN and NaN or ±Infinity as +Infinity (see BucketedSample.add): without NULLs DuckDB
   * sends no validity mask, whose check per value would cost more than the rest. A stream must be
   * read to its end before the one after next is started.
   */
  streamNumeric(names: readonly string[]): Promise<DuckDBResult> {
    const select = names.map((name) => {
      const column = quoteIdentifier(name);
      const type = this.columns.find((c) => c.name === name)?.type;
      return type === 'DOUBLE' || type === 'FLOAT'
        ? `CASE WHEN ${column} IS NULL THEN 'NaN'::DOUBLE WHEN isfinite(${column}) THEN ${column}::DOUBLE ELSE 'Infinity'::DOUBLE END`
        : `coalesce(${column}::DOUBLE, 'NaN'::DOUBLE)`;
    });
    const connection = this.connections[this.streams++ % 2]!;
    return connection.stream(`SELECT ${select.join(', ')} FROM ${this.view}`);
  }

  /** Non-NULL rows of each column. */
  async nonNullCounts(names: readonly string[]): Promise<number[]> {
    if (names.length === 0) return [];
    const [row] = await queryRows(this.connection, `SELECT ${names.map((name, i) => `count(${quoteIdentifier(name)}) AS c${i}`).join(', ')} FROM ${this.view}`);
    return names.map((_, i) => toNumber(row?.[`c${i}`]) ?? 0);
  }

  /** Rows per non-NULL value of a column (booleans as `true`/`false`). */
  async categoryCounts(name: string): Promise<Map<string, number>> {
    const column = quoteIdentifier(name);
    const rows = await queryRows(this.connection, `SELECT ${column}::VARCHAR AS v, count(*) AS n FROM ${this.view} WHERE ${column} IS NOT NULL GROUP BY ALL`);
    return new Map(rows.map((row) => [String(row.v), toNumber(row.n) ?? 0]));
  }
}

/** Reads a stream of DOUBLE columns to its end, dropping each column's values into the matching sample. */
export async function bucketColumns(result: DuckDBResult, samples: readonly BucketedSample[]): Promise<void> {
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    samples.forEach((sample, c) => sample.add(chunk.getColumnVector(c)));
  }
}
