import type { DriftCheck, DriftFeature, DriftReport, DriftSideCounts } from '../drift/drift-format.js';
import { categoryChart, histogramChart, missingChart } from './charts.js';
import type { CategoryRow } from './charts.js';
import { CATEGORY_BARS } from './column-view.js';
import { featureSection, sectionsIntro } from './feature-section.js';
import type { ChartBlock, NumberRow } from './feature-section.js';
import { compileMaxCharts, detailsButtons } from './feature-table.js';
import { formatCount, formatNumber, formatProbability, formatShare } from './format-number.js';
import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { cards, dataTable, renderPage } from './page.js';
import type { TableCell, TableColumn } from './page.js';

export interface DriftReportOptions {
  /** The report's heading. Default `Data drift`, or `Training/serving skew` for a skew report. */
  title?: string;
  /** Features drawn with charts, drifted ones first. Default 100. */
  maxCharts?: number;
}

/** Names of the checks a drift report may contain, for people. */
const CHECK_NAMES: Record<string, string> = {
  ks_p_value: 'KS p-value',
  chi_square_p_value: 'χ² p-value',
  ks_statistic: 'KS statistic',
  wasserstein_normalized: 'Wasserstein / reference std',
  psi: 'PSI',
  jensen_shannon: 'Jensen–Shannon distance',
  l_infinity: 'largest share change',
};

const STATUS_ORDER: Record<DriftFeature['status'], number> = { drifted: 0, stable: 1, not_compared: 2 };

interface DriftRow {
  feature: DriftFeature;
  sectionId: string | null;
}

/**
 * A self-contained HTML page of a drift (or skew) report: the overall verdict, a table of every
 * feature's test results, and per feature its checks beside the reference and current
 * distributions on shared bins, drifted features first.
 *
 * @example
 *   const drift = await readDriftReportFile('reports/2001-02.drift.json');
 *   await writeReport(renderDriftReport(drift), 'reports/2001-02-drift.html');
 */
export function renderDriftReport(drift: DriftReport, options: DriftReportOptions = {}): string {
  const maxCharts = compileMaxCharts(options.maxCharts);
  const ordered = drift.features
    .map((feature, index) => ({ feature, index }))
    .sort((a, b) => STATUS_ORDER[a.feature.status] - STATUS_ORDER[b.feature.status] || a.index - b.index)
    .map(({ feature }) => feature);
  let charted = 0;
  const rows: DriftRow[] = ordered.map((feature, index) => ({
    feature,
    sectionId: feature.status !== 'not_compared' && charted++ < maxCharts ? `feature-${index}` : null,
  }));
  const skew = drift.kind === 'skew';
  const title = options.title ?? (skew ? 'Training/serving skew' : 'Data drift');
  const subtitle = html`reference <span class="type">${drift.reference.path}</span> (${formatCount(drift.reference.rows)} rows) · current <span class="type">${drift.current.path}</span> (${formatCount(drift.current.rows)} rows)`;
  const { summary } = drift;
  const notCompared = summary.features - summary.compared;
  const body = html`${verdict(drift)}
${cards([
    { label: 'Reference rows', value: formatCount(drift.reference.rows), detail: `from ${drift.reference.from === 'profile' ? 'a drift profile' : 'the data'}` },
    { label: 'Current rows', value: formatCount(drift.current.rows), detail: `from ${drift.current.from === 'profile' ? 'a drift profile' : 'the data'}` },
    { label: 'Features compared', value: formatCount(summary.compared), detail: notCompared > 0 ? `${formatCount(notCompared)} of ${formatCount(summary.features)} not compared` : `all ${formatCount(summary.features)}` },
    {
      label: skew ? 'Skewed features' : 'Drifted features',
      value: formatCount(summary.drifted),
      detail: `${formatShare(summary.share)} of compared; limit ${formatShare(drift.settings.driftShare)}`,
      tone: summary.datasetDrift ? 'error' : summary.drifted > 0 ? 'warning' : 'ok',
    },
  ])}
<h2>Features</h2>
${featureTable(rows)}
${featureSections(rows, drift)}
<footer>Drift format ${drift.format}. A feature drifts when its significance test is below its threshold (if one is set) and at least one distance reaches its threshold; the dataset drifts when more than ${formatShare(drift.settings.driftShare)} of the compared features do. Histograms use ${formatCount(drift.settings.histogramBins)} equal-width bins over both datasets' joint range.</footer>`;
  return renderPage({ title, kind: skew ? 'Skew' : 'Drift', subtitle, body });
}

