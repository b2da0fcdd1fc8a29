import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.js';
import type { ColumnStatistics } from '../statistics-format.js';
import { renderStatisticsReport } from './statistics-report.js';
import { categoricalColumn, numericColumn, statisticsOf, wideStatistics } from './test-support.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

const INJECTED = '<script>alert(1)</script>';

const columns: ColumnStatistics[] = [
  numericColumn('delay', [50, 30, 15, 5], -10, 30),
  numericColumn('distance', [10, 40, 40, 10], 0, 2000, 3),
  categoricalColumn('origin', [['ORD', 40], ['DFW', 30], [INJECTED, 20], ['', 10]]),
  { name: 'cancelled', type: 'BOOLEAN', kind: 'boolean', count: 100, missing: 0, distinct: 2, boolean: { trueCount: 3, falseCount: 97 } },
  { name: 'date', type: 'DATE', kind: 'timestamp', count: 100, missing: 0, distinct: 31, timestamp: { min: '2001-01-01', max: '2001-01-31' } },
  { name: 'tags', type: 'VARCHAR[]', kind: 'other', count: 100, missing: 0, distinct: 9 },
];
const current = statisticsOf(100, columns);

describe('renderStatisticsReport', () => {
  it('is one self-contained document: inline style and script, no external reference', () => {
    const page = renderStatisticsReport(current);
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(count(page, /<script>/g)).toBe(1);
    expect(count(page, /<style>/g)).toBe(1);
    expect(page).not.toMatch(/\b(src|href)="(?!#|data:)/);
    expect(page).not.toMatch(/https?:\/\//);
  });

  it('allows exactly its own style and script through its content security policy', () => {
    const page = renderStatisticsReport(current);
    const digest = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const script = page.slice(page.indexOf('<script>') + 8, page.indexOf('</script>'));
    const style = page.slice(page.indexOf('<style>') + 7, page.indexOf('</style>'));
    const policy = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(page)![1]!.replaceAll('&#39;', "'");
    expect(policy).toBe(`default-src 'none'; style-src ${digest(style)}; script-src ${digest(script)}; img-src data:`);
  });

  it('has an overview, a table row and a section with charts per feature', () => {
    const page = renderStatisticsReport(current, { title: 'Flights' });
    expect(page).toContain('<h1>Flights</h1>');
    expect(page).toContain('6 features · 100 rows');
    expect(count(page, /<tr data-search=/g)).toBe(6);
    expect(count(page, /<details class="feature"/g)).toBe(6);
    expect(count(page, /<svg class="chart histogram"/g)).toBe(2);
    expect(count(page, /<svg class="chart categories"/g)).toBe(2);
    expect(count(page, /<svg class="chart missing"/g)).toBe(6);
    expect(page).toContain('<a href="#feature-0">delay</a>');
    expect(page).toContain('>ORD (40%)</td>');
    expect(page).toContain('>2001-01-31</td>');
    expect(page).not.toContain('<th>reference</th>');
    expect(page).not.toMatch(/class="(series-reference|reference-outline)"/);
  });

  it('draws a reference behind the current data and shows columns that came or went', () => {
    const reference = statisticsOf(200, [
      numericColumn('delay', [100, 60, 30, 10], -20, 20),
      categoricalColumn('origin', [['ORD', 120], ['ATL', 80]]),
      numericColumn('taxi', [1, 1], 0, 1),
    ]);
    const page = renderStatisticsReport(current, { reference });
    expect(page).toContain('compared with a reference of 200 rows');
    expect(count(page, /<path class="reference-outline"/g)).toBe(2);
    expect(page).toContain('both datasets re-binned onto common edges');
    expect(page).toContain('<th>current</th><th>reference</th>');
    expect(page).toContain('<title>ATL: current 0%, reference 40%</title>');
    expect(page).toContain('4 new, 1 absent from the current data');
    expect(count(page, /<details class="feature"/g)).toBe(7);
    expect(page).toContain('taxi</a> <span class="badge warning">absent</span>');
  });

  it('renders every string from the data as text', () => {
    const hostile = statisticsOf(10, [
      categoricalColumn('<img src=x onerror=alert(2)>', [[INJECTED, 5], ['"><svg onload=alert(3)>', 5]]),
    ]);
    const page = renderStatisticsReport(hostile, { title: '</title><script>alert(4)</script>' });
    expect(page).not.toContain(INJECTED);
    expect(page).not.toContain('<img src=x');
    expect(page).not.toContain('<svg onload');
    expect(page).not.toContain('<script>alert(4)');
    expect(count(page, /<script>/g)).toBe(1);
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(page).toContain('<title>&lt;/title&gt;&lt;script&gt;alert(4)&lt;/script&gt; · Flywheel</title>');
  });

  it('charts only the first maxCharts features and lists all of them', () => {
    const page = renderStatisticsReport(current, { maxCharts: 2 });
    expect(count(page, /<tr data-search=/g)).toBe(6);
    expect(count(page, /<details class="feature"/g)).toBe(2);
    expect(page).toContain('Charts are drawn for the first 2 of 6 features');
    expect(renderStatisticsReport(current, { maxCharts: 0 })).not.toContain('<details');
    expect(() => renderStatisticsReport(current, { maxCharts: -1 })).toThrow(InvalidInputError);
  });

  it('copes with columns without values and with data without rows or columns', () => {
    const empty = statisticsOf(0, [numericColumn('x', [], 0, 0), categoricalColumn('s', [])]);
    const page = renderStatisticsReport(empty, { reference: statisticsOf(0, []) });
    expect(count(page, /<details class="feature"/g)).toBe(2);
    expect(count(page, /<svg class="chart (histogram|categories)"/g)).toBe(0);
    expect(count(page, /<svg class="chart missing"/g)).toBe(2);
    expect(renderStatisticsReport(statisticsOf(0, []))).toContain('The data has no columns.');
  });

  it('marks sketched figures of high-cardinality columns and counts duplicate rows', () => {
    const [id, name] = [numericColumn('id', [5, 5], 0, 10), categoricalColumn('name', [['Ann', 3], ['12', 2]])];
    if (id!.kind !== 'numeric' || name!.kind !== 'categorical') throw new Error('fixture kinds');
    const sketched = statisticsOf(10, [
      { ...id!, distinctExact: false, numeric: { ...id!.numeric, quantilesExact: false } },
      { ...name!, categorical: { ...name!.categorical, topValuesExact: false, numericValues: 2 } },
    ]);
    const page = renderStatisticsReport({ ...sketched, duplicateRows: 1 });
    expect(page).toContain('<th scope="row">distinct</th><td>≈ 10</td>');
    expect(page).toContain('<th scope="row">median</th><td>≈ 5</td>');
    expect(page).toContain('<th scope="row">values that read as numbers</th><td>2</td>');
    expect(page).toContain('found by a sketch');
    expect(page).toContain('<div class="label">Duplicate rows</div><div class="number">1</div><div class="detail">10% of rows repeat an earlier one</div>');
  });

  it('renders the same page for the same statistics', () => {
    expect(renderStatisticsReport(current)).toBe(renderStatisticsReport(current));
  });

  // The time bound is generous: it catches work growing faster than the features (minutes at this
  // size), not the noise of a shared machine.
  it('stays a few megabytes and fast with 10,000 features', () => {
    const wide = wideStatistics(10_000);
    const started = performance.now();
    const page = renderStatisticsReport(wide, { reference: wide });
    const elapsed = performance.now() - started;
    expect(Buffer.byteLength(page)).toBeLessThan(20 * 1024 * 1024);
    expect(elapsed).toBeLessThan(10_000);
    expect(count(page, /<tr data-search=/g)).toBe(10_000);
    expect(count(page, /<details class="feature"/g)).toBe(100);
  });
});
