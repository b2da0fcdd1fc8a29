import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Dataset, Statistics } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { columnKindOf, valueTypeOf } from './column-types.js';
import { describeColumns, queryRows, quoteIdentifier, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { writeJsonFile } from './format-file.js';
import { openSource } from './source-table.js';
import { SPLIT_COLUMN } from './split.js';
import { STATISTICS_FORMAT } from './statistics-format.js';
import type { ColumnStatistics, DatasetStatistics, NumericStatistics } from './statistics-format.js';
import {
  alias, binKey, candidatesKey, createGroupedSql, distinctSql, firstScanSql, GROUPED_TABLE, groupingSql, headDistinctSql, histogramSql, QUANTILES,
  quantilesSql, topValuesSql, unpivotSql,
} from './statistics-sql.js';
import type { ColumnPlan, GroupingItem, GroupingMode } from './statistics-sql.js';

/** Options of computeStatistics; every field is optional. */
export interface StatisticsOptions {
  /** Most frequent values kept per categorical column. Default 20. */
  topValues?: number;
  /** Equal-width bins of each numeric histogram, between the column's min and max. Default 20. */
  histogramBins?: number;
  /**
   * A categorical column with at most this many distinct values lists all of them with their
   * counts, so a schema can take its domain and validation can measure unseen values exactly.
   * Default 1000.
   */
  allValuesUpTo?: number;
  /**
   * Whether distinct counts, quantiles and top values of high-cardinality columns are estimated
   * with sketches of bounded memory (HyperLogLog, t-digest, space-saving) instead of counted:
   * `'auto'` (default) estimates them for a column of a dataset over 1,000,000 rows whose first
   * 100,000 rows hold more than 50,000 distinct values; `true` for every column; `false` never.
   */
  approximate?: 'auto' | boolean;
  /** Count rows that repeat an earlier row (one more pass over a hash of each row). Default true. */
  duplicates?: boolean;
  /** Only the rows of this split (see ingest's `split`); the `split` column itself is left out. */
  split?: string;
  /** DuckDB's memory limit, e.g. `2GB`; beyond it, it spills to disk. Default 80% of RAM. */
  memoryLimit?: string;
}

export interface CompiledStatisticsOptions {
  readonly topValues: number;
  readonly histogramBins: number;
  readonly allValuesUpTo: number;
  readonly approximate: 'auto' | boolean;
  readonly duplicates: boolean;
  readonly split: string | undefined;
  readonly memoryLimit: string | undefined;
}

const COUNTS = { topValues: 20, histogramBins: 20, allValuesUpTo: 1000 } as const;

export function compileStatisticsOptions(options: StatisticsOptions = {}): CompiledStatisticsOptions {
  const counts: Record<keyof typeof COUNTS, number> = { ...COUNTS };
  for (const key of Object.keys(COUNTS) as (keyof typeof COUNTS)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`options.${key}`, `must be a positive integer, got ${value}`);
    counts[key] = value;
  }
  const approximate = options.approximate ?? 'auto';
  if (approximate !== 'auto' && typeof approximate !== 'boolean') {
    throw new InvalidInputError('options.approximate', `must be 'auto', true or false, got ${JSON.stringify(approximate)}`);
  }
  return Object.freeze({ ...counts, approximate, duplicates: options.duplicates ?? true, split: options.split, memoryLimit: options.memoryLimit });
}

/**
 * Columns per query: DuckDB plans a query over thousands of columns slowly, and GROUPING SETS
 * slow down faster than linearly in their number, so wide data goes in slices.
 */
const COLUMNS_PER_SCAN = 500;
const COLUMNS_PER_GROUPING = 50;
/**
 * Data of at most this many rows and more columns than one grouping query takes is unpivoted
 * instead (see unpivotSql), this many columns at a time.
 */
const UNPIVOT_MAX_ROWS = 10_000;
const COLUMNS_PER_UNPIVOT = 2_000;
/** `approximate: 'auto'` looks at datasets over this many rows… */
const AUTO_MIN_ROWS = 1_000_000;
/** …and estimates columns with more than half distinct values among this many first rows. */
const AUTO_HEAD_ROWS = 100_000;

/**
 * HyperLogLog in DuckDB's approx_count_distinct keeps 64 registers: relative standard error
 * 1.04/√64. t-digest quantiles are typically within this share of rows of the true rank.
 */
const APPROXIMATION = { distinctRelativeStandardError: 0.13, quantileRankError: 0.01 } as const;

type Row = Record<string, unknown>;

