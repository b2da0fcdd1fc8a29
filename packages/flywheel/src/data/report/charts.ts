import { formatNumber, formatShare, formatTick } from './format-number.js';
import { html, joinHtml } from './html.js';
import type { SafeHtml } from './html.js';

/*
 * Charts are SVG elements inside the page, styled by its stylesheet (classes `bar-current`,
 * `series-current`, `series-reference`, …), so they carry no fonts or colours of their own and
 * stay small. Coordinates are rounded to a tenth of a pixel for the same reason.
 */

const WIDTH = 420;

/** Ticks at 1, 2 or 5 × 10^k between `low` and `high`, about `count` of them. */
export function niceTicks(low: number, high: number, count: number): { ticks: number[]; step: number } {
  const span = high - low;
  if (!(span > 0)) return { ticks: [low], step: 1 };
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude;
  const ticks: number[] = [];
  for (let k = Math.ceil(low / step - 1e-9); k <= Math.floor(high / step + 1e-9); k++) ticks.push(Number((k * step).toPrecision(12)));
  return { ticks, step };
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}

interface LegendItem {
  label: string;
  className: string;
  /** Drawn as a line sample instead of a colour swatch. */
  line?: boolean;
}

/** Legend entries right-aligned along the top edge. */
function legend(items: readonly LegendItem[], y: number): SafeHtml {
  let x = WIDTH;
  const parts: SafeHtml[] = [];
  for (const item of [...items].reverse()) {
    x -= item.label.length * 6 + 28;
    parts.push(item.line
      ? html`<line class="${item.className}" x1="${x}" x2="${x + 12}" y1="${y - 4}" y2="${y - 4}"/>`
      : html`<rect class="${item.className}" x="${x}" y="${y - 9}" width="12" height="10" rx="2"/>`);
    parts.push(html`<text class="legend" x="${x + 16}" y="${y}">${item.label}</text>`);
  }
  return joinHtml(parts);
}

export interface HistogramChartInput {
  /** Shared bin edges of both series. */
  edges: readonly number[];
  /** Share (0…1) of the current values in each bin. */
  current: readonly number[];
  /** Share of the reference values in each bin, over the same edges. */
  reference?: readonly number[] | null;
  /** The schema's expected range, drawn as limits with the outside shaded. */
  range?: { min: number; max: number } | null;
  /** Names the chart for screen readers. */
  label: string;
}

/**
 * A histogram of shares; with a reference, the reference as a grey area under the current one.
 */
