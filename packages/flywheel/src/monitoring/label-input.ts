import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../core/errors.js';
import { describeColumns, quoteIdentifier, quoteLiteral, resolveSourceFiles } from '../data/duckdb.js';
import type { DatasetColumn } from '../data/duckdb.js';
import { readerSql, sourceFormatOf } from '../data/source-format.js';
import { describeFiles, duckDbMessage, openSource } from '../data/source-table.js';

/** One delayed label given in code (the HTTP endpoint, say) rather than in a file. */
export interface LabelInput {
  predictionId: string;
  /** The row within the request. Default 0. */
  row?: number;
  /** A number, a boolean (1/0) or a numeric string; anything else is rejected as invalid. */
  label: unknown;
}

/** The columns of a label file that hold each field. */
export interface LabelColumns {
  id: string;
  label: string;
  /** Optional in the file: without it, every label is for row 0. */
  row: string;
}

/**
 * The table the input lands in, one line per given label in input order (its `rowid`):
 * `prediction_id` as text, `row_text` and `label_text` as given (for messages), `row_value` and
 * `label` as numbers, NULL where the text is no number. A missing row is 0.
 */
export const LABEL_INPUT_TABLE = 'label_input';

const SOURCE_TABLE = 'label_source';
const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\))$/;
const FIELDS = { id: 'idColumn', label: 'labelColumn' } as const;

/**
 * Reads a label file (CSV, Parquet, JSON/NDJSON, Arrow) into LABEL_INPUT_TABLE. Text formats are
 * read with the three columns as text, so that a value of another type far down the file is a
 * rejected label rather than a failed read; DuckDB then parses them.
 *
 * @example
 *   await loadLabelFile(db, 'labels.csv', { id: 'prediction_id', label: 'label', row: 'row' });
 */
export async function loadLabelFile(db: DuckDBConnection, file: string, columns: LabelColumns): Promise<void> {
  const format = sourceFormatOf(file, 'file');
  const files = await resolveSourceFiles(db, file, 'file');
  const source = describeFiles(files);
  if (format === 'parquet' || format === 'arrow') {
    const opened = await openSource(db, files, SOURCE_TABLE, { format, field: 'file' });
    await normalize(db, opened.relation, present(files, await describeColumns(db, opened.relation), columns), source);
    return;
  }
  const sniffed = await describeColumns(db, readerSql(files, format)).catch((error: unknown) => {
    throw new InvalidInputError('file', `cannot read ${source}: ${duckDbMessage(error)}`);
  });
  const [id, label, row] = present(files, sniffed, columns);
  if (format === 'csv') {
    const types = Object.fromEntries([id, label, ...(row ? [row] : [])].map((column) => [column.name, 'VARCHAR']));
    const opened = await openSource(db, files, SOURCE_TABLE, { format, field: 'file', csv: { columnTypes: types } });
    await normalize(db, opened.relation, [asTextColumn(id.name), asTextColumn(label.name), row && asTextColumn(row.name)], source);
    return;
  }
  // openSource reads JSON with the types it detects in a sample, and has no way to say otherwise. The
  // row column is read even when the sample lacks it: records without it have row NULL, which is 0.
  const structure = [id.name, label.name, columns.row].map((name) => `${quoteLiteral(name)}: 'VARCHAR'`);
  const target = files.length === 1 ? quoteLiteral(files[0]!) : `[${files.map(quoteLiteral).join(', ')}]`;
  await db.run(`CREATE TEMP TABLE ${SOURCE_TABLE} AS SELECT * FROM read_json(${target}, columns = {${[...new Set(structure)].join(', ')}})`).catch((error: unknown) => {
    throw new InvalidInputError('file', `cannot read ${source}: ${duckDbMessage(error)}`);
  });
  await normalize(db, SOURCE_TABLE, [asTextColumn(id.name), asTextColumn(label.name), asTextColumn(columns.row)], source);
}

