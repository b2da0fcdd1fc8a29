/** One bin of a reliability diagram. */
export interface CalibrationBin {
  /** The bin holds probabilities in (lower, upper]; the first one also 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean predicted probability of the rows in the bin; NaN when it is empty. */
  meanPredicted: number;
  /** Share of those rows labelled 1; NaN when the bin is empty. */
  observedRate: number;
}

/**
 * The calibration curve over `bins` equal-width bins of [0, 1], as scikit-learn's
 * `calibration_curve(strategy='uniform')`: the same edges (i / bins) and the same rule for a
 * probability on an edge (it belongs to the lower bin). Unlike scikit-learn, empty bins are kept,
 * with their count of 0. Probabilities below 0 or above 1 fall in the first or last bin.
 *
 * @example
 *   calibrationCurve([0, 1, 1], [0.1, 0.5, 0.9], 2)
 *   // [{ lower: 0, upper: 0.5, count: 2, meanPredicted: 0.3, observedRate: 0.5 },
 *   //  { lower: 0.5, upper: 1, count: 1, meanPredicted: 0.9, observedRate: 1 }]
 */
export function calibrationCurve(labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins: number): CalibrationBin[] {
  // numpy.linspace(0, 1, bins + 1): i · (1 / bins), the last edge exactly 1.
  const step = 1 / bins;
  const edges = Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? 1 : i * step));
  const counts = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i] as number;
    // A first guess from the bin width, corrected against the edges themselves.
    let b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    while (b > 0 && p <= (edges[b] as number)) b--;
    while (b < bins - 1 && p > (edges[b + 1] as number)) b++;
    counts[b]! += 1;
    predicted[b]! += p;
    positives[b]! += labels[i] === 1 ? 1 : 0;
  }
  return Array.from(counts, (count, b) => ({
    lower: edges[b] as number,
    upper: edges[b + 1] as number,
    count,
    meanPredicted: count === 0 ? Number.NaN : (predicted[b] as number) / count,
    observedRate: count === 0 ? Number.NaN : (positives[b] as number) / count,
  }));
}
