import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { renderLoopReport } from './loop-report.js';
import type { LoopReportInput } from './loop-report.js';
import { LOOP_WEEKS, loopReportFixture } from './test-support.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** The markup between a section's heading and the next one. */
function section(page: string, id: string): string {
  const start = page.indexOf(`<h2 id="${id}">`);
  expect(start, `section ${id}`).toBeGreaterThan(0);
  const end = page.indexOf('<h2 ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

function card(page: string, label: string): string {
  const match = new RegExp(`<div class="label">${label}</div><div class="number">(.*?)</div>`).exec(page);
  expect(match, `card ${label}`).not.toBeNull();
  return match![1]!.replace(/<[^>]+>/g, '');
}

describe('renderLoopReport', () => {
  const input = loopReportFixture();
  const page = renderLoopReport(input);

  it('has every section, with the headline numbers on cards', () => {
    expect(page).toMatch(/^<!doctype html>/);
    for (const id of ['performance', 'windows', 'drift', 'timeline', 'lineage']) section(page, id);
    expect(page).toContain('<h1>flights-delay</h1>');
    expect(page).toContain('live auc · 23 weekly windows, 2001-01-01 to 2001-06-11 · generated 2001-06-11 09:00 UTC');
    expect(page).toContain('<li>Monitored weekly windows; retrained monthly and on alerts.</li>');
    expect(card(page, 'Champion')).toBe('v5');
    expect(card(page, 'Live auc')).toBe('0.744');
    expect(card(page, 'Retraining runs')).toBe('5');
    expect(page).toContain('by event: 3 schedule · 2 alert; 1 failed');
    expect(card(page, 'Promotions')).toBe('2');
    expect(page).toContain('v1 → v2 → v5');
    expect(card(page, 'Rejected or rolled back')).toBe('2');
    expect(card(page, 'Alerts')).toBe('3');
  });

  it('draws a line per version that served labeled windows, and a point per labeled window', () => {
    const chart = section(page, 'performance');
    const served = [...new Set(input.monitoring.performance.map((w) => w.version))];
    expect(served).toEqual([1, 2, 4, 5]);
    expect(count(chart, /<g class="series series-\d"><path class="line"/g)).toBe(served.length);
    // v3 was rejected offline and never served, yet keeps its colour: v5 is the fifth version.
    expect(chart).toContain('<g class="series series-4"><path class="line"');
    const labeled = input.monitoring.performance.filter((w) => w.labeled > 0).length;
    expect(count(chart, /<circle class="point"[^>]*><title>/g)).toBe(labeled);
    expect(chart).toContain('<title>v2, week of 2001-02-26: auc 0.733 on 4,963 labeled of 5,000 predictions</title>');
    expect(chart).toContain('1 version-window without labels yet is not drawn');
  });

  it('marks each champion move, each rejection or roll-back and each canary start', () => {
    const chart = section(page, 'performance');
    expect(count(chart, /<g class="marker marker-promotion"><title>/g)).toBe(input.aliasMoves.length);
    for (const version of [1, 2, 5]) expect(chart).toContain(`>v${version} champion</text>`);
    expect(count(chart, /<g class="marker marker-rejection"><title>/g)).toBe(2);
    expect(chart).toContain('>v3 rejected</text>');
    expect(chart).toContain('>v4 rolled back</text>');
    expect(count(chart, /<g class="marker marker-canary"><title>/g)).toBe(3);
    expect(chart).toContain('<title>champion v1 → v2 at 2001-02-26 01:00 UTC by controller: rollout 1: live auc 0.7365 vs champion 0.6668 on canary traffic</title>');
  });

  it('lists every window of every version in the table', () => {
    const table = section(page, 'windows');
    expect(count(table, /<tr data-search=/g)).toBe(input.monitoring.performance.length);
    expect(table).toContain('no labels yet');
  });

  it('has a heat-map cell per feature and window, drifted ones marked with a symbol', () => {
    const drift = section(page, 'drift');
    const features = ['distance', 'hour', 'dow', 'origin', 'destination'];
    const body = drift.slice(drift.indexOf('<tbody>'), drift.indexOf('<tr class="share">'));
    expect(count(body, /<tr>/g)).toBe(features.length);
    expect(count(body, /<td class="cell /g)).toBe(features.length * LOOP_WEEKS);
    expect(count(drift, /<th class="window/g)).toBe(LOOP_WEEKS);
    // Each column is the window of the version with most traffic: v1 over v2's canary, v5's canary over v2.
    const versions = [...drift.matchAll(/<th class="version[^"]*"><span class="swatch series-\d"><\/span>v(\d+)<\/th>/g)].map((m) => Number(m[1]));
    expect(versions).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 5, 5, 5, 5, 5, 5]);
    expect(count(drift, /<th class="window switch"/g)).toBe(2);
    const drifted = input.monitoring.inputDrift
      .flatMap((v) => v.windows.filter((w) => versions[Math.round((w.start.getTime() - Date.UTC(2001, 0, 1)) / (7 * 86_400_000))] === v.version))
      .flatMap((w) => w.report!.features.filter((f) => f.status === 'drifted')).length;
    expect(drifted).toBeGreaterThan(0);
    expect(count(body, /<span class="mark" aria-label="drifted">▲<\/span>/g)).toBe(drifted);
    expect(body).toMatch(/title="distance, week of 2001-02-19, v1: drifted\nPSI 0.518 \(drift threshold 0.2\)\nKS p-value 1.2e-12 \(&lt; 0.05, reached\)/);
    expect(body).toContain('title="dow, week of 2001-01-01, v1: not compared, ignored by the drift options">–</td>');
    expect(count(drift, /<tr class="share">/g)).toBe(1);
    expect(drift).toContain('dataset drift above 30%');
    expect(drift).toContain('PSI for numeric features, Jensen–Shannon distance for categorical ones');
  });

  it('merges firings, alerts, rollout steps and alias moves into one timeline in time order', () => {
    const timeline = section(page, 'timeline');
    const rows = [...timeline.matchAll(/<tr data-search="[^"]*" data-group="(\w+)"><td class="nowrap" data-v="(\d+)">/g)];
    expect(rows.map((row) => row[1]).filter((kind) => kind === 'run')).toHaveLength(input.firings.length);
    expect(rows.map((row) => row[1]).filter((kind) => kind === 'alert')).toHaveLength(input.alerts.length);
    expect(rows.map((row) => row[1]).filter((kind) => kind === 'alias')).toHaveLength(input.aliasMoves.length);
    expect(rows.map((row) => row[1]).filter((kind) => kind === 'rollout')).toHaveLength(3 + 2 + 3 + 3);
    const times = rows.map((row) => Number(row[2]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(timeline).toContain('trigger <strong>degradation</strong> fired on an alert event → run <code>run-0002</code>');
    expect(timeline).toContain('rule <strong>auc-drop</strong>: auc 0.6324 against threshold 0.64');
    expect(timeline).toContain('rollout 3: v4 rolled back<div class="muted">live auc 0.6815 vs champion 0.7102 on canary traffic: worse by more than 0.01</div>');
    expect(timeline).toContain('<strong>champion v2 → v5</strong><div class="muted">by controller: rollout 4:');
    expect(timeline).toContain('<div class="error-text">step train failed: the training data has no rows after 2001-05-31</div>');
  });

  it('traces the champion back to its data, pipeline, code and trigger', () => {
    const lineage = section(page, 'lineage');
    const { version, run } = input.champion!;
    for (const text of [version.digest, version.trainingData!.uri, version.trainingData!.digest, run!.pipelineVersion!, run!.codeVersion!.commit, 'uncommitted changes', '&quot;trainer&quot;:&quot;gbdt&quot;']) {
      expect(lineage).toContain(text);
    }
    expect(lineage).toContain('<dt>Trigger</dt><dd><div><strong>monthly</strong> (schedule trigger)</div></dd>');
    expect(lineage).toContain('schedule event: time 2001-05-01 00:00 UTC · cron 0 0 1 * * · timezone UTC');
  });

  it('escapes names, reasons and events that hold markup', () => {
    const hostile = '<script>alert(1)</script>';
    const feature = '<img src=x onerror=alert(2)>';
    const base = loopReportFixture({ model: hostile, featureName: feature });
    const html = renderLoopReport({
      ...base,
      metric: '<i>auc</i>',
      aliasMoves: base.aliasMoves.map((move) => ({ ...move, actor: '<b>me</b>', reason: hostile })),
      firings: base.firings.map((firing) => ({ ...firing, trigger: feature, event: { ...firing.event, file: hostile } })),
      summary: [hostile],
    });
    const markup = html.replace(/<script>\s*\(function[\s\S]*?<\/script>/, '');
    expect(markup).not.toContain('<script>');
    expect(markup).not.toContain('<img');
    expect(markup).not.toContain('<i>auc');
    expect(markup).not.toContain('<b>me');
    expect(html).toContain('<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt; <span class="type">categorical</span>');
    expect(html).toContain('<strong>&lt;img src=x onerror=alert(2)&gt;</strong> fired');
  });

  it('places events that fall outside the windows in a note instead of the chart', () => {
    const base = loopReportFixture();
    const late = { ...base.aliasMoves.at(-1)!, at: new Date(Date.UTC(2025, 2, 3, 14, 5)) };
    const chart = section(renderLoopReport({ ...base, aliasMoves: [...base.aliasMoves.slice(0, -1), late] }), 'performance');
    expect(count(chart, /<g class="marker marker-promotion"><title>/g)).toBe(2);
    expect(chart).toContain('1 event falls outside the windows shown and is not drawn: v5 champion (2025-03-03 14:05 UTC). See the timeline.');
  });

  describe('before the loop has done much', () => {
    const base = loopReportFixture();

    it('explains that labels have not arrived', () => {
      const unlabeled = base.monitoring.performance.map((w) => ({ ...w, labeled: 0, metrics: {} }));
      const html = renderLoopReport({ ...base, monitoring: { ...base.monitoring, performance: unlabeled } });
      expect(section(html, 'performance')).toContain(`No window has labels yet: the ${unlabeled.length} windows with predictions wait for their delayed labels, so live auc is not known.`);
      expect(card(html, 'Live auc')).toBe('—');
    });

    it('names the metrics there are when the one asked for is missing', () => {
      const html = renderLoopReport({ ...base, metric: 'rmse' });
      expect(section(html, 'performance')).toContain('No labeled window has a value of rmse; the windows have accuracy, auc, logLoss.');
    });

    it('explains missing drift reports and why a version has none', () => {
      const drift = base.monitoring.inputDrift.map((v) => ({ ...v, windows: v.windows.map((w) => ({ ...w, rows: 40, report: null })) }));
      drift.push({ version: 6, windows: [], problem: 'flights-delay v6 has no training data in the registry' });
      const html = section(renderLoopReport({ ...base, monitoring: { ...base.monitoring, inputDrift: drift } }), 'drift');
      expect(html).toContain(`${LOOP_WEEKS} windows have predictions, but none had enough rows to compare with the training data.`);
      expect(html).toContain('<li>v6: flights-delay v6 has no training data in the registry</li>');
      const none = section(renderLoopReport({ ...base, monitoring: { ...base.monitoring, inputDrift: [] } }), 'drift');
      expect(none).toContain('No version has input drift windows yet');
    });

    it('marks windows with too few rows to compare', () => {
      const drift = base.monitoring.inputDrift.map((v) => ({ ...v, windows: v.windows.map((w, i) => (i === 0 ? { ...w, rows: 40, report: null } : w)) }));
      const html = section(renderLoopReport({ ...base, monitoring: { ...base.monitoring, inputDrift: drift } }), 'drift');
      expect(html).toContain('title="week of 2001-01-01, v1: 40 rows, too few to compare">·</td>');
    });

    it('says there is no champion', () => {
      const html = renderLoopReport({ ...base, champion: null, aliasMoves: [] });
      expect(section(html, 'lineage')).toContain('No champion: no version holds the champion alias yet');
      expect(card(html, 'Champion')).toBe('none');
      expect(card(html, 'Promotions')).toBe('0');
    });

    it('renders a loop that has seen nothing at all', () => {
      const empty: LoopReportInput = {
        model: 'flights-delay', metric: 'auc', generatedAt: new Date(Date.UTC(2001, 0, 1)),
        monitoring: { model: 'flights-delay', windowMs: 86_400_000, performance: [], inputDrift: [], outputDrift: [] },
        aliasMoves: [], rollouts: [], firings: [], alerts: [], champion: null,
      };
      const html = renderLoopReport(empty);
      expect(html).toContain('live auc · 0 daily windows · generated 2001-01-01 00:00 UTC');
      expect(section(html, 'performance')).toContain('No predictions of flights-delay are logged yet');
      expect(section(html, 'windows')).toContain('No predictions of flights-delay are logged yet.');
      expect(section(html, 'drift')).toContain('No version has input drift windows yet');
      expect(section(html, 'timeline')).toContain('Nothing happened yet');
      expect(html).not.toContain('<svg');
    });

    it('shows a champion registered outside a pipeline', () => {
      const champion = { ...base.champion!, run: null, execution: null, version: { ...base.champion!.version, trainingData: null, runId: null } };
      const lineage = section(renderLoopReport({ ...base, champion }), 'lineage');
      expect(lineage).toContain('<dt>Training data</dt><dd><div>not recorded</div></dd>');
      expect(lineage).toContain('none: the version was registered outside a pipeline run');
    });
  });

  it('rejects an input without a metric or a valid date', () => {
    expect(() => renderLoopReport({ ...input, metric: '' })).toThrow(InvalidInputError);
    expect(() => renderLoopReport({ ...input, generatedAt: new Date(Number.NaN) })).toThrow(/generatedAt/);
  });
});
