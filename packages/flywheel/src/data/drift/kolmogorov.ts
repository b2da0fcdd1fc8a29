/**
 * Distribution functions of the one-sample Kolmogorov–Smirnov statistics for a sample of size n,
 * the ones SciPy's `ks_2samp` uses for its asymptotic p-value. The algorithm choices follow
 * Simard & L'Ecuyer (2011), "Computing the Two-Sided Kolmogorov-Smirnov Distribution", J. Stat.
 * Softw. 39(11): exact formulas at the ends of the range, the Durbin matrix (Marsaglia, Tsang &
 * Wang 2003) and Pomeranz's recursion (1974) for small n, the Pelz–Good expansion (1976) for large
 * n, and twice the one-sided probability where the two-sided events cannot overlap. Where several
 * methods would do, the same cut-offs as SciPy 1.10 are used, so results agree with it to about
 * 1e-12 rather than merely to the accuracy of each method.
 */
import { stirlingError } from './gamma.js';

const DBL_EPSILON = 2 ** -52;
/** log(2^-1075): exp() of anything smaller is zero. */
const MIN_LOG = -745.1332191019412;
/** One-sided sums beyond this n take too long; an asymptotic formula replaces them. */
const SMIRNOV_MAX_N = 1_000_000;
const SCALE_EXPONENT = 128;
const SCALE_UP = 2 ** SCALE_EXPONENT;
const SCALE_DOWN = 2 ** -SCALE_EXPONENT;
const SPLITTER = 134217729; // 2^27 + 1

/** x · 2^e, in steps so that no intermediate power of two overflows. */
function ldexp(x: number, e: number): number {
  let result = x;
  let rest = e;
  for (; rest > 1000; rest -= 1000) result *= 2 ** 1000;
  for (; rest < -1000; rest += 1000) result *= 2 ** -1000;
  return result * 2 ** rest;
}