function verdict(drift: DriftReport): SafeHtml {
  const { summary } = drift;
  const what = drift.kind === 'skew' ? 'skew' : 'drift';
  const counted = `${formatCount(summary.drifted)} of ${formatCount(summary.compared)} compared features (${formatShare(summary.share)}) ${summary.drifted === 1 ? 'shows' : 'show'} ${what}`;
  if (summary.datasetDrift) return html`<div class="verdict error">Dataset ${what} detected. <span>${counted}, more than the limit of ${formatShare(drift.settings.driftShare)}.</span></div>`;
  if (summary.drifted > 0) return html`<div class="verdict warning">No dataset ${what}. <span>${counted}, within the limit of ${formatShare(drift.settings.driftShare)}.</span></div>`;
  return html`<div class="verdict ok">No ${what}. <span>None of the ${formatCount(summary.compared)} compared features differs beyond its thresholds.</span></div>`;
}

function statusBadge(feature: DriftFeature): SafeHtml {
  if (feature.status === 'not_compared') return html`<span class="badge" title="${feature.description}">not compared</span>`;
  return feature.status === 'drifted' ? html`<span class="badge error">drifted</span>` : html`<span class="badge ok">stable</span>`;
}

/** A drift check's name for people, e.g. `PSI`, `KS p-value`. */
export function checkName(check: Pick<DriftCheck, 'test'>): string {
  return CHECK_NAMES[check.test] ?? check.test;
}

/** The significance test of a compared feature: its name, statistic and p-value. */
function mainTest(feature: DriftFeature): { name: string; statistic: number; pValue: number } | null {
  if (feature.status === 'not_compared') return null;
  if (feature.kind === 'numeric') {
    const { ks } = feature.numeric.tests;
    return { name: 'KS', statistic: ks.statistic, pValue: ks.pValue };
  }
  const { chiSquare } = feature.categorical.tests;
  return { name: 'chi-square', statistic: chiSquare.statistic, pValue: chiSquare.pValue };
}

function checksOf(feature: DriftFeature): DriftCheck[] {
  return feature.status === 'not_compared' ? [] : feature.checks;
}

function checkText(check: DriftCheck): string {
  return `${checkName(check)} ${checkValue(check.test, check.value)} (${thresholdText(check)})`;
}

function featureTable(rows: readonly DriftRow[]): SafeHtml {
  const significance = (row: DriftRow) => checksOf(row.feature).find((check) => check.role === 'significance') ?? null;
  const columns: TableColumn<DriftRow>[] = [
    {
      header: 'Feature',
      cell: (row) => ({ content: row.sectionId ? html`<a href="#${row.sectionId}">${row.feature.name}</a>` : row.feature.name, className: 'name' }),
    },
    { header: 'Kind', cell: (row) => ({ content: html`<span class="badge">${row.feature.kind}</span>` }) },
    { header: 'Test', cell: (row) => ({ content: mainTest(row.feature)?.name ?? '', className: 'nowrap' }) },
    {
      header: 'Statistic',
      numeric: true,
      cell: (row) => {
        const test = mainTest(row.feature);
        return { content: test ? formatNumber(test.statistic) : '', sortValue: test?.statistic ?? null };
      },
    },
    {
      header: 'p-value',
      numeric: true,
      cell: (row) => {
        const test = mainTest(row.feature);
        return { content: test ? formatProbability(test.pValue) : '', sortValue: test?.pValue ?? null };
      },
    },
    {
      header: 'Threshold',
      numeric: true,
      cell: (row): TableCell => {
        const check = significance(row);
        return { content: check ? `p < ${formatProbability(check.threshold)}` : '', sortValue: check?.threshold ?? null };
      },
    },
    {
      header: 'Distances',
      sortable: false,
      cell: (row) => {
        if (row.feature.status === 'not_compared') return { content: html`<span class="muted">${row.feature.description}</span>`, className: 'text' };
        const effects = checksOf(row.feature).filter((check) => check.role === 'effect');
        return { content: effects.map((check) => html`<div${check.met ? html` class="met"` : ''}>${checkText(check)}</div>`), className: 'text checks' };
      },
    },
    {
      header: 'Drifted',
      cell: (row) => ({ content: statusBadge(row.feature), sortValue: STATUS_ORDER[row.feature.status] }),
    },
  ];
  return dataTable({
    rows,
    columns,
    searchText: (row) => row.feature.name.toLowerCase(),
    searchPlaceholder: 'Filter features by name',
    group: {
      label: 'Status',
      options: [...new Set(rows.map((row) => row.feature.status))].map((status) => ({ value: status, label: status.replace('_', ' ') })),
      of: (row) => row.feature.status,
    },
    empty: 'Neither dataset has columns.',
  });
}

