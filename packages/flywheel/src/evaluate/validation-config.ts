import { z } from 'zod';
import { DEFAULT_CHANGE_METRIC, metricRecordSchema, requireTaskMetric, type MetricName, type ModelTask } from './metric-catalog.js';

/** Absolute bounds on a metric, both inclusive: `{ min: 0.6 }`, `{ max: 0.7 }`, or both. */
export const boundSchema = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((b) => b.min !== undefined || b.max !== undefined, { message: 'give min, max or both' })
  .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, { message: 'min is above max' });
export type Bound = z.infer<typeof boundSchema>;

/** Bounds per metric, e.g. `{ auc: { min: 0.6 }, logLoss: { max: 0.7 } }`. */
export const thresholdsSchema = metricRecordSchema(boundSchema);
export type Thresholds = z.infer<typeof thresholdsSchema>;

/**
 * How much a metric must improve on the baseline's, "improvement" being signed so that
 * positive is better whichever way the metric goes: more than `minImprovement` (absolute), more
 * than `minRelativeImprovement` (a share of the baseline's value, 0.01 = 1 %), or both. A
 * negative value tolerates that much loss.
 *
 * @example
 *   { minImprovement: 0 }               // must be strictly better
 *   { minRelativeImprovement: -0.02 }   // may be up to 2 % worse
 */
export const changeBoundSchema = z
  .strictObject({ minImprovement: z.number().optional(), minRelativeImprovement: z.number().optional() })
  .refine((c) => c.minImprovement !== undefined || c.minRelativeImprovement !== undefined, { message: 'give minImprovement, minRelativeImprovement or both' });
export type ChangeBound = z.infer<typeof changeBoundSchema>;

/** Change bounds per metric, e.g. `{ auc: { minImprovement: 0 }, logLoss: { minRelativeImprovement: -0.01 } }`. */
export const changeSchema = metricRecordSchema(changeBoundSchema);
export type Change = z.infer<typeof changeSchema>;

/** What a blessing is decided on, every metric checked against the model's task. */
export interface CompiledValidation {
  task: ModelTask;
  thresholds: readonly { metric: MetricName; bound: Bound }[];
  /** Compared with the baseline, in this order; the first is the blessing's headline metric. */
  change: readonly { metric: MetricName; bound: ChangeBound }[];
  /** Bounds every large enough slice of the named slicing must meet. */
  sliceThresholds: readonly { slice: string; metric: MetricName; bound: Bound }[];
  /** Largest allowed gap of a metric between the slices of a slicing. */
  fairness: readonly { slice: string; metric: MetricName; maxGap: number }[];
}

export interface ValidationConfig {
  thresholds?: Thresholds;
  /** By default `{ auc: { minImprovement: 0 } }` for a classifier, `{ rmse: { minImprovement: 0 } }` for a regressor; `{}` compares nothing. */
  change?: Change;
  slices?: readonly { name?: string; column: string; thresholds?: Thresholds }[];
  fairness?: readonly { slice: string; metric: MetricName; maxGap?: number }[];
}

/**
 * Normalises a validation config for a model's task: InvalidInputError, naming the field, for a
 * metric of the other task (an `rmse` threshold on a classifier).
 *
 * @example
 *   compileValidation({ thresholds: { auc: { min: 0.6 } } }, 'classification')
 *   // { thresholds: [{ metric: 'auc', bound: { min: 0.6 } }], change: [{ metric: 'auc', bound: { minImprovement: 0 } }], … }
 */
export function compileValidation(config: ValidationConfig, task: ModelTask): CompiledValidation {
  const entries = <B>(record: Partial<Record<MetricName, B>>, field: string) =>
    Object.entries(record).map(([name, bound]) => ({ metric: requireTaskMetric(name, task, `${field}.${name}`), bound: bound as B }));
  const change = config.change ?? { [DEFAULT_CHANGE_METRIC[task]]: { minImprovement: 0 } };
  return Object.freeze({
    task,
    thresholds: entries(config.thresholds ?? {}, 'thresholds'),
    change: entries(change, 'change'),
    sliceThresholds: (config.slices ?? []).flatMap((spec, i) =>
      entries(spec.thresholds ?? {}, `slices[${i}].thresholds`).map((t) => ({ slice: spec.name ?? spec.column, ...t })),
    ),
    fairness: (config.fairness ?? []).flatMap((spec, i) => {
      const metric = requireTaskMetric(spec.metric, task, `fairness[${i}].metric`);
      return spec.maxGap === undefined ? [] : [{ slice: spec.slice, metric, maxGap: spec.maxGap }];
    }),
  });
}
