import { z } from 'zod';
import type { JsonObject } from '../core/json.js';
import type { NewAlert } from '../metadata/control-store.js';
import type { ModelMonitoring } from './monitor-model.js';

/** Metrics of a window an alert rule can watch, besides the live performance metrics (auc, accuracy, rmse, …). */
export const DRIFT_METRICS = ['input_drift_share', 'input_drifted_features', 'prediction_drifted'] as const;
const PERFORMANCE_METRICS = ['auc', 'prAuc', 'accuracy', 'precision', 'recall', 'f1', 'logLoss', 'brierScore', 'positiveRate', 'meanPrediction', 'rmse', 'mae', 'r2', 'mape'] as const;
export const ALERT_METRICS: readonly string[] = [...PERFORMANCE_METRICS, ...DRIFT_METRICS];

export const alertRuleSchema = z
  .strictObject({
    /** Names the alert and the triggers that listen to it. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, dots, dashes and underscores'),
    metric: z.enum([...PERFORMANCE_METRICS, ...DRIFT_METRICS]),
    /** Holds when the metric is below this … */
    below: z.number().finite().optional(),
    /** … or above this. */
    above: z.number().finite().optional(),
    /** Consecutive windows the condition must hold for. Default 1. */
    for: z.number().int().min(1).max(1000).default(1),
    /** A performance window counts only with this many labeled predictions. Default 100. */
    minLabeled: z.number().int().min(1).default(100),
  })
  .refine((rule) => (rule.below === undefined) !== (rule.above === undefined), { message: 'give exactly one of below and above' });

export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;

interface WindowValue {
  start: Date;
  end: Date;
  value: number;
  details: JsonObject;
}

/**
 * The alerts a monitoring report raises: for each rule and model version, every closed window
 * (ended by `now`) that completes a run of `for` consecutive windows in which the metric is past
 * its threshold. A window without the metric (too few labels, too few rows) breaks the run. The
 * control store keeps one alert per rule, version and window, so raising the same ones again is
 * harmless.
 *
 * @example
 *   const rules = [alertRuleSchema.parse({ name: 'auc-drop', metric: 'auc', below: 0.62, for: 2 })];
 *   for (const alert of evaluateAlertRules(report, rules, new Date())) await control.raiseAlert(alert);
 */
export function evaluateAlertRules(report: ModelMonitoring, rules: readonly AlertRule[], now: Date): NewAlert[] {
  const alerts: NewAlert[] = [];
  const versions = [...new Set(report.performance.map((w) => w.version))];
  for (const rule of rules) {
    const threshold = (rule.below ?? rule.above) as number;
    const holds = (value: number) => (rule.below !== undefined ? value < rule.below : value > (rule.above as number));
    for (const version of versions) {
      let streak = 0;
      let previousEnd: number | undefined;
      for (const window of windowValues(report, rule, version)) {
        if (window.end > now) break;
        // A gap (a window with no predictions at all) ends the run, as would a window that does not hold.
        const adjacent = previousEnd === undefined || previousEnd === window.start.getTime();
        previousEnd = window.end.getTime();
        streak = Number.isFinite(window.value) && holds(window.value) ? (adjacent ? streak + 1 : 1) : 0;
        if (streak >= rule.for) {
          alerts.push({
            rule: rule.name, model: report.model, version, windowStart: window.start, windowEnd: window.end,
            metric: rule.metric, value: window.value, threshold, details: { ...window.details, consecutiveWindows: streak },
          });
        }
      }
    }
  }
  return alerts;
}

/** The rule's metric in each window of a version, oldest first; NaN where the window lacks it. */
function windowValues(report: ModelMonitoring, rule: AlertRule, version: number): WindowValue[] {
  const performance = report.performance.filter((w) => w.version === version);
  if ((PERFORMANCE_METRICS as readonly string[]).includes(rule.metric)) {
    return performance.map((w) => ({
      start: w.start, end: w.end,
      value: w.labeled >= rule.minLabeled ? (w.metrics[rule.metric] ?? Number.NaN) : Number.NaN,
      details: { labeled: w.labeled, predictions: w.predictions },
    }));
  }
  const source = rule.metric === 'prediction_drifted' ? report.outputDrift : report.inputDrift;
  const windows = source.find((d) => d.version === version)?.windows ?? [];
  return windows.map((w) => {
    const drifted = w.report?.features.filter((f) => f.status === 'drifted').map((f) => f.name) ?? [];
    const value = !w.report ? Number.NaN : rule.metric === 'input_drift_share' ? w.report.summary.share : rule.metric === 'input_drifted_features' ? w.report.summary.drifted : drifted.length > 0 ? 1 : 0;
    return { start: w.start, end: w.end, value, details: { rows: w.rows, drifted } };
  });
}