function clip(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/** [floor(n·x), n·x − floor(n·x)] of the exact product (Dekker's two-product: JavaScript has no fused multiply-add). */
function floorOfProduct(n: number, x: number): [number, number] {
  const p = n * x;
  let t = SPLITTER * n;
  const nh = t - (t - n);
  const nl = n - nh;
  t = SPLITTER * x;
  const xh = t - (t - x);
  const xl = x - xh;
  const error = ((nh * xh - p) + nh * xl + nl * xh) + nl * xl;
  let floor = Math.floor(p);
  if (floor === p && error < 0) floor -= 1;
  let fraction = (p - floor) + error;
  if (fraction >= 1) {
    floor += 1;
    fraction -= 1;
  }
  return [floor, fraction];
}

/** log(1 + t) − t, accurate also for small |t|. */
function log1pMinus(t: number): number {
  if (Math.abs(t) > 0.5) return Math.log1p(t) - t;
  // log(1 + t) = 2 atanh(u) with u = t / (2 + t); its first term 2u cancels most of t exactly.
  const u = t / (2 + t);
  const u2 = u * u;
  let power = u * u2;
  let sum = 0;
  for (let k = 3; ; k += 2) {
    const next = sum + power / k;
    if (next === sum) break;
    sum = next;
    power *= u2;
  }
  return -t * u + 2 * sum;
}

/** log of C(n, v) (v/n)^v (1 − v/n)^(n−v): the binomial probability at its mean, by Stirling's formula. */
function logBinomialAtMean(n: number, v: number): number {
  return 0.5 * Math.log(n / (2 * Math.PI * v * (n - v))) + stirlingError(n) - stirlingError(v) - stirlingError(n - v);
}

/**
 * P(D⁺ₙ > x), the survival function of the one-sided one-sample Kolmogorov–Smirnov statistic
 * (SciPy's `special.smirnov`), by the Birnbaum–Tingey sum
 *   x · Σ_{v=0}^{⌊n(1−x)⌋} C(n, v) (x + v/n)^(v−1) (1 − x − v/n)^(n−v).
 * Every term is positive; each is evaluated in log space around the binomial probability at its
 * mean, so no two large logarithms are subtracted and the sum keeps about 13 significant digits
 * for n up to a million.
 *
 * @example
 *   smirnovSurvival(10, 0.3); // 0.0908…
 */
export function smirnovSurvival(n: number, x: number): number {
  if (!Number.isInteger(n) || !(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nxFloor, alpha] = floorOfProduct(n, x);
  if (nxFloor === 0 || (nxFloor === 1 && alpha === 0)) return clip(1 - x * (1 + x) ** (n - 1));
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxFloor >= n - 1) return clip((1 - x) ** n);
  if (n > SMIRNOV_MAX_N) {
    const logP = -((6 * n * x + 1) ** 2) / 18 / n;
    return clip(logP < -Math.LN2 ? Math.exp(logP) : 1 + Math.expm1(logP));
  }
  // v runs up to the last value with 1 − x − v/n > 0.
  const terms = n - nxFloor;
  const middle = Math.trunc(n / 2);
  const nx = n * x;
  let sum = Math.exp(n * Math.log1p(-x)) / x;
  for (let v = 1; v < terms; v++) {
    const logTerm = logBinomialAtMean(n, v) + v * log1pMinus(nx / v) + (n - v) * log1pMinus(-nx / (n - v)) - Math.log(x + v / n);
    const term = Math.exp(logTerm);
    if (term !== 0) {
      sum += term;
      // Stop once the remaining terms, each smaller than this one, cannot change the sum.
      if (4 * (terms - v) * term < DBL_EPSILON * sum && v !== terms - 1) break;
    } else if (v > middle) {
      break;
    }
  }
  return clip(x * sum);
}

const LOG_2PI = Math.log(2 * Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI_SQUARED = Math.PI ** 2;
const PI_FOUR = Math.PI ** 4;
const PI_SIX = Math.PI ** 6;
const SQRT3 = Math.sqrt(3);
// B_{2j} / (2j (2j − 1)) for j = 8 … 1: Stirling's series of log(n!).
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];

/** log(n! / nⁿ), without forming either. */
function logFactorialOverPower(n: number): number {
  const rn = 1 / n;
  const x = rn / n;
  let series = 0;
  for (const c of STIRLING) series = series * x + c;
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * series;
}

/** P(Dₙ <= d) by the Durbin matrix: element (k, k) of Hⁿ, scaled by n!/nⁿ. Memory O(k²), time O(k³ log n). */
function durbinMatrixCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;

  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let factorial = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial;
    factorial /= j;
    v[j - 1] = (1 - h ** j) * factorial;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * factorial;

  let matrix: Float64Array = new Float64Array(m * m);
  for (let i = 1; i < m; i++) {
    for (let r = i - 1; r < m; r++) matrix[r * m + i] = w[r - i + 1]!;
  }
  for (let r = 0; r < m; r++) matrix[r * m] = v[r]!;
  for (let c = 0; c < m; c++) matrix[(m - 1) * m + c] = v[m - 1 - c]!;

  // Only element (k, k) of Hⁿ is needed: row k of it is built from the squarings H, H², H⁴, …
  let row: Float64Array = new Float64Array(m);
  row[k - 1] = 1;
  let exponent = 0;
  let matrixExponent = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) {
    if (rest % 2 === 1) {
      row = multiplyRow(row, matrix, m);
      exponent += matrixExponent;
    }
    if (rest === 1) break;
    matrix = multiplySquare(matrix, matrix, m);
    matrixExponent *= 2;
    if (Math.abs(matrix[(k - 1) * m + k - 1]!) > SCALE_UP) {
      for (let i = 0; i < matrix.length; i++) matrix[i]! /= SCALE_UP;
      matrixExponent += SCALE_EXPONENT;
    }
  }

  let p = row[k - 1]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < SCALE_DOWN) {
      p *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
  }
  return clip(exponent === 0 ? p : ldexp(p, exponent));
}

