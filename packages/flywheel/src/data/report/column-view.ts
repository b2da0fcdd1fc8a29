import type { FeatureSchema } from '../schema-format.js';
import type { ColumnStatistics, DatasetStatistics } from '../statistics-format.js';
import { categoryChart, histogramChart, missingChart } from './charts.js';
import type { CategoryRow } from './charts.js';
import type { ChartBlock, NumberRow } from './feature-section.js';
import { formatCount, formatNumber, formatShare } from './format-number.js';
import { html } from './html.js';
import { shareHistograms } from './rebin.js';

/** Most frequent values drawn per categorical feature. */
export const CATEGORY_BARS = 10;

/** A feature as the current data and, optionally, the reference data describe it. */
export interface ColumnPair {
  name: string;
  current: ColumnStatistics | null;
  reference: ColumnStatistics | null;
  currentRows: number;
  referenceRows: number | null;
}

/**
 * The features of the current data in their order, then those only the reference has, paired by
 * name.
 */
export function pairColumns(current: DatasetStatistics, reference: DatasetStatistics | null | undefined): ColumnPair[] {
  const referenceColumns = new Map((reference?.columns ?? []).map((column) => [column.name, column]));
  const pairs: ColumnPair[] = current.columns.map((column) => ({
    name: column.name,
    current: column,
    reference: referenceColumns.get(column.name) ?? null,
    currentRows: current.rowCount,
    referenceRows: reference?.rowCount ?? null,
  }));
  const seen = new Set(current.columns.map((column) => column.name));
  for (const column of reference?.columns ?? []) {
    if (!seen.has(column.name)) {
      pairs.push({ name: column.name, current: null, reference: column, currentRows: current.rowCount, referenceRows: reference!.rowCount });
    }
  }
  return pairs;
}

export function kindOf(pair: ColumnPair): string {
  return (pair.current ?? pair.reference)!.kind;
}

export function missingShare(column: ColumnStatistics | null, rows: number | null): number | null {
  if (column === null || rows === null) return null;
  return rows > 0 ? column.missing / rows : 0;
}

/** The most frequent value with its share of the values, e.g. `ORD (5.4%)`. */
export function topValueText(column: ColumnStatistics | null): string {
  if (column === null) return '';
  if (column.kind === 'categorical') {
    const top = column.categorical.topValues[0];
    return top ? `${top.value === '' ? '(empty)' : top.value} (${formatShare(column.count > 0 ? top.count / column.count : 0)})` : '';
  }
  if (column.kind === 'boolean') {
    return column.count > 0 ? `true (${formatShare(column.boolean.trueCount / column.count)})` : '';
  }
  return '';
}

function numeric(column: ColumnStatistics | null) {
  return column?.kind === 'numeric' ? column.numeric : null;
}

/** The table beside a feature's charts; which lines appear depends on the feature's kind. */
export function keyNumbers(pair: ColumnPair): NumberRow[] {
  const withReference = pair.referenceRows !== null;
  const rows: NumberRow[] = [];
  const add = (label: string, of: (column: ColumnStatistics, rowCount: number) => string) => {
    const cell = (column: ColumnStatistics | null, rowCount: number | null) => (column === null || rowCount === null ? 'absent' : of(column, rowCount));
    rows.push(withReference
      ? { label, current: cell(pair.current, pair.currentRows), reference: cell(pair.reference, pair.referenceRows) }
      : { label, current: cell(pair.current, pair.currentRows) });
  };
  add('values', (column) => formatCount(column.count));
  add('missing', (column, rowCount) => `${formatCount(column.missing)} (${formatShare(rowCount > 0 ? column.missing / rowCount : 0)})`);
  // Sketched figures of high-cardinality columns are marked, so nobody reads an estimate as a count.
  add('distinct', (column) => `${column.distinctExact === false ? '≈ ' : ''}${formatCount(column.distinct)}`);
  const kind = kindOf(pair);
  if (kind === 'numeric') {
    const measure = (pick: (n: NonNullable<ReturnType<typeof numeric>>) => number | null) => (column: ColumnStatistics) => {
      const n = numeric(column);
      return n === null ? 'n/a' : formatNumber(pick(n));
    };
    const quantile = (key: 'p01' | 'p25' | 'p50' | 'p75' | 'p99') => (column: ColumnStatistics) => {
      const n = numeric(column);
      if (n === null) return 'n/a';
      return `${n.quantilesExact === false && n.quantiles ? '≈ ' : ''}${formatNumber(n.quantiles?.[key] ?? null)}`;
    };
    add('mean', measure((n) => n.mean));
    add('std. dev.', measure((n) => n.std));
    add('min', measure((n) => n.min));
    add('1st percentile', quantile('p01'));
    add('25th percentile', quantile('p25'));
    add('median', quantile('p50'));
    add('75th percentile', quantile('p75'));
    add('99th percentile', quantile('p99'));
    add('max', measure((n) => n.max));
    if ((numeric(pair.current)?.nonFinite ?? 0) + (numeric(pair.reference)?.nonFinite ?? 0) > 0) {
      add('NaN or ±∞', measure((n) => n.nonFinite));
    }
  } else if (kind === 'categorical') {
    add('most frequent', (column) => topValueText(column) || '—');
    const numericValues = (column: ColumnStatistics | null) => (column?.kind === 'categorical' ? column.categorical.numericValues ?? 0 : 0);
    if (numericValues(pair.current) + numericValues(pair.reference) > 0) {
      add('values that read as numbers', (column) => formatCount(numericValues(column)));
    }
    add('length', (column) => {
      const length = column.kind === 'categorical' ? column.categorical.length : null;
      return length ? `${formatNumber(length.min)}–${formatNumber(length.max)}, mean ${formatNumber(length.mean)}` : '—';
    });
  } else if (kind === 'boolean') {
    const share = (pick: 'trueCount' | 'falseCount') => (column: ColumnStatistics) =>
      column.kind === 'boolean' ? `${formatCount(column.boolean[pick])} (${formatShare(column.count > 0 ? column.boolean[pick] / column.count : 0)})` : 'n/a';
    add('true', share('trueCount'));
    add('false', share('falseCount'));
  } else if (kind === 'timestamp') {
    const bound = (pick: 'min' | 'max') => (column: ColumnStatistics) => (column.kind === 'timestamp' ? column.timestamp[pick] ?? '—' : 'n/a');
    add('earliest', bound('min'));
    add('latest', bound('max'));
  }
  return rows;
}

