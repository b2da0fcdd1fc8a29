/** The solution of a linear system, and the columns left out of it as linearly dependent. */
export interface CholeskySolution {
  x: Float64Array;
  /** Indices of the aliased columns, in increasing order; their `x` is 0. */
  aliased: number[];
}

/**
 * Solves `A x = b` for a symmetric positive semi-definite `A` (p × p, row-major; only its lower
 * triangle is read) by Cholesky factorisation `A = L Lᵀ`, without pivoting so that the result
 * depends only on the column order.
 *
 * A column whose pivot — what is left of its diagonal after the columns before it — is at most
 * `tolerance` times its diagonal is linearly dependent on those columns (up to rounding). It is
 * *aliased*: left out of the factorisation, its `x` set to 0, so a singular system gets the
 * solution that uses the earlier columns, as R's `lm` does. Columns of zeros are aliased too.
 *
 * @example
 *   solveCholesky(Float64Array.of(4, 2, 2, 3), Float64Array.of(2, 1), 2, 1e-9) // { x: [0.5, 0], aliased: [] }
 */
export function solveCholesky(a: Float64Array, b: Float64Array, p: number, tolerance: number): CholeskySolution {
  const l = new Float64Array(p * p);
  const kept = new Uint8Array(p);
  for (let j = 0; j < p; j++) {
    const rowJ = j * p;
    let pivot = a[rowJ + j] as number;
    for (let k = 0; k < j; k++) pivot -= (l[rowJ + k] as number) ** 2;
    if (!(pivot > 0 && pivot > tolerance * (a[rowJ + j] as number))) continue;
    kept[j] = 1;
    const diagonal = Math.sqrt(pivot);
    l[rowJ + j] = diagonal;
    for (let i = j + 1; i < p; i++) {
      const rowI = i * p;
      let sum = a[rowI + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[rowI + k] as number) * (l[rowJ + k] as number);
      l[rowI + j] = sum / diagonal;
    }
  }
  // Aliased columns of L are all zeros, so skipping their rows leaves the other unknowns exact.
  const y = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    if (!kept[j]) continue;
    let sum = b[j] as number;
    for (let k = 0; k < j; k++) sum -= (l[j * p + k] as number) * (y[k] as number);
    y[j] = sum / (l[j * p + j] as number);
  }
  const x = new Float64Array(p);
  for (let j = p - 1; j >= 0; j--) {
    if (!kept[j]) continue;
    let sum = y[j] as number;
    for (let k = j + 1; k < p; k++) sum -= (l[k * p + j] as number) * (x[k] as number);
    x[j] = sum / (l[j * p + j] as number);
  }
  const aliased: number[] = [];
  for (let j = 0; j < p; j++) if (!kept[j]) aliased.push(j);
  return { x, aliased };
}
