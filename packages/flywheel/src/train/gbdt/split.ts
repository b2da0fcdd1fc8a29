import { HISTOGRAM_STRIDE, type BinnedMatrix } from './histogram.js';

/** Bytes per node in a `goesLeft` table: one per possible bin. */
export const BIN_SLOTS = 256;

/**
 * A category needs this many rows in a node to be ranked for a set split, and its gradient mean
 * is shrunk by as many rows of zero gradient: rare categories would otherwise sort to the
 * extremes by noise (LightGBM's `cat_smooth`, scikit-learn's `MIN_CAT_SUPPORT`).
 */
export const CATEGORY_SUPPORT = 10;

export interface SplitConstraints {
  minSamplesLeaf: number;
  minHessianLeaf: number;
  l2: number;
}

/** Gradient statistics of a set of rows. */
export interface NodeStats {
  gradient: number;
  hessian: number;
  count: number;
}

export interface Split {
  feature: number;
  /** Reduction of the regularised loss (without the ½ factor, as compared between splits). */
  gain: number;
  /** Numeric splits: the last bin going left; -1 for a categorical split. */
  thresholdBin: number;
  missingLeft: boolean;
  /** BIN_SLOTS entries: 1 for each bin whose rows go left. */
  goesLeft: Uint8Array;
  left: NodeStats;
  right: NodeStats;
}

/** `G² / (H + λ)`: how much a node's optimal leaf value lowers the loss. */
function score(gradient: number, hessian: number, l2: number): number {
  return (gradient * gradient) / (hessian + l2);
}

/**
 * The split of a node with the largest gain over every feature, or null when none satisfies the
 * constraints or lowers the loss. Ties keep the first found (lowest feature, lowest threshold),
 * so the result does not depend on anything but the histogram.
 */
export function findBestSplit(
  matrix: BinnedMatrix,
  categorical: Uint8Array,
  histogram: Float64Array,
  node: NodeStats,
  constraints: SplitConstraints,
): Split | null {
  let best: Split | null = null;
  for (let f = 0; f < matrix.features; f++) {
    const toBeat: number = best === null ? 0 : best.gain;
    const found: Split | null = categorical[f]
      ? bestCategoricalSplit(matrix, f, histogram, node, constraints, toBeat)
      : bestNumericSplit(matrix, f, histogram, node, constraints, toBeat);
    if (found) best = found;
  }
  return best;
}

function allowed(gradient: number, hessian: number, count: number, node: NodeStats, c: SplitConstraints): boolean {
  return (
    count >= c.minSamplesLeaf &&
    node.count - count >= c.minSamplesLeaf &&
    hessian >= c.minHessianLeaf &&
    node.hessian - hessian >= c.minHessianLeaf
  );
}

/**
 * Scans thresholds left to right with missing values going right and, when the node has any,
 * going left, so the better direction for them is learned; with none in the node, they follow
 * the larger child. The last threshold (every present value left) separates missing from
 * present values.
 */
function bestNumericSplit(
  matrix: BinnedMatrix,
  feature: number,
  histogram: Float64Array,
  node: NodeStats,
  c: SplitConstraints,
  toBeat: number,
): Split | null {
  const base = HISTOGRAM_STRIDE * (matrix.offset[feature] as number);
  const missingBin = matrix.missingBin[feature] as number;
  const missingAt = base + HISTOGRAM_STRIDE * missingBin;
  const missingGradient = histogram[missingAt] as number;
  const missingHessian = histogram[missingAt + 1] as number;
  const missingCount = histogram[missingAt + 2] as number;
  const parent = score(node.gradient, node.hessian, c.l2);
  let bestGain = toBeat;
  let bestBin = -1;
  let bestMissingLeft = false;
  let gradient = 0;
  let hessian = 0;
  let count = 0;
  for (let bin = 0; bin < missingBin; bin++) {
    const at = base + HISTOGRAM_STRIDE * bin;
    gradient += histogram[at] as number;
    hessian += histogram[at + 1] as number;
    count += histogram[at + 2] as number;
    if (allowed(gradient, hessian, count, node, c)) {
      const gain = score(gradient, hessian, c.l2) + score(node.gradient - gradient, node.hessian - hessian, c.l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        bestBin = bin;
        bestMissingLeft = false;
      }
    }
    if (missingCount > 0) {
      const g = gradient + missingGradient;
      const h = hessian + missingHessian;
      const n = count + missingCount;
      if (allowed(g, h, n, node, c)) {
        const gain = score(g, h, c.l2) + score(node.gradient - g, node.hessian - h, c.l2) - parent;
        if (gain > bestGain) {
          bestGain = gain;
          bestBin = bin;
          bestMissingLeft = true;
        }
      }
    }
  }
  if (bestBin < 0) return null;

  let left: NodeStats = { gradient: 0, hessian: 0, count: 0 };
  for (let bin = 0; bin <= bestBin; bin++) left = add(left, histogram, base + HISTOGRAM_STRIDE * bin);
  if (bestMissingLeft) left = add(left, histogram, missingAt);
  const missingLeft = missingCount > 0 ? bestMissingLeft : 2 * left.count >= node.count;
  const goesLeft = new Uint8Array(BIN_SLOTS);
  goesLeft.fill(1, 0, bestBin + 1);
  goesLeft[missingBin] = missingLeft ? 1 : 0;
  return { feature, gain: bestGain, thresholdBin: bestBin, missingLeft, goesLeft, left, right: minus(node, left) };
}

