import type { DatasetStatistics } from '../statistics-format.js';
import { columnCharts, keyNumbers, kindOf, pairColumns } from './column-view.js';
import type { ColumnPair } from './column-view.js';
import { featureSection, sectionsIntro } from './feature-section.js';
import { compileMaxCharts, detailsButtons, featureRows, kindOptions, statisticsColumns } from './feature-table.js';
import type { FeatureRow } from './feature-table.js';
import { formatCount, formatShare } from './format-number.js';
import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { cards, dataTable, renderPage } from './page.js';
import type { Card } from './page.js';

export interface StatisticsReportOptions {
  /** The report's heading. Default `Data statistics`. */
  title?: string;
  /**
   * Statistics of reference data (e.g. the training month): drawn behind the current data in every
   * chart and shown beside it in every table.
   */
  reference?: DatasetStatistics;
  /**
   * Features drawn with charts, in file order; all features are in the table either way. Default 100,
   * which keeps a report of 10,000 features a few megabytes.
   */
  maxCharts?: number;
}

/**
 * A self-contained HTML page describing a statistics document: overview, a filterable table of
 * every feature, and per feature its key numbers, histogram or most frequent values and missing
 * share, overlaid on a reference when one is given.
 *
 * @example
 *   const html = renderStatisticsReport(february, { title: 'Flights, February 2001', reference: january });
 *   await writeReport(html, 'reports/2001-02.html');
 */
export function renderStatisticsReport(stats: DatasetStatistics, options: StatisticsReportOptions = {}): string {
  const maxCharts = compileMaxCharts(options.maxCharts);
  const reference = options.reference ?? null;
  const pairs = pairColumns(stats, reference);
  const rows = featureRows(pairs, maxCharts);
  const title = options.title ?? 'Data statistics';
  const subtitle = `${formatCount(stats.columns.length)} features · ${formatCount(stats.rowCount)} rows${reference ? ` · compared with a reference of ${formatCount(reference.rowCount)} rows` : ''}`;
  const body = html`${overview(stats, reference, pairs)}
<h2>Features</h2>
${featureTable(rows, reference !== null)}
${featureSections(rows, reference !== null)}
<footer>Statistics format ${stats.format}. Shares in charts are of each dataset's own values, so datasets of different sizes compare directly.</footer>`;
  return renderPage({ title, kind: 'Data statistics', subtitle, body });
}

function overview(stats: DatasetStatistics, reference: DatasetStatistics | null, pairs: readonly ColumnPair[]): SafeHtml {
  const kinds = new Map<string, number>();
  for (const column of stats.columns) kinds.set(column.kind, (kinds.get(column.kind) ?? 0) + 1);
  const withMissing = stats.columns.filter((column) => column.missing > 0).length;
  const items: Card[] = [
    { label: 'Rows', value: formatCount(stats.rowCount), detail: reference ? `reference ${formatCount(reference.rowCount)}` : undefined },
    { label: 'Features', value: formatCount(stats.columns.length), detail: [...kinds].map(([kind, count]) => `${formatCount(count)} ${kind}`).join(' · ') },
    { label: 'Features with missing values', value: formatCount(withMissing), detail: `of ${formatCount(stats.columns.length)}`, tone: withMissing > 0 ? 'warning' : 'ok' },
  ];
  if (typeof stats.duplicateRows === 'number') {
    items.push({
      label: 'Duplicate rows',
      value: formatCount(stats.duplicateRows),
      detail: `${formatShare(stats.rowCount > 0 ? stats.duplicateRows / stats.rowCount : 0)} of rows repeat an earlier one`,
      tone: stats.duplicateRows > 0 ? 'warning' : 'ok',
    });
  }
  if (reference) {
    const added = pairs.filter((pair) => pair.reference === null).length;
    const removed = pairs.filter((pair) => pair.current === null).length;
    items.push({
      label: 'Columns only in one dataset',
      value: formatCount(added + removed),
      detail: `${formatCount(added)} new, ${formatCount(removed)} absent from the current data`,
      tone: added + removed > 0 ? 'warning' : 'ok',
    });
  }
  return cards(items);
}

function featureTable(rows: readonly FeatureRow[], compare: boolean): SafeHtml {
  return dataTable({
    rows,
    columns: statisticsColumns(compare),
    searchText: (row) => row.pair.name.toLowerCase(),
    searchPlaceholder: 'Filter features by name',
    group: { label: 'Kind', options: kindOptions(rows), of: (row) => kindOf(row.pair) },
    empty: 'The data has no columns.',
  });
}

function featureSections(rows: readonly FeatureRow[], compare: boolean): SafeHtml {
  const charted = rows.filter((row) => row.sectionId !== null);
  if (charted.length === 0) return html``;
  return html`<div class="section-head"><h2>Feature details</h2>${detailsButtons()}</div>
${sectionsIntro(charted.length, rows.length)}
${charted.map((row) => featureSection({
    id: row.sectionId!,
    name: row.pair.name,
    kind: kindOf(row.pair),
    type: (row.pair.current ?? row.pair.reference)!.type,
    numbers: keyNumbers(row.pair),
    withReference: compare,
    charts: columnCharts(row.pair),
  }))}`;
}
