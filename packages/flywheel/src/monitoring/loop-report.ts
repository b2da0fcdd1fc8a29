import { InvalidInputError } from '../core/errors.js';
import { isMetricName, METRICS } from '../evaluate/metric-catalog.js';
import { formatCount, formatNumber } from '../data/report/format-number.js';
import { html } from '../data/report/html.js';
import type { SafeHtml } from '../data/report/html.js';
import { cards, dataTable, renderPage } from '../data/report/page.js';
import type { Card, TableColumn } from '../data/report/page.js';
import { timeSeriesChart } from '../data/report/time-series-chart.js';
import type { TimeMarker, TimeSeries } from '../data/report/time-series-chart.js';
import type { Alert, Firing, Rollout } from '../metadata/control-store.js';
import type { AliasMove } from '../registry/model.js';
import type { PerformanceWindow } from './live-performance.js';
import { driftSection } from './loop-report-drift.js';
import { exactNumber, utcTime, VersionColours, windowAdjective, windowLabel, windowPhrase } from './loop-report-format.js';
import { aliasMoveText, canaryStart, eventKind, lineageSection, timelineSection } from './loop-report-history.js';
import type { ModelMonitoring } from './monitor-model.js';
import type { VersionLineage } from './prediction-lineage.js';

export interface LoopReportInput {
  model: string;
  /** The metric drawn, e.g. 'auc'. */
  metric: string;
  generatedAt: Date;
  /** Performance windows of every version, input drift per version. */
  monitoring: ModelMonitoring;
  /** Alias moves of the model; champion moves are the promotion markers. */
  aliasMoves: AliasMove[];
  rollouts: Rollout[];
  firings: Firing[];
  alerts: Alert[];
  /** Lineage of the current champion. */
  champion: VersionLineage | null;
  /** Free text lines shown under the title (what the run did), optional. */
  summary?: string[];
}

const MARKER_KINDS = [
  { kind: 'promotion', label: 'champion alias moved' },
  { kind: 'rejection', label: 'challenger rejected or rolled back' },
  { kind: 'canary', label: 'canary started' },
] as const;

/** Windows of the monitoring, start to end in ms; null when there are none. */
function windowSpan(monitoring: ModelMonitoring): { from: number; to: number } | null {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const window of [...monitoring.performance, ...monitoring.inputDrift.flatMap((v) => v.windows)]) {
    from = Math.min(from, window.start.getTime());
    to = Math.max(to, window.end.getTime());
  }
  return from < to ? { from, to } : null;
}

/** Champion moves, decided-against challengers and canary starts, as chart markers. */
function eventMarkers(input: LoopReportInput): TimeMarker[] {
  const markers: TimeMarker[] = [];
  for (const move of input.aliasMoves) {
    if (move.alias !== 'champion' || move.toVersion === null) continue;
    markers.push({
      at: move.at.getTime(), kind: 'promotion', label: `v${move.toVersion} champion`,
      title: `${aliasMoveText(move)} at ${utcTime(move.at)} UTC by ${move.actor}: ${move.reason}`,
    });
  }
  for (const rollout of input.rollouts) {
    const canary = canaryStart(rollout);
    if (canary) {
      markers.push({ at: canary.getTime(), kind: 'canary', label: `v${rollout.challengerVersion} canary`, title: `v${rollout.challengerVersion} canary from ${utcTime(canary)} UTC (rollout ${rollout.id})` });
    }
    if (rollout.phase === 'rejected' || rollout.phase === 'rolled_back') {
      const what = rollout.phase === 'rejected' ? 'rejected' : 'rolled back';
      markers.push({
        at: rollout.updatedAt.getTime(), kind: 'rejection', label: `v${rollout.challengerVersion} ${what}`,
        title: `v${rollout.challengerVersion} ${what} at ${utcTime(rollout.updatedAt)} UTC (rollout ${rollout.id}): ${rollout.reason}`,
      });
    }
  }
  return markers.sort((a, b) => a.at - b.at);
}

function metricValue(window: PerformanceWindow, metric: string): number | null {
  const value = window.metrics[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function countsBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, n]) => `${formatCount(n)} ${name}`).join(' · ');
}