interface Measure {
  label: string;
  value: string;
  /** The check this measure is compared with, by its name in the drift report. */
  check: string;
}

/** Every measure of a compared feature, numeric or categorical. */
function measures(feature: DriftFeature): Measure[] {
  if (feature.status === 'not_compared') return [];
  if (feature.kind === 'numeric') {
    const { ks, wasserstein, psi, jensenShannon } = feature.numeric.tests;
    return [
      { label: `KS statistic (${ks.method})`, value: formatNumber(ks.statistic), check: 'ks_statistic' },
      { label: 'KS p-value', value: formatProbability(ks.pValue), check: 'ks_p_value' },
      { label: 'Wasserstein distance', value: formatNumber(wasserstein.distance), check: 'wasserstein' },
      { label: 'Wasserstein / reference std', value: wasserstein.normalized === null ? 'n/a' : formatNumber(wasserstein.normalized), check: 'wasserstein_normalized' },
      { label: 'PSI', value: formatNumber(psi), check: 'psi' },
      { label: 'Jensen–Shannon distance', value: formatNumber(jensenShannon), check: 'jensen_shannon' },
    ];
  }
  const { chiSquare, lInfinity, jensenShannon } = feature.categorical.tests;
  return [
    { label: `χ² statistic (${formatCount(chiSquare.dof)} dof${chiSquare.yates ? ', Yates' : ''})`, value: formatNumber(chiSquare.statistic), check: 'chi_square_statistic' },
    { label: 'χ² p-value', value: formatProbability(chiSquare.pValue), check: 'chi_square_p_value' },
    { label: 'largest share change', value: formatShare(lInfinity), check: 'l_infinity' },
    { label: 'Jensen–Shannon distance', value: formatNumber(jensenShannon), check: 'jensen_shannon' },
  ];
}

/** A check's value in the unit people read it in: p-values small, share changes in percent. */
function checkValue(test: string, value: number | null): string {
  if (value === null) return 'n/a';
  if (test.endsWith('p_value')) return formatProbability(value);
  if (test === 'l_infinity') return formatShare(value);
  return formatNumber(value);
}

function thresholdText(check: DriftCheck): string {
  return `${check.role === 'significance' ? '<' : '≥'} ${checkValue(check.test, check.threshold)}`;
}

/** The feature's measures with the thresholds its verdict used; checks unknown to this page are listed too. */
function testsTable(feature: DriftFeature): SafeHtml {
  const checks = new Map(checksOf(feature).map((check) => [check.test, check]));
  const known = measures(feature);
  if (known.length === 0) return html``;
  const rows = known.map((measure) => ({ label: measure.label, value: measure.value, check: checks.get(measure.check) ?? null }));
  const listed = new Set(known.map((measure) => measure.check));
  for (const check of checks.values()) {
    if (!listed.has(check.test)) rows.push({ label: checkName(check), value: checkValue(check.test, check.value), check });
  }
  return html`<table class="numbers tests"><thead><tr><th>test</th><th>value</th><th>threshold</th><th>reached</th></tr></thead><tbody>${rows.map((row) => html`<tr><th scope="row">${row.label}</th><td>${row.value}</td><td>${row.check ? thresholdText(row.check) : '—'}</td><td>${row.check ? html`<span class="badge ${row.check.met ? 'error' : 'ok'}">${row.check.met ? 'yes' : 'no'}</span>` : '—'}</td></tr>`)}</tbody></table>`;
}

