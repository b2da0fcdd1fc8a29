import { sharedArray } from './shared-array.js';

/** What the trees predict: P(label = 1) through a logistic link, or the label itself. */
export type GbdtTask = 'classification' | 'regression';

/**
 * The training rows' raw scores, and what the loss keeps in step with them to make gradients
 * cheap. Shared memory, so that RowLoops' helper thread can update them.
 */
export interface TrainingScores {
  raw: Float64Array;
  /**
   * Log loss only: `exp(−raw)` per row. A tree adds the same value `v` to every row of a leaf, so
   * multiplying by `exp(−v)`, computed once per leaf, keeps it current without an exp per row per
   * tree (that exp was a sixth of the training time).
   */
  expNegative: Float64Array | null;
}

/**
 * A boosting loss: the constant score before any tree, the mean loss (the figure early stopping
 * watches), and the loop that moves rows to a new score and refreshes their gradients and hessians
 * with respect to the raw score.
 */
export interface BoostingLoss {
  /** The best constant raw score for these labels. */
  baseScore(labels: Float64Array): number;
  /** Scores of `rows` rows, all `score`. */
  startScores(rows: number, score: number): TrainingScores;
  /**
   * The body of the loop that adds `value` to the scores of the rows `index[start..end)` (with
   * `factor` = `exp(−value)`) and sets their gradients and hessians at the new scores. Source
   * text, so that two threads can run it (see RowLoops), with the parameters
   * LEAF_UPDATE_PARAMETERS; `expNegative` is null for losses without it.
   */
  leafUpdateSource: string;
  /** Mean loss at the given raw scores. */
  loss(labels: Float64Array, raw: Float64Array): number;
}

export const LEAF_UPDATE_PARAMETERS = ['index', 'start', 'end', 'value', 'factor', 'labels', 'raw', 'expNegative', 'gradients', 'hessians'] as const;

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Binary log loss on the log-odds: gradient `p − y`, hessian `p (1 − p)`, loss the mean negative log-likelihood. */
export const logLoss: BoostingLoss = {
  baseScore(labels) {
    const p = mean(labels);
    return Math.log(p / (1 - p));
  },
  startScores(rows, score) {
    return { raw: sharedArray(Float64Array, rows).fill(score), expNegative: sharedArray(Float64Array, rows).fill(Math.exp(-score)) };
  },
  leafUpdateSource: `
for (let i = start; i < end; i++) {
  const row = index[i];
  raw[row] += value;
  const e = expNegative[row] * factor;
  expNegative[row] = e;
  const p = 1 / (1 + e);
  gradients[row] = p - labels[row];
  hessians[row] = p * (1 - p);
}`,
  loss(labels, raw) {
    let total = 0;
    for (let i = 0; i < raw.length; i++) {
      const z = raw[i] as number;
      // log(1 + e^z) − y·z, written so that neither exp overflows.
      total += Math.max(z, 0) - (labels[i] as number) * z + Math.log1p(Math.exp(-Math.abs(z)));
    }
    return total / raw.length;
  },
};

/** Squared error: gradient `ŷ − y`, hessian 1, loss the mean squared error. */
export const squaredError: BoostingLoss = {
  baseScore: mean,
  startScores(rows, score) {
    return { raw: sharedArray(Float64Array, rows).fill(score), expNegative: null };
  },
  leafUpdateSource: `
for (let i = start; i < end; i++) {
  const row = index[i];
  const score = raw[row] + value;
  raw[row] = score;
  gradients[row] = score - labels[row];
  hessians[row] = 1;
}`,
  loss(labels, raw) {
    let total = 0;
    for (let i = 0; i < raw.length; i++) {
      const residual = (raw[i] as number) - (labels[i] as number);
      total += residual * residual;
    }
    return total / raw.length;
  },
};

export const LOSSES: Record<GbdtTask, BoostingLoss> = { classification: logLoss, regression: squaredError };