function multiplyRow(row: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let l = 0; l < m; l++) {
    const rl = row[l]!;
    if (rl === 0) continue;
    const other = l * m;
    for (let j = 0; j < m; j++) out[j]! += rl * b[other + j]!;
  }
  return out;
}

function multiplySquare(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const row = i * m;
    for (let l = 0; l < m; l++) {
      const ail = a[row + l]!;
      if (ail === 0) continue;
      const other = l * m;
      for (let j = 0; j < m; j++) out[row + j]! += ail * b[other + j]!;
    }
  }
  return out;
}

/** Columns [first, last] of row i of Pomeranz's recursion that can be non-zero. */
function pomeranzRange(i: number, n: number, whole: number, ceilF: number, roundF: number): [number, number] {
  let first: number;
  let last: number;
  if (i === 0) {
    first = -whole - ceilF - 1;
    last = whole + ceilF - 1;
  } else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) {
        first = n - whole - ceilF - 1;
        last = n + whole + ceilF - 1;
      } else {
        first = half - 1 - whole - roundF - 1;
        last = half + whole - 1 + ceilF - 1;
      }
    } else {
      first = half - 1 - whole - 1;
      last = half + whole + roundF - 1;
    }
  }
  return [Math.max(first + 2, 0), Math.min(last, n)];
}

