import { niceTicks } from './charts.js';
import { formatShare, formatTick } from './format-number.js';
import { html, joinHtml } from './html.js';
import type { SafeHtml } from './html.js';

/*
 * A line chart over time, as wide as a page: one line per series, vertical markers for events
 * and horizontal guides for limits. Like the other charts it carries no colours of its own: a
 * series is coloured by its class (`series-0` … `series-7` in the page's palette), a marker by
 * `marker-<kind>`, whose dash pattern tells the kinds apart without colour.
 */

const WIDTH = 960;
const LEFT = 56;
const RIGHT = 16;
const PLOT_HEIGHT = 220;
const LABEL_ROW = 13;
const MARKER_LABEL_ROWS = 3;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CHARACTER_WIDTH = 6.2;

export interface TimePoint {
  /** Milliseconds since the epoch. */
  at: number;
  value: number;
  /** The hover text, with the exact numbers. */
  title: string;
}

export interface TimeSeries {
  label: string;
  /** Colours the series, e.g. `series-2`. */
  className: string;
  points: readonly TimePoint[];
}

export interface TimeMarker {
  at: number;
  /** Written beside the line at the top, when there is room; the title always holds it. */
  label: string;
  title: string;
  /** Styles the line as `marker-<kind>`, e.g. `promotion`. */
  kind: string;
}

export interface TimeSeriesChartInput {
  series: readonly TimeSeries[];
  /** The time axis in ms since the epoch. Markers outside it are left out. */
  span: { from: number; to: number };
  /** Consecutive points of a series further apart than this are not joined. */
  gapMs?: number;
  markers?: readonly TimeMarker[];
  /** Legend entries for the marker kinds drawn. */
  markerKinds?: readonly { kind: string; label: string }[];
  /** Horizontal lines at fixed values, e.g. a limit. */
  guides?: readonly { value: number; label: string }[];
  /** `share` writes the axis in percent. Default `number`. */
  unit?: 'number' | 'share';
  /** Fixes an end of the value axis (e.g. 0 for shares); otherwise it fits the values. */
  yMin?: number;
  yMax?: number;
  yTitle: string;
  /** Names the chart for screen readers. */
  label: string;
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Tick times between `from` and `to` (ms, UTC), about `count` of them, at whole hours, days,
 * Mondays, months or years, each with its label.
 *
 * @example
 *   timeTicks(Date.UTC(2001, 0, 1), Date.UTC(2001, 5, 4), 8); // 1st of each month, `Jan 2001` …
 */
export function timeTicks(from: number, to: number, count: number): { at: number; label: string }[] {
  const span = to - from;
  if (!(span > 0)) return [{ at: from, label: dayLabel(from) }];
  const fixed = [HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY];
  const step = fixed.find((candidate) => span / candidate <= count);
  if (step !== undefined) {
    // Weeks start on Mondays, as monitoring windows do; 1970-01-05 was a Monday.
    const origin = step >= 7 * DAY ? Date.UTC(1970, 0, 5) : 0;
    const ticks: { at: number; label: string }[] = [];
    for (let at = origin + Math.ceil((from - origin) / step) * step; at <= to; at += step) {
      ticks.push({ at, label: step < DAY ? hourLabel(at) : dayLabel(at) });
    }
    return ticks;
  }
  const months = [1, 2, 3, 6, 12, 24, 60, 120].find((candidate) => span / (candidate * 30.44 * DAY) <= count) ?? 240;
  const start = new Date(from);
  let index = start.getUTCFullYear() * 12 + start.getUTCMonth();
  index = Math.ceil(index / months) * months;
  const ticks: { at: number; label: string }[] = [];
  for (;; index += months) {
    const at = Date.UTC(Math.floor(index / 12), index % 12, 1);
    if (at < from) continue;
    if (at > to) break;
    ticks.push({ at, label: months >= 12 ? String(Math.floor(index / 12)) : `${MONTHS[index % 12]} ${Math.floor(index / 12)}` });
  }
  return ticks;
}

function dayLabel(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

function hourLabel(at: number): string {
  return new Date(at).toISOString().slice(5, 16).replace('T', ' ');
}

/** The value axis: nice ticks covering every value, the fixed ends kept. */
function valueAxis(values: readonly number[], input: TimeSeriesChartInput): { ticks: number[]; step: number } {
  let low = input.yMin ?? Math.min(...values);
  let high = input.yMax ?? Math.max(...values);
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    low = input.yMin ?? 0;
    high = input.yMax ?? 1;
  }
  if (!(high > low)) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.05 : 0.5;
    if (input.yMin === undefined) low -= pad;
    if (input.yMax === undefined || !(input.yMax > low)) high += pad;
  }
  const axis = niceTicks(low, high, 5);
  const { step } = axis;
  const ticks = [...axis.ticks];
  if (ticks[0]! > low + 1e-12) ticks.unshift(Number((ticks[0]! - step).toPrecision(12)));
  if (ticks.at(-1)! < high - 1e-12) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return { ticks, step };
}

