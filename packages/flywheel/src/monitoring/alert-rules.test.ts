import { describe, expect, it } from 'vitest';
import type { DriftReport } from '../data/drift/drift-format.js';
import { alertRuleSchema, evaluateAlertRules } from './alert-rules.js';
import type { PerformanceWindow } from './live-performance.js';
import type { ModelMonitoring } from './monitor-model.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2001, 1, 5);

function window(day: number, version: number, auc: number | null, labeled = 500): PerformanceWindow {
  return { start: new Date(T0 + day * DAY), end: new Date(T0 + (day + 1) * DAY), version, task: 'classification', predictions: 600, labeled, metrics: { auc } };
}

function driftReport(drifted: string[], compared = 5): DriftReport {
  return {
    summary: { features: compared, compared, drifted: drifted.length, share: drifted.length / compared, datasetDrift: false },
    features: drifted.map((name) => ({ name, status: 'drifted' })),
  } as unknown as DriftReport;
}

function report(performance: PerformanceWindow[], inputs: (string[] | null)[] = []): ModelMonitoring {
  return {
    model: 'flights', windowMs: DAY, performance, outputDrift: [],
    inputDrift: [{ version: 1, windows: inputs.map((d, day) => ({ start: new Date(T0 + day * DAY), end: new Date(T0 + (day + 1) * DAY), rows: 600, report: d && driftReport(d) })) }],
  };
}

const rule = (spec: Record<string, unknown>) => alertRuleSchema.parse({ name: 'r', ...spec });
const late = new Date(T0 + 100 * DAY);

describe('alert rules', () => {
  it('raises an alert for each window that completes a run of consecutive windows past the threshold', () => {
    const windows = [window(0, 1, 0.7), window(1, 1, 0.6), window(2, 1, 0.61), window(3, 1, 0.59), window(4, 1, 0.7)];
    const alerts = evaluateAlertRules(report(windows), [rule({ metric: 'auc', below: 0.65, for: 2 })], late);
    expect(alerts.map((a) => [a.windowStart.getTime(), a.value, a.details.consecutiveWindows])).toEqual([
      [T0 + 2 * DAY, 0.61, 2],
      [T0 + 3 * DAY, 0.59, 3],
    ]);
    expect(alerts[0]).toMatchObject({ rule: 'r', model: 'flights', version: 1, metric: 'auc', threshold: 0.65, windowEnd: new Date(T0 + 3 * DAY) });
  });

  it('does not count windows with too few labels, a gap of days, or windows not yet closed', () => {
    const few = [window(0, 1, 0.5), window(1, 1, 0.5, 20), window(2, 1, 0.5)];
    expect(evaluateAlertRules(report(few), [rule({ metric: 'auc', below: 0.65, for: 2 })], late)).toEqual([]);
    const gap = [window(0, 1, 0.5), window(2, 1, 0.5)];
    expect(evaluateAlertRules(report(gap), [rule({ metric: 'auc', below: 0.65, for: 2 })], late)).toEqual([]);
    const open = [window(0, 1, 0.5), window(1, 1, 0.5)];
    expect(evaluateAlertRules(report(open), [rule({ metric: 'auc', below: 0.65, for: 2 })], new Date(T0 + DAY + 1))).toEqual([]);
  });

  it('keeps versions apart', () => {
    const windows = [window(0, 1, 0.5), window(1, 2, 0.5)];
    expect(evaluateAlertRules(report(windows), [rule({ metric: 'auc', below: 0.65, for: 2 })], late)).toEqual([]);
  });

  it('watches input drift: the share of drifted features, and names them', () => {
    const windows = [window(0, 1, 0.7), window(1, 1, 0.7), window(2, 1, 0.7)];
    const alerts = evaluateAlertRules(report(windows, [[], ['distance', 'hour'], null]), [rule({ metric: 'input_drift_share', above: 0.3 })], late);
    expect(alerts.map((a) => [a.windowStart.getTime(), a.value, a.details.drifted])).toEqual([[T0 + DAY, 0.4, ['distance', 'hour']]]);
  });

  it('refuses a rule with both or neither threshold, an unknown metric or a bad name', () => {
    expect(() => rule({ metric: 'auc' })).toThrow(/exactly one of below and above/);
    expect(() => rule({ metric: 'auc', below: 1, above: 0 })).toThrow(/exactly one/);
    expect(() => rule({ metric: 'aucc', below: 1 })).toThrow();
    expect(() => alertRuleSchema.parse({ name: 'a b', metric: 'auc', below: 1 })).toThrow(/letters/);
  });
});
