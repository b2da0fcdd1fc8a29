/**
 * Jensen–Shannon distance between two histograms over the same bins, as SciPy's
 * `spatial.distance.jensenshannon(p, q)` with its default natural logarithm: both are normalised
 * to sum to 1, m = (p + q)/2, and the result is √((KL(p‖m) + KL(q‖m)) / 2), between 0 and √ln 2.
 * Rounding can make the sum a hair below zero for near-identical inputs, where SciPy would return
 * NaN; it is clamped to 0.
 *
 * @example
 *   jensenShannonDistance([1, 0], [0.5, 0.5]); // 0.4645014040224589
 */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  const sumP = p.reduce((s, x) => s + x, 0);
  const sumQ = q.reduce((s, x) => s + x, 0);
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sumP;
    const qi = q[i]! / sumQ;
    const m = (pi + qi) / 2;
    if (pi > 0) left += pi * Math.log(pi / m);
    if (qi > 0) right += qi * Math.log(qi / m);
  }
  return Math.sqrt(Math.max(0, (left + right) / 2));
}

/**
 * Population stability index Σ (c − r) ln(c / r) over the shares r (reference) and c (current) of
 * each bin, with a share of 0 replaced by `epsilon` so that a bin empty on one side adds a large
 * but finite term.
 *
 * @example
 *   populationStabilityIndex([50, 50], [40, 60], 1e-4); // 0.0405…
 */
export function populationStabilityIndex(reference: readonly number[], current: readonly number[], epsilon: number): number {
  const sumR = reference.reduce((s, x) => s + x, 0);
  const sumC = current.reduce((s, x) => s + x, 0);
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! / sumR || epsilon;
    const c = current[i]! / sumC || epsilon;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** max_i |p_i − q_i| over the shares of each category: TFDV's L-infinity distance. */
export function lInfinityDistance(p: readonly number[], q: readonly number[]): number {
  const sumP = p.reduce((s, x) => s + x, 0);
  const sumQ = q.reduce((s, x) => s + x, 0);
  let largest = 0;
  for (let i = 0; i < p.length; i++) largest = Math.max(largest, Math.abs(p[i]! / sumP - q[i]! / sumQ));
  return largest;
}
