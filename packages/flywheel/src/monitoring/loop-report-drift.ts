import type { DriftCheck, DriftFeature, DriftReport } from '../data/drift/drift-format.js';
import { DEFAULT_THRESHOLDS } from '../data/drift/options.js';
import { formatCount, formatProbability, formatShare } from '../data/report/format-number.js';
import { html } from '../data/report/html.js';
import type { SafeHtml } from '../data/report/html.js';
import { timeSeriesChart } from '../data/report/time-series-chart.js';
import type { TimeMarker, TimePoint } from '../data/report/time-series-chart.js';
import { exactNumber, windowLabel, windowPhrase } from './loop-report-format.js';
import type { VersionColours } from './loop-report-format.js';
import type { VersionDrift } from './monitor-model.js';
import type { DriftWindow } from './window-drift.js';
import { checkName } from '../data/report/drift-report.js';

/**
 * The effect size a heat-map cell is coloured by, one per kind of feature: PSI for numeric
 * features (the measure people know from credit scoring, with conventional limits) and the
 * Jensen–Shannon distance for categorical ones (bounded, symmetric, defined for new categories).
 * The colour is the value as a share of the threshold the drift test used, so both kinds read
 * on one scale; a report without that check falls back to the default drift threshold.
 */
const MEASURES = {
  numeric: { test: 'psi', name: 'PSI', fallback: DEFAULT_THRESHOLDS.drift.numeric.psi! },
  categorical: { test: 'jensen_shannon', name: 'Jensen–Shannon distance', fallback: DEFAULT_THRESHOLDS.drift.categorical.jensenShannon! },
} as const;

/** Upper bounds of the colour levels, as shares of the threshold; at or past the last is the darkest level. */
const LEVELS = [0.25, 0.5, 0.75, 1, 2];
const LEVEL_NAMES = ['below ¼ of its threshold', '¼ to ½', '½ to ¾', '¾ to 1×', '1× to 2×', '2× or more'];


/** One column of the heat map: a window, seen through the version that served most of its traffic. */
interface Column {
  version: number;
  window: DriftWindow;
}

export interface DriftSectionInput {
  drift: readonly VersionDrift[];
  windowMs: number;
  colours: VersionColours;
  span: { from: number; to: number } | null;
  markers: readonly TimeMarker[];
  markerKinds: readonly { kind: string; label: string }[];
}

/**
 * Input drift per feature over time: a heat map (features × windows) of each feature's effect
 * size, drifted cells marked with ▲, and a chart of the share of drifted features per window.
 */
export function driftSection(input: DriftSectionInput): SafeHtml {
  const columns = servingColumns(input.drift);
  const problems = input.drift.filter((v) => v.problem).map((v) => html`<li>v${v.version}: ${v.problem}</li>`);
  const problemList = problems.length > 0 ? html`<ul class="note">${problems}</ul>` : '';
  const compared = columns.filter((column) => column.window.report !== null);
  if (compared.length === 0) {
    const why = columns.length > 0
      ? `${formatCount(columns.length)} window${columns.length === 1 ? ' has' : 's have'} predictions, but none had enough rows to compare with the training data.`
      : 'No version has input drift windows yet: drift is computed once predictions are logged for a version whose training data is known.';
    return html`<div class="panel"><p class="empty">${why}</p>${problemList}</div>`;
  }
  return html`<div class="panel chart-panel">${heatMap(columns, input)}${legend()}${problemList}</div>
<div class="panel chart-panel">${shareChart(compared, input)}</div>`;
}

/** For each window start, the drift window of the version with the most (non-shadow) rows in it; the older one on a tie. */
function servingColumns(drift: readonly VersionDrift[]): Column[] {
  const byStart = new Map<number, Column>();
  for (const { version, windows } of drift) {
    for (const window of windows) {
      const at = window.start.getTime();
      const current = byStart.get(at);
      const more = !current || window.rows > current.window.rows || (window.rows === current.window.rows && version < current.version);
      if (more) byStart.set(at, { version, window });
    }
  }
  return [...byStart.entries()].sort(([a], [b]) => a - b).map(([, column]) => column);
}