/**
 * Set splits without trying all 2^k subsets: categories with enough rows are ranked by their
 * smoothed mean gradient, and for a convex loss the best partition is a prefix of that order
 * (Fisher 1958; LightGBM and scikit-learn do the same). Prefixes are taken from both ends, up to
 * half the ranked categories each. Unranked categories (rare, or unseen in training) and the
 * missing bin, unless ranked, go right.
 */
function bestCategoricalSplit(
  matrix: BinnedMatrix,
  feature: number,
  histogram: Float64Array,
  node: NodeStats,
  c: SplitConstraints,
  toBeat: number,
): Split | null {
  const base = HISTOGRAM_STRIDE * (matrix.offset[feature] as number);
  const bins = (matrix.missingBin[feature] as number) + 1;
  const ranked: number[] = [];
  const value = new Float64Array(bins);
  for (let bin = 0; bin < bins; bin++) {
    const at = base + HISTOGRAM_STRIDE * bin;
    if ((histogram[at + 2] as number) < CATEGORY_SUPPORT) continue;
    value[bin] = (histogram[at] as number) / ((histogram[at + 1] as number) + CATEGORY_SUPPORT);
    ranked.push(bin);
  }
  ranked.sort((a, b) => (value[a] as number) - (value[b] as number) || a - b);
  const used = ranked.length;
  const prefixes = (used + 1) >> 1;
  const parent = score(node.gradient, node.hessian, c.l2);
  let bestGain = toBeat;
  let bestSize = 0;
  let bestFromEnd = false;
  for (const fromEnd of [false, true]) {
    let gradient = 0;
    let hessian = 0;
    let count = 0;
    for (let k = 0; k < prefixes; k++) {
      const at = base + HISTOGRAM_STRIDE * (ranked[fromEnd ? used - 1 - k : k] as number);
      gradient += histogram[at] as number;
      hessian += histogram[at + 1] as number;
      count += histogram[at + 2] as number;
      if (!allowed(gradient, hessian, count, node, c)) continue;
      const gain = score(gradient, hessian, c.l2) + score(node.gradient - gradient, node.hessian - hessian, c.l2) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        bestSize = k + 1;
        bestFromEnd = fromEnd;
      }
    }
  }
  if (bestSize === 0) return null;

  const goesLeft = new Uint8Array(BIN_SLOTS);
  let left: NodeStats = { gradient: 0, hessian: 0, count: 0 };
  for (let k = 0; k < bestSize; k++) {
    const bin = ranked[bestFromEnd ? used - 1 - k : k] as number;
    goesLeft[bin] = 1;
    left = add(left, histogram, base + HISTOGRAM_STRIDE * bin);
  }
  const missingLeft = goesLeft[bins - 1] === 1;
  return { feature, gain: bestGain, thresholdBin: -1, missingLeft, goesLeft, left, right: minus(node, left) };
}

function add(stats: NodeStats, histogram: Float64Array, at: number): NodeStats {
  return {
    gradient: stats.gradient + (histogram[at] as number),
    hessian: stats.hessian + (histogram[at + 1] as number),
    count: stats.count + (histogram[at + 2] as number),
  };
}

function minus(node: NodeStats, left: NodeStats): NodeStats {
  return { gradient: node.gradient - left.gradient, hessian: node.hessian - left.hessian, count: node.count - left.count };
}
