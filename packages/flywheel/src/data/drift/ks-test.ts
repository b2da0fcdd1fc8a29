import { kolmogorovSurvival } from './kolmogorov.js';

/** How a Kolmogorov–Smirnov p-value was computed. */
export type KsMethod = 'exact' | 'asymptotic';

export interface KsTestResult {
  /** The largest distance between the two empirical CDFs (on the exact path, rounded to a multiple of 1/lcm(n1, n2)). */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
  method: KsMethod;
}

/** Samples up to this size (the larger of the two) get the exact p-value, as in SciPy's `method='auto'`. */
export const KS_EXACT_MAX_N = 10_000;

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Rounds half to even, as NumPy's `round`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * P(D ≥ h/n) for two samples of equal size n: the share of lattice paths leaving the band
 * |x − y| < h, as the alternating series 2 Σ (−1)^(k+1) C(2n, n − kh) / C(2n, n), evaluated
 * innermost-first so its terms never cancel.
 */
function probabilityOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let ratio = 1;
    for (let j = 0; j < h; j++) ratio = ((n - k * h - j) * ratio) / (n + k * h + j + 1);
    p = ratio * (1 - p);
  }
  return 2 * p;
}

/**
 * P(D ≥ h/lcm(m, n)) for samples of sizes m and n (gcd g): the share of lattice paths from (0, 0)
 * to (m, n) that leave the band |x/m − y/n| < h/lcm. The recursion over columns carries the share
 * of paths that have left (Hodges 1958, as reformulated by Viehmann 2021 for numerical stability),
 * keeping only the window of the column that lies inside the band.
 */
function probabilityOutsideBand(sizeA: number, sizeB: number, g: number, h: number): number {
  const m = Math.max(sizeA, sizeB);
  const n = Math.min(sizeA, sizeB);
  const mg = m / g;
  const ng = n / g;
  let minJ = 0;
  let maxJ = Math.min(Math.ceil(h / mg), n + 1);
  let currentLength = maxJ - minJ;
  const a = new Float64Array(Math.min(2 * maxJ + 2, n + 1)).fill(1);
  a.fill(0, minJ, maxJ);
  for (let i = 1; i <= m; i++) {
    const lastMinJ = minJ;
    const lastLength = currentLength;
    minJ = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxJ = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxJ <= minJ) return 1;
    let value = minJ === 0 ? 0 : 1;
    for (let jj = 0; jj < maxJ - minJ; jj++) {
      const j = jj + minJ;
      value = (a[jj + minJ - lastMinJ]! * i + value * j) / (i + j);
      a[jj] = value;
    }
    currentLength = maxJ - minJ;
    if (lastLength > currentLength) a.fill(1, maxJ - minJ, maxJ - minJ + (lastLength - currentLength));
  }
  return a[maxJ - minJ - 1]!;
}

/**
 * The two-sided two-sample Kolmogorov–Smirnov p-value for a statistic `d` between samples of sizes
 * n1 and n2, as SciPy's `stats.ks_2samp` with `method='auto'` computes it: exact (lattice-path
 * counting) when neither sample exceeds 10,000 values, otherwise P(D_en ≥ d) of the one-sample
 * distribution with the effective size en = round(n1·n2 / (n1 + n2)).
 *
 * @example
 *   ksTwoSampleTest(40, 40, 0.25); // { statistic: 0.25, pValue: 0.16497…, method: 'exact' }
 */
export function ksTwoSampleTest(n1: number, n2: number, d: number): KsTestResult {
  let statistic = d;
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    statistic = h / lcm;
    if (h === 0) return { statistic, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probabilityOutsideSquare(n1, h) : probabilityOutsideBand(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic, pValue: p, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  const p = kolmogorovSurvival(roundHalfEven(en), statistic);
  return { statistic, pValue: Math.min(Math.max(p, 0), 1), method: 'asymptotic' };
}
