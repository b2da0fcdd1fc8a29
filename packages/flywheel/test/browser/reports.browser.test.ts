import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeStatistics, inferSchema, ingest, sampleDataPath, validateData } from '../../src/data/index.js';
import type { DatasetStatistics } from '../../src/data/index.js';
import { detectDrift } from '../../src/data/drift/detect-drift.js';
import { renderDriftReport, renderStatisticsReport, renderValidationReport, writeReport } from '../../src/data/report/index.js';
import { categoricalDrift, driftReportOf, wideStatistics } from '../../src/data/report/test-support.js';
import { renderLoopReport } from '../../src/monitoring/loop-report.js';
import { LOOP_WEEKS, loopReportFixture } from '../../src/monitoring/test-support.js';

/*
 * Opens rendered reports in headless Chromium from file:// URLs with every request other than the
 * report itself blocked, the way a person opens a report they were sent: nothing may be fetched,
 * nothing may log an error, and data must show as text.
 */

const CHROMIUM = process.env.FLYWHEEL_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
const INJECTED = '<script>alert(1)</script>';
const HOSTILE_NAME = '<img src=x onerror=alert(2)>';

let browser: Browser;
let dir: string;
let screenshots: string;

interface OpenedReport {
  page: Page;
  context: BrowserContext;
  /** Requests other than the report itself: each one was blocked. */
  requests: string[];
  errors: string[];
  dialogs: string[];
}

const opened: OpenedReport[] = [];

async function open(file: string): Promise<OpenedReport> {
  const url = pathToFileURL(file).href;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const report: OpenedReport = { page: await context.newPage(), context, requests: [], errors: [], dialogs: [] };
  opened.push(report);
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort('blockedbyclient')));
  report.page.on('request', (request) => {
    if (request.url() !== url) report.requests.push(request.url());
  });
  report.page.on('websocket', (socket) => report.requests.push(socket.url()));
  report.page.on('console', (message) => {
    if (message.type() === 'error') report.errors.push(message.text());
  });
  report.page.on('pageerror', (error) => report.errors.push(error.message));
  report.page.on('dialog', (dialog) => {
    report.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await report.page.goto(url, { waitUntil: 'load' });
  return report;
}

/** Every report must pass these whatever it shows. */
function expectCleanPage(report: OpenedReport): void {
  expect(report.requests, 'requests a report attempted').toEqual([]);
  expect(report.errors, 'console errors').toEqual([]);
  expect(report.dialogs, 'dialogs opened').toEqual([]);
}

async function render(name: string, html: string): Promise<string> {
  const path = join(dir, `${name}.html`);
  await writeReport(html, path);
  return path;
}

function kindCount(statistics: DatasetStatistics, ...kinds: string[]): number {
  return statistics.columns.filter((column) => kinds.includes(column.kind)).length;
}

/** What the tests use of the page's window; the project compiles without the DOM library. */
interface PageWindow {
  getComputedStyle(element: unknown): { getPropertyValue(property: string): string };
}

/** A CSS property of the element as the browser computed it, e.g. the colour a class gave it. */
function computedStyle(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((element, name) => (globalThis as unknown as PageWindow).getComputedStyle(element).getPropertyValue(name), property);
}

async function chartCounts(page: Page) {
  return {
    sections: await page.locator('details.feature').count(),
    histograms: await page.locator('svg.chart.histogram').count(),
    categories: await page.locator('svg.chart.categories').count(),
    missing: await page.locator('svg.chart.missing').count(),
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `the report browser tests need Chromium at ${CHROMIUM}, which does not exist: install it with `
      + '`apt-get install -y chromium`, or set FLYWHEEL_CHROMIUM to a Chromium executable',
    );
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  dir = await mkdtemp(join(tmpdir(), 'flywheel-reports-'));
  screenshots = process.env.FLYWHEEL_SCREENSHOT_DIR ?? await mkdtemp(join(tmpdir(), 'flywheel-report-screenshots-'));
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  for (const report of opened) await report.context.close();
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (screenshots) console.info(`report screenshots: ${screenshots}`);
});

