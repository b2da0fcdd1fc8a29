/**
 * The regularised incomplete gamma function and the chi-square survival function built on it.
 * Q(a, x) comes from the power series of P = 1 − Q below x = a + 1 and from Legendre's continued
 * fraction above (Lentz's method), both converging in O(√a) terms. The common factor
 * xᵃ e⁻ˣ / Γ(a + 1) is the costly part to get right for large a, where xᵃ, eˣ and Γ(a + 1) are each
 * far outside the range of a double: it is computed as a saddle-point deviance and Stirling's error
 * term (Loader, "Fast and Accurate Computation of Binomial Probabilities", 2000), so no two large
 * numbers are ever subtracted.
 */

const EPSILON = 2 ** -53;
const TINY = 1e-300;
const MAX_ITERATIONS = 1_000_000;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const STIRLING_FROM = 10;

/** Stirling's error term for a >= 10 by its asymptotic series (error below 1e-17). */
function stirlingSeries(a: number): number {
  const s = 1 / (a * a);
  return (1 / 12 - s * (1 / 360 - s * (1 / 1260 - s * (1 / 1680 - s * (1 / 1188 - s * (691 / 360360 - s / 156)))))) / a;
}

/** log Γ(a+1) − [(a + ½) log a − a + ½ log 2π]: how far Stirling's formula is from log a!, for a > 0. */
export function stirlingError(a: number): number {
  if (a >= STIRLING_FROM) return stirlingSeries(a);
  return logGamma(a + 1) - ((a + 0.5) * Math.log(a) - a + LOG_SQRT_2PI);
}

/**
 * log Γ(a) for a > 0.
 *
 * @example
 *   logGamma(0.5); // log √π = 0.5723649429247001
 */
export function logGamma(a: number): number {
  if (!(a > 0)) return Number.NaN;
  if (a >= STIRLING_FROM) return (a - 0.5) * Math.log(a) - a + LOG_SQRT_2PI + stirlingSeries(a);
  // Γ(a) = Γ(a + k) / (a (a+1) … (a+k−1)), with a + k in Stirling's range.
  let product = 1;
  let shifted = a;
  while (shifted < STIRLING_FROM) {
    product *= shifted;
    shifted += 1;
  }
  return logGamma(shifted) - Math.log(product);
}

/** a log(a/x) + x − a without cancellation when x is near a. */
function deviance(a: number, x: number): number {
  if (Math.abs(a - x) < 0.1 * (a + x)) {
    const v = (a - x) / (a + x);
    let sum = (a - x) * v;
    let term = 2 * a * v;
    const v2 = v * v;
    for (let j = 1; j < MAX_ITERATIONS; j++) {
      term *= v2;
      const next = sum + term / (2 * j + 1);
      if (next === sum) return next;
      sum = next;
    }
    return sum;
  }
  return a * Math.log(a / x) + x - a;
}

/** xᵃ e⁻ˣ / Γ(a + 1). */
function powerOverGamma(a: number, x: number): number {
  if (a < STIRLING_FROM) return Math.exp(a * Math.log(x) - x - logGamma(a + 1));
  return Math.exp(-stirlingSeries(a) - deviance(a, x)) / Math.sqrt(2 * Math.PI * a);
}

/**
 * Q(a, x) = Γ(a, x) / Γ(a), the regularised upper incomplete gamma function (SciPy's
 * `special.gammaincc`), for a > 0 and x >= 0.
 *
 * @example
 *   upperRegularizedGamma(1, 2); // e⁻² = 0.1353352832366127
 */
export function upperRegularizedGamma(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x < a + 1) {
    let term = 1;
    let sum = 1;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < EPSILON * sum) break;
    }
    return 1 - powerOverGamma(a, x) * sum;
  }
  const factor = a * powerOverGamma(a, x);
  if (factor === 0) return 0;
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let fraction = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    fraction *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return factor * fraction;
}

/**
 * P(X > x) for X ~ χ² with `dof` degrees of freedom (SciPy's `stats.chi2.sf`).
 *
 * @example
 *   chiSquareSurvival(3.841458820694124, 1); // 0.05
 */
export function chiSquareSurvival(x: number, dof: number): number {
  if (!(dof > 0) || Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  return upperRegularizedGamma(dof / 2, x / 2);
}