function sideNumbers(feature: DriftFeature, drift: DriftReport): NumberRow[] {
  const row = (label: string, pick: (counts: DriftSideCounts, rows: number) => string): NumberRow => ({
    label,
    current: feature.current === null ? 'absent' : pick(feature.current, drift.current.rows),
    reference: feature.reference === null ? 'absent' : pick(feature.reference, drift.reference.rows),
  });
  const rows: NumberRow[] = [
    row('values', (counts) => formatCount(counts.count)),
    row('missing', (counts, total) => `${formatCount(counts.missing)} (${formatShare(total > 0 ? counts.missing / total : 0)})`),
  ];
  if (feature.status === 'not_compared' || feature.kind !== 'numeric') return rows;
  if ((feature.current?.nonFinite ?? 0) + (feature.reference?.nonFinite ?? 0) > 0) rows.push(row('NaN or ±∞', (counts) => formatCount(counts.nonFinite)));
  const { current, reference } = feature.numeric;
  for (const key of ['mean', 'std', 'min', 'max'] as const) {
    rows.push({ label: key === 'std' ? 'std. dev.' : key, current: formatNumber(current[key]), reference: formatNumber(reference[key]) });
  }
  return rows;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total > 0 ? count / total : 0));
}

function driftCharts(feature: DriftFeature, drift: DriftReport): ChartBlock[] {
  const blocks: ChartBlock[] = [];
  if (feature.status !== 'not_compared' && feature.kind === 'numeric') {
    const { histogram } = feature.numeric;
    blocks.push({
      title: 'Distribution',
      chart: histogramChart({ edges: histogram.edges, current: shares(histogram.current), reference: shares(histogram.reference), label: `histogram of ${feature.name}` }),
      caption: `${histogram.current.length} equal-width bins over both datasets; shares of each dataset's finite values.`,
    });
  } else if (feature.status !== 'not_compared') {
    const { categories, others, unseen, vanished } = feature.categorical;
    const referenceTotal = categories.reduce((sum, c) => sum + c.reference, others.reference);
    const currentTotal = categories.reduce((sum, c) => sum + c.current, others.current);
    const rows: CategoryRow[] = categories.slice(0, CATEGORY_BARS).map((c) => ({
      value: c.value,
      current: currentTotal > 0 ? c.current / currentTotal : 0,
      reference: referenceTotal > 0 ? c.reference / referenceTotal : 0,
      flagged: c.reference === 0 && c.current > 0,
    }));
    const notes: string[] = [];
    const categoryPhrase = (n: number, adjective = '') => `${formatCount(n)} ${adjective}${n === 1 ? 'category is' : 'categories are'}`;
    const rest = categories.length - rows.length + others.categories;
    if (rest > 0) notes.push(`${categoryPhrase(rest, 'less frequent ')} not drawn.`);
    if (unseen.categories > 0) notes.push(`${categoryPhrase(unseen.categories)} new in the current data (${formatCount(unseen.current)} rows), drawn in amber.`);
    if (vanished.categories > 0) notes.push(`${categoryPhrase(vanished.categories)} gone from the current data (${formatCount(vanished.reference)} reference rows).`);
    if (!feature.categorical.exact) notes.push('A side came from a profile that kept only its most frequent categories.');
    if (rows.length > 0) {
      blocks.push({
        title: 'Most frequent values',
        chart: categoryChart(rows, { withReference: true, label: `most frequent values of ${feature.name}` }),
        caption: notes.join(' ') || undefined,
      });
    }
  }
  const missing = (counts: DriftSideCounts | null, rows: number) => (counts === null ? null : rows > 0 ? counts.missing / rows : 0);
  const current = missing(feature.current, drift.current.rows);
  if (current !== null || feature.reference !== null) {
    blocks.push({
      title: 'Missing values',
      chart: missingChart({ current: current ?? 0, reference: missing(feature.reference, drift.reference.rows), label: `share of rows without a value of ${feature.name}` }),
    });
  }
  return blocks;
}

function featureSections(rows: readonly DriftRow[], drift: DriftReport): SafeHtml {
  const charted = rows.filter((row) => row.sectionId !== null);
  if (charted.length === 0) return html``;
  return html`<div class="section-head"><h2>Feature details</h2>${detailsButtons()}</div>
${sectionsIntro(charted.length, rows.filter((row) => row.feature.status !== 'not_compared').length)}
${charted.map((row) => featureSection({
    id: row.sectionId!,
    name: row.feature.name,
    kind: row.feature.kind,
    type: row.feature.types.current ?? row.feature.types.reference,
    badges: statusBadge(row.feature),
    facts: testsTable(row.feature),
    numbers: sideNumbers(row.feature, drift),
    withReference: true,
    charts: driftCharts(row.feature, drift),
  }))}`;
}
