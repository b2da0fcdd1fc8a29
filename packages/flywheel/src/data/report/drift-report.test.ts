import { describe, expect, it } from 'vitest';
import type { DriftFeature } from '../drift/drift-format.js';
import { renderDriftReport } from './drift-report.js';
import { categoricalDrift, driftReportOf, numericDrift } from './test-support.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;
const bell = (shift: number) => Array.from({ length: 20 }, (_, i) => Math.round(1000 * Math.exp(-((i - 8 - shift) ** 2) / 10)));

const absent: DriftFeature = {
  name: 'tail_number', types: { reference: 'VARCHAR', current: null }, reference: { count: 1000, missing: 0, nonFinite: 0 }, current: null,
  status: 'not_compared', kind: 'categorical', reason: 'missing_in_current', description: 'the column is only in the reference data',
};
const features = [
  numericDrift('distance', bell(0), bell(0.1), 0, 3000, false),
  absent,
  numericDrift('delay', bell(0), bell(2), -60, 140, true),
  categoricalDrift('origin', [['ORD', 300, 250], ['<script>alert(1)</script>', 0, 90], ['SEA', 100, 0]], true),
  categoricalDrift('carrier', [['AA', 500, 505], ['UA', 500, 497]], false),
];

describe('renderDriftReport', () => {
  it('states the overall verdict against the share of drifted features allowed', () => {
    expect(renderDriftReport(driftReportOf(features, 0.3))).toContain('<div class="verdict error">Dataset drift detected. <span>2 of 4 compared features (50%) show drift, more than the limit of 30%.');
    expect(renderDriftReport(driftReportOf(features, 0.5))).toContain('<div class="verdict warning">No dataset drift. <span>2 of 4 compared features (50%) show drift, within the limit of 50%.');
    const calm = renderDriftReport(driftReportOf([features[0]!, absent]));
    expect(calm).toContain('<div class="verdict ok">No drift.');
    expect(calm).toContain('<h1>Data drift</h1>');
    expect(renderDriftReport({ ...driftReportOf([features[0]!]), kind: 'skew' })).toContain('<h1>Training/serving skew</h1>');
  });

  it('tabulates every feature, drifted first, with statistic, p-value, threshold and verdict', () => {
    const page = renderDriftReport(driftReportOf(features));
    const names = [...page.matchAll(/<tr data-search="([^"]*)"/g)].map((m) => m[1]);
    expect(names).toEqual(['delay', 'origin', 'distance', 'carrier', 'tail_number']);
    expect(page).toContain('<td class="nowrap">KS</td><td class="num" data-v="0.18">0.18</td><td class="num" data-v="1.2e-12">1.2e-12</td><td class="num" data-v="0.05">p &lt; 0.05</td>');
    expect(page).toContain('<div class="met">PSI 0.27 (≥ 0.2)</div>');
    expect(page).toContain('<div class="met">largest share change 14% (≥ 10%)</div>');
    expect(count(page, /<td data-v="0"><span class="badge error">drifted<\/span><\/td>/g)).toBe(2);
    expect(count(page, /<td data-v="1"><span class="badge ok">stable<\/span><\/td>/g)).toBe(2);
    expect(page).toContain('<span class="muted">the column is only in the reference data</span>');
    expect(page).toContain('<span class="badge" title="the column is only in the reference data">not compared</span>');
  });

  it('draws each compared feature on the shared bins with its tests and thresholds', () => {
    const page = renderDriftReport(driftReportOf(features));
    expect(count(page, /<details class="feature"/g)).toBe(4);
    expect(count(page, /<svg class="chart histogram"/g)).toBe(2);
    expect(count(page, /<path class="reference-outline"/g)).toBe(2);
    expect(count(page, /<svg class="chart categories"/g)).toBe(2);
    expect(count(page, /<svg class="chart missing"/g)).toBe(4);
    expect(page).toContain('<tr><th scope="row">KS p-value</th><td>1.2e-12</td><td>&lt; 0.05</td><td><span class="badge error">yes</span></td></tr>');
    expect(page).toContain('<tr><th scope="row">Jensen–Shannon distance</th><td>0.21</td><td>—</td><td>—</td></tr>');
    expect(count(page, /<g class="flagged">/g)).toBe(1);
    expect(page).toContain('1 category is new in the current data (90 rows), drawn in amber. 1 category is gone from the current data (100 reference rows).');
  });

  it('renders every string from the report as text', () => {
    const hostile = categoricalDrift('<img src=x onerror=alert(2)>', [['<script>alert(1)</script>', 5, 5]], false);
    const report = { ...driftReportOf([hostile]), current: { path: '"><script>alert(3)</script>', from: 'data' as const, rows: 5 } };
    const page = renderDriftReport(report, { title: '<b>title</b>' });
    expect(count(page, /<script>/g)).toBe(1);
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<b>title</b>');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('&quot;&gt;&lt;script&gt;alert(3)&lt;/script&gt;');
  });

  it('charts only the first maxCharts compared features', () => {
    const page = renderDriftReport(driftReportOf(features), { maxCharts: 1 });
    expect(count(page, /<details class="feature"/g)).toBe(1);
    expect(page).toContain('<a href="#feature-0">delay</a>');
    expect(page).toContain('Charts are drawn for the first 1 of 4 features');
  });

  // The time bound is generous: it catches work growing faster than the features (minutes at this
  // size), not the noise of a shared machine.
  it('stays a few megabytes and fast with 10,000 features', () => {
    const wide = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0
      ? numericDrift(`n${i}`, bell(0), bell(i % 3), 0, 100, i % 3 !== 0)
      : categoricalDrift(`c${i}`, Array.from({ length: 50 }, (_, v): [string, number, number] => [`value ${v}`, 100 - v, 100 - v + (i % 5)]), false)));
    const started = performance.now();
    const page = renderDriftReport(driftReportOf(wide));
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(Buffer.byteLength(page)).toBeLessThan(20 * 1024 * 1024);
    expect(count(page, /<tr data-search=/g)).toBe(10_000);
    expect(count(page, /<details class="feature"/g)).toBe(100);
  });
});