function headlineCards(input: LoopReportInput, colours: VersionColours): SafeHtml {
  const championMoves = input.aliasMoves.filter((move) => move.alias === 'champion');
  const lastMove = championMoves.at(-1);
  const champion = input.champion?.version.version ?? lastMove?.toVersion ?? null;
  const since = championMoves.filter((move) => move.toVersion === champion).at(-1);
  // The first champion is set, not promoted: a promotion replaces a champion.
  const promoted = championMoves.filter((move) => move.toVersion !== null && move.fromVersion !== null);
  const chain = championMoves.filter((move) => move.toVersion !== null).map((move) => `v${move.toVersion}`);
  const failed = input.firings.filter((firing) => firing.status === 'failed').length;
  const rejected = input.rollouts.filter((rollout) => rollout.phase === 'rejected').length;
  const rolledBack = input.rollouts.filter((rollout) => rollout.phase === 'rolled_back').length;
  const open = input.rollouts.find((rollout) => rollout.phase === 'evaluating' || rollout.phase === 'canary');
  const scored = input.monitoring.performance.filter((w) => metricValue(w, input.metric) !== null);
  const latest = scored.filter((w) => w.version === champion).at(-1) ?? scored.at(-1);
  const items: Card[] = [
    {
      label: 'Champion',
      value: champion === null ? 'none' : colours.label(champion),
      detail: champion === null ? 'no version holds the champion alias' : since ? `since ${utcTime(since.at)} UTC` : undefined,
    },
    {
      label: `Live ${input.metric}`,
      value: latest ? formatNumber(metricValue(latest, input.metric)) : '—',
      detail: latest
        ? `v${latest.version}, ${windowPhrase(latest.start, input.monitoring.windowMs)}, ${formatCount(latest.labeled)} labeled`
        : 'no labeled window yet',
    },
    {
      label: 'Retraining runs',
      value: formatCount(input.firings.length),
      detail: input.firings.length === 0 ? 'no trigger fired' : `by event: ${countsBy(input.firings, (f) => eventKind(f.event))}${failed > 0 ? `; ${formatCount(failed)} failed` : ''}`,
      ...(failed > 0 ? { tone: 'error' as const } : {}),
    },
    {
      label: 'Promotions',
      value: formatCount(promoted.length),
      detail: chain.length === 0 ? 'no champion yet' : promoted.length === 0 ? `${chain[0]} since the start` : `${chain.length > 6 ? '… → ' : ''}${chain.slice(-6).join(' → ')}`,
      ...(promoted.length > 0 ? { tone: 'ok' as const } : {}),
    },
    {
      label: 'Rejected or rolled back',
      value: formatCount(rejected + rolledBack),
      detail: `${formatCount(rejected)} rejected · ${formatCount(rolledBack)} rolled back${open ? `; v${open.challengerVersion} ${open.phase === 'canary' ? 'in canary' : 'being evaluated'}` : ''}`,
      ...(rejected + rolledBack > 0 ? { tone: 'warning' as const } : {}),
    },
    {
      label: 'Alerts',
      value: formatCount(input.alerts.length),
      detail: input.alerts.length === 0 ? 'none raised' : `by rule: ${countsBy(input.alerts, (a) => a.rule)}`,
      ...(input.alerts.length > 0 ? { tone: 'warning' as const } : {}),
    },
  ];
  return cards(items);
}

/** The markers of events outside the windows, which the charts cannot place: named under them instead. */
function outsideNote(markers: readonly TimeMarker[], span: { from: number; to: number }): SafeHtml {
  const outside = markers.filter((marker) => marker.at < span.from || marker.at > span.to);
  if (outside.length === 0) return html``;
  const listed = outside.slice(0, 6).map((marker) => `${marker.label} (${utcTime(new Date(marker.at))} UTC)`).join(', ');
  return html`<p class="note">${formatCount(outside.length)} event${outside.length === 1 ? ' falls' : 's fall'} outside the windows shown and ${outside.length === 1 ? 'is' : 'are'} not drawn: ${listed}${outside.length > 6 ? ', …' : ''}. See the timeline.</p>`;
}

interface ChartContext {
  colours: VersionColours;
  span: { from: number; to: number };
  markers: readonly TimeMarker[];
  /** The marker kinds drawn, for the legend. */
  markerKinds: readonly { kind: string; label: string }[];
}

