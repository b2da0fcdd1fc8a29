import type { Anomaly, AnomalyReport } from '../anomalies-format.js';
import type { DataSchema, FeatureSchema } from '../schema-format.js';
import type { DatasetStatistics } from '../statistics-format.js';
import { columnCharts, expectationsOf, keyNumbers, kindOf, pairColumns } from './column-view.js';
import { featureSection, sectionsIntro } from './feature-section.js';
import { compileMaxCharts, detailsButtons, featureRows, kindOptions, statisticsColumns } from './feature-table.js';
import type { FeatureRow } from './feature-table.js';
import { formatCount, formatNumber, formatShare } from './format-number.js';
import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { cards, dataTable, renderPage } from './page.js';
import type { TableColumn } from './page.js';

export interface ValidationReportInput {
  /** The result of validateData. */
  anomalies: AnomalyReport;
  /** Statistics of the validated data: adds the feature table and per-feature charts. */
  statistics?: DatasetStatistics;
  /** The schema validated against: its ranges and domains are drawn into the charts. */
  schema?: DataSchema;
  /** Statistics of the reference data the schema came from, drawn behind the validated data. */
  reference?: DatasetStatistics;
  /** The report's heading. Default `Data validation`. */
  title?: string;
  /** Features drawn with charts, those with anomalies first. Default 100. */
  maxCharts?: number;
}

/**
 * A self-contained HTML page of a validation result: the verdict, anomalies by severity, and
 * (given the statistics) every feature's numbers and charts with the schema's expectations drawn
 * in, features with anomalies first.
 *
 * @example
 *   const anomalies = validateData({ statistics, schema });
 *   await writeReport(renderValidationReport({ anomalies, statistics, schema, reference }), 'reports/validation.html');
 */
export function renderValidationReport(input: ValidationReportInput): string {
  const maxCharts = compileMaxCharts(input.maxCharts);
  const report = input.anomalies;
  const byFeature = new Map<string, Anomaly[]>();
  for (const anomaly of report.anomalies) {
    if (anomaly.feature !== null) byFeature.set(anomaly.feature, [...(byFeature.get(anomaly.feature) ?? []), anomaly]);
  }
  const schemaFeatures = new Map((input.schema?.features ?? []).map((feature) => [feature.name, feature]));
  const rows = input.statistics ? featureRows(orderByAnomalies(pairColumns(input.statistics, input.reference), byFeature), maxCharts) : [];
  const sectionOf = new Map(rows.filter((row) => row.sectionId !== null).map((row) => [row.pair.name, row.sectionId!]));
  const compare = input.reference !== undefined;

  const subtitle = `${formatCount(report.rowCount)} rows validated for ${report.environment} · ${formatCount(report.summary.featuresChecked)} features checked${compare ? ` · compared with a reference of ${formatCount(input.reference!.rowCount)} rows` : ''}`;
  const body = html`${verdict(report)}
${cards([
    { label: 'Rows', value: formatCount(report.rowCount), detail: compare ? `reference ${formatCount(input.reference!.rowCount)}` : undefined },
    { label: 'Features checked', value: formatCount(report.summary.featuresChecked), detail: `in ${report.environment} data` },
    { label: 'Errors', value: formatCount(report.summary.errors), tone: report.summary.errors > 0 ? 'error' : 'ok' },
    { label: 'Warnings', value: formatCount(report.summary.warnings), tone: report.summary.warnings > 0 ? 'warning' : 'ok' },
  ])}
<h2>Anomalies</h2>
${anomalyTable(report.anomalies, sectionOf)}
${rows.length > 0 ? html`<h2>Features</h2>${featureTable(rows, byFeature, compare)}` : ''}
${featureSections(rows, byFeature, input.schema ? schemaFeatures : null, compare)}
<footer>Anomalies format ${report.format}. Errors stop a pipeline whose validate step fails on errors (the default); warnings are reported only.</footer>`;
  return renderPage({ title: input.title ?? 'Data validation', kind: 'Data validation', subtitle, body });
}

function verdict(report: AnomalyReport): SafeHtml {
  const { errors, warnings } = report.summary;
  const plural = (count: number, word: string) => `${formatCount(count)} ${word}${count === 1 ? '' : 's'}`;
  if (errors > 0) return html`<div class="verdict error">Failed: ${plural(errors, 'error')}${warnings > 0 ? ` and ${plural(warnings, 'warning')}` : ''}. <span>The data breaks the schema.</span></div>`;
  if (warnings > 0) return html`<div class="verdict warning">Passed with ${plural(warnings, 'warning')}. <span>No errors; review the warnings below.</span></div>`;
  return html`<div class="verdict ok">Passed. <span>The data matches the schema.</span></div>`;
}

