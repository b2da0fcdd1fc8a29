import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInputError } from '../core/errors.js';
import { describeColumns, quoteIdentifier } from '../data/duckdb.js';
import { isNumericType, requireColumn } from './columns.js';
import { isTimestampType } from './time-parts.js';
import type { FeatureParams } from './trainer-params.js';

/** What the label must hold: 0/1 with both classes, or any finite number. */
export interface LabelRule {
  task: 'classification' | 'regression';
  /** Added to the error for a classification label that is not 0/1, e.g. which trainer predicts numbers. */
  notBinaryHint?: string;
}

/** The largest float32; models read numeric features as float32, so a larger value would become infinite. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Checks a dataset before training, with every problem reported as an InvalidInputError naming
 * the parameter and the column:
 *
 * - the label and every feature column exist; the label and numeric features are numbers, time
 *   features DATE/TIMESTAMP/TIMESTAMPTZ;
 * - there are rows; the label is never missing, NaN or infinite (for classification: 0/1, both
 *   classes present);
 * - no numeric feature is ±Infinity (or beyond float32's range) and no timestamp is ±infinity.
 *   NaN in a numeric feature is not an error: it counts as missing, like NULL.
 *
 * Returns the row count and how many rows have label 1.
 *
 * @example
 *   const { rows } = await checkDataset(db, "read_parquet('jan.parquet')", params, { task: 'regression' });
 */
export async function checkDataset(db: DuckDBConnection, from: string, params: FeatureParams, rule: LabelRule): Promise<{ rows: number; positives: number }> {
  const columns = await describeColumns(db, from);
  const labelColumn = requireColumn(columns, params.label, 'label', 'label');
  params.numeric.forEach((name, i) => {
    const found = requireColumn(columns, name, `numeric[${i}]`, 'numeric feature');
    if (!isNumericType(found.type)) {
      throw new InvalidInputError(`numeric[${i}]`, `column ${JSON.stringify(name)} is ${found.type}, not a number`, 'list it under categorical');
    }
  });
  params.categorical.forEach((name, i) => requireColumn(columns, name, `categorical[${i}]`, 'categorical feature'));
  params.time.forEach(({ column }, i) => {
    const found = requireColumn(columns, column, `time[${i}].column`, 'time feature');
    if (!isTimestampType(found.type)) {
      throw new InvalidInputError(`time[${i}].column`, `column ${JSON.stringify(column)} is ${found.type}, not a DATE, TIMESTAMP or TIMESTAMPTZ`, 'convert it when preparing the data, e.g. to_timestamp(seconds)');
    }
  });
  if (!isNumericType(labelColumn.type)) await rejectTextLabel(db, from, params.label, labelColumn.type, rule);
  return checkValues(db, from, params, rule);
}

/** Throws for a label column that is not numeric, counting the rows whose text is not a number. */
async function rejectTextLabel(db: DuckDBConnection, from: string, label: string, type: string, rule: LabelRule): Promise<never> {
  const raw = quoteIdentifier(label);
  const notNumber = `${raw} IS NOT NULL AND TRY_CAST(${raw} AS DOUBLE) IS NULL`;
  const row = await firstRow(db, `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE ${notNumber})::DOUBLE AS bad, any_value(CAST(${raw} AS VARCHAR)) FILTER (WHERE ${notNumber}) AS example FROM ${from}`);
  const bad = Number(row.bad ?? 0);
  const what = rule.task === 'classification' ? '0/1 numbers or booleans' : 'numbers';
  const detail = bad > 0 ? `: ${bad} of ${Number(row.n)} rows hold text that is not a number (e.g. ${JSON.stringify(row.example)})` : '';
  throw new InvalidInputError('label', `label column ${JSON.stringify(label)} is ${type}; it must hold ${what}${detail}`, 'cast the column to a number when preparing the data');
}