export function histogramChart(input: HistogramChartInput): SafeHtml {
  const height = 210;
  const left = 48;
  const right = 14;
  const top = 28;
  const bottom = 30;
  const plotWidth = WIDTH - left - right;
  const plotHeight = height - top - bottom;
  const bins = input.current.length;
  const reference = input.reference ?? null;

  let low = input.edges[0]!;
  let high = input.edges[bins]!;
  if (input.range) {
    low = Math.min(low, input.range.min);
    high = Math.max(high, input.range.max);
  }
  const constant = !(high > low);
  if (constant) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) * 0.1 : 1;
    low -= pad;
    high += pad;
  }
  const x = (value: number) => r(left + ((value - low) / (high - low)) * plotWidth);

  const tallest = Math.max(...input.current, ...(reference ?? []), 1e-12);
  const yAxis = niceTicks(0, tallest, 4);
  // The top gridline sits at or above the tallest bar, so every bar reads against a labelled line.
  if (yAxis.ticks.at(-1)! < tallest) yAxis.ticks.push(Number((yAxis.ticks.at(-1)! + yAxis.step).toPrecision(12)));
  const yMax = yAxis.ticks.at(-1)!;
  const y = (share: number) => r(top + plotHeight - (share / yMax) * plotHeight);
  const base = top + plotHeight;

  // A constant column has zero-width bins; its single value is drawn as a narrow bar.
  const binEdges = (i: number): [number, number] => {
    if (!constant) return [x(input.edges[i]!), x(input.edges[i + 1]!)];
    const centre = x(input.edges[0]!);
    return [r(centre - plotWidth / 40), r(centre + plotWidth / 40)];
  };
  const outline = (shares: readonly number[]) => {
    let d = '';
    shares.forEach((share, i) => {
      const [from, to] = binEdges(i);
      if (constant && i > 0) return;
      d += `${d ? '' : `M${from} ${base}`}V${y(share)}H${to}`;
    });
    return `${d}V${base}`;
  };

  const parts: SafeHtml[] = [];
  if (input.range) {
    const from = x(input.range.min);
    const to = x(input.range.max);
    if (from > left) parts.push(html`<rect class="outside" x="${left}" y="${top}" width="${r(from - left)}" height="${plotHeight}"/>`);
    if (to < left + plotWidth) parts.push(html`<rect class="outside" x="${to}" y="${top}" width="${r(left + plotWidth - to)}" height="${plotHeight}"/>`);
  }
  for (const tick of yAxis.ticks) {
    const at = y(tick);
    parts.push(html`<line class="grid" x1="${left}" x2="${left + plotWidth}" y1="${at}" y2="${at}"/>`);
    parts.push(html`<text class="tick" x="${left - 6}" y="${at + 4}" text-anchor="end">${formatTick(tick * 100, yAxis.step * 100)}%</text>`);
  }
  // The reference is an outline on top of the current bars, so neither hides the other. The bars
  // are separate rectangles so that neighbouring bins of equal height still read as two bins.
  if (reference) parts.push(html`<path class="series-reference" d="${outline(reference)}Z"/>`);
  input.current.forEach((share, i) => {
    if (!(share > 0) || (constant && i > 0)) return;
    const [from, to] = binEdges(i);
    const top = y(share);
    parts.push(html`<rect class="bar-current" x="${from}" y="${top}" width="${r(to - from)}" height="${r(base - top)}"/>`);
  });
  if (reference) parts.push(html`<path class="reference-outline" d="${outline(reference)}"/>`);
  if (input.range) {
    for (const bound of [input.range.min, input.range.max]) {
      const at = x(bound);
      parts.push(html`<line class="limit" x1="${at}" x2="${at}" y1="${top - 4}" y2="${base}"><title>expected ${bound === input.range.min ? 'minimum' : 'maximum'} ${formatNumber(bound)}</title></line>`);
    }
  }
  parts.push(html`<line class="axis" x1="${left}" x2="${left + plotWidth}" y1="${base}" y2="${base}"/>`);
  const xAxis = constant ? { ticks: [input.edges[0]!], step: Math.abs(input.edges[0]!) || 1 } : niceTicks(low, high, 5);
  for (const tick of xAxis.ticks) {
    const at = x(tick);
    parts.push(html`<line class="axis" x1="${at}" x2="${at}" y1="${base}" y2="${base + 4}"/>`);
    parts.push(html`<text class="tick" x="${at}" y="${base + 17}" text-anchor="middle">${constant ? formatNumber(tick) : formatTick(tick, xAxis.step)}</text>`);
  }
  for (let i = 0; i < bins; i++) {
    if (constant && i > 0) break;
    const [from, to] = binEdges(i);
    const range = constant ? formatNumber(input.edges[0]!) : `[${formatNumber(input.edges[i]!)}, ${formatNumber(input.edges[i + 1]!)}${i === bins - 1 ? ']' : ')'}`;
    const shares = reference ? `current ${formatShare(input.current[i]!)}, reference ${formatShare(reference[i]!)}` : formatShare(input.current[i]!);
    parts.push(html`<rect class="hover" x="${from}" y="${top}" width="${r(Math.max(to - from, 1))}" height="${plotHeight}"><title>${range}: ${shares}</title></rect>`);
  }
  const items: LegendItem[] = [{ label: 'current', className: 'bar-current' }];
  if (reference) items.push({ label: 'reference', className: 'series-reference swatch-outline' });
  if (input.range) items.push({ label: 'expected range', className: 'limit', line: true });
  parts.push(html`<text class="axis-title" x="0" y="14">% of values</text>`);
  parts.push(legend(items, 14));
  return html`<svg class="chart histogram" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${input.label}">${parts}</svg>`;
}

export interface CategoryRow {
  value: string;
  /** Share (0…1) of the current values. */
  current: number;
  /** Share of the reference values; null when the value is not among the reference's listed ones. */
  reference?: number | null;
  /** Drawn in the warning colour, e.g. a value outside the schema's domain. */
  flagged?: boolean;
}

const LABEL_CHARACTERS = 19;

/** Long values are cut to fit the label column; the whole value is in the tooltip. */
function shortLabel(value: string): string {
  if (value === '') return '(empty)';
  const characters = [...value];
  return characters.length > LABEL_CHARACTERS ? `${characters.slice(0, LABEL_CHARACTERS - 1).join('')}…` : value;
}

