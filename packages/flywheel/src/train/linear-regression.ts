import { solveCholesky } from './cholesky.js';
import type { DesignMatrix } from './design-matrix.js';
import { activeParameters, columnNames, linearScores, unpackWeights, weightLayout, type LinearWeights } from './linear-weights.js';
import type { Preprocessing } from './preprocessing.js';

/** A fitted linear regression over preprocessed features: `y ≈ b + w·x`. */
export type LinearRegressionModel = LinearWeights;

export interface FitLinearOptions {
  /** Strength of the ridge penalty `l2/2 · ‖w‖²` on the weights (not the intercept); 0 for ordinary least squares. */
  l2: number;
}

export interface FitLinearResult {
  model: LinearRegressionModel;
  /** Root mean squared error on the training rows. */
  rmse: number;
  /** Share of the label's variance the model explains on the training rows (1 − SSE / SST). */
  r2: number;
  /** Model columns linearly dependent on earlier ones (see `fitLinearRegression`), named as by `columnNames`. */
  aliased: string[];
}

/**
 * A column counts as linearly dependent on the columns before it when what is left of its
 * variance after them is at most this share of it (R² > 1 − 1e-9).
 */
export const ALIAS_TOLERANCE = 1e-9;

/**
 * Fits `y ≈ b + w·x` exactly, minimising
 *
 *   (1 / 2n) · Σ (yᵢ − b − w·xᵢ)²  +  (l2 / 2) · ‖w‖²
 *
 * over the standardised numeric and one-hot columns — the same solution as scikit-learn's
 * `Ridge(alpha = n · l2)` on those columns, and for `l2 = 0` `LinearRegression`. The intercept is
 * not penalised: the columns are centred, and the normal equations `(Xcᵀ Xc / n + l2 I) w =
 * Xcᵀ yc / n` are solved by Cholesky. Each row touches its numeric values and one column per
 * one-hot block, so building them costs O(n · (numeric + blocks)²) and the solve O(columns³).
 *
 * When the equations are singular — possible only for (nearly) `l2 = 0`: a constant column, a
 * duplicated one, or a one-hot block without missing values, which sums to the intercept —
 * every column that depends linearly on earlier ones (ALIAS_TOLERANCE) gets weight 0 and is
 * reported in `aliased`. The predictions are the least-squares ones all the same; the weights
 * are those of a fit without the aliased columns (as R's `lm` reports NA for them).
 *
 * @example
 *   const { model, rmse } = fitLinearRegression(matrix, labels, preprocessing, { l2: 1e-4 });
 */
export function fitLinearRegression(matrix: DesignMatrix, labels: Float64Array, preprocessing: Preprocessing, options: FitLinearOptions): FitLinearResult {
  const rows = matrix.rows;
  const layout = weightLayout(preprocessing);
  const p = layout.parameters - 1;
  const { gram, sums, crossLabel, labelSum } = normalEquationSums(matrix, labels, layout.numericCount, activeParameters(matrix, layout), p);

  // Centre: Xcᵀ Xc / n = Xᵀ X / n − μ μᵀ and Xcᵀ yc / n = Xᵀ y / n − μ ȳ.
  const mean = sums.map((s) => s / rows);
  const labelMean = labelSum / rows;
  const a = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) a[j * p + k] = (gram[k * p + j] as number) / rows - (mean[j] as number) * (mean[k] as number);
    a[j * p + j] = (a[j * p + j] as number) + options.l2;
    rhs[j] = (crossLabel[j] as number) / rows - (mean[j] as number) * labelMean;
  }
  const { x, aliased } = solveCholesky(a, rhs, p, ALIAS_TOLERANCE);

  const theta = new Float64Array(layout.parameters);
  let intercept = labelMean;
  for (let j = 0; j < p; j++) {
    theta[1 + j] = x[j] as number;
    intercept -= (mean[j] as number) * (x[j] as number);
  }
  theta[0] = intercept;
  const model = unpackWeights(theta, preprocessing);

  const predictions = linearScores(model, matrix);
  let squaredErrors = 0;
  let squaredDeviations = 0;
  for (let i = 0; i < rows; i++) {
    const y = labels[i] as number;
    squaredErrors += (y - (predictions[i] as number)) ** 2;
    squaredDeviations += (y - labelMean) ** 2;
  }
  const names = columnNames(preprocessing);
  return {
    model,
    rmse: Math.sqrt(squaredErrors / rows),
    r2: squaredDeviations > 0 ? 1 - squaredErrors / squaredDeviations : 0,
    aliased: aliased.map((j) => names[j] as string),
  };
}

/**
 * The predicted `y` per row of a design matrix, in float64.
 *
 * @example
 *   const predicted = predictLinearRegression(model, await readDesignMatrix(db, from, model.preprocessing));
 */
export function predictLinearRegression(model: LinearRegressionModel, matrix: DesignMatrix): Float64Array {
  return linearScores(model, matrix);
}

/**
 * The raw sums of the normal equations over all rows, in row order (so reproducible bit for
 * bit): `Xᵀ X` (upper triangle, p × p row-major), `Xᵀ 1`, `Xᵀ y` and `Σ y`, with the one-hot
 * columns' entries counted from the active indices instead of multiplied out.
 */
function normalEquationSums(matrix: DesignMatrix, labels: Float64Array, numericCount: number, active: Int32Array[], p: number) {
  const rows = matrix.rows;
  const gram = new Float64Array(p * p);
  const sums = new Float64Array(p);
  const crossLabel = new Float64Array(p);
  let labelSum = 0;
  for (let i = 0; i < rows; i++) labelSum += labels[i] as number;

  for (let j = 0; j < numericCount; j++) {
    const column = matrix.numeric[j] as Float64Array;
    let sum = 0;
    let cross = 0;
    for (let i = 0; i < rows; i++) {
      sum += column[i] as number;
      cross += (column[i] as number) * (labels[i] as number);
    }
    sums[j] = sum;
    crossLabel[j] = cross;
    for (let k = j; k < numericCount; k++) {
      const other = matrix.numeric[k] as Float64Array;
      let dot = 0;
      for (let i = 0; i < rows; i++) dot += (column[i] as number) * (other[i] as number);
      gram[j * p + k] = dot;
    }
    // Active indices are parameter numbers (the intercept is 0); columns are one lower.
    for (const index of active) {
      for (let i = 0; i < rows; i++) {
        const c = (index[i] as number) - 1;
        if (c >= 0) gram[j * p + c] = (gram[j * p + c] as number) + (column[i] as number);
      }
    }
  }
  active.forEach((index, b) => {
    for (let i = 0; i < rows; i++) {
      const c = (index[i] as number) - 1;
      if (c < 0) continue;
      sums[c] = (sums[c] as number) + 1;
      crossLabel[c] = (crossLabel[c] as number) + (labels[i] as number);
      gram[c * p + c] = (gram[c * p + c] as number) + 1;
    }
    // Later blocks hold higher columns, so each pair lands in the upper triangle.
    for (const later of active.slice(b + 1)) {
      for (let i = 0; i < rows; i++) {
        const c = (index[i] as number) - 1;
        const d = (later[i] as number) - 1;
        if (c >= 0 && d >= 0) gram[c * p + d] = (gram[c * p + d] as number) + 1;
      }
    }
  });
  return { gram, sums, crossLabel, labelSum };
}