function performanceChart(input: LoopReportInput, { colours, span, markers, markerKinds }: ChartContext): SafeHtml {
  const { metric, monitoring } = input;
  const windows = monitoring.performance;
  const labeled = windows.filter((w) => w.labeled > 0);
  if (labeled.length === 0) {
    return html`<div class="panel"><p class="empty">No window has labels yet: the ${formatCount(windows.length)} window${windows.length === 1 ? '' : 's'} with predictions wait${windows.length === 1 ? 's' : ''} for their delayed labels, so live ${metric} is not known.</p></div>`;
  }
  const versions = [...new Set(labeled.map((w) => w.version))].sort((a, b) => a - b);
  const series: TimeSeries[] = versions.map((version) => ({
    label: `v${version}`,
    className: colours.className(version),
    points: labeled.flatMap((w) => {
      const value = metricValue(w, metric);
      if (w.version !== version || value === null) return [];
      const title = `v${version}, ${windowPhrase(w.start, monitoring.windowMs)}: ${metric} ${exactNumber(value)} on ${formatCount(w.labeled)} labeled of ${formatCount(w.predictions)} predictions`;
      return [{ at: w.start.getTime(), value, title }];
    }),
  })).filter((s) => s.points.length > 0);
  if (series.length === 0) {
    const known = [...new Set(labeled.flatMap((w) => Object.keys(w.metrics)))].sort();
    const problems = [...new Set(labeled.flatMap((w) => (w.problem ? [w.problem] : [])))];
    return html`<div class="panel"><p class="empty">No labeled window has a value of ${metric}${known.length > 0 ? `; the windows have ${known.join(', ')}` : ''}.${problems.length > 0 ? ` ${problems.join(' ')}` : ''}</p></div>`;
  }
  const better = isMetricName(metric) ? ` (${METRICS[metric].better} is better)` : '';
  const unlabeled = windows.length - labeled.length;
  return html`<div class="panel chart-panel">${timeSeriesChart({
    series,
    span,
    gapMs: monitoring.windowMs,
    markers,
    markerKinds,
    yTitle: `${metric}${better}`,
    label: `live ${metric} per ${windowAdjective(monitoring.windowMs)} window and model version`,
  })}
<p class="note">A point is a version's ${metric} in a window (at the window's start), on the predictions whose labels have arrived; a version's line breaks where it served no labeled window.${unlabeled > 0 ? ` ${formatCount(unlabeled)} version-window${unlabeled === 1 ? '' : 's'} without labels yet ${unlabeled === 1 ? 'is' : 'are'} not drawn.` : ''}</p>
${outsideNote(markers, span)}</div>`;
}

function performanceTable(input: LoopReportInput, colours: VersionColours): SafeHtml {
  const { metric, monitoring } = input;
  const rows = [...monitoring.performance].sort((a, b) => a.start.getTime() - b.start.getTime() || a.version - b.version);
  const columns: TableColumn<PerformanceWindow>[] = [
    { header: 'Window start', cell: (w) => ({ content: windowLabel(w.start, monitoring.windowMs), sortValue: w.start.getTime(), className: 'nowrap' }) },
    { header: 'Version', cell: (w) => ({ content: colours.label(w.version), sortValue: w.version, className: 'nowrap' }) },
    { header: 'Predictions', numeric: true, cell: (w) => ({ content: formatCount(w.predictions), sortValue: w.predictions }) },
    { header: 'Labeled', numeric: true, cell: (w) => ({ content: formatCount(w.labeled), sortValue: w.labeled }) },
    {
      header: metric,
      numeric: true,
      cell: (w) => {
        const value = metricValue(w, metric);
        if (value !== null) return { content: formatNumber(value), sortValue: value };
        const why = w.problem ?? (w.labeled === 0 ? 'no labels yet' : 'undefined');
        return { content: html`<span class="muted">${why}</span>`, sortValue: null };
      },
    },
  ];
  const versions = [...new Set(rows.map((w) => w.version))].sort((a, b) => a - b);
  return dataTable({
    rows,
    columns,
    searchText: (w) => `${windowLabel(w.start, monitoring.windowMs)} v${w.version}`,
    searchPlaceholder: 'Filter by date or version',
    group: { label: 'Version', options: versions.map((v) => ({ value: String(v), label: `v${v}` })), of: (w) => String(w.version) },
    empty: `No predictions of ${input.model} are logged yet.`,
  });
}

