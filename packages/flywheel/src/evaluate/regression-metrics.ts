import { InvalidInputError } from '../core/errors.js';

/**
 * How close predicted numbers are to the labels, as scikit-learn's functions compute them.
 * Undefined values are NaN (null in JSON).
 */
export interface RegressionMetrics {
  /** Root of the mean squared error. */
  rmse: number;
  /** Mean absolute error. */
  mae: number;
  /**
   * Coefficient of determination, 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; undefined (NaN, null in JSON) when
   * all labels are equal, where scikit-learn reports 1 or 0 by default and NaN or −∞ with
   * `force_finite=False`.
   */
  r2: number;
  /**
   * Mean absolute percentage error as a fraction (0.1 is 10 %), `mean_absolute_percentage_error`:
   * mean of |y − ŷ| / max(|y|, ε), ε = 2.22e-16, so a label of 0 with a wrong prediction weighs
   * about 4.5e15 times the error: one such row dominates the mean.
   */
  mape: number;
  meanLabel: number;
  meanPrediction: number;
  rowCount: number;
}

/**
 * Computes the metrics of one scored dataset in two passes. Labels and predictions must be
 * finite numbers; InvalidInputError naming the row otherwise.
 *
 * @example
 *   regressionMetrics([1, 2, 3], [1, 2, 5]) // { rmse: 1.1547…, mae: 0.6667…, r2: -1, mape: 0.2222…, … }
 */
export function regressionMetrics(labels: ArrayLike<number>, predictions: ArrayLike<number>): RegressionMetrics {
  const n = labels.length;
  if (predictions.length !== n) throw new InvalidInputError('predictions', `${predictions.length} predictions for ${n} labels`);
  let labelSum = 0;
  let predictionSum = 0;
  let squaredError = 0;
  let absoluteError = 0;
  let percentageError = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const f = predictions[i] as number;
    if (!Number.isFinite(y)) throw new InvalidInputError('labels', `row ${i} has label ${y}; labels must be finite numbers`);
    if (!Number.isFinite(f)) throw new InvalidInputError('predictions', `row ${i} has prediction ${f}; predictions must be finite numbers`);
    const error = Math.abs(y - f);
    labelSum += y;
    predictionSum += f;
    squaredError += error * error;
    absoluteError += error;
    percentageError += error / Math.max(Math.abs(y), Number.EPSILON);
  }
  const meanLabel = n === 0 ? Number.NaN : labelSum / n;
  let totalSquares = 0;
  for (let i = 0; i < n; i++) totalSquares += ((labels[i] as number) - meanLabel) ** 2;
  const mean = (sum: number) => (n === 0 ? Number.NaN : sum / n);
  return {
    rmse: Math.sqrt(mean(squaredError)),
    mae: mean(absoluteError),
    r2: totalSquares === 0 ? Number.NaN : 1 - squaredError / totalSquares,
    mape: mean(percentageError),
    meanLabel,
    meanPrediction: mean(predictionSum),
    rowCount: n,
  };
}