/**
 * Horizontal bars of the most frequent values; with a reference, its bar sits under the current one.
 */
export function categoryChart(rows: readonly CategoryRow[], options: { withReference: boolean; label: string }): SafeHtml {
  const top = 26;
  const labelWidth = 132;
  const valueWidth = 54;
  const barWidth = WIDTH - labelWidth - valueWidth - 8;
  const rowHeight = options.withReference ? 30 : 22;
  const barHeight = options.withReference ? 10 : 14;
  const height = top + rows.length * rowHeight + 6;
  const longest = Math.max(...rows.map((row) => Math.max(row.current, row.reference ?? 0)), 1e-12);
  const length = (share: number) => r(Math.max((share / longest) * barWidth, share > 0 ? 1 : 0));

  const parts: SafeHtml[] = rows.map((row, i) => {
    const middle = top + i * rowHeight + rowHeight / 2;
    const listed = row.reference !== null && row.reference !== undefined;
    const tip = options.withReference
      ? `${row.value}: current ${formatShare(row.current)}, reference ${listed ? formatShare(row.reference!) : 'not listed'}`
      : `${row.value}: ${formatShare(row.current)}`;
    const currentTop = options.withReference ? middle - barHeight - 1 : middle - barHeight / 2;
    const reference = row.reference ?? 0;
    return html`<g${row.flagged ? html` class="flagged"` : ''}><title>${tip}</title>
<text class="category" x="${labelWidth - 8}" y="${middle + 4}" text-anchor="end">${shortLabel(row.value)}</text>
<rect class="series-current" x="${labelWidth}" y="${currentTop}" width="${length(row.current)}" height="${barHeight}" rx="1.5"/>
<text class="value" x="${labelWidth + length(row.current) + 4}" y="${currentTop + barHeight - 1.5}">${formatShare(row.current)}</text>
${options.withReference ? html`<rect class="series-reference" x="${labelWidth}" y="${middle + 1}" width="${length(reference)}" height="${barHeight}" rx="1.5"/>
<text class="value reference" x="${labelWidth + length(reference) + 4}" y="${middle + barHeight - 0.5}">${listed ? formatShare(reference) : '—'}</text>` : ''}</g>`;
  });
  parts.push(html`<line class="axis" x1="${labelWidth}" x2="${labelWidth}" y1="${top - 2}" y2="${height - 4}"/>`);
  parts.push(html`<text class="axis-title" x="${labelWidth - 8}" y="14" text-anchor="end">% of values</text>`);
  const items: LegendItem[] = [{ label: 'current', className: 'series-current' }];
  if (options.withReference) items.push({ label: 'reference', className: 'series-reference' });
  parts.push(legend(items, 14));
  return html`<svg class="chart categories" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${options.label}">${parts}</svg>`;
}

/** One bar per dataset showing the share of rows without a value. */
export function missingChart(input: { current: number; reference?: number | null; label: string }): SafeHtml {
  const rows: [string, string, number][] = [['current', 'series-current', input.current]];
  if (input.reference !== null && input.reference !== undefined) rows.push(['reference', 'series-reference', input.reference]);
  const labelWidth = 72;
  const valueWidth = 62;
  const trackWidth = WIDTH - labelWidth - valueWidth;
  const rowHeight = 18;
  const parts = rows.map(([name, className, share], i) => {
    const top = 3 + i * rowHeight;
    const filled = r(share > 0 ? Math.max(share * trackWidth, 1.5) : 0);
    return html`<g><title>${name}: ${formatShare(share)} of rows have no value</title>
<text class="category" x="${labelWidth - 8}" y="${top + 10}" text-anchor="end">${name}</text>
<rect class="track" x="${labelWidth}" y="${top + 1}" width="${trackWidth}" height="10" rx="2"/>
<rect class="${className}" x="${labelWidth}" y="${top + 1}" width="${filled}" height="10" rx="2"/>
<text class="value" x="${labelWidth + trackWidth + 6}" y="${top + 10}">${formatShare(share)}</text></g>`;
  });
  return html`<svg class="chart missing" viewBox="0 0 ${WIDTH} ${rows.length * rowHeight + 6}" role="img" aria-label="${input.label}">${parts}</svg>`;
}
