import { InvalidInputError } from '../../core/errors.js';
import { kindOf, missingShare, topValueText } from './column-view.js';
import type { ColumnPair } from './column-view.js';
import { formatCount, formatNumber, formatShare } from './format-number.js';
import { html } from './html.js';
import type { HtmlValue, SafeHtml } from './html.js';
import type { TableCell, TableColumn } from './page.js';

/** Features drawn with charts when a report does not say otherwise. */
export const DEFAULT_MAX_CHARTS = 100;

/** Checks the `maxCharts` option of a report: a count, 0 for a table without charts. */
export function compileMaxCharts(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_CHARTS;
  if (!Number.isInteger(value) || value < 0) throw new InvalidInputError('options.maxCharts', `must be a non-negative integer, got ${value}`);
  return value;
}

/** A row of a report's feature table; charted features link to their section. */
export interface FeatureRow {
  pair: ColumnPair;
  /** Anchor of the feature's section when it has one. */
  sectionId: string | null;
}

export function featureRows(pairs: readonly ColumnPair[], maxCharts: number): FeatureRow[] {
  return pairs.map((pair, index) => ({ pair, sectionId: index < maxCharts ? `feature-${index}` : null }));
}

export function nameCell(row: FeatureRow, extra?: HtmlValue): TableCell {
  const name = row.pair.name;
  const absent = row.pair.current === null ? html` <span class="badge warning">absent</span>` : '';
  return { content: html`${row.sectionId ? html`<a href="#${row.sectionId}">${name}</a>` : name}${absent}${extra ?? ''}`, className: 'name' };
}

function withReference(current: string, reference: string | null): SafeHtml {
  return reference === null ? html`${current}` : html`${current}<div class="muted">ref ${reference}</div>`;
}

function mean(column: ColumnPair['current']): number | null {
  return column?.kind === 'numeric' ? column.numeric.mean : null;
}

/** The columns describing each feature's statistics: kind, type, missing, distinct, mean, range, top value. */
export function statisticsColumns(compare: boolean): TableColumn<FeatureRow>[] {
  const numeric = (pick: 'min' | 'max') => (row: FeatureRow): TableCell => {
    const value = row.pair.current?.kind === 'numeric' ? row.pair.current.numeric[pick] : null;
    return { content: value === null ? '' : formatNumber(value), sortValue: value };
  };
  return [
    { header: 'Feature', cell: (row) => nameCell(row) },
    { header: 'Kind', cell: (row) => ({ content: html`<span class="badge">${kindOf(row.pair)}</span>` }) },
    { header: 'Type', cell: (row) => ({ content: html`<span class="type">${(row.pair.current ?? row.pair.reference)!.type}</span>` }) },
    {
      header: 'Missing',
      numeric: true,
      cell: (row) => {
        const share = missingShare(row.pair.current, row.pair.currentRows);
        const reference = compare ? formatShare(missingShare(row.pair.reference, row.pair.referenceRows)) : null;
        return { content: withReference(formatShare(share), reference), sortValue: share };
      },
    },
    {
      header: 'Distinct',
      numeric: true,
      cell: (row) => ({ content: row.pair.current ? formatCount(row.pair.current.distinct) : '', sortValue: row.pair.current?.distinct ?? null }),
    },
    {
      header: 'Mean',
      numeric: true,
      cell: (row) => {
        const value = mean(row.pair.current);
        const reference = compare && mean(row.pair.reference) !== null ? formatNumber(mean(row.pair.reference)) : null;
        return { content: value === null && reference === null ? '' : withReference(formatNumber(value), reference), sortValue: value };
      },
    },
    { header: 'Min', numeric: true, cell: numeric('min') },
    { header: 'Max', numeric: true, cell: numeric('max') },
    {
      header: 'Most frequent',
      cell: (row) => ({ content: topValueText(row.pair.current), className: 'text' }),
    },
  ];
}

/** Kinds present, for the table's kind filter. */
export function kindOptions(rows: readonly FeatureRow[]): { value: string; label: string }[] {
  return [...new Set(rows.map((row) => kindOf(row.pair)))].sort().map((kind) => ({ value: kind, label: kind }));
}

export function detailsButtons(): SafeHtml {
  return html`<button type="button" data-details="open" hidden>Expand all</button><button type="button" data-details="close" hidden>Collapse all</button>`;
}
