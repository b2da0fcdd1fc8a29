import type { ColumnKind } from './column-types.js';
import { quoteLiteral } from './sql-text.js';

/** Quantiles reported for numeric columns, in the order of the `quantiles` object. */
export const QUANTILES = [0.01, 0.25, 0.5, 0.75, 0.99] as const;

export interface ColumnPlan {
  index: number;
  name: string;
  type: string;
  kind: ColumnKind;
  ref: string;
  /** FLOAT or DOUBLE: may hold NaN and ±Infinity, which are kept out of the numeric measures. */
  floating: boolean;
  /** Distinct count, quantiles and top values are estimated (high-cardinality column) rather than counted. */
  approximate: boolean;
}

/** `c12_min`: the result column of one measure of one column. */
export function alias(plan: ColumnPlan, measure: string): string {
  return `c${plan.index}_${measure}`;
}

function finiteFilter(plan: ColumnPlan): string {
  return plan.floating ? ` FILTER (WHERE isfinite(${plan.ref}))` : '';
}

/**
 * The first scan: everything that needs constant memory per column (counts, bounds, moments,
 * lengths) plus the sketches of approximate columns (HyperLogLog distinct counts, t-digest
 * quantiles, space-saving top-value candidates). Exact distinct counts of timestamps and other
 * types are counted here too; those of numbers, strings and booleans come from the second scan.
 */
export function firstScanSql(plans: readonly ColumnPlan[], from: string, options: { duplicates: boolean; topValues: number }): string {
  const parts: string[] = [];
  // A 64-bit hash per row: duplicates are counted exactly unless two different rows collide.
  if (options.duplicates) parts.push('count(*) - count(DISTINCT hash(*COLUMNS(*))) AS duplicate_rows');
  for (const plan of plans) {
    const x = plan.ref;
    const add = (measure: string, sql: string) => parts.push(`${sql} AS ${alias(plan, measure)}`);
    add('count', `count(${x})`);
    if (plan.approximate) add('distinct', `approx_count_distinct(${x})`);
    switch (plan.kind) {
      case 'numeric': {
        const finite = finiteFilter(plan);
        add('min', `(min(${x})${finite})::DOUBLE`);
        add('max', `(max(${x})${finite})::DOUBLE`);
        add('mean', `(avg(${x})${finite})::DOUBLE`);
        add('std', `(stddev_samp(${x})${finite})::DOUBLE`);
        if (plan.floating) add('non_finite', `count(*) FILTER (WHERE NOT isfinite(${x}))`);
        if (plan.approximate) add('quantiles', `(approx_quantile(${x}::DOUBLE, [${QUANTILES.join(', ')}])${finite})::DOUBLE[]`);
        break;
      }
      case 'categorical':
        add('len_min', `min(length(${x}::VARCHAR))`);
        add('len_mean', `avg(length(${x}::VARCHAR))`);
        add('len_max', `max(length(${x}::VARCHAR))`);
        if (plan.approximate) add('candidates', `approx_top_k(${x}::VARCHAR, ${options.topValues})`);
        break;
      case 'timestamp':
        add('min', `min(${x})::VARCHAR`);
        add('max', `max(${x})::VARCHAR`);
        if (!plan.approximate) add('distinct', `count(DISTINCT ${x})`);
        break;
      case 'other':
        if (!plan.approximate) add('distinct', `count(DISTINCT ${x})`);
        break;
      case 'boolean':
        break;
    }
  }
  return `SELECT ${parts.join(',\n  ')} FROM ${from}`;
}

/** The per-column distinct counts of the first `rows` rows, to tell high-cardinality columns apart. */
export function headDistinctSql(plans: readonly ColumnPlan[], from: string, rows: number): string {
  const columns = plans.map((plan) => plan.ref).join(', ');
  return `SELECT ${plans.map((plan) => `count(DISTINCT ${plan.ref}) AS ${alias(plan, 'head')}`).join(', ')} FROM (SELECT ${columns} FROM ${from} LIMIT ${rows})`;
}

/**
 * How the second scan groups one column:
 * - `values`: by value, as a number (exact distinct count, quantiles and histogram);
 * - `bins`: by histogram bin (approximate numeric columns);
 * - `strings`: by value, as text (exact distinct count and value counts);
 * - `candidates`: the approximate top values only, counted exactly; every other value is NULL.
 */