/**
 * Per-column statistics of a data file (Parquet, CSV, JSON or Arrow): counts, missing values,
 * distinct counts, moments, quantiles, histograms, top values, string lengths, time ranges, and
 * the dataset's duplicate rows. DuckDB computes them in two passes over the data, whatever the
 * number of rows; only aggregates reach JavaScript. Counts are exact; distinct counts, quantiles
 * and top values are too, except for high-cardinality columns of large data (see `approximate`),
 * whose estimates are marked and whose error bounds the document states.
 *
 * @example
 *   const stats = await computeStatistics('data/flights-2001-01.parquet');
 *   stats.columns.find((c) => c.name === 'delay'); // { kind: 'numeric', numeric: { mean: …, histogram: … }, … }
 */
export async function computeStatistics(path: string, options: StatisticsOptions = {}): Promise<DatasetStatistics> {
  const compiled = compileStatisticsOptions(options);
  return withDuckDb(async (connection) => {
    const opened = await openSource(connection, [path], 'source_data', { field: 'path' });
    const from = await rowsOf(connection, path, opened.relation, compiled.split);
    const described = await describeColumns(connection, from);
    const [counted] = await queryRows(connection, `SELECT count(*) AS n FROM ${from}`);
    const rowCount = toNumber(counted?.n) ?? 0;
    const plans = described.map(({ name, type }, index): ColumnPlan => ({
      index, name, type, kind: columnKindOf(valueTypeOf(type)), ref: quoteIdentifier(name), floating: type === 'FLOAT' || type === 'DOUBLE', approximate: false,
    }));
    await markApproximate(connection, plans, from, rowCount, compiled.approximate);
    const first: Row = {};
    let duplicateRows: number | null = null;
    for (const [b, batch] of sliced(plans, COLUMNS_PER_SCAN).entries()) {
      const withDuplicates = b === 0 && compiled.duplicates;
      const [row] = await queryRows(connection, firstScanSql(batch, from, { duplicates: withDuplicates, topValues: compiled.topValues }));
      Object.assign(first, row);
      if (withDuplicates) duplicateRows = toNumber(row?.duplicate_rows) ?? 0;
    }
    const columns = plans.map((plan) => columnFromFirstScan(plan, first, rowCount, compiled));
    await addDistributions(connection, plans, from, rowCount, columns, first, compiled);
    const exact = {
      distinct: columns.every((c) => c.distinctExact !== false),
      quantiles: columns.every((c) => c.kind !== 'numeric' || c.numeric.quantilesExact !== false),
      topValues: columns.every((c) => c.kind !== 'categorical' || c.categorical.topValuesExact !== false),
    };
    return { format: STATISTICS_FORMAT, rowCount, duplicateRows, exact, approximation: { ...APPROXIMATION }, columns };
  }, { memoryLimit: compiled.memoryLimit });
}

/** What the statistics read: every row, or the rows of one split without the split column. */
async function rowsOf(connection: DuckDBConnection, path: string, relation: string, split: string | undefined): Promise<string> {
  if (split === undefined) return relation;
  const columns = await describeColumns(connection, relation);
  if (!columns.some((column) => column.name === SPLIT_COLUMN)) {
    throw new InvalidInputError('split', `${JSON.stringify(path)} has no ${JSON.stringify(SPLIT_COLUMN)} column`, 'ingest it with a split, or leave the split out');
  }
  const splitRef = quoteIdentifier(SPLIT_COLUMN);
  const names = (await queryRows(connection, `SELECT DISTINCT ${splitRef}::VARCHAR AS name FROM ${relation} ORDER BY name`)).map((row) => String(row.name));
  if (!names.includes(split)) {
    throw new InvalidInputError('split', `${JSON.stringify(path)} has no split ${JSON.stringify(split)}`, `its splits: ${names.join(', ')}`);
  }
  return `(SELECT * EXCLUDE (${splitRef}) FROM ${relation} WHERE ${splitRef} = ${quoteLiteral(split)})`;
}

function sliced<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < items.length; i += size) slices.push(items.slice(i, i + size));
  return slices;
}

/** Decides which columns get sketches; booleans never need them. */
async function markApproximate(connection: DuckDBConnection, plans: ColumnPlan[], from: string, rowCount: number, mode: 'auto' | boolean): Promise<void> {
  if (mode === false) return;
  const candidates = plans.filter((plan) => plan.kind !== 'boolean');
  if (mode === true) {
    for (const plan of candidates) plan.approximate = true;
    return;
  }
  if (rowCount <= AUTO_MIN_ROWS) return;
  for (const batch of sliced(candidates, COLUMNS_PER_SCAN)) {
    const [row] = await queryRows(connection, headDistinctSql(batch, from, AUTO_HEAD_ROWS));
    for (const plan of batch) plan.approximate = (toNumber(row?.[alias(plan, 'head')]) ?? 0) > AUTO_HEAD_ROWS / 2;
  }
}

