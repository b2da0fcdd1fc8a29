import { open } from 'node:fs/promises';
import type * as DuckDb from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type * as Arrow from 'apache-arrow';
import type { AsyncRecordBatchFileReader, AsyncRecordBatchStreamReader, Data, DataType, Field, Schema } from 'apache-arrow';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier } from './sql-text.js';

type DuckDbModule = typeof DuckDb;
type ArrowModule = typeof Arrow;

/** Writes rows [start, start + count) of one Arrow column into a DuckDB vector. */
type Fill = (data: Data, start: number, count: number, set: (row: number, value: DuckDBValue) => void) => void;

interface ColumnLoader {
  name: string;
  /** The DuckDB type values are appended as: Arrow's physical type, converted in SQL afterwards. */
  staging: DuckDBType;
  /** Turns the staged column into its final type, e.g. epoch microseconds into TIMESTAMP. */
  select: string;
  fill: Fill;
}

// DuckDB's vector size: one appended chunk holds at most this many rows.
const CHUNK_ROWS = 2048;

function isValid(data: Data, row: number): boolean {
  return data.nullCount === 0 || data.getValid(row);
}

/** Values read straight from the typed array Arrow keeps them in (numbers or bigints). */
const typedFill: Fill = (data, start, count, set) => {
  const values = data.values as ArrayLike<number | bigint>;
  for (let row = start; row < start + count; row++) set(row - start, isValid(data, row) ? values[row]! : null);
};

/** Values decoded by Arrow itself (strings, half floats, bit-packed booleans, bytes). */
function decodedFill(arrow: ArrowModule, convert: (value: unknown) => DuckDBValue = (value) => value as DuckDBValue): Fill {
  return (data, start, count, set) => {
    const vector = arrow.makeVector(data);
    for (let row = start; row < start + count; row++) set(row - start, isValid(data, row) ? convert(vector.get(row)) : null);
  };
}

function dictionaryFill(): Fill {
  // A dictionary is usually shared by every batch: decode each one once.
  const decoded = new WeakMap<object, unknown[]>();
  return (data, start, count, set) => {
    const dictionary = data.dictionary!;
    let words = decoded.get(dictionary);
    if (!words) {
      words = dictionary.toArray() as unknown[];
      decoded.set(dictionary, words);
    }
    const keys = data.values as ArrayLike<number | bigint>;
    for (let row = start; row < start + count; row++) {
      set(row - start, isValid(data, row) ? (words[Number(keys[row])] as DuckDBValue) : null);
    }
  };
}

function loaderFor(field: Field, duckdb: DuckDbModule, arrow: ArrowModule): ColumnLoader | string {
  const type: DataType = field.type;
  const name = field.name;
  const column = quoteIdentifier(name);
  const plain = (staging: DuckDBType, fill: Fill): ColumnLoader => ({ name, staging, select: column, fill });
  const { DataType: Types, TimeUnit, DateUnit, Precision } = arrow;
  if (Types.isInt(type)) {
    const signed = { 8: duckdb.TINYINT, 16: duckdb.SMALLINT, 32: duckdb.INTEGER, 64: duckdb.BIGINT } as const;
    const unsigned = { 8: duckdb.UTINYINT, 16: duckdb.USMALLINT, 32: duckdb.UINTEGER, 64: duckdb.UBIGINT } as const;
    return plain((type.isSigned ? signed : unsigned)[type.bitWidth], typedFill);
  }
  if (Types.isFloat(type)) {
    if (type.precision === Precision.DOUBLE) return plain(duckdb.DOUBLE, typedFill);
    return plain(duckdb.FLOAT, type.precision === Precision.HALF ? decodedFill(arrow) : typedFill);
  }
  if (Types.isBool(type)) return plain(duckdb.BOOLEAN, decodedFill(arrow));
  if (Types.isUtf8(type) || Types.isLargeUtf8(type)) return plain(duckdb.VARCHAR, decodedFill(arrow));
  if (Types.isBinary(type) || Types.isLargeBinary(type)) {
    return plain(duckdb.BLOB, decodedFill(arrow, (bytes) => duckdb.blobValue(bytes as Uint8Array)));
  }
  if (Types.isDictionary(type) && (Types.isUtf8(type.dictionary) || Types.isLargeUtf8(type.dictionary))) {
    return plain(duckdb.VARCHAR, dictionaryFill());
  }
  if (Types.isDate(type)) {
    return type.unit === DateUnit.DAY
      ? { name, staging: duckdb.INTEGER, select: `(DATE '1970-01-01' + ${column})`, fill: typedFill }
      : { name, staging: duckdb.BIGINT, select: `CAST(epoch_ms(${column}) AS DATE)`, fill: typedFill };
  }
  if (Types.isTimestamp(type)) {
    const toTimestamp = {
      [TimeUnit.SECOND]: `make_timestamp(${column} * 1000000)`,
      [TimeUnit.MILLISECOND]: `epoch_ms(${column})`,
      [TimeUnit.MICROSECOND]: `make_timestamp(${column})`,
      [TimeUnit.NANOSECOND]: `make_timestamp_ns(${column})`,
    }[type.unit];
    // The session runs in UTC, so a zone-aware value keeps its instant.
    const select = type.timezone ? `CAST(${toTimestamp} AS TIMESTAMPTZ)` : toTimestamp;
    return { name, staging: duckdb.BIGINT, select, fill: typedFill };
  }
  if (Types.isNull(type)) return plain(duckdb.VARCHAR, (_data, _start, count, set) => {
    for (let row = 0; row < count; row++) set(row, null);
  });
  return String(type);
}

