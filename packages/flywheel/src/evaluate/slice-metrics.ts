import type { SliceDefinition, SlicingPlan } from './slice-spec.js';

/** The minimum rows a slice needs, by default, for its checks and its place in fairness gaps. */
export const DEFAULT_MIN_SLICE_ROWS = 30;

export interface SliceResult<M> extends SliceDefinition {
  rowCount: number;
  /** At least `minSliceRows` rows: only such slices are checked and compared in fairness gaps. */
  sufficient: boolean;
  metrics: M;
}

/** The slices of one slicing that hold rows, in the plan's order, with their metrics. */
export interface SlicingResult<M> {
  name: string;
  column: string;
  by: SlicingPlan['by'];
  slices: SliceResult<M>[];
}

/**
 * Computes metrics per slice: rows are grouped by their slice index (one counting pass, no
 * per-row objects), each slice's labels and predictions gathered into typed arrays and handed
 * to `metricsOf`. Slices without rows are left out.
 *
 * @example
 *   sliceMetrics(plan, codes, { labels, predictions }, (y, p) => binaryMetrics(y, p), 30)
 *   // { name: 'origin', by: 'value', slices: [{ key: 'ATL', kind: 'value', rowCount: 812, sufficient: true, metrics: { auc: 0.61, … } }, …] }
 */
export function sliceMetrics<M>(
  plan: SlicingPlan,
  codes: Int32Array,
  scored: { labels: Float64Array; predictions: Float64Array },
  metricsOf: (labels: Float64Array, predictions: Float64Array) => M,
  minSliceRows: number = DEFAULT_MIN_SLICE_ROWS,
): SlicingResult<M> {
  const sliceCount = plan.slices.length;
  const counts = new Int32Array(sliceCount);
  for (let i = 0; i < codes.length; i++) counts[codes[i] as number]! += 1;
  const labels = Array.from(counts, (count) => new Float64Array(count));
  const predictions = Array.from(counts, (count) => new Float64Array(count));
  const filled = new Int32Array(sliceCount);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    const at = filled[code] as number;
    filled[code] = at + 1;
    (labels[code] as Float64Array)[at] = scored.labels[i] as number;
    (predictions[code] as Float64Array)[at] = scored.predictions[i] as number;
  }
  const slices: SliceResult<M>[] = [];
  plan.slices.forEach((slice, code) => {
    const rowCount = counts[code] as number;
    if (rowCount === 0) return;
    slices.push({ ...slice, rowCount, sufficient: rowCount >= minSliceRows, metrics: metricsOf(labels[code] as Float64Array, predictions[code] as Float64Array) });
  });
  return { name: plan.name, column: plan.column, by: plan.by, slices };
}