interface FeatureRow {
  name: string;
  kind: DriftFeature['kind'];
}

/** Every feature of any window, in the order they first appear. */
function featureRows(columns: readonly Column[]): FeatureRow[] {
  const rows = new Map<string, FeatureRow>();
  for (const { window } of columns) {
    for (const feature of window.report?.features ?? []) {
      const known = rows.get(feature.name);
      if (!known) rows.set(feature.name, { name: feature.name, kind: feature.kind });
      else if (known.kind === 'other' && feature.status !== 'not_compared') known.kind = feature.kind;
    }
  }
  return [...rows.values()];
}

function effectOf(feature: DriftFeature): { name: string; value: number; threshold: number; level: number } | null {
  if (feature.status === 'not_compared') return null;
  const measure = MEASURES[feature.kind];
  const value = feature.kind === 'numeric' ? feature.numeric.tests.psi : feature.categorical.tests.jensenShannon;
  const threshold = feature.checks.find((check) => check.test === measure.test)?.threshold ?? measure.fallback;
  const ratio = threshold > 0 ? value / threshold : value > 0 ? Number.POSITIVE_INFINITY : 0;
  const level = LEVELS.findIndex((bound) => ratio < bound);
  return { name: measure.name, value, threshold, level: level < 0 ? LEVELS.length : level };
}

/** Two significant digits: enough to read a cell, the tooltip has the rest. */
function cellNumber(value: number): string {
  if (value === 0) return '0';
  if (value < 0.001) return '<.001';
  return String(Number(value.toPrecision(2))).replace(/^0\./, '.');
}

function checkLine(check: DriftCheck): string {
  const value = check.value === null ? 'n/a' : check.test.endsWith('p_value') ? formatProbability(check.value) : exactNumber(check.value);
  const comparison = check.role === 'significance' ? '<' : '≥';
  return `${checkName(check)} ${value} (${comparison} ${exactNumber(check.threshold)}${check.met ? ', reached' : ''})`;
}

function cell(feature: DriftFeature | undefined, column: Column, windowMs: number, switched: boolean): SafeHtml {
  const where = `${windowPhrase(column.window.start, windowMs)}, v${column.version}`;
  const edge = switched ? ' switch' : '';
  const report = column.window.report;
  if (report === null) {
    return html`<td class="cell heat-none${edge}" title="${where}: ${formatCount(column.window.rows)} rows, too few to compare">·</td>`;
  }
  if (feature === undefined) return html`<td class="cell heat-none${edge}" title="${where}: not in this window's inputs"></td>`;
  const effect = effectOf(feature);
  if (feature.status === 'not_compared' || effect === null) {
    const why = feature.status === 'not_compared' ? feature.description : 'not compared';
    return html`<td class="cell heat-none${edge}" title="${feature.name}, ${where}: not compared, ${why}">–</td>`;
  }
  const drifted = feature.status === 'drifted';
  const title = [
    `${feature.name}, ${where}: ${drifted ? 'drifted' : 'stable'}`,
    `${effect.name} ${exactNumber(effect.value)} (drift threshold ${exactNumber(effect.threshold)})`,
    ...feature.checks.filter((check) => check.test !== MEASURES[feature.kind].test).map(checkLine),
  ].join('\n');
  return html`<td class="cell heat-${effect.level}${edge}" title="${title}">${cellNumber(effect.value)}${drifted ? html`<span class="mark" aria-label="drifted">▲</span>` : ''}</td>`;
}