/**
 * Loads Arrow IPC files (the file format, `.arrow`/`.feather`, or the stream format) into the
 * DuckDB table `table`, record batch by record batch through DuckDB's appender (into a table of
 * Arrow's physical types, converted in SQL to dates and timestamps at the end): values go from
 * Arrow's typed arrays into DuckDB vectors of 2,048 rows, never through one object per row.
 * Integers, floats, booleans, strings (also dictionary-encoded), binary, dates and timestamps are
 * read; other types (decimals, lists, structs, intervals…) are an InvalidInputError naming the
 * column. Returns the number of rows loaded.
 *
 * @example
 *   await withDuckDb(async (db) => loadArrowFiles(db, ['flights-200k.arrow'], 'flights'));
 */
export async function loadArrowFiles(connection: DuckDBConnection, files: readonly string[], table: string, field = 'source'): Promise<number> {
  const [duckdb, arrow] = await Promise.all([import('@duckdb/node-api'), import('apache-arrow')]);
  const staging = `${table}__arrow`;
  let loaders: ColumnLoader[] | undefined;
  let firstSchema: Schema | undefined;
  let rows = 0;
  for (const file of files) {
    const handle = await open(file);
    try {
      let reader: AsyncRecordBatchFileReader | AsyncRecordBatchStreamReader;
      try {
        // A file handle gives the async reader, which seeks to each batch instead of reading the
        // whole file; Arrow's typings resolve this call to a synchronous overload.
        reader = await (arrow.RecordBatchReader.from(handle) as unknown as Promise<AsyncRecordBatchFileReader | AsyncRecordBatchStreamReader>);
        await reader.open();
      } catch (error) {
        throw new InvalidInputError(field, `${JSON.stringify(file)} is not an Arrow IPC file: ${error instanceof Error ? error.message : String(error)}`);
      }
      const schema = reader.schema;
      if (!loaders) {
        loaders = columnLoaders(schema, file, field, duckdb, arrow);
        firstSchema = schema;
        const columns = loaders.map((loader) => `${quoteIdentifier(loader.name)} ${loader.staging.toString()}`);
        await connection.run(`CREATE TEMP TABLE ${quoteIdentifier(staging)} (${columns.join(', ')})`);
      } else if (!sameColumns(firstSchema!, schema)) {
        throw new InvalidInputError(field, `${JSON.stringify(file)} has columns ${describeSchema(schema)}, unlike ${JSON.stringify(files[0])} (${describeSchema(firstSchema!)})`,
          'Arrow files ingested together must have the same columns and types');
      }
      const appender = await connection.createAppender(staging);
      try {
        for await (const batch of reader) {
          const columns = batch.data.children;
          for (let chunkStart = 0; chunkStart < batch.numRows; chunkStart += CHUNK_ROWS) {
            appender.appendDataChunk(chunkOf(duckdb, loaders, columns, chunkStart, Math.min(CHUNK_ROWS, batch.numRows - chunkStart)));
          }
          rows += batch.numRows;
        }
        appender.flushSync();
      } catch (error) {
        if (error instanceof InvalidInputError) throw error;
        throw new InvalidInputError(field, `cannot read ${JSON.stringify(file)}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        appender.closeSync();
      }
    } finally {
      await handle.close();
    }
  }
  const select = loaders!.map((loader) => `${loader.select} AS ${quoteIdentifier(loader.name)}`).join(', ');
  await connection.run(`CREATE TEMP TABLE ${quoteIdentifier(table)} AS SELECT ${select} FROM ${quoteIdentifier(staging)}`);
  await connection.run(`DROP TABLE ${quoteIdentifier(staging)}`);
  return rows;
}

function columnLoaders(schema: Schema, file: string, field: string, duckdb: DuckDbModule, arrow: ArrowModule): ColumnLoader[] {
  const loaders: ColumnLoader[] = [];
  for (const column of schema.fields) {
    const loader = loaderFor(column, duckdb, arrow);
    if (typeof loader === 'string') {
      throw new InvalidInputError(field, `${JSON.stringify(file)}: column ${JSON.stringify(column.name)} has Arrow type ${loader}, which ingest cannot read`,
        'convert it (to Parquet, or to a supported type) first; readable are integers, floats, booleans, strings, binary, dates and timestamps');
    }
    loaders.push(loader);
  }
  return loaders;
}

/** One DuckDB chunk of `count` rows from `start`: one vector per column, filled value by value. */
function chunkOf(duckdb: DuckDbModule, loaders: ColumnLoader[], columns: Data[], start: number, count: number): DuckDBDataChunk {
  const chunk = duckdb.DuckDBDataChunk.create(loaders.map((loader) => loader.staging), count);
  loaders.forEach((loader, i) => {
    const vector = chunk.getColumnVector(i);
    loader.fill(columns[i]!, start, count, (row, value) => vector.setItem(row, value as never));
    vector.flush();
  });
  return chunk;
}

function sameColumns(a: Schema, b: Schema): boolean {
  return a.fields.length === b.fields.length && a.fields.every((f, i) => f.name === b.fields[i]!.name && String(f.type) === String(b.fields[i]!.type));
}

function describeSchema(schema: Schema): string {
  return schema.fields.map((f) => `${f.name} ${String(f.type)}`).join(', ');
}
