import { describe, expect, it } from 'vitest';
import { categoryChart, histogramChart, missingChart, niceTicks } from './charts.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 times a power of ten inside the range', () => {
    expect(niceTicks(0, 0.78, 4)).toEqual({ ticks: [0, 0.2, 0.4, 0.6], step: 0.2 });
    expect(niceTicks(-1116, 1688, 5)).toEqual({ ticks: [-1000, -500, 0, 500, 1000, 1500], step: 500 });
    expect(niceTicks(3, 3, 5)).toEqual({ ticks: [3], step: 1 });
  });
});

describe('histogramChart', () => {
  const edges = [0, 1, 2, 3];

  it('draws a bar per non-empty bin of current shares, with a legend', () => {
    const svg = histogramChart({ edges, current: [0.2, 0.5, 0.3], label: 'histogram of x' }).value;
    expect(svg).toMatch(/^<svg class="chart histogram" viewBox="0 0 420 210" role="img" aria-label="histogram of x">/);
    const plot = svg.slice(0, svg.indexOf('class="axis-title"'));
    expect(count(plot, /<rect class="bar-current"/g)).toBe(3);
    expect(svg).not.toContain('series-reference');
    expect(svg).toContain('>current</text>');
    expect(count(svg, /<rect class="hover"/g)).toBe(3);
    expect(svg).toContain('<title>[2, 3]: 30%</title>');
  });

  it('overlays the reference as an area with an outline on top, named in the legend', () => {
    const svg = histogramChart({ edges, current: [0.2, 0.5, 0.3], reference: [0.4, 0.4, 0.2], label: 'x' }).value;
    const plot = svg.slice(0, svg.indexOf('class="axis-title"'));
    expect(plot.indexOf('class="series-reference"')).toBeLessThan(plot.indexOf('<rect class="bar-current"'));
    expect(plot.lastIndexOf('<rect class="bar-current"')).toBeLessThan(plot.indexOf('class="reference-outline"'));
    expect(svg).toContain('>reference</text>');
    expect(svg).toContain('<title>[0, 1): current 20%, reference 40%</title>');
  });

  it('marks the expected range and widens the axis to show it', () => {
    const svg = histogramChart({ edges, current: [0.2, 0.5, 0.3], range: { min: -2, max: 2 }, label: 'x' }).value;
    expect(count(svg, /<title>expected (minimum|maximum) /g)).toBe(2);
    expect(count(svg, /<rect class="outside"/g)).toBe(1);
    expect(svg).toContain('>−2</text>');
    expect(svg).toContain('>expected range</text>');
  });

  it('draws a constant column as one bar at its value', () => {
    const svg = histogramChart({ edges: [7, 7, 7], current: [1, 0], label: 'x' }).value;
    expect(count(svg, /<rect class="hover"/g)).toBe(1);
    expect(svg).toContain('<title>7: 100%</title>');
  });
});

describe('categoryChart', () => {
  it('escapes values, shortens long ones and keeps them whole in the tooltip', () => {
    const long = 'a very long category value that does not fit';
    const svg = categoryChart([
      { value: '<script>alert(1)</script>', current: 0.6 },
      { value: long, current: 0.4, flagged: true },
    ], { withReference: false, label: 'values' }).value;
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('>a very long catego…</text>');
    expect(svg).toContain(`<title>${long}: 40%</title>`);
    expect(count(svg, /<g class="flagged">/g)).toBe(1);
  });

  it('puts a reference bar under each current bar', () => {
    const svg = categoryChart([{ value: 'a', current: 0.5, reference: 0.25 }, { value: 'b', current: 0.5, reference: null }], { withReference: true, label: 'values' }).value;
    expect(count(svg, /<rect class="series-reference"/g)).toBe(3);
    expect(svg).toContain('<title>b: current 50%, reference not listed</title>');
  });
});

describe('missingChart', () => {
  it('has one bar per dataset', () => {
    expect(count(missingChart({ current: 0.1, label: 'm' }).value, /<rect class="track"/g)).toBe(1);
    const both = missingChart({ current: 0.1, reference: 0, label: 'm' }).value;
    expect(count(both, /<rect class="track"/g)).toBe(2);
    expect(both).toContain('reference: 0% of rows have no value');
  });
});