function checkInput(input: LoopReportInput): void {
  if (typeof input.model !== 'string' || input.model === '') throw new InvalidInputError('model', 'must be a model name');
  if (typeof input.metric !== 'string' || input.metric === '') throw new InvalidInputError('metric', 'must name a metric, e.g. auc');
  if (!(input.generatedAt instanceof Date) || Number.isNaN(input.generatedAt.getTime())) throw new InvalidInputError('generatedAt', 'must be a valid date');
  if (!(input.monitoring.windowMs > 0)) throw new InvalidInputError('monitoring.windowMs', `must be positive, got ${input.monitoring.windowMs}`);
}

/**
 * A self-contained HTML page of the continuous-training loop of one model: headline numbers,
 * the live metric per window and version with promotions, rejections and canaries marked, input
 * drift per feature over time as a heat map, a timeline of everything the loop did, and the
 * current champion's lineage.
 *
 * @example
 *   const monitoring = await monitorModel(stack, { model: 'flights', windowMs: 7 * 86_400_000 });
 *   const champion = await stack.registry.findAlias('flights', 'champion');
 *   await writeReport(renderLoopReport({
 *     model: 'flights', metric: 'auc', generatedAt: new Date(), monitoring,
 *     aliasMoves: await stack.registry.aliasHistory('flights'),
 *     rollouts: await stack.control.findRollouts({ model: 'flights' }),
 *     firings: await stack.control.findFirings(), alerts: await stack.control.findAlerts({ model: 'flights' }),
 *     champion: champion ? await versionLineage(stack, 'flights', champion.version) : null,
 *   }), 'reports/loop.html');
 */
export function renderLoopReport(input: LoopReportInput): string {
  checkInput(input);
  const { monitoring } = input;
  const colours = new VersionColours([
    ...monitoring.performance.map((w) => w.version),
    ...monitoring.inputDrift.map((v) => v.version),
    ...input.rollouts.map((r) => r.challengerVersion),
    ...input.aliasMoves.flatMap((m) => (m.toVersion === null ? [] : [m.toVersion])),
    ...(input.champion ? [input.champion.version.version] : []),
  ]);
  const span = windowSpan(monitoring);
  const markers = eventMarkers(input);
  const present = span ? MARKER_KINDS.filter((kind) => markers.some((m) => m.kind === kind.kind && m.at >= span.from && m.at <= span.to)) : [];
  const windowCount = new Set(monitoring.performance.map((w) => w.start.getTime())).size;
  const range = span ? `, ${windowLabel(new Date(span.from), monitoring.windowMs)} to ${windowLabel(new Date(span.to), monitoring.windowMs)}` : '';
  const subtitle = html`live ${input.metric} · ${formatCount(windowCount)} ${windowAdjective(monitoring.windowMs)} window${windowCount === 1 ? '' : 's'}${range} · generated ${utcTime(input.generatedAt)} UTC`;
  const summary = input.summary && input.summary.length > 0 ? html`<ul class="summary">${input.summary.map((line) => html`<li>${line}</li>`)}</ul>` : '';
  const body = html`${summary}
${headlineCards(input, colours)}
<h2 id="performance">Live performance</h2>
${span ? performanceChart(input, { colours, span, markers, markerKinds: present }) : html`<div class="panel"><p class="empty">No predictions of ${input.model} are logged yet, so there is no live ${input.metric} to show.</p></div>`}
<h2 id="windows">Windows</h2>
${performanceTable(input, colours)}
<h2 id="drift">Input drift per feature over time</h2>
${driftSection({ drift: monitoring.inputDrift, windowMs: monitoring.windowMs, colours, span, markers, markerKinds: present })}
<h2 id="timeline">Timeline</h2>
${timelineSection({ firings: input.firings, alerts: input.alerts, rollouts: input.rollouts, aliasMoves: input.aliasMoves, windowMs: monitoring.windowMs, colours })}
<h2 id="lineage">Champion lineage</h2>
${lineageSection(input.champion)}
<footer>Times are UTC. Windows start at multiples of their length from Monday 2000-01-03, so weeks start on Mondays. Live metrics count only predictions whose labels have arrived; drift compares each version's logged inputs with the profile of its own training data.</footer>`;
  return renderPage({ title: input.model, kind: 'Continuous training', subtitle, body });
}