/** One scan for the label's and the features' values. */
async function checkValues(db: DuckDBConnection, from: string, params: FeatureParams, rule: LabelRule): Promise<{ rows: number; positives: number }> {
  const raw = quoteIdentifier(params.label);
  const y = `TRY_CAST(${raw} AS DOUBLE)`;
  const notBinary = `${y} IS DISTINCT FROM 0 AND ${y} IS DISTINCT FROM 1 AND ${raw} IS NOT NULL`;
  const infinite = [
    ...params.numeric.map((name, i) => {
      const x = `CAST(${quoteIdentifier(name)} AS DOUBLE)`;
      // DuckDB sorts NaN above every number, so NaN (missing) is kept out of the range test.
      return { name, field: `numeric[${i}]`, what: 'numeric feature', condition: `isinf(${x}) OR (abs(${x}) > ${FLOAT32_MAX} AND NOT isnan(${x}))`, beyond: " (or beyond float32's ±3.4e38)" };
    }),
    ...params.time.map(({ column }, i) => ({ name: column, field: `time[${i}].column`, what: 'time feature', condition: `isinf(${quoteIdentifier(column)})`, beyond: '' })),
  ];
  const row = await firstRow(
    db,
    `SELECT count(*)::DOUBLE AS n,
            count(*) FILTER (WHERE ${raw} IS NULL)::DOUBLE AS missing,
            count(*) FILTER (WHERE isnan(${y}) OR isinf(${y}))::DOUBLE AS nonfinite,
            any_value(CAST(${raw} AS VARCHAR)) FILTER (WHERE isnan(${y}) OR isinf(${y})) AS nonfiniteExample,
            count(*) FILTER (WHERE ${y} = 1)::DOUBLE AS positives,
            count(*) FILTER (WHERE ${notBinary})::DOUBLE AS notBinary,
            any_value(CAST(${raw} AS VARCHAR)) FILTER (WHERE ${notBinary}) AS notBinaryExample
            ${infinite.map((f, k) => `, count(*) FILTER (WHERE ${f.condition})::DOUBLE AS inf${k}, any_value(CAST(${quoteIdentifier(f.name)} AS VARCHAR)) FILTER (WHERE ${f.condition}) AS infExample${k}`).join('')}
     FROM ${from}`,
  );
  const rows = Number(row.n ?? 0);
  const count = (key: string) => Number(row[key] ?? 0);
  const name = JSON.stringify(params.label);
  if (rows === 0) throw new InvalidInputError('examples', 'the dataset has no rows');
  if (count('missing') > 0) throw new InvalidInputError('label', `label ${name} is missing in ${count('missing')} of ${rows} rows`, 'filter those rows out before training');
  if (count('nonfinite') > 0) {
    throw new InvalidInputError('label', `label ${name} is NaN or infinite in ${count('nonfinite')} of ${rows} rows (e.g. ${String(row.nonfiniteExample)})`, 'filter those rows out before training');
  }
  const positives = count('positives');
  if (rule.task === 'classification') {
    if (count('notBinary') > 0) {
      throw new InvalidInputError('label', `label ${name} must be 0 or 1 for classification, but ${count('notBinary')} of ${rows} rows hold other values (e.g. ${String(row.notBinaryExample)})`, rule.notBinaryHint);
    }
    if (positives === 0 || positives === rows) {
      throw new InvalidInputError('label', `label ${name} is ${positives === 0 ? 0 : 1} in all ${rows} rows; a classifier needs both classes`);
    }
  }
  infinite.forEach((f, k) => {
    if (count(`inf${k}`) > 0) {
      throw new InvalidInputError(
        f.field,
        `${f.what} ${JSON.stringify(f.name)} is infinite${f.beyond} in ${count(`inf${k}`)} of ${rows} rows (e.g. ${String(row[`infExample${k}`])})`,
        'replace those values with NULL (missing) or a finite value; NaN and NULL count as missing',
      );
    }
  });
  return { rows, positives };
}

async function firstRow(db: DuckDBConnection, sql: string): Promise<Record<string, unknown>> {
  return ((await db.runAndReadAll(sql)).getRowObjectsJS()[0] ?? {}) as Record<string, unknown>;
}
