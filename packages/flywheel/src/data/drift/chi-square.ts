import { chiSquareSurvival } from './gamma.js';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  /** Degrees of freedom: the number of categories minus one. */
  dof: number;
  /** Whether Yates' continuity correction was applied (2×2 tables only). */
  yates: boolean;
}

/**
 * Pearson's chi-square test of independence on the 2×k table whose rows are the reference and
 * current counts of the same k categories, as SciPy's `stats.chi2_contingency` with its default
 * `correction=True`: expected counts are row total × column total / grand total, and only a 2×2
 * table (one degree of freedom) gets Yates' correction, each observed count moved by at most ½
 * towards its expected count. Every category must have a count on some side, and both sides a
 * count in total. With one category there is nothing to test: the statistic is 0 and p is 1.
 *
 * @example
 *   chiSquareContingency([120, 80], [90, 110]); // { statistic: 8.431…, pValue: 0.00369…, dof: 1, yates: true }
 */
export function chiSquareContingency(reference: readonly number[], current: readonly number[]): ChiSquareResult {
  const k = reference.length;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof, yates: false };
  const totalRef = reference.reduce((s, x) => s + x, 0);
  const totalCur = current.reduce((s, x) => s + x, 0);
  const total = totalRef + totalCur;
  const yates = dof === 1;
  let statistic = 0;
  for (let j = 0; j < k; j++) {
    const column = reference[j]! + current[j]!;
    for (const [observed, rowTotal] of [[reference[j]!, totalRef], [current[j]!, totalCur]] as const) {
      const expected = (rowTotal * column) / total;
      let adjusted = observed;
      if (yates) {
        const difference = expected - observed;
        adjusted = observed + Math.sign(difference) * Math.min(0.5, Math.abs(difference));
      }
      statistic += (adjusted - expected) ** 2 / expected;
    }
  }
  return { statistic, pValue: chiSquareSurvival(statistic, dof), dof, yates };
}
