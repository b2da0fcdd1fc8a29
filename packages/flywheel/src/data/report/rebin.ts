/** Equal-width bins: bin `i` is [edges[i], edges[i+1]), the last one also holds its upper edge. */
export interface Histogram {
  edges: readonly number[];
  counts: readonly number[];
}

/** Two histograms over the same edges, as shares of each one's values, ready to overlay. */
export interface SharedHistogram {
  edges: number[];
  current: number[];
  reference: number[] | null;
}

/**
 * Puts the current and the reference histogram on the same bin edges so they can be overlaid.
 * Statistics of two datasets bin each one between its own min and max; identical edges are kept,
 * otherwise both are redistributed over equal-width bins spanning both ranges, each bin's count
 * spread in proportion to its overlap with the new bins (values are taken to be evenly spread
 * inside a bin, the only assumption a histogram allows).
 */
export function shareHistograms(current: Histogram | null, reference: Histogram | null): SharedHistogram | null {
  const base = current ?? reference;
  if (base === null) return null;
  if (current === null || reference === null || sameEdges(current.edges, reference.edges)) {
    return {
      edges: [...base.edges],
      current: current === null ? base.counts.map(() => 0) : toShares(current.counts),
      reference: reference === null ? null : toShares(reference.counts),
    };
  }
  const low = Math.min(current.edges[0]!, reference.edges[0]!);
  const high = Math.max(current.edges.at(-1)!, reference.edges.at(-1)!);
  const bins = Math.max(current.counts.length, reference.counts.length, 1);
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? high : low + ((high - low) * i) / bins));
  return { edges, current: toShares(rebin(current, edges)), reference: toShares(rebin(reference, edges)) };
}

/** Counts of `histogram` redistributed over ascending `edges` (see shareHistograms). */
export function rebin(histogram: Histogram, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  const out = new Array<number>(bins).fill(0);
  if (!(edges[bins]! > edges[0]!)) {
    out[0] = histogram.counts.reduce((sum, count) => sum + count, 0);
    return out;
  }
  // The bin holding `value`: the last edge not above it, the top edge belonging to the last bin.
  const binOf = (value: number) => {
    let low = 0;
    let high = bins - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (edges[middle]! <= value) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  histogram.counts.forEach((count, i) => {
    if (count === 0) return;
    const from = histogram.edges[i]!;
    const to = histogram.edges[i + 1]!;
    if (!(to > from)) {
      out[binOf(from)]! += count;
      return;
    }
    for (let j = binOf(from); j <= binOf(to); j++) {
      const overlap = Math.min(to, edges[j + 1]!) - Math.max(from, edges[j]!);
      if (overlap > 0) out[j]! += (count * overlap) / (to - from);
    }
  });
  return out;
}

function toShares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total > 0 ? count / total : 0));
}

function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((edge, i) => edge === b[i]);
}