/**
 * Puts labels given in code into LABEL_INPUT_TABLE, each field as text, so that they are parsed
 * and checked by the same SQL as a file's.
 *
 * @example
 *   await loadLabelRows(db, [{ predictionId: '5b1e…', row: 0, label: 1 }]);
 */
export async function loadLabelRows(db: DuckDBConnection, rows: readonly LabelInput[]): Promise<void> {
  await db.run(`CREATE TEMP TABLE ${SOURCE_TABLE} (prediction_id VARCHAR, "row" VARCHAR, label VARCHAR)`);
  const appender = await db.createAppender(SOURCE_TABLE);
  try {
    for (const item of rows as readonly (Partial<LabelInput> | null | undefined)[]) {
      for (const value of [item?.predictionId, item?.row, item?.label]) {
        const text = asText(value);
        if (text === undefined) appender.appendNull();
        else appender.appendVarchar(text);
      }
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  await normalize(db, SOURCE_TABLE, [asTextColumn('prediction_id'), asTextColumn('label'), asTextColumn('row')], 'the labels');
}

function asTextColumn(name: string): DatasetColumn {
  return { name, type: 'VARCHAR' };
}

function asText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** The id, label and (when there) row columns of a file, in that order; a missing one is an InvalidInputError listing those found. */
function present(files: readonly string[], found: readonly DatasetColumn[], columns: LabelColumns): [DatasetColumn, DatasetColumn, DatasetColumn?] {
  const byName = new Map(found.map((column) => [column.name, column]));
  const [id, label] = (['id', 'label'] as const).map((key) => {
    const column = byName.get(columns[key]);
    if (column) return column;
    throw new InvalidInputError(FIELDS[key], `${describeFiles(files)} has no column ${JSON.stringify(columns[key])}; its columns: ${found.map((c) => c.name).join(', ') || '(none)'}`,
      `name the column that holds the ${key === 'id' ? 'prediction id' : 'label'}`);
  });
  return [id!, label!, byName.get(columns.row)];
}

/** Fills LABEL_INPUT_TABLE from `relation`, given its id, label and optional row column; `source` names it in errors. */
async function normalize(db: DuckDBConnection, relation: string, [id, label, row]: [DatasetColumn, DatasetColumn, DatasetColumn?], source: string): Promise<void> {
  const labelText = textSql(label);
  const labelValue = NUMERIC.test(label.type)
    ? `TRY_CAST(${quoteIdentifier(label.name)} AS DOUBLE)`
    : `CASE lower(trim(${labelText})) WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 ELSE TRY_CAST(${labelText} AS DOUBLE) END`;
  let rowText = 'NULL::VARCHAR';
  let rowValue = '0::DOUBLE';
  if (row) {
    rowText = textSql(row);
    const parsed = NUMERIC.test(row.type) ? `TRY_CAST(${quoteIdentifier(row.name)} AS DOUBLE)` : `TRY_CAST(${rowText} AS DOUBLE)`;
    rowValue = `CASE WHEN NULLIF(trim(${rowText}), '') IS NULL THEN 0 ELSE ${parsed} END`;
  }
  await db.run(`CREATE TEMP TABLE ${LABEL_INPUT_TABLE} AS
    SELECT ${textSql(id)} AS prediction_id, ${rowText} AS row_text, ${rowValue} AS row_value, ${labelText} AS label_text, ${labelValue} AS label
    FROM ${relation}`).catch((error: unknown) => {
    throw new InvalidInputError('file', `cannot read ${source}: ${duckDbMessage(error)}`);
  });
}

/** SQL: a column's value as text; a JSON string without its quotes. */
function textSql(column: DatasetColumn): string {
  const name = quoteIdentifier(column.name);
  if (column.type === 'VARCHAR') return name;
  return column.type === 'JSON' ? `json_extract_string(${name}, '$')` : `CAST(${name} AS VARCHAR)`;
}