function orderByAnomalies<T extends { name: string }>(pairs: readonly T[], byFeature: ReadonlyMap<string, Anomaly[]>): T[] {
  const rank = (pair: T) => {
    const anomalies = byFeature.get(pair.name) ?? [];
    return anomalies.some((a) => a.severity === 'error') ? 0 : anomalies.length > 0 ? 1 : 2;
  };
  return pairs.map((pair, index) => ({ pair, index, rank: rank(pair) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.pair);
}

function severityBadge(severity: Anomaly['severity']): SafeHtml {
  return html`<span class="badge ${severity}">${severity}</span>`;
}

function examples(anomaly: Anomaly): SafeHtml {
  return html`<span class="examples">${anomaly.examples.map((example) => html`<code>${typeof example === 'number' ? formatNumber(example) : example === '' ? '(empty)' : example}</code>`)}</span>`;
}

function anomalyTable(anomalies: readonly Anomaly[], sectionOf: ReadonlyMap<string, string>): SafeHtml {
  const severities = [...new Set(anomalies.map((a) => a.severity))];
  const columns: TableColumn<Anomaly>[] = [
    { header: 'Severity', cell: (a) => ({ content: severityBadge(a.severity), sortValue: a.severity === 'error' ? 0 : 1 }) },
    { header: 'Code', cell: (a) => ({ content: html`<span class="type">${a.code}</span>` }) },
    {
      header: 'Feature',
      cell: (a) => {
        if (a.feature === null) return { content: html`<span class="muted">(dataset)</span>`, className: 'name' };
        const section = sectionOf.get(a.feature);
        return { content: section ? html`<a href="#${section}">${a.feature}</a>` : a.feature, className: 'name' };
      },
    },
    { header: 'Description', sortable: false, cell: (a) => ({ content: a.description, className: 'text' }) },
    { header: 'Examples', sortable: false, cell: (a) => ({ content: examples(a), className: 'text' }) },
    { header: 'Share', numeric: true, cell: (a) => ({ content: formatShare(a.share), sortValue: a.share }) },
  ];
  return dataTable({
    rows: anomalies,
    columns,
    searchText: (a) => `${a.feature ?? ''} ${a.code} ${a.description}`.toLowerCase(),
    searchPlaceholder: 'Filter anomalies',
    group: { label: 'Severity', options: severities.map((s) => ({ value: s, label: s })), of: (a) => a.severity },
    empty: 'No anomalies: every check passed.',
  });
}

function statusBadges(anomalies: readonly Anomaly[]): SafeHtml {
  const errors = anomalies.filter((a) => a.severity === 'error').length;
  const warnings = anomalies.length - errors;
  if (anomalies.length === 0) return html` <span class="badge ok">ok</span>`;
  return html`${errors > 0 ? html` <span class="badge error">${errors} error${errors === 1 ? '' : 's'}</span>` : ''}${warnings > 0 ? html` <span class="badge warning">${warnings} warning${warnings === 1 ? '' : 's'}</span>` : ''}`;
}

function featureTable(rows: readonly FeatureRow[], byFeature: ReadonlyMap<string, Anomaly[]>, compare: boolean): SafeHtml {
  const status = (row: FeatureRow) => byFeature.get(row.pair.name) ?? [];
  const columns: TableColumn<FeatureRow>[] = [
    ...statisticsColumns(compare).slice(0, 1),
    {
      header: 'Status',
      cell: (row) => {
        const anomalies = status(row);
        const rank = anomalies.some((a) => a.severity === 'error') ? 0 : anomalies.length > 0 ? 1 : 2;
        return { content: statusBadges(anomalies), sortValue: rank };
      },
    },
    ...statisticsColumns(compare).slice(1),
  ];
  return dataTable({
    rows,
    columns,
    searchText: (row) => row.pair.name.toLowerCase(),
    searchPlaceholder: 'Filter features by name',
    group: { label: 'Kind', options: kindOptions(rows), of: (row) => kindOf(row.pair) },
    empty: 'The data has no columns.',
  });
}

function describeSchema(feature: FeatureSchema): string {
  const parts: string[] = [feature.type];
  parts.push(feature.presence.required ? 'required' : `present in at least ${formatShare(feature.presence.minFraction)} of rows`);
  if (feature.range) parts.push(`range [${formatNumber(feature.range.min)}, ${formatNumber(feature.range.max)}]`);
  if (feature.domain) parts.push(`${formatCount(feature.domain.length)} allowed values`);
  if (feature.environments?.notIn.length) parts.push(`not in ${feature.environments.notIn.join(', ')}`);
  return parts.join(' · ');
}

function featureSections(
  rows: readonly FeatureRow[],
  byFeature: ReadonlyMap<string, Anomaly[]>,
  schemaFeatures: ReadonlyMap<string, FeatureSchema> | null,
  compare: boolean,
): SafeHtml {
  const charted = rows.filter((row) => row.sectionId !== null);
  if (charted.length === 0) return html``;
  return html`<div class="section-head"><h2>Feature details</h2>${detailsButtons()}</div>
${sectionsIntro(charted.length, rows.length)}
${charted.map((row) => {
    const anomalies = byFeature.get(row.pair.name) ?? [];
    const schema = schemaFeatures?.get(row.pair.name);
    const schemaLine = schemaFeatures === null ? '' : html`<li class="muted">${schema ? `Schema: ${describeSchema(schema)}` : 'Not in the schema.'}</li>`;
    const notes = anomalies.length === 0 && schemaFeatures === null ? '' : html`<ul class="anomaly-list">
${schemaLine}
${anomalies.map((a) => html`<li>${severityBadge(a.severity)} <span class="type">${a.code}</span> ${a.description}${a.examples.length > 0 ? html` ${examples(a)}` : ''}</li>`)}</ul>`;
    return featureSection({
      id: row.sectionId!,
      name: row.pair.name,
      kind: kindOf(row.pair),
      type: (row.pair.current ?? row.pair.reference)!.type,
      badges: statusBadges(anomalies),
      notes,
      numbers: keyNumbers(row.pair),
      withReference: compare,
      charts: columnCharts(row.pair, expectationsOf(schema)),
    });
  })}`;
}