function columnFromFirstScan(plan: ColumnPlan, row: Row, rowCount: number, options: CompiledStatisticsOptions): ColumnStatistics {
  const get = (measure: string) => row[alias(plan, measure)];
  const number = (measure: string) => toNumber(get(measure));
  const count = number('count') ?? 0;
  const { name, type } = plan;
  // Exact distinct counts of numbers, strings and booleans come from the second pass.
  const distinct = plan.approximate || plan.kind === 'timestamp' || plan.kind === 'other' ? Math.min(number('distinct') ?? 0, count) : 0;
  const counts = { count, missing: rowCount - count, distinct, distinctExact: !plan.approximate };
  switch (plan.kind) {
    case 'numeric': {
      const q = plan.approximate ? (get('quantiles') as number[] | null) : null;
      const numeric: NumericStatistics = {
        min: number('min'),
        max: number('max'),
        mean: number('mean'),
        std: number('std'),
        nonFinite: plan.floating ? (number('non_finite') ?? 0) : 0,
        quantiles: q ? { p01: q[0]!, p25: q[1]!, p50: q[2]!, p75: q[3]!, p99: q[4]! } : null,
        quantilesExact: !plan.approximate,
        histogram: null,
      };
      if (numeric.min !== null && numeric.max !== null) {
        numeric.histogram = { edges: histogramEdges(numeric.min, numeric.max, options.histogramBins), counts: new Array<number>(options.histogramBins).fill(0) };
      }
      return { name, type, kind: 'numeric', ...counts, numeric };
    }
    case 'categorical': {
      const min = number('len_min');
      return {
        name, type, kind: 'categorical', ...counts,
        categorical: {
          topValues: [],
          allValues: !plan.approximate,
          topValuesExact: !plan.approximate,
          numericValues: 0,
          length: min === null ? null : { min, mean: number('len_mean')!, max: number('len_max')! },
        },
      };
    }
    case 'boolean':
      return { name, type, kind: 'boolean', ...counts, boolean: { trueCount: 0, falseCount: 0 } };
    case 'timestamp':
      return { name, type, kind: 'timestamp', ...counts, timestamp: { min: get('min') as string | null, max: get('max') as string | null } };
    case 'other':
      return { name, type, kind: 'other', ...counts };
  }
}

function binWidth(min: number, max: number, bins: number): number {
  const width = (max - min) / bins;
  return width > 0 && Number.isFinite(width) ? width : 0;
}

function histogramEdges(min: number, max: number, bins: number): number[] {
  const width = binWidth(min, max, bins);
  return Array.from({ length: bins + 1 }, (_, i) => (i === bins ? max : min + i * width));
}

/** The grouping of one column in the second pass, or none (timestamps and other types need none). */
function groupingItemOf(plan: ColumnPlan, column: ColumnStatistics, row: Row, options: CompiledStatisticsOptions): GroupingItem | undefined {
  if (column.count === 0) return undefined;
  switch (column.kind) {
    case 'numeric': {
      const { min, max } = column.numeric;
      if (!plan.approximate) return { plan, mode: 'values', key: plan.ref };
      if (min === null || max === null) return undefined;
      return { plan, mode: 'bins', key: binKey(plan, min, binWidth(min, max, options.histogramBins), options.histogramBins) };
    }
    case 'categorical':
      return plan.approximate
        ? { plan, mode: 'candidates', key: candidatesKey(plan, (row[alias(plan, 'candidates')] as string[] | null) ?? []) }
        : { plan, mode: 'strings', key: plan.ref };
    case 'boolean':
      return { plan, mode: 'strings', key: plan.ref };
    default:
      return undefined;
  }
}

/**
 * The second pass: every column's values (or bins) counted into one temporary table, a slice of
 * columns per scan, from which a few small queries derive distinct counts, value counts,
 * histograms and quantiles.
 */
