import { InvalidInputError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';

/** How well predicted probabilities of the positive class match 0/1 labels. */
export interface BinaryMetrics {
  /** Area under the ROC curve; NaN when the labels hold one class only. */
  auc: number;
  /** Mean negative log-likelihood, probabilities clipped to [1e-15, 1 - 1e-15]. */
  logLoss: number;
  /** Share of rows where `probability > 0.5` agrees with the label (as the model's `label` output). */
  accuracy: number;
  /** Share of rows labelled 1. */
  positiveRate: number;
  /** Mean predicted probability, to compare with positiveRate (calibration at large). */
  meanPrediction: number;
  rowCount: number;
  positives: number;
}

export const THRESHOLD = 0.5;
const EPSILON = 1e-15;

/**
 * Computes the metrics of one scored dataset. Labels must be 0 or 1 and predictions numbers;
 * InvalidInputError otherwise.
 *
 * @example
 *   binaryMetrics(Uint8Array.of(0, 1, 1), Float64Array.of(0.2, 0.7, 0.4)).auc // 0.5
 */
export function binaryMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>): BinaryMetrics {
  const n = labels.length;
  if (probabilities.length !== n) throw new InvalidInputError('probabilities', `${probabilities.length} predictions for ${n} labels`);
  let positives = 0;
  let logLoss = 0;
  let correct = 0;
  let predictionSum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const p = probabilities[i] as number;
    if (y !== 0 && y !== 1) throw new InvalidInputError('labels', `row ${i} has label ${y}; labels must be 0 or 1`);
    if (Number.isNaN(p)) throw new InvalidInputError('probabilities', `row ${i} has no prediction (NaN)`);
    const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    positives += y;
    logLoss -= y === 1 ? Math.log(clipped) : Math.log1p(-clipped);
    if ((p > THRESHOLD ? 1 : 0) === y) correct++;
    predictionSum += p;
  }
  return {
    auc: rocAuc(labels, probabilities),
    logLoss: n === 0 ? Number.NaN : logLoss / n,
    accuracy: n === 0 ? Number.NaN : correct / n,
    positiveRate: n === 0 ? Number.NaN : positives / n,
    meanPrediction: n === 0 ? Number.NaN : predictionSum / n,
    rowCount: n,
    positives,
  };
}

/**
 * Exact ROC AUC: the probability that a random positive scores above a random negative, ties
 * counting one half (the Mann–Whitney statistic). Sorts positives and negatives separately with
 * the typed arrays' native sort, then merges. NaN when one class is absent.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  let positiveCount = 0;
  for (let i = 0; i < labels.length; i++) positiveCount += labels[i] === 1 ? 1 : 0;
  const negativeCount = labels.length - positiveCount;
  if (positiveCount === 0 || negativeCount === 0) return Number.NaN;
  const positive = new Float64Array(positiveCount);
  const negative = new Float64Array(negativeCount);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) positive[p++] = scores[i] as number;
    else negative[q++] = scores[i] as number;
  }
  positive.sort();
  negative.sort();
  // below: negatives strictly under the current positive; upTo: negatives at or under it.
  let below = 0;
  let upTo = 0;
  let wins = 0;
  for (let i = 0; i < positiveCount; i++) {
    const s = positive[i] as number;
    while (below < negativeCount && (negative[below] as number) < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < negativeCount && (negative[upTo] as number) <= s) upTo++;
    wins += below + 0.5 * (upTo - below);
  }
  return wins / (positiveCount * negativeCount);
}

/** Metrics as JSON, undefined values (NaN) as null. */
export function metricsToJson(metrics: BinaryMetrics): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(metrics)) out[key] = Number.isFinite(value) ? value : null;
  return out;
}