function heatMap(columns: readonly Column[], input: DriftSectionInput): SafeHtml {
  const { windowMs, colours } = input;
  const switched = columns.map((column, i) => i > 0 && columns[i - 1]!.version !== column.version);
  const head = columns.map((column, i) => {
    const { start, end } = column.window;
    return html`<th class="window${switched[i] ? ' switch' : ''}" scope="col" title="${windowPhrase(start, windowMs)} (to ${windowLabel(end, windowMs)}), v${column.version}, ${formatCount(column.window.rows)} rows">${windowLabel(start, windowMs)}</th>`;
  });
  const versions = columns.map((column, i) => html`<th class="version${switched[i] ? ' switch' : ''}">${colours.label(column.version)}</th>`);
  const byName = columns.map((column) => new Map((column.window.report?.features ?? []).map((feature) => [feature.name, feature])));
  const body = featureRows(columns).map((row) => {
    const cells = columns.map((column, i) => cell(byName[i]!.get(row.name), column, windowMs, switched[i]!));
    return html`<tr><th class="row-head" scope="row">${row.name} <span class="type">${row.kind}</span></th>${cells}</tr>\n`;
  });
  const shares = columns.map((column, i) => {
    const summary = column.window.report?.summary;
    const edge = switched[i] ? ' switch' : '';
    if (!summary) return html`<td class="cell heat-none${edge}">·</td>`;
    return html`<td class="cell${edge}" title="${formatCount(summary.drifted)} of ${formatCount(summary.compared)} compared features drifted${summary.datasetDrift ? ': dataset drift' : ''}">${formatShare(summary.share)}</td>`;
  });
  return html`<div class="scroll"><table class="heatmap" aria-label="effect size of each feature's drift per window">
<thead><tr><th class="row-head">feature</th>${head}</tr><tr><th class="row-head"></th>${versions}</tr></thead>
<tbody>
${body}<tr class="share"><th class="row-head" scope="row">drifted features</th>${shares}</tr>
</tbody></table></div>`;
}

function legend(): SafeHtml {
  return html`<div class="heat-legend">${LEVEL_NAMES.map((name, level) => html`<span><span class="cell heat-${level}"></span>${name}</span>`)}<span>▲ drifted</span><span>– not compared</span><span>· too few rows</span></div>
<p class="note">Each cell is a feature's drift in one window against the training data of the version serving it (the version with most traffic that window; a heavy line marks a change of version). Colour: the effect size as a share of its drift threshold — ${MEASURES.numeric.name} for numeric features, ${MEASURES.categorical.name} for categorical ones; the number is that effect size. ▲ marks a feature the window's drift test found drifted (its significance test and an effect size past their thresholds). Hover a cell for every test's exact value.</p>`;
}

function shareChart(columns: readonly Column[], input: DriftSectionInput): SafeHtml {
  const byVersion = new Map<number, TimePoint[]>();
  for (const { version, window } of columns) {
    const summary = window.report!.summary;
    const points = byVersion.get(version) ?? [];
    points.push({
      at: window.start.getTime(),
      value: summary.share,
      title: `v${version}, ${windowPhrase(window.start, input.windowMs)}: ${formatCount(summary.drifted)} of ${formatCount(summary.compared)} compared features drifted (${exactNumber(summary.share * 100)}%)`,
    });
    byVersion.set(version, points);
  }
  const series = [...byVersion.entries()].sort(([a], [b]) => a - b).map(([version, points]) => ({ label: `v${version}`, className: input.colours.className(version), points }));
  const limit = (columns.at(-1)!.window.report as DriftReport).settings.driftShare;
  const first = columns[0]!.window.start.getTime();
  const span = input.span ?? { from: first, to: columns.at(-1)!.window.end.getTime() };
  return html`<h3 class="chart-title">Share of drifted features per window</h3>${timeSeriesChart({
    series,
    span,
    gapMs: input.windowMs,
    markers: input.markers,
    markerKinds: input.markerKinds,
    guides: [{ value: limit, label: `dataset drift above ${formatShare(limit)}` }],
    unit: 'share',
    yMin: 0,
    yTitle: 'drifted features',
    label: 'share of drifted input features per window',
  })}`;
}