export type GroupingMode = 'values' | 'bins' | 'strings' | 'candidates';

export interface GroupingItem {
  plan: ColumnPlan;
  mode: GroupingMode;
  /** The grouping key, an expression over the data's columns. */
  key: string;
}

function doubleLiteral(value: number): string {
  return `(${String(value)})::DOUBLE`;
}

/** The bin of a value among `bins` equal-width bins from `min` (width 0: everything in bin 0). */
export function binExpression(value: string, min: number, width: number, bins: number): string {
  return width === 0 ? '0' : `least(floor((${value} - ${doubleLiteral(min)}) / ${doubleLiteral(width)}), ${bins - 1})::INTEGER`;
}

export function binKey(plan: ColumnPlan, min: number, width: number, bins: number): string {
  const present = plan.floating ? `isfinite(${plan.ref})` : `${plan.ref} IS NOT NULL`;
  return `CASE WHEN ${present} THEN ${binExpression(`${plan.ref}::DOUBLE`, min, width, bins)} END`;
}

export function candidatesKey(plan: ColumnPlan, candidates: readonly string[]): string {
  if (candidates.length === 0) return 'NULL::VARCHAR';
  return `CASE WHEN ${plan.ref}::VARCHAR IN (${candidates.map(quoteLiteral).join(', ')}) THEN ${plan.ref}::VARCHAR END`;
}

/** The table the second pass fills with (item, x, s, n): one row per distinct value or bin of a column. */
export const GROUPED_TABLE = 'grouped_values';

export function createGroupedSql(): string {
  return `CREATE TEMP TABLE ${GROUPED_TABLE} (item INTEGER, x DOUBLE, s VARCHAR, n BIGINT)`;
}

function isNumberMode(item: GroupingItem): boolean {
  return item.mode === 'values' || item.mode === 'bins';
}

/**
 * The second scan over tall data: one grouping set per column, so DuckDB counts every column's
 * values (or bins) in a single pass. `item` is the column's index; the value is kept as a number
 * (`x`) or as text (`s`). Rows of missing values are left out (the first scan counts those).
 */
export function groupingSql(items: readonly GroupingItem[], from: string): string {
  const keys = items.map((_, j) => `k${j}`);
  const numbers = keys.filter((_, j) => isNumberMode(items[j]!)).map((key) => `${key}::DOUBLE`);
  const texts = keys.filter((_, j) => !isNumberMode(items[j]!)).map((key) => `${key}::VARCHAR`);
  const pick = (list: string[], type: string) => (list.length > 0 ? `COALESCE(${list.join(', ')})` : `NULL::${type}`);
  return `
    INSERT INTO ${GROUPED_TABLE} SELECT * FROM (
      SELECT CASE ${keys.map((key, j) => `WHEN grouping(${key}) = 0 THEN ${items[j]!.plan.index}`).join(' ')} END AS item,
             ${pick(numbers, 'DOUBLE')} AS x, ${pick(texts, 'VARCHAR')} AS s, count(*) AS n
      FROM (SELECT ${items.map((item, j) => `${item.key} AS ${keys[j]}`).join(', ')} FROM ${from})
      GROUP BY GROUPING SETS (${keys.map((key) => `(${key})`).join(', ')})
    ) WHERE x IS NOT NULL OR s IS NOT NULL`;
}

/**
 * The second scan over short, wide data: the columns unpivoted into (column, value) pairs and
 * grouped once. Each grouping set costs DuckDB a fixed overhead, which dominates when there are
 * thousands of columns and few rows. Values are grouped as text, so distinct counts stay exact.
 */
