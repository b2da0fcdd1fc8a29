import { describe, expect, it } from 'vitest';
import { timeSeriesChart, timeTicks } from './time-series-chart.js';

const DAY = 86_400_000;
const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('timeTicks', () => {
  it('puts months on the first of the month over half a year', () => {
    expect(timeTicks(Date.UTC(2001, 0, 1), Date.UTC(2001, 5, 11), 8).map((tick) => tick.label)).toEqual(['Jan 2001', 'Feb 2001', 'Mar 2001', 'Apr 2001', 'May 2001', 'Jun 2001']);
  });

  it('puts weeks on Mondays and days at midnight', () => {
    const weeks = timeTicks(Date.UTC(2001, 0, 3), Date.UTC(2001, 1, 20), 8);
    expect(weeks[0]).toEqual({ at: Date.UTC(2001, 0, 8), label: '2001-01-08' });
    expect(weeks.every((tick) => new Date(tick.at).getUTCDay() === 1)).toBe(true);
    expect(timeTicks(Date.UTC(2001, 0, 1, 5), Date.UTC(2001, 0, 4), 3).map((tick) => tick.label)).toEqual(['2001-01-02', '2001-01-03', '2001-01-04']);
    expect(timeTicks(Date.UTC(2001, 0, 1), Date.UTC(2001, 0, 1, 12), 8)[1]!.label).toBe('01-01 03:00');
  });
});

describe('timeSeriesChart', () => {
  const from = Date.UTC(2001, 0, 1);
  const point = (day: number, value: number) => ({ at: from + day * DAY, value, title: `day ${day}: ${value}` });

  it('draws a line and points per series, broken where points are further apart than the gap', () => {
    const svg = timeSeriesChart({
      series: [
        { label: 'v1', className: 'series-0', points: [point(0, 0.7), point(7, 0.72), point(28, 0.69)] },
        { label: 'v2', className: 'series-1', points: [point(14, 0.75)] },
      ],
      span: { from, to: from + 35 * DAY },
      gapMs: 7 * DAY,
      yTitle: 'auc',
      label: 'live auc',
    }).value;
    expect(svg).toMatch(/^<svg class="chart wide time-series" viewBox="0 0 960 [\d.]+" role="img" aria-label="live auc">/);
    expect(count(svg, /<path class="line" d="/g)).toBe(2);
    const first = /<path class="line" d="([^"]*)"/.exec(svg)![1]!;
    expect(count(first, /M/g)).toBe(2);
    expect(count(first, /L/g)).toBe(1);
    expect(count(svg, /<circle class="point"[^>]*><title>/g)).toBe(4);
    expect(svg).toContain('<title>day 28: 0.69</title>');
    expect(svg).toContain('>v2</text>');
  });

  it('draws markers inside the span with their labels and titles, escaped, and leaves the others out', () => {
    const svg = timeSeriesChart({
      series: [{ label: 'v1', className: 'series-0', points: [point(0, 1), point(7, 2)] }],
      span: { from, to: from + 14 * DAY },
      markers: [
        { at: from + 3 * DAY, label: 'v2 champion', title: 'moved by <b>', kind: 'promotion' },
        { at: from + 3 * DAY, label: 'v3 rejected', title: 'worse', kind: 'rejection' },
        { at: from + 99 * DAY, label: 'later', title: 'later', kind: 'promotion' },
      ],
      markerKinds: [{ kind: 'promotion', label: 'champion moved' }],
      yTitle: 'n',
      label: 'n',
    }).value;
    expect(count(svg, /<g class="marker marker-promotion"><title>/g)).toBe(1);
    expect(count(svg, /<g class="marker marker-rejection"><title>/g)).toBe(1);
    expect(svg).toContain('<title>moved by &lt;b&gt;</title>');
    expect(svg).toContain('>v2 champion</text>');
    expect(svg).toContain('>v3 rejected</text>');
    expect(svg).not.toContain('later');
    expect(svg).toContain('>champion moved</text>');
  });

  it('writes shares in percent and draws guides', () => {
    const svg = timeSeriesChart({
      series: [{ label: 'v1', className: 'series-0', points: [point(0, 0.1), point(1, 0.4)] }],
      span: { from, to: from + 2 * DAY },
      guides: [{ value: 0.3, label: 'limit 30%' }],
      unit: 'share',
      yMin: 0,
      yTitle: 'drifted',
      label: 'drifted',
    }).value;
    expect(svg).toContain('>0%</text>');
    expect(svg).toContain('>40%</text>');
    expect(svg).toContain('<g class="guide"><title>limit 30%</title>');
  });

  it('copes with a single point', () => {
    const svg = timeSeriesChart({ series: [{ label: 'v1', className: 'series-0', points: [point(0, 0.5)] }], span: { from, to: from + DAY }, yTitle: 'auc', label: 'auc' }).value;
    expect(count(svg, /<circle class="point"/g)).toBe(2);
    expect(svg).not.toContain('NaN');
  });
});