interface LegendEntry {
  label: string;
  sample: SafeHtml;
}

/** Legend entries left to right from the plot's left edge, wrapping onto new rows. */
function legendRows(entries: readonly LegendEntry[], top: number): { parts: SafeHtml[]; height: number } {
  const parts: SafeHtml[] = [];
  let x = LEFT;
  let row = 0;
  for (const entry of entries) {
    const width = 22 + entry.label.length * CHARACTER_WIDTH + 18;
    if (x + width > WIDTH && x > LEFT) {
      x = LEFT;
      row++;
    }
    const y = top + row * 18;
    parts.push(html`<g transform="translate(${r(x)} ${y})">${entry.sample}<text class="legend" x="20" y="4">${entry.label}</text></g>`);
    x += width;
  }
  return { parts, height: entries.length === 0 ? 0 : (row + 1) * 18 };
}

/**
 * A line chart over time: one line per series (broken where a series has no point for longer
 * than `gapMs`), a point per value with its exact numbers as hover text, vertical event markers
 * labelled along the top, and a legend under the time axis.
 *
 * @example
 *   timeSeriesChart({
 *     series: [{ label: 'v1', className: 'series-0', points: [{ at: Date.UTC(2001, 0, 1), value: 0.74, title: 'v1: auc 0.74' }] }],
 *     span: { from: Date.UTC(2001, 0, 1), to: Date.UTC(2001, 5, 4) },
 *     markers: [{ at: Date.UTC(2001, 1, 26), label: 'v2 champion', title: 'champion v1 → v2', kind: 'promotion' }],
 *     yTitle: 'auc', label: 'live auc per week',
 *   });
 */
