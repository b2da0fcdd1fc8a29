/** What the trees predict: P(label = 1) through a logistic link, or the label itself. */
export type GbdtTask = 'classification' | 'regression';

/**
 * The training rows' raw scores, and what the loss keeps in step with them to make gradients
 * cheap.
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
 * A boosting loss: the constant score before any tree, gradients and hessians with respect to
 * the raw score, and the mean loss, the figure early stopping watches.
 */
export interface BoostingLoss {
  /** The best constant raw score for these labels. */
  baseScore(labels: Float64Array): number;
  /** Scores of `rows` rows, all `score`. */
  startScores(rows: number, score: number): TrainingScores;
  /** Adds `value` to the scores of the rows `index[start..end)`. */
  addToRows(scores: TrainingScores, index: Uint32Array, start: number, end: number, value: number): void;
  /** Fills gradients and hessians at the current scores. */
  gradients(labels: Float64Array, scores: TrainingScores, gradients: Float64Array, hessians: Float64Array): void;
  /** Mean loss at the given raw scores. */
  loss(labels: Float64Array, raw: Float64Array): number;
}

function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

function addToRaw(raw: Float64Array, index: Uint32Array, start: number, end: number, value: number): void {
  for (let i = start; i < end; i++) {
    const row = index[i] as number;
    raw[row] = (raw[row] as number) + value;
  }
}

/** Binary log loss on the log-odds: gradient `p − y`, hessian `p (1 − p)`, loss the mean negative log-likelihood. */
export const logLoss: BoostingLoss = {
  baseScore(labels) {
    const p = mean(labels);
    return Math.log(p / (1 - p));
  },
  startScores(rows, score) {
    return { raw: new Float64Array(rows).fill(score), expNegative: new Float64Array(rows).fill(Math.exp(-score)) };
  },
  addToRows(scores, index, start, end, value) {
    addToRaw(scores.raw, index, start, end, value);
    const expNegative = scores.expNegative as Float64Array;
    const factor = Math.exp(-value);
    for (let i = start; i < end; i++) {
      const row = index[i] as number;
      expNegative[row] = (expNegative[row] as number) * factor;
    }
  },
  gradients(labels, scores, gradients, hessians) {
    const expNegative = scores.expNegative as Float64Array;
    for (let i = 0; i < expNegative.length; i++) {
      const p = 1 / (1 + (expNegative[i] as number));
      gradients[i] = p - (labels[i] as number);
      hessians[i] = p * (1 - p);
    }
  },
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
    return { raw: new Float64Array(rows).fill(score), expNegative: null };
  },
  addToRows(scores, index, start, end, value) {
    addToRaw(scores.raw, index, start, end, value);
  },
  gradients(labels, { raw }, gradients, hessians) {
    for (let i = 0; i < raw.length; i++) {
      gradients[i] = (raw[i] as number) - (labels[i] as number);
      hessians[i] = 1;
    }
  },
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