export function unpivotSql(items: readonly GroupingItem[], from: string): string {
  const numbers = items.filter(isNumberMode).map((item) => item.plan.index);
  const kinds = numbers.length > 0 ? `(VALUES ${numbers.map((index) => `(${index})`).join(', ')}) AS numbers(item)` : '(SELECT NULL::INTEGER AS item WHERE false) AS numbers';
  return `
    INSERT INTO ${GROUPED_TABLE}
    SELECT g.item, CASE WHEN numbers.item IS NOT NULL THEN g.value::DOUBLE END, CASE WHEN numbers.item IS NULL THEN g.value END, g.n
    FROM (
      SELECT name::INTEGER AS item, value, count(*) AS n
      FROM (UNPIVOT (SELECT ${items.map((item) => `(${item.key})::VARCHAR AS "${item.plan.index}"`).join(', ')} FROM ${from}) ON COLUMNS(*) INTO NAME name VALUE value)
      GROUP BY ALL
    ) g LEFT JOIN ${kinds} ON g.item = numbers.item`;
}

/** Distinct values per item, and how many rows hold text that reads as a number. */
export function distinctSql(): string {
  return `SELECT item, count(*) AS distinct_values, sum(n) FILTER (WHERE TRY_CAST(s AS DOUBLE) IS NOT NULL) AS numeric_text FROM ${GROUPED_TABLE} GROUP BY item`;
}

/** The most frequent values of text items (ties in value order), or all of them when few. */
export function topValuesSql(items: readonly number[], topValues: number, allValuesUpTo: number): string {
  return `
    SELECT item, s, n FROM (
      SELECT item, s, n, row_number() OVER (PARTITION BY item ORDER BY n DESC, s) AS r, count(*) OVER (PARTITION BY item) AS d
      FROM ${GROUPED_TABLE} WHERE item IN (${items.join(', ')})
    ) WHERE r <= CASE WHEN d <= ${allValuesUpTo} THEN ${allValuesUpTo} ELSE ${topValues} END
    ORDER BY item, r`;
}

/**
 * Histogram counts: `values` items are binned here from their distinct values; `bins` items were
 * binned while scanning.
 */
export function histogramSql(valueItems: readonly { item: number; min: number; width: number }[], binItems: readonly number[], bins: number): string {
  const parts: string[] = [];
  if (valueItems.length > 0) {
    const bounds = valueItems.map(({ item, min, width }) => `(${item}, ${doubleLiteral(min)}, ${doubleLiteral(width)})`).join(', ');
    parts.push(`SELECT g.item, CASE WHEN b.width = 0 THEN 0 ELSE least(floor((g.x - b.lo) / b.width), ${bins - 1})::INTEGER END AS bin, sum(g.n) AS n
      FROM ${GROUPED_TABLE} g JOIN (VALUES ${bounds}) b(item, lo, width) ON g.item = b.item WHERE isfinite(g.x) GROUP BY ALL`);
  }
  if (binItems.length > 0) parts.push(`SELECT item, x::INTEGER AS bin, n FROM ${GROUPED_TABLE} WHERE item IN (${binItems.join(', ')})`);
  return parts.join(' UNION ALL ');
}

/**
 * Exact quantiles from distinct values and their counts, interpolated like DuckDB's quantile_cont:
 * the quantile p of n values is v[h] with h = (n − 1)·p, between v[⌊h⌋] and v[⌈h⌉]. `v[k]` is
 * the smallest value whose cumulative count exceeds k, found with an ASOF join.
 */
export function quantilesSql(items: readonly number[]): string {
  const targets = QUANTILES.map((p, i) => `(${i}, ${p})`).join(', ');
  return `
    WITH ranked AS (
      SELECT item, x, sum(n) OVER (PARTITION BY item ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
      FROM ${GROUPED_TABLE} WHERE item IN (${items.join(', ')}) AND isfinite(x)
    ),
    totals AS (SELECT item, max(cum) AS total FROM ranked GROUP BY item),
    targets AS (
      SELECT item, qi, (total - 1) * p AS h, floor((total - 1) * p) AS lo, ceil((total - 1) * p) AS hi
      FROM totals, (VALUES ${targets}) q(qi, p)
    ),
    low AS (SELECT t.item, t.qi, t.h, t.lo, r.x FROM targets t ASOF JOIN ranked r ON t.item = r.item AND t.lo < r.cum),
    high AS (SELECT t.item, t.qi, r.x FROM targets t ASOF JOIN ranked r ON t.item = r.item AND t.hi < r.cum)
    SELECT low.item, low.qi, low.x + (low.h - low.lo) * (high.x - low.x) AS q
    FROM low JOIN high ON low.item = high.item AND low.qi = high.qi`;
}
