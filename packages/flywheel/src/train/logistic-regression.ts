import type { DesignMatrix } from './design-matrix.js';
import { minimizeLbfgs } from './lbfgs.js';
import { activeParameters, linearScores, unpackWeights, weightLayout, type LinearWeights } from './linear-weights.js';
import type { Preprocessing } from './preprocessing.js';

/** A fitted logistic regression over preprocessed features: `P(y=1) = σ(b + w·x)`. */
export type LogisticModel = LinearWeights;

export interface FitLogisticOptions {
  /** Strength of the L2 penalty `l2/2 · ‖w‖²` on the weights (not the intercept). */
  l2: number;
  maxIterations: number;
  /** Largest gradient component at which the fit counts as converged. */
  gradientTolerance?: number;
  signal?: AbortSignal;
  onIteration?: (iteration: number, loss: number) => void;
}

export interface FitLogisticResult {
  model: LogisticModel;
  /** Mean log loss on the training data plus the penalty, at the solution. */
  loss: number;
  iterations: number;
  converged: boolean;
}

/**
 * Fits `P(y=1) = σ(b + w·x)` by minimising the mean log loss plus an L2 penalty with full-batch
 * L-BFGS. Parameters are laid out by `weightLayout`: [intercept, numeric weights, one-hot
 * blocks]; each row touches the numeric weights and one weight per one-hot block.
 *
 * @example
 *   const { model } = fitLogisticRegression(matrix, labels, preprocessing, { l2: 1e-4, maxIterations: 200 });
 */
export function fitLogisticRegression(
  matrix: DesignMatrix,
  labels: Float64Array,
  preprocessing: Preprocessing,
  options: FitLogisticOptions,
): FitLogisticResult {
  const rows = matrix.rows;
  const layout = weightLayout(preprocessing);
  const { numericCount, parameters } = layout;
  const active = activeParameters(matrix, layout);

  const z = new Float64Array(rows);
  const inverseRows = 1 / rows;
  const objective = (theta: Float64Array, gradient: Float64Array): number => {
    z.fill(theta[0] as number);
    for (let j = 0; j < numericCount; j++) {
      const w = theta[1 + j] as number;
      const column = matrix.numeric[j] as Float64Array;
      for (let i = 0; i < rows; i++) z[i] = (z[i] as number) + w * (column[i] as number);
    }
    for (const index of active) {
      for (let i = 0; i < rows; i++) {
        const k = index[i] as number;
        if (k >= 0) z[i] = (z[i] as number) + (theta[k] as number);
      }
    }

    // From here on z holds the residual σ(z) - y, which is all the gradient needs.
    let loss = 0;
    for (let i = 0; i < rows; i++) {
      const zi = z[i] as number;
      const yi = labels[i] as number;
      // One exp serves both the stable softplus log(1 + e^z) and the sigmoid.
      const e = Math.exp(-Math.abs(zi));
      loss += (zi > 0 ? zi : 0) + Math.log1p(e) - yi * zi;
      z[i] = (zi >= 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
    }

    gradient.fill(0);
    let interceptGradient = 0;
    for (let i = 0; i < rows; i++) interceptGradient += z[i] as number;
    gradient[0] = interceptGradient * inverseRows;
    for (let j = 0; j < numericCount; j++) {
      const column = matrix.numeric[j] as Float64Array;
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += (z[i] as number) * (column[i] as number);
      gradient[1 + j] = sum * inverseRows;
    }
    for (const index of active) {
      for (let i = 0; i < rows; i++) {
        const k = index[i] as number;
        if (k >= 0) gradient[k] = (gradient[k] as number) + (z[i] as number);
      }
    }

    let penalty = 0;
    for (let k = 1 + numericCount; k < parameters; k++) gradient[k] = (gradient[k] as number) * inverseRows;
    for (let k = 1; k < parameters; k++) {
      const w = theta[k] as number;
      penalty += w * w;
      gradient[k] = (gradient[k] as number) + options.l2 * w;
    }
    return loss * inverseRows + 0.5 * options.l2 * penalty;
  };

  const start = new Float64Array(parameters);
  // Starting at the base rate's log-odds puts the first iterate near the intercept-only optimum.
  let positives = 0;
  for (let i = 0; i < rows; i++) positives += labels[i] as number;
  const rate = Math.min(Math.max(positives / rows, 1e-6), 1 - 1e-6);
  start[0] = Math.log(rate / (1 - rate));

  const result = minimizeLbfgs(objective, start, {
    maxIterations: options.maxIterations,
    gradientTolerance: options.gradientTolerance ?? 1e-6,
    relativeTolerance: 1e-10,
    signal: options.signal,
    onIteration: options.onIteration,
  });

  return {
    model: unpackWeights(result.x, preprocessing),
    loss: result.value,
    iterations: result.iterations,
    converged: result.converged,
  };
}

/** `P(y=1)` per row of a design matrix, in float64. */
export function predictProbabilities(model: LogisticModel, matrix: DesignMatrix): Float64Array {
  const out = linearScores(model, matrix);
  for (let i = 0; i < matrix.rows; i++) out[i] = sigmoid(out[i] as number);
  return out;
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
