import { InvalidInputError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { confusionMatrix } from './confusion-matrix.js';

/**
 * How well predicted probabilities of the positive class match 0/1 labels, as scikit-learn's
 * functions of the same names compute them. Undefined values are NaN (null in JSON).
 */
export interface BinaryMetrics {
  /** Area under the ROC curve (`roc_auc_score`); NaN when the labels hold one class only. */
  auc: number;
  /** Area under the precision–recall curve as `average_precision_score`; NaN without positive labels. */
  prAuc: number;
  /** Mean negative log-likelihood, probabilities clipped to [ε, 1 − ε], ε = 2.22e-16 (`log_loss`). */
  logLoss: number;
  /** Mean squared difference between probability and label (`brier_score_loss`). */
  brierScore: number;
  /** Share of rows whose prediction (`probability > threshold`) matches the label. */
  accuracy: number;
  /** tp / (tp + fp) at the threshold; NaN when nothing is predicted positive. */
  precision: number;
  /** tp / (tp + fn) at the threshold; NaN without positive labels. */
  recall: number;
  /** 2tp / (2tp + fp + fn) at the threshold; NaN when that is 0 / 0. */
  f1: number;
  /** Share of rows labelled 1. */
  positiveRate: number;
  /** Mean predicted probability, to compare with positiveRate (calibration at large). */
  meanPrediction: number;
  rowCount: number;
  positives: number;
}

/** A row is predicted positive when its probability is above this, as the models' `label` output. */
export const DEFAULT_DECISION_THRESHOLD = 0.5;
const EPSILON = Number.EPSILON;

/**
 * Computes the metrics of one scored dataset in O(n log n). Labels must be 0 or 1 and
 * predictions numbers; InvalidInputError naming the row otherwise.
 *
 * @example
 *   binaryMetrics([0, 1, 1], [0.2, 0.7, 0.4]).auc // 0.5
 *   binaryMetrics([0, 1, 1], [0.2, 0.7, 0.4], { threshold: 0.3 }).recall // 1
 */
export function binaryMetrics(labels: ArrayLike<number>, probabilities: ArrayLike<number>, options: { threshold?: number } = {}): BinaryMetrics {
  const n = labels.length;
  if (probabilities.length !== n) throw new InvalidInputError('probabilities', `${probabilities.length} predictions for ${n} labels`);
  let positives = 0;
  let logLoss = 0;
  let squaredError = 0;
  let predictionSum = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i] as number;
    const p = probabilities[i] as number;
    if (y !== 0 && y !== 1) throw new InvalidInputError('labels', `row ${i} has label ${y}; labels must be 0 or 1`);
    if (Number.isNaN(p)) throw new InvalidInputError('probabilities', `row ${i} has no prediction (NaN)`);
    const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    positives += y;
    logLoss -= y === 1 ? Math.log(clipped) : Math.log1p(-clipped);
    squaredError += (p - y) * (p - y);
    predictionSum += p;
  }
  const { tp, fp, fn } = confusionMatrix(labels, probabilities, options.threshold ?? DEFAULT_DECISION_THRESHOLD);
  const ranking = rankingMetrics(labels, probabilities);
  const mean = (sum: number) => (n === 0 ? Number.NaN : sum / n);
  const ratio = (num: number, den: number) => (den === 0 ? Number.NaN : num / den);
  return {
    auc: ranking.auc,
    prAuc: ranking.averagePrecision,
    logLoss: mean(logLoss),
    brierScore: mean(squaredError),
    accuracy: mean(n - fp - fn),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    positiveRate: mean(positives),
    meanPrediction: mean(predictionSum),
    rowCount: n,
    positives,
  };
}

/**
 * Exact ROC AUC: the probability that a random positive scores above a random negative, ties
 * counting one half (the Mann–Whitney statistic, equal to the trapezoidal area under the ROC
 * curve). NaN when one class is absent.
 *
 * @example
 *   rocAuc([0, 1, 0, 1], [0.1, 0.8, 0.8, 0.3]) // 0.625
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return rankingMetrics(labels, scores).auc;
}

/**
 * Average precision, the step-wise area under the precision–recall curve, as scikit-learn's
 * `average_precision_score`: Σ (Rₖ − Rₖ₋₁) Pₖ over the distinct scores, highest first. NaN
 * without positive labels (scikit-learn returns 0 there, with a warning).
 *
 * @example
 *   averagePrecision([0, 1, 0, 1], [0.1, 0.8, 0.8, 0.3]) // 0.5 · 0.5 + 0.5 · 2/3 = 0.5833…
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  return rankingMetrics(labels, scores).averagePrecision;
}

/**
 * Both ranking metrics from one walk down the distinct scores. Positives and negatives are
 * sorted apart with the typed arrays' native sort (far faster than sorting row indices with a
 * comparator), then merged from the top, one distinct score at a time.
 */
function rankingMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>): { auc: number; averagePrecision: number } {
  let positiveCount = 0;
  for (let i = 0; i < labels.length; i++) positiveCount += labels[i] === 1 ? 1 : 0;
  const negativeCount = labels.length - positiveCount;
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
  // tp, fp: rows scored above the current score. Each negative at it loses to the tp positives
  // above and ties with the positives at it; each positive at it adds recall at the precision there.
  let tp = 0;
  let fp = 0;
  let wins = 0;
  let precisionSum = 0;
  let i = positiveCount - 1;
  let j = negativeCount - 1;
  while (i >= 0 || j >= 0) {
    const score = Math.max(i >= 0 ? (positive[i] as number) : -Infinity, j >= 0 ? (negative[j] as number) : -Infinity);
    let tiedPositives = 0;
    let tiedNegatives = 0;
    for (; i >= 0 && positive[i] === score; i--) tiedPositives++;
    for (; j >= 0 && negative[j] === score; j--) tiedNegatives++;
    wins += tiedNegatives * (tp + 0.5 * tiedPositives);
    tp += tiedPositives;
    fp += tiedNegatives;
    if (tiedPositives > 0) precisionSum += tiedPositives * (tp / (tp + fp));
  }
  return {
    auc: positiveCount === 0 || negativeCount === 0 ? Number.NaN : wins / (positiveCount * negativeCount),
    averagePrecision: positiveCount === 0 ? Number.NaN : precisionSum / positiveCount,
  };
}

/**
 * Metrics as JSON, undefined values (NaN, ±Infinity) as null.
 *
 * @example
 *   metricsToJson({ auc: NaN, rowCount: 2 }) // { auc: null, rowCount: 2 }
 */
export function metricsToJson(metrics: object): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(metrics)) out[key] = typeof value === 'number' && Number.isFinite(value) ? value : null;
  return out;
}
