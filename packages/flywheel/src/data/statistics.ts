import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Dataset, Statistics } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { columnKindOf, valueTypeOf } from './column-types.js';
import type { ColumnKind } from './column-types.js';
import { describeColumns, queryRows, quoteIdentifier, resolveSourceFiles, tableFunctionFor, toNumber, withDuckDb } from './duckdb.js';
import { writeJsonFile } from './format-file.js';
import { STATISTICS_FORMAT } from './statistics-format.js';
import type { ColumnStatistics, DatasetStatistics, NumericStatistics } from './statistics-format.js';

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
}

export interface CompiledStatisticsOptions {
  readonly topValues: number;
  readonly histogramBins: number;
  readonly allValuesUpTo: number;
}

const DEFAULTS: CompiledStatisticsOptions = { topValues: 20, histogramBins: 20, allValuesUpTo: 1000 };

export function compileStatisticsOptions(options: StatisticsOptions = {}): CompiledStatisticsOptions {
  const compiled = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof CompiledStatisticsOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new InvalidInputError(`options.${key}`, `must be a positive integer, got ${value}`);
    compiled[key] = value;
  }
  return Object.freeze(compiled);
}

const QUANTILES = [0.01, 0.25, 0.5, 0.75, 0.99] as const;
// Types quantile_cont sorts natively; others (unsigned integers) go through DOUBLE, which is slower.
const NATIVE_QUANTILE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL\(.*\))$/;

interface ColumnPlan {
  index: number;
  name: string;
  type: string;
  kind: ColumnKind;
  ref: string;
  /** FLOAT or DOUBLE: may hold NaN and ±Infinity, which are kept out of the numeric measures. */
  floating: boolean;
}

type AggregateRow = Record<string, unknown>;

/**
 * Per-column statistics of a data file (Parquet, CSV, JSON; see tableFunctionFor), computed by
 * DuckDB in two scans: one aggregate query for counts, distinct counts, moments, quantiles and
 * bounds of every column, and one GROUPING SETS query for histograms and value counts. Counts,
 * distinct counts and quantiles are exact.
 *
 * @example
 *   const stats = await computeStatistics('data/flights-2001-01.parquet');
 *   stats.columns.find((c) => c.name === 'delay'); // { kind: 'numeric', numeric: { mean: …, histogram: … }, … }
 */
