import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';

/** What a model predicts: the probability of a 0/1 label, or a number. */
export type ModelTask = 'classification' | 'regression';

export interface MetricInfo {
  task: ModelTask;
  /** Which way is better, for thresholds and for the comparison with a baseline. */
  better: 'higher' | 'lower';
  /** When the metric has no value (it is then null in JSON and fails every check on it). */
  undefinedWhen: string;
}

const EMPTY = 'the evaluation data has no rows';

/**
 * Every metric a threshold, a baseline comparison or a fairness gap can name.
 *
 * @example
 *   METRICS.logLoss // { task: 'classification', better: 'lower', undefinedWhen: 'the evaluation data has no rows' }
 */
export const METRICS = {
  auc: { task: 'classification', better: 'higher', undefinedWhen: 'the labels hold one class only' },
  prAuc: { task: 'classification', better: 'higher', undefinedWhen: 'no label is positive' },
  logLoss: { task: 'classification', better: 'lower', undefinedWhen: EMPTY },
  brierScore: { task: 'classification', better: 'lower', undefinedWhen: EMPTY },
  accuracy: { task: 'classification', better: 'higher', undefinedWhen: EMPTY },
  precision: { task: 'classification', better: 'higher', undefinedWhen: 'nothing is predicted positive' },
  recall: { task: 'classification', better: 'higher', undefinedWhen: 'no label is positive' },
  f1: { task: 'classification', better: 'higher', undefinedWhen: 'no label is positive and nothing is predicted positive' },
  rmse: { task: 'regression', better: 'lower', undefinedWhen: EMPTY },
  mae: { task: 'regression', better: 'lower', undefinedWhen: EMPTY },
  r2: { task: 'regression', better: 'higher', undefinedWhen: 'all labels are equal' },
  mape: { task: 'regression', better: 'lower', undefinedWhen: EMPTY },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];

/** The metric a candidate is compared with its baseline on when nothing else is configured. */
export const DEFAULT_CHANGE_METRIC: Record<ModelTask, MetricName> = { classification: 'auc', regression: 'rmse' };

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name);
}

/** The metrics of one task, in catalogue order. */
export function metricsOfTask(task: ModelTask): MetricName[] {
  return METRIC_NAMES.filter((name) => METRICS[name].task === task);
}

const TASK_WORDS: Record<ModelTask, string> = { classification: 'a binary classifier', regression: 'a regressor' };

/**
 * The metric, or an InvalidInputError for `field` when the name is not a metric of the task.
 *
 * @example
 *   requireTaskMetric('rmse', 'classification', 'thresholds.rmse')
 *   // throws: thresholds.rmse: rmse is a regression metric, but the model is a binary classifier (its metrics: auc, …)
 */
export function requireTaskMetric(name: string, task: ModelTask, field: string): MetricName {
  const known = metricsOfTask(task).join(', ');
  if (!isMetricName(name)) throw new InvalidInputError(field, `unknown metric ${JSON.stringify(name)} (metrics of ${TASK_WORDS[task]}: ${known})`);
  if (METRICS[name].task !== task) {
    throw new InvalidInputError(field, `${name} is a ${METRICS[name].task} metric, but the model is ${TASK_WORDS[task]} (its metrics: ${known})`);
  }
  return name;
}

function unknownMetric(name: string): string {
  return `unknown metric ${JSON.stringify(name)} (metrics: ${METRIC_NAMES.join(', ')})`;
}

/** A metric name in params; the error lists the metrics. */
export const metricNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    if (!isMetricName(name)) ctx.addIssue({ code: 'custom', message: unknownMetric(name) });
  })
  .transform((name) => name as MetricName);

/**
 * An object keyed by metric names in params, e.g. `{ auc: { min: 0.6 } }`; the error names the
 * unknown key and lists the metrics.
 */
export function metricRecordSchema<T extends z.ZodType>(value: T) {
  return z
    .record(z.string(), value)
    .superRefine((record, ctx) => {
      for (const key of Object.keys(record)) if (!isMetricName(key)) ctx.addIssue({ code: 'custom', path: [key], message: unknownMetric(key) });
    })
    .transform((record) => record as Partial<Record<MetricName, z.output<T>>>);
}
