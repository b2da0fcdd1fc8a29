import { z } from 'zod';
import { metricNameSchema, type MetricName } from './metric-catalog.js';
import type { SlicingResult } from './slice-metrics.js';

/**
 * A fairness gap to report: how far apart a metric is across the slices of a slicing (a
 * sensitive feature), and optionally the most it may be for the candidate to be blessed.
 *
 * @example
 *   { slice: 'origin', metric: 'auc', maxGap: 0.1 }
 */
export const fairnessSpecSchema = z.strictObject({
  /** The name of a slicing in `slices` (its column unless it was named). */
  slice: z.string().min(1),
  metric: metricNameSchema,
  /** The largest gap (max − min) a blessed candidate may have; not checked when absent. */
  maxGap: z.number().nonnegative().optional(),
});
export type FairnessSpec = z.infer<typeof fairnessSpecSchema>;

/** One end of a fairness gap. */
export interface SliceValue {
  key: string;
  value: number;
}

export interface FairnessGap {
  slice: string;
  metric: MetricName;
  /** max − min of the metric over the compared slices; NaN with fewer than two of them. */
  gap: number;
  min: SliceValue | null;
  max: SliceValue | null;
  /** Slices with enough rows and a defined metric, the ones compared. */
  slicesCompared: number;
  /** Slices left out: too few rows, or the metric undefined on them. */
  slicesLeftOut: string[];
}

/**
 * The gap of a metric across a slicing's slices that have at least `minSliceRows` rows and a
 * defined value (the `(other)` and `(missing)` slices included: they are groups of rows too).
 *
 * @example
 *   fairnessGap(byOrigin, 'auc') // { slice: 'origin', metric: 'auc', gap: 0.08, min: { key: 'ORD', value: 0.58 }, max: { key: 'ATL', value: 0.66 }, … }
 */
export function fairnessGap(slicing: SlicingResult<object>, metric: MetricName): FairnessGap {
  let min: SliceValue | null = null;
  let max: SliceValue | null = null;
  let slicesCompared = 0;
  const slicesLeftOut: string[] = [];
  for (const slice of slicing.slices) {
    const value = (slice.metrics as Partial<Record<MetricName, number>>)[metric] ?? Number.NaN;
    if (!slice.sufficient || !Number.isFinite(value)) {
      slicesLeftOut.push(slice.key);
      continue;
    }
    slicesCompared++;
    if (!min || value < min.value) min = { key: slice.key, value };
    if (!max || value > max.value) max = { key: slice.key, value };
  }
  const gap = slicesCompared >= 2 && min && max ? max.value - min.value : Number.NaN;
  return { slice: slicing.name, metric, gap, min, max, slicesCompared, slicesLeftOut };
}