async function addDistributions(
  connection: DuckDBConnection, plans: ColumnPlan[], from: string, rowCount: number, columns: ColumnStatistics[], first: Row, options: CompiledStatisticsOptions,
): Promise<void> {
  const items = plans
    .map((plan) => groupingItemOf(plan, columns[plan.index]!, first, options))
    .filter((item): item is GroupingItem => item !== undefined);
  if (items.length === 0) return;
  const unpivot = items.length > COLUMNS_PER_GROUPING && rowCount <= UNPIVOT_MAX_ROWS;
  await connection.run(createGroupedSql());
  try {
    for (const slice of sliced(items, unpivot ? COLUMNS_PER_UNPIVOT : COLUMNS_PER_GROUPING)) {
      await connection.run(unpivot ? unpivotSql(slice, from) : groupingSql(slice, from));
    }
    const modes = new Map(items.map((item) => [item.plan.index, item.mode]));
    const indexesOf = (wanted: GroupingMode[]) => items.filter((item) => wanted.includes(item.mode)).map((item) => item.plan.index);

    for (const row of await queryRows(connection, distinctSql())) {
      const index = toNumber(row.item)!;
      const target = columns[index]!;
      const mode = modes.get(index);
      if (mode === 'values' || mode === 'strings') target.distinct = toNumber(row.distinct_values) ?? 0;
      if (target.kind === 'categorical' && mode === 'strings') {
        target.categorical.numericValues = toNumber(row.numeric_text) ?? 0;
        target.categorical.allValues = target.distinct <= options.allValuesUpTo;
      }
    }

    const texts = indexesOf(['strings', 'candidates']);
    if (texts.length > 0) {
      for (const row of await queryRows(connection, topValuesSql(texts, options.topValues, options.allValuesUpTo))) {
        const target = columns[toNumber(row.item)!]!;
        const n = toNumber(row.n)!;
        if (target.kind === 'categorical') target.categorical.topValues.push({ value: String(row.s), count: n });
        else if (target.kind === 'boolean') target.boolean[row.s === 'true' ? 'trueCount' : 'falseCount'] = n;
      }
    }

    const valueItems = indexesOf(['values']).flatMap((item) => {
      const target = columns[item]!;
      if (target.kind !== 'numeric' || target.numeric.min === null || target.numeric.max === null) return [];
      return [{ item, min: target.numeric.min, width: binWidth(target.numeric.min, target.numeric.max, options.histogramBins) }];
    });
    const binItems = indexesOf(['bins']);
    if (valueItems.length + binItems.length > 0) {
      for (const row of await queryRows(connection, histogramSql(valueItems, binItems, options.histogramBins))) {
        const target = columns[toNumber(row.item)!]!;
        if (target.kind === 'numeric') target.numeric.histogram!.counts[toNumber(row.bin)!] = toNumber(row.n)!;
      }
    }

    if (valueItems.length > 0) {
      const quantiles = new Map<number, number[]>();
      for (const row of await queryRows(connection, quantilesSql(valueItems.map((v) => v.item)))) {
        const item = toNumber(row.item)!;
        const list = quantiles.get(item) ?? new Array<number>(QUANTILES.length).fill(0);
        list[toNumber(row.qi)!] = row.q as number;
        quantiles.set(item, list);
      }
      for (const [item, q] of quantiles) {
        const target = columns[item]!;
        if (target.kind === 'numeric') target.numeric.quantiles = { p01: q[0]!, p25: q[1]!, p50: q[2]!, p75: q[3]!, p99: q[4]! };
      }
    }
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${GROUPED_TABLE}`);
  }
}

const statisticsParams = z.object({
  topValues: z.number().int().positive().optional(),
  histogramBins: z.number().int().positive().optional(),
  allValuesUpTo: z.number().int().positive().optional(),
  approximate: z.union([z.literal('auto'), z.boolean()]).optional(),
  duplicates: z.boolean().optional(),
  split: z.string().min(1).optional(),
});

/**
 * Pipeline step: statistics of the `examples` dataset (or of one of its splits), written as
 * Statistics JSON: the reference profile later data is validated and compared against.
 *
 * @example
 *   const stats = p.step(statisticsComponent, { inputs: { examples: data.outputs.examples }, params: { split: 'train' } });
 */
export const statisticsComponent = component({
  name: 'statistics',
  version: '2',
  description: 'Per-column statistics of a dataset: counts, missing, distinct, moments, quantiles, histograms, top values, duplicates',
  params: statisticsParams,
  inputs: { examples: Dataset },
  outputs: { statistics: Statistics },
  run: async ({ params, inputs, outputs, log }) => {
    const started = performance.now();
    const statistics = await computeStatistics(inputs.examples.path, params);
    await writeJsonFile(outputs.statistics.path, statistics);
    Object.assign(outputs.statistics.properties, {
      rowCount: statistics.rowCount,
      columnCount: statistics.columns.length,
      duplicateRows: statistics.duplicateRows ?? null,
      ...(params.split === undefined ? {} : { split: params.split }),
    });
    const approximate = statistics.columns.filter((c) => c.distinctExact === false).map((c) => c.name);
    if (approximate.length > 0) log.info(`estimated distinct counts, quantiles and top values of high-cardinality columns: ${approximate.join(', ')}`);
    log.info(`statistics of ${statistics.rowCount} rows × ${statistics.columns.length} columns in ${Math.round(performance.now() - started)} ms`);
    return { rowCount: statistics.rowCount };
  },
});