/** What a schema expects of a feature, drawn into its charts. */
export interface Expectations {
  range?: { min: number; max: number } | null;
  /** Values outside it are flagged in the category bars. */
  domain?: ReadonlySet<string> | null;
}

export function expectationsOf(feature: FeatureSchema | undefined): Expectations {
  return { range: feature?.range ?? null, domain: feature?.domain ? new Set(feature.domain) : null };
}

/** The distribution chart of a feature (histogram or category bars) and its missing-value bars. */
export function columnCharts(pair: ColumnPair, expectations: Expectations = {}): ChartBlock[] {
  const blocks: ChartBlock[] = [];
  const distribution = distributionChart(pair, expectations);
  if (distribution) blocks.push(distribution);
  const current = missingShare(pair.current, pair.currentRows);
  const reference = missingShare(pair.reference, pair.referenceRows);
  if (current !== null || reference !== null) {
    blocks.push({
      title: 'Missing values',
      chart: missingChart({ current: current ?? 0, reference, label: `share of rows without a value of ${pair.name}` }),
    });
  }
  return blocks;
}

function distributionChart(pair: ColumnPair, expectations: Expectations): ChartBlock | null {
  const kind = kindOf(pair);
  const withReference = pair.referenceRows !== null;
  if (kind === 'numeric') {
    const shared = shareHistograms(numeric(pair.current)?.histogram ?? null, withReference ? numeric(pair.reference)?.histogram ?? null : null);
    if (shared === null) return null;
    const rebinned = withReference && pair.current !== null && pair.reference !== null
      && numeric(pair.current)?.histogram?.edges.join() !== numeric(pair.reference)?.histogram?.edges.join();
    return {
      title: 'Distribution',
      chart: histogramChart({ edges: shared.edges, current: shared.current, reference: shared.reference, range: expectations.range, label: `histogram of ${pair.name}` }),
      caption: `${shared.current.length} equal-width bins${rebinned ? ', both datasets re-binned onto common edges' : ''}; shares of the finite values.`,
    };
  }
  const rows = categoryRows(pair, expectations.domain ?? null);
  if (rows === null || rows.rows.length === 0) return null;
  const flagged = rows.rows.some((row) => row.flagged);
  return {
    title: kind === 'boolean' ? 'Values' : 'Most frequent values',
    chart: categoryChart(rows.rows, { withReference, label: `most frequent values of ${pair.name}` }),
    caption: html`${rows.caption}${flagged ? html` Values in <span class="badge warning">amber</span> are outside the schema's domain.` : ''}`,
  };
}

function valueShares(column: ColumnStatistics | null): Map<string, number> | null {
  if (column === null || column.count === 0) return null;
  if (column.kind === 'categorical') return new Map(column.categorical.topValues.map((v) => [v.value, v.count / column.count]));
  if (column.kind === 'boolean') return new Map([['true', column.boolean.trueCount / column.count], ['false', column.boolean.falseCount / column.count]]);
  return null;
}

function categoryRows(pair: ColumnPair, domain: ReadonlySet<string> | null): { rows: CategoryRow[]; caption: string } | null {
  const current = valueShares(pair.current);
  const reference = pair.referenceRows === null ? null : valueShares(pair.reference);
  if (current === null && reference === null) return null;
  // A value frequent in either dataset is shown, so one that vanished from the new data is visible too.
  const values = new Set([...(current?.keys() ?? []), ...(reference?.keys() ?? [])]);
  const ranked = [...values]
    .map((value) => ({ value, current: current?.get(value) ?? 0, reference: reference?.get(value) ?? null }))
    .sort((a, b) => Math.max(b.current, b.reference ?? 0) - Math.max(a.current, a.reference ?? 0) || (a.value < b.value ? -1 : 1))
    .slice(0, CATEGORY_BARS);
  const rows: CategoryRow[] = ranked.map((row) => ({ ...row, flagged: domain !== null && !domain.has(row.value) }));
  const distinct = pair.current?.distinct ?? pair.reference?.distinct ?? 0;
  const covered = (shares: Map<string, number> | null) => formatShare(ranked.reduce((sum, row) => sum + (shares?.get(row.value) ?? 0), 0));
  const listsAll = (column: ColumnStatistics | null) => column === null || column.kind !== 'categorical' || column.categorical.allValues;
  const complete = rows.length === values.size && listsAll(pair.current) && (reference === null || listsAll(pair.reference));
  const caption = complete
    ? `All ${formatCount(values.size)} values${reference ? ' of both datasets' : ''}.`
    : `The ${rows.length} most frequent of ${formatCount(distinct)} distinct values; they hold ${covered(current)} of the values${reference ? ` (reference ${covered(reference)})` : ''}.`;
  const sketched = [pair.current, pair.reference].some((column) => column?.kind === 'categorical' && column.categorical.topValuesExact === false);
  return { rows, caption: sketched ? `${caption} The most frequent values were found by a sketch: one about as frequent as the last may be missing.` : caption };
}