describe('reports in a browser', () => {
  it('shows the statistics of seattle-weather.csv with a chart per feature', async () => {
    const statistics = await computeStatistics(sampleDataPath('seattle-weather.csv'));
    const report = await open(await render('seattle', renderStatisticsReport(statistics, { title: 'Seattle weather 2012–2015' })));
    const { page } = report;
    expect(await page.locator('h1').textContent()).toBe('Seattle weather 2012–2015');
    expect(await chartCounts(page)).toEqual({
      sections: statistics.columns.length,
      histograms: kindCount(statistics, 'numeric'),
      categories: kindCount(statistics, 'categorical', 'boolean'),
      missing: statistics.columns.length,
    });
    expect(await page.locator('table[data-table] tbody tr:visible').count()).toBe(statistics.columns.length);
    await page.screenshot({ path: join(screenshots, 'seattle-weather-statistics.png'), fullPage: true });
    expectCleanPage(report);
  });

  describe('a month of flights against the month before', () => {
    let january: DatasetStatistics;
    let february: DatasetStatistics;

    beforeAll(async () => {
      const flights = sampleDataPath('flights-3m.parquet');
      const month = (m: number) => `SELECT *, hour(date) AS hour, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = ${m}`;
      await ingest({ source: flights, query: month(1), output: join(dir, 'january.parquet') });
      await ingest({ source: flights, query: month(2), output: join(dir, 'february.parquet') });
      january = await computeStatistics(join(dir, 'january.parquet'));
      february = await computeStatistics(join(dir, 'february.parquet'));
    });

    it('overlays the reference month on every chart, with a legend', async () => {
      const report = await open(await render('flights-statistics', renderStatisticsReport(february, { title: 'Flights, February 2001', reference: january })));
      const { page } = report;
      const numeric = kindCount(february, 'numeric');
      expect(await chartCounts(page)).toEqual({
        sections: february.columns.length,
        histograms: numeric,
        categories: kindCount(february, 'categorical', 'boolean'),
        missing: february.columns.length,
      });
      expect(await page.locator('svg.chart.histogram path.reference-outline').count()).toBe(numeric);
      expect(await page.locator('svg.chart text.legend', { hasText: 'reference' }).count()).toBe(numeric + kindCount(february, 'categorical'));
      const origin = page.locator('details.feature', { has: page.locator('h3', { hasText: /^origin$/ }) });
      expect(await origin.locator('svg.chart.categories g').count()).toBe(10);
      await page.screenshot({ path: join(screenshots, 'flights-statistics.png'), fullPage: true });
      await origin.screenshot({ path: join(screenshots, 'flights-origin.png') });
      expectCleanPage(report);
    });

    it('shows validation against the reference month’s schema', async () => {
      const schema = inferSchema(january, { labelColumn: 'delayed' });
      const anomalies = validateData({ statistics: february, schema });
      const report = await open(await render('flights-validation', renderValidationReport({ anomalies, statistics: february, schema, reference: january })));
      const { page } = report;
      expect(await page.locator('.verdict').textContent()).toMatch(anomalies.summary.errors > 0 ? /^Failed/ : /^Passed/);
      const anomalyRows = page.locator('[data-table-root]').first().locator('tbody tr');
      expect(await anomalyRows.count()).toBe(anomalies.anomalies.length);
      const first = anomalies.anomalies[0]!;
      expect(await page.locator('details.feature h3').first().textContent()).toBe(first.feature);
      expect(await page.locator('details.feature').first().locator('line.limit').count()).toBeGreaterThan(0);
      await page.screenshot({ path: join(screenshots, 'flights-validation.png'), fullPage: true });
      expectCleanPage(report);
    });

    it('shows the drift test of every feature and the overall verdict', async () => {
      const drift = await detectDrift({ reference: join(dir, 'january.parquet'), current: join(dir, 'february.parquet') });
      const report = await open(await render('flights-drift', renderDriftReport(drift, { title: 'Flights, February against January 2001' })));
      const { page } = report;
      const compared = drift.features.filter((feature) => feature.status !== 'not_compared');
      expect(await chartCounts(page)).toEqual({
        sections: compared.length,
        histograms: compared.filter((feature) => feature.kind === 'numeric').length,
        categories: compared.filter((feature) => feature.kind === 'categorical').length,
        missing: compared.length,
      });
      expect(await page.locator('svg.chart.histogram path.reference-outline').count()).toBe(compared.filter((feature) => feature.kind === 'numeric').length);
      expect(await page.locator('table[data-table] tbody tr').count()).toBe(drift.features.length);
      expect(await page.locator('.verdict').textContent()).toMatch(drift.summary.datasetDrift ? /^Dataset drift detected/ : /^No (dataset )?drift/);
      expect(await page.locator('table[data-table] tbody tr', { hasText: 'delay' }).locator('td').nth(2).textContent()).toBe('KS');
      await page.screenshot({ path: join(screenshots, 'flights-drift.png'), fullPage: true });
      expectCleanPage(report);
    });
  });

  it('renders hostile values from the data as text and runs none of them', async () => {
    const source = join(dir, 'hostile.json');
    const rows = [
      ...Array.from({ length: 6 }, (_, i) => ({ category: INJECTED, [HOSTILE_NAME]: i })),
      ...Array.from({ length: 4 }, (_, i) => ({ category: '"><svg onload=alert(3)>', [HOSTILE_NAME]: 10 + i })),
      { category: 'plain', [HOSTILE_NAME]: 20 },
    ];
    await writeFile(source, JSON.stringify(rows));
    const statistics = await computeStatistics(source);
    const schema = inferSchema(statistics);
    const anomalies = validateData({ statistics, schema: { ...schema, features: schema.features.map((f) => (f.domain ? { ...f, domain: ['plain'] } : f)) } });
    expect(anomalies.anomalies.map((a) => a.code)).toContain('unseen_category');

    const drift = driftReportOf([categoricalDrift(HOSTILE_NAME, [['plain', 5, 1], [INJECTED, 0, 6], ['"><svg onload=alert(3)>', 6, 4]], true)]);
    for (const [name, html] of [
      ['hostile-statistics', renderStatisticsReport(statistics, { title: INJECTED })],
      ['hostile-validation', renderValidationReport({ anomalies, statistics, title: INJECTED })],
      ['hostile-drift', renderDriftReport(drift, { title: INJECTED })],
    ] as const) {
      const report = await open(await render(name, html));
      const { page } = report;
      expect(await page.locator('h1').textContent()).toBe(INJECTED);
      expect(await page.title()).toBe(`${INJECTED} · Flywheel`);
      expect(await page.getByText(INJECTED, { exact: true }).count()).toBeGreaterThan(0);
      const bars = page.locator('svg.chart.categories');
      expect(await bars.locator('text', { hasText: '<script>alert(1)</…' }).count()).toBe(1);
      expect((await bars.locator('title').allTextContents()).some((tip) => tip.startsWith(`${INJECTED}: `))).toBe(true);
      expect(await page.getByText(HOSTILE_NAME).first().isVisible()).toBe(true);
      expect(await page.locator('script').count()).toBe(1);
      expect(await page.locator('img, body svg:not(.chart) , [onerror], [onload]').count()).toBe(0);
      await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
      expectCleanPage(report);
    }
  });

  it('stays usable with 10,000 features: one page of the table, filtering and sorting', async () => {
    const statistics = wideStatistics(10_000);
    const path = await render('wide', renderStatisticsReport(statistics, { title: '10,000 features' }));
    const started = performance.now();
    const report = await open(path);
    const loaded = performance.now() - started;
    const { page } = report;
    expect(loaded).toBeLessThan(20_000);
    const rows = page.locator('table[data-table] tbody tr');
    expect(await rows.count()).toBe(10_000);
    expect(await page.locator('table[data-table] tbody tr:visible').count()).toBe(50);
    expect(await page.locator('.pager span').textContent()).toBe('1–50 of 10,000');
    expect(await page.locator('details.feature').count()).toBe(100);

    await page.locator('input[type=search]').fill('feature_09999');
    expect(await page.locator('table[data-table] tbody tr:visible').count()).toBe(1);
    expect(await page.locator('table[data-table] tbody tr:visible td.name').textContent()).toBe('feature_09999');
    await page.locator('input[type=search]').fill('');

    await page.locator('select[data-group-filter]').selectOption('boolean');
    expect(await page.locator('.pager span').textContent()).toBe('1–50 of 2,500');
    await page.locator('select[data-group-filter]').selectOption('');

    const missing = page.locator('table[data-table] thead th', { hasText: 'Missing' });
    await missing.click();
    await missing.click();
    expect(await missing.getAttribute('aria-sort')).toBe('descending');
    expect(await page.locator('table[data-table] tbody tr:visible td.num').first().getAttribute('data-v')).toBe(String(6 / 10_000));
    await page.locator('[data-page=next]').click();
    expect(await page.locator('.pager span').textContent()).toBe('51–100 of 10,000');
    await page.screenshot({ path: join(screenshots, 'wide-10000-features.png') });
    expectCleanPage(report);
  });

  it('shows the continuous-training loop: live metric, drift heat map, timeline and lineage', async () => {
    const input = loopReportFixture({ model: HOSTILE_NAME, featureName: INJECTED });
    const report = await open(await render('loop', renderLoopReport(input)));
    const { page } = report;
    expect(await page.locator('h1').textContent()).toBe(HOSTILE_NAME);
    expect(await page.title()).toBe(`${HOSTILE_NAME} · Flywheel`);

    const chart = page.locator('#performance + .panel svg.chart.time-series');
    const box = await chart.boundingBox();
    expect(box?.width).toBeGreaterThan(900);
    expect(box?.height).toBeGreaterThan(250);
    expect(await chart.locator('path.line').count()).toBe(4);
    expect(await chart.locator('circle.point title').count()).toBe(input.monitoring.performance.filter((w) => w.labeled > 0).length);
    expect(await chart.locator('g.marker-promotion text').allTextContents()).toEqual(['v1 champion', 'v2 champion', 'v5 champion']);
    expect(await chart.locator('g.marker-rejection text').allTextContents()).toEqual(['v3 rejected', 'v4 rolled back']);
    // The stylesheet ran under the page's policy: versions and markers have their colours.
    expect(await computedStyle(chart.locator('g.series-0 path.line').first(), 'stroke')).toBe('rgb(37, 99, 235)');
    expect(await computedStyle(chart.locator('g.marker-promotion line').first(), 'stroke')).toBe('rgb(21, 128, 61)');

    const cells = page.locator('table.heatmap tbody tr:not(.share) td.cell');
    expect(await cells.count()).toBe(5 * LOOP_WEEKS);
    expect(await computedStyle(page.locator('table.heatmap td.heat-5').first(), 'background-color')).toBe('rgb(185, 28, 28)');
    expect(await page.locator('table.heatmap th.row-head', { hasText: INJECTED }).isVisible()).toBe(true);
    expect(await page.locator('#drift ~ .panel svg.chart.time-series').count()).toBe(1);

    expect(await page.locator('#timeline + [data-table-root] tbody tr:visible').count()).toBe(22);
    expect(await page.locator('dl.lineage dt').count()).toBeGreaterThan(10);
    expect(await page.getByText('uncommitted changes').isVisible()).toBe(true);
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('img, [onerror], [onload]').count()).toBe(0);
    await page.screenshot({ path: join(screenshots, 'loop.png'), fullPage: true });
    expectCleanPage(report);
  });

  it('opens a collapsed feature when its name in the table is clicked', async () => {
    const statistics = await computeStatistics(sampleDataPath('seattle-weather.csv'));
    const report = await open(await render('seattle-links', renderStatisticsReport(statistics)));
    const { page } = report;
    await page.getByRole('button', { name: 'Collapse all' }).click();
    expect(await page.locator('details.feature[open]').count()).toBe(0);
    await page.locator('td.name a', { hasText: 'wind' }).click();
    expect(await page.locator('details.feature[open] h3').allTextContents()).toEqual(['wind']);
    expectCleanPage(report);
  });
});