/** P(Dₙ <= d) by Pomeranz's recursion: each row is the previous one convolved with Poisson-like weights. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const whole = Math.floor(t);
  const f = t - whole;
  const g = Math.min(f, 1 - f);
  const ceilF = f > 0 ? 1 : 0;
  const roundF = f > 0.5 ? 1 : 0;
  const size = 2 * (whole + 1);
  const gPower = new Float64Array(size);
  const twoGPower = new Float64Array(size);
  const oneMinusTwoGPower = new Float64Array(size);
  gPower[0] = twoGPower[0] = oneMinusTwoGPower[0] = 1;
  const gOverN = g / n;
  const twoGOverN = (2 * g) / n;
  const oneMinusTwoGOverN = (1 - 2 * g) / n;
  for (let m = 1; m < size; m++) {
    gPower[m] = (gPower[m - 1]! * gOverN) / m;
    twoGPower[m] = (twoGPower[m - 1]! * twoGOverN) / m;
    oneMinusTwoGPower[m] = (oneMinusTwoGPower[m - 1]! * oneMinusTwoGOverN) / m;
  }

  let previous = new Float64Array(size);
  let row = new Float64Array(size);
  row[0] = 1;
  let previousStart = 0;
  let rowStart = 0;
  let exponent = 0;
  let [first, last] = pomeranzRange(0, n, whole, ceilF, roundF);
  for (let i = 1; i < 2 * n + 2; i++) {
    const previousFirst = first;
    [previous, row] = [row, previous];
    [previousStart, rowStart] = [rowStart, previousStart];
    row.fill(0);
    [first, last] = pomeranzRange(i, n, whole, ceilF, roundF);
    const weights = i === 1 || i === 2 * n + 1 ? gPower : i % 2 === 1 ? twoGPower : oneMinusTwoGPower;
    const length = last - previousFirst + 1;
    if (length <= 0) continue;
    // The part of the full convolution of previous[offset, offset + length) with weights[0, length) that is kept.
    const offset = previousFirst - previousStart;
    const sourceLength = Math.min(length, size - offset);
    const weightLength = Math.min(length, size);
    const from = first - previousFirst;
    const count = last - first + 1;
    let largest = 0;
    for (let c = 0; c < count; c++) {
      const target = from + c;
      let total = 0;
      const lowest = Math.max(0, target - weightLength + 1);
      const highest = Math.min(sourceLength - 1, target);
      for (let s = lowest; s <= highest; s++) total += previous[offset + s]! * weights[target - s]!;
      row[c] = total;
      if (total > largest) largest = total;
    }
    if (largest > 0 && largest < SCALE_DOWN) {
      for (let c = 0; c < size; c++) row[c]! *= SCALE_UP;
      exponent -= SCALE_EXPONENT;
    }
    rowStart = previousStart + first - previousFirst;
  }
  let answer = row[n - rowStart]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(answer) > SCALE_UP) {
      answer *= SCALE_DOWN;
      exponent += SCALE_EXPONENT;
    }
    answer *= m;
  }
  return clip(exponent === 0 ? answer : ldexp(answer, exponent));
}

/** P(Dₙ <= x) by the Pelz–Good asymptotic expansion in 1/√n, summed as theta-function series. */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z ** 2;
  const z3 = z ** 3;
  const z4 = z ** 4;
  const z6 = z ** 6;
  const qLog = -PI_SQUARED / 8 / z2;
  if (qLog < -708) return 0;
  let q = Math.exp(qLog);

  const k1a = -z2;
  const k1b = PI_SQUARED / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI_SQUARED) / 4;
  const k2c = (PI_FOUR * (1 - 2 * z2)) / 16;
  const k3d = (PI_SIX * (5 - 30 * z2)) / 64;
  const k3c = (PI_FOUR * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI_SQUARED * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;

  const terms = [0, 0, 0, 0];
  const maxK = Math.ceil((16 * z) / Math.PI);
  // Horner's scheme over odd m = 2k − 1 of Σ c(m) q^(m²).
  for (let k = maxK; k >= 1; k--) {
    const m = 2 * k - 1;
    const m2 = m ** 2;
    const m4 = m ** 4;
    const m6 = m ** 6;
    const qPower = q ** (8 * k);
    terms[0] = terms[0]! * qPower + 1;
    terms[1] = terms[1]! * qPower + (k1a + k1b * m2);
    terms[2] = terms[2]! * qPower + (k2a + k2b * m2 + k2c * m4);
    terms[3] = terms[3]! * qPower + (k3a + k3b * m2 + k3c * m4 + k3d * m6);
  }
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) terms[i] = (terms[i]! * q * SQRT_2PI) / divisors[i]!;

  q = Math.exp(-PI_SQUARED / 2 / z2);
  const sqrt3z = SQRT3 * z;
  let k2extra = 0;
  let k3extra = 0;
  for (let k = maxK; k >= 1; k--) {
    const k2 = k ** 2;
    const qk = q ** k2;
    k2extra += k2 * qk;
    const kPi = Math.PI * k;
    k3extra += (sqrt3z + kPi) * (sqrt3z - kPi) * k2 * qk;
  }
  terms[2]! += k2extra * ((PI_SQUARED * SQRT_2PI) / (-36 * z3));
  terms[3]! += k3extra * ((PI_SQUARED * SQRT_2PI) / (216 * z6));
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += terms[i]! / n ** (i / 2);
  return sum;
}

/**
 * P(Dₙ >= x), the survival function of the two-sided one-sample Kolmogorov–Smirnov statistic
 * (SciPy's `stats.kstwo.sf(x, n)`), for an integer n >= 1.
 *
 * @example
 *   kolmogorovSurvival(100, 0.1); // 0.2541…
 */
export function kolmogorovSurvival(n: number, x: number): number {
  if (!Number.isInteger(n) || n < 1 || Number.isNaN(x)) return Number.NaN;
  if (x <= 0.5 / n) return 1;
  if (x >= 1) return 0;
  const t = n * x;
  if (t <= 1) {
    // Ruben–Gambino: the CDF is n!/nⁿ (2t − 1)ⁿ on [1/2n, 1/n].
    let p: number;
    if (n <= 140) {
      p = 1;
      for (let i = 1; i <= n; i++) p *= i * (1 / n) * (2 * t - 1);
    } else {
      p = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    }
    return clip(1 - p);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSurvival(n, x));

  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 0.754693) return clip(1 - durbinMatrixCdf(n, x));
    if (nx2 <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSurvival(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSurvival(n, x));
  // Below nx² = 2.2 the survival probability is above 2.4%, so 1 − CDF loses nothing that matters.
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinMatrixCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