export function timeSeriesChart(input: TimeSeriesChartInput): SafeHtml {
  const { from, to } = input.span;
  const markers = (input.markers ?? []).filter((marker) => marker.at >= from && marker.at <= to).sort((a, b) => a.at - b.at);
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (at: number) => r(to > from ? LEFT + ((at - from) / (to - from)) * plotWidth : LEFT + plotWidth / 2);

  // Marker labels go in rows above the plot, each in the first row where it does not overlap the one before.
  const rowEnds: number[] = Array.from({ length: MARKER_LABEL_ROWS }, () => Number.NEGATIVE_INFINITY);
  const placed = markers.map((marker) => {
    const at = x(marker.at);
    const width = marker.label.length * CHARACTER_WIDTH;
    const anchorEnd = at + 3 + width > WIDTH;
    const [start, end] = anchorEnd ? [at - 3 - width, at] : [at, at + 3 + width];
    const row = rowEnds.findIndex((rowEnd) => rowEnd + 6 < start);
    if (row >= 0) rowEnds[row] = end;
    return { marker, at, row, anchorEnd };
  });
  const labelRows = placed.reduce((most, p) => Math.max(most, p.row + 1), 0);
  const top = 22 + labelRows * LABEL_ROW + (labelRows > 0 ? 6 : 0);
  const base = top + PLOT_HEIGHT;

  const values = input.series.flatMap((series) => series.points.map((point) => point.value)).concat((input.guides ?? []).map((guide) => guide.value));
  const yAxis = valueAxis(values, input);
  const yLow = yAxis.ticks[0]!;
  const yHigh = yAxis.ticks.at(-1)!;
  const y = (value: number) => r(base - ((value - yLow) / (yHigh - yLow || 1)) * PLOT_HEIGHT);
  const tickText = (value: number) => (input.unit === 'share' ? formatShare(value) : formatTick(value, yAxis.step));

  const parts: SafeHtml[] = [];
  for (const tick of yAxis.ticks) {
    const at = y(tick);
    parts.push(html`<line class="grid" x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${at}" y2="${at}"/>`);
    parts.push(html`<text class="tick" x="${LEFT - 6}" y="${at + 4}" text-anchor="end">${tickText(tick)}</text>`);
  }
  for (const tick of timeTicks(from, to, 8)) {
    const at = x(tick.at);
    parts.push(html`<line class="axis" x1="${at}" x2="${at}" y1="${base}" y2="${base + 4}"/>`);
    parts.push(html`<text class="tick" x="${at}" y="${base + 17}" text-anchor="middle">${tick.label}</text>`);
  }
  parts.push(html`<line class="axis" x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${base}" y2="${base}"/>`);
  for (const guide of input.guides ?? []) {
    const at = y(guide.value);
    parts.push(html`<g class="guide"><title>${guide.label}</title><line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${at}" y2="${at}"/><text x="${LEFT + plotWidth - 4}" y="${at - 4}" text-anchor="end">${guide.label}</text></g>`);
  }
  for (const { marker, at, row, anchorEnd } of placed) {
    const labelY = 22 + row * LABEL_ROW + 9;
    const label = row < 0 ? '' : html`<text x="${anchorEnd ? at - 3 : at + 3}" y="${labelY}"${anchorEnd ? html` text-anchor="end"` : ''}>${marker.label}</text>`;
    parts.push(html`<g class="marker marker-${marker.kind}"><title>${marker.title}</title><line x1="${at}" x2="${at}" y1="${row < 0 ? top : labelY - 9}" y2="${base}"/>${label}<line class="hit" x1="${at}" x2="${at}" y1="${top}" y2="${base}"/></g>`);
  }
  for (const series of input.series) {
    const points = [...series.points].sort((a, b) => a.at - b.at);
    let d = '';
    points.forEach((point, i) => {
      const joined = i > 0 && (input.gapMs === undefined || point.at - points[i - 1]!.at <= input.gapMs);
      d += `${joined ? 'L' : 'M'}${x(point.at)} ${y(point.value)}`;
    });
    parts.push(html`<g class="series ${series.className}"><path class="line" d="${d}"/>${points.map((point) => html`<circle class="point" cx="${x(point.at)}" cy="${y(point.value)}" r="3.5"><title>${point.title}</title></circle>`)}</g>`);
  }
  parts.push(html`<text class="axis-title" x="0" y="12">${input.yTitle}</text>`);

  const entries: LegendEntry[] = input.series.map((series) => ({
    label: series.label,
    sample: html`<g class="series ${series.className}"><line class="line" x1="0" x2="14" y1="0" y2="0"/><circle class="point" cx="7" cy="0" r="3"/></g>`,
  }));
  for (const kind of input.markerKinds ?? []) {
    entries.push({ label: kind.label, sample: html`<g class="marker marker-${kind.kind}"><line x1="7" x2="7" y1="-7" y2="7"/></g>` });
  }
  const legend = legendRows(entries, base + 40);
  const height = base + 28 + legend.height + 6;
  return html`<svg class="chart wide time-series" viewBox="0 0 ${WIDTH} ${r(height)}" role="img" aria-label="${input.label}">${joinHtml(parts)}${legend.parts}</svg>`;
}