export async function computeStatistics(path: string, options: StatisticsOptions = {}): Promise<DatasetStatistics> {
  const compiled = compileStatisticsOptions(options);
  const table = tableFunctionFor(path, 'path');
  return withDuckDb(async (connection) => {
    await resolveSourceFiles(connection, path, 'path');
    await connection.run(`CREATE VIEW data AS SELECT * FROM ${table}`).catch((error: unknown) => {
      throw new InvalidInputError('path', `cannot read ${JSON.stringify(path)}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const plans = (await describeColumns(connection, 'SELECT * FROM data')).map(({ name, type }, index): ColumnPlan => ({
      index,
      name,
      type,
      kind: columnKindOf(valueTypeOf(type)),
      ref: quoteIdentifier(name),
      floating: type === 'FLOAT' || type === 'DOUBLE',
    }));
    const [aggregates] = await queryRows(connection, aggregateSql(plans));
    if (!aggregates) throw new Error('DuckDB returned no row for an aggregate query');
    const columns = plans.map((plan) => columnFromAggregates(plan, aggregates, compiled));
    await addDistributions(connection, plans, columns, compiled);
    return {
      format: STATISTICS_FORMAT,
      rowCount: toNumber(aggregates.row_count) ?? 0,
      exact: { distinct: true, quantiles: true },
      columns,
    };
  });
}

function alias(plan: ColumnPlan, measure: string): string {
  return `c${plan.index}_${measure}`;
}

function aggregateSql(plans: ColumnPlan[]): string {
  const parts = ['count(*) AS row_count'];
  for (const plan of plans) {
    const x = plan.ref;
    const add = (measure: string, sql: string) => parts.push(`${sql} AS ${alias(plan, measure)}`);
    add('count', `count(${x})`);
    add('distinct', `count(DISTINCT ${x})`);
    switch (plan.kind) {
      case 'numeric': {
        const finite = plan.floating ? ` FILTER (WHERE isfinite(${x}))` : '';
        const sortable = NATIVE_QUANTILE.test(plan.type) ? x : `${x}::DOUBLE`;
        add('min', `(min(${x})${finite})::DOUBLE`);
        add('max', `(max(${x})${finite})::DOUBLE`);
        add('mean', `(avg(${x})${finite})::DOUBLE`);
        add('std', `(stddev_samp(${x})${finite})::DOUBLE`);
        add('quantiles', `(quantile_cont(${sortable}, [${QUANTILES.join(', ')}])${finite})::DOUBLE[]`);
        if (plan.floating) add('non_finite', `count(*) FILTER (WHERE NOT isfinite(${x}))`);
        break;
      }
      case 'categorical':
        add('len_min', `min(length(${x}::VARCHAR))`);
        add('len_mean', `avg(length(${x}::VARCHAR))`);
        add('len_max', `max(length(${x}::VARCHAR))`);
        break;
      case 'boolean':
        add('true', `count_if(${x})`);
        break;
      case 'timestamp':
        add('min', `min(${x})::VARCHAR`);
        add('max', `max(${x})::VARCHAR`);
        break;
      case 'other':
        break;
    }
  }
  return `SELECT ${parts.join(',\n  ')} FROM data`;
}

function columnFromAggregates(plan: ColumnPlan, row: AggregateRow, options: CompiledStatisticsOptions): ColumnStatistics {
  const get = (measure: string) => row[alias(plan, measure)];
  const number = (measure: string) => toNumber(get(measure));
  const count = number('count') ?? 0;
  const name = plan.name;
  const type = plan.type;
  const counts = { count, missing: (toNumber(row.row_count) ?? 0) - count, distinct: number('distinct') ?? 0 };
  switch (plan.kind) {
    case 'numeric': {
      const q = get('quantiles') as number[] | null;
      const numeric: NumericStatistics = {
        min: number('min'),
        max: number('max'),
        mean: number('mean'),
        std: number('std'),
        nonFinite: plan.floating ? (number('non_finite') ?? 0) : 0,
        quantiles: q ? { p01: q[0]!, p25: q[1]!, p50: q[2]!, p75: q[3]!, p99: q[4]! } : null,
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
          allValues: counts.distinct <= options.allValuesUpTo,
          length: min === null ? null : { min, mean: number('len_mean')!, max: number('len_max')! },
        },
      };
    }
    case 'boolean': {
      const trueCount = number('true') ?? 0;
      return { name, type, kind: 'boolean', ...counts, boolean: { trueCount, falseCount: count - trueCount } };
    }
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

interface DistributionItem {
  column: ColumnStatistics;
  /** Grouping expression: a histogram bin number, or the value as text. */
  expression: string;
  bins: boolean;
  limit: number;
}

function doubleLiteral(value: number): string {
  return `(${String(value)})::DOUBLE`;
}

/**
 * Fills histograms and top values in one scan: each column is one grouping set, so DuckDB
 * aggregates all of them in a single pass over the data, and only the kept rows (bins, and the
 * top or all values) come back to JavaScript.
 */
async function addDistributions(
  connection: DuckDBConnection,
  plans: ColumnPlan[],
  columns: ColumnStatistics[],
  options: CompiledStatisticsOptions,
): Promise<void> {
  const items: DistributionItem[] = [];
  for (const plan of plans) {
    const column = columns[plan.index]!;
    if (column.kind === 'numeric' && column.numeric.min !== null && column.numeric.max !== null) {
      const { min, max } = column.numeric;
      const width = binWidth(min, max, options.histogramBins);
      const bin = width === 0
        ? '0'
        : `least(floor((${plan.ref}::DOUBLE - ${doubleLiteral(min)}) / ${doubleLiteral(width)}), ${options.histogramBins - 1})::INTEGER`;
      const present = plan.floating ? `isfinite(${plan.ref})` : `${plan.ref} IS NOT NULL`;
      items.push({ column, expression: `CASE WHEN ${present} THEN ${bin} END`, bins: true, limit: options.histogramBins });
    } else if (column.kind === 'categorical' && column.count > 0) {
      const limit = column.categorical.allValues ? options.allValuesUpTo : options.topValues;
      items.push({ column, expression: `${plan.ref}::VARCHAR`, bins: false, limit });
    }
  }
  if (items.length === 0) return;

  const keys = items.map((_, j) => `g${j}`);
  const pick = (bins: boolean, type: string) => {
    const own = keys.filter((_, j) => items[j]!.bins === bins);
    return own.length > 0 ? `COALESCE(${own.join(', ')})` : `NULL::${type}`;
  };
  const sql = `
    WITH projected AS (
      SELECT ${items.map((item, j) => `${item.expression} AS ${keys[j]}`).join(', ')} FROM data
    ),
    grouped AS (
      SELECT CASE ${keys.map((key, j) => `WHEN grouping(${key}) = 0 THEN ${j}`).join(' ')} END AS item,
             ${pick(false, 'VARCHAR')} AS v, ${pick(true, 'INTEGER')} AS b, count(*) AS n
      FROM projected GROUP BY GROUPING SETS (${keys.map((key) => `(${key})`).join(', ')})
    ),
    ranked AS (
      SELECT item, v, b, n, row_number() OVER (PARTITION BY item ORDER BY n DESC, v) AS r
      FROM grouped WHERE v IS NOT NULL OR b IS NOT NULL
    )
    SELECT item, v, b, n FROM ranked
    WHERE r <= CASE item ${items.map((item, j) => `WHEN ${j} THEN ${item.limit}`).join(' ')} END
    ORDER BY item, r`;

  for (const row of await queryRows(connection, sql)) {
    const item = items[toNumber(row.item)!]!;
    const n = toNumber(row.n)!;
    if (item.column.kind === 'numeric') {
      item.column.numeric.histogram!.counts[toNumber(row.b)!] = n;
    } else if (item.column.kind === 'categorical') {
      item.column.categorical.topValues.push({ value: String(row.v), count: n });
    }
  }
}

const statisticsParams = z.object({
  topValues: z.number().int().positive().optional(),
  histogramBins: z.number().int().positive().optional(),
  allValuesUpTo: z.number().int().positive().optional(),
});

/**
 * Pipeline step: statistics of the `examples` dataset, written as Statistics v1 JSON.
 *
 * @example
 *   const stats = p.step(statisticsComponent, { inputs: { examples: data.outputs.examples } });
 */
export const statisticsComponent = component({
  name: 'statistics',
  version: '1',
  description: 'Per-column statistics of a dataset: counts, missing, distinct, moments, quantiles, histograms, top values',
  params: statisticsParams,
  inputs: { examples: Dataset },
  outputs: { statistics: Statistics },
  run: async ({ params, inputs, outputs, log }) => {
    const started = performance.now();
    const statistics = await computeStatistics(inputs.examples.path, params);
    await writeJsonFile(outputs.statistics.path, statistics);
    Object.assign(outputs.statistics.properties, { rowCount: statistics.rowCount, columnCount: statistics.columns.length });
    log.info(`statistics of ${statistics.rowCount} rows × ${statistics.columns.length} columns in ${Math.round(performance.now() - started)} ms`);
    return { rowCount: statistics.rowCount };
  },
});
