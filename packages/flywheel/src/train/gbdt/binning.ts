/**
 * How one feature's values become small integer bins, learned from the training rows. Every
 * feature has its own missing bin, the last one, so a bin always fits a byte (≤ 256 bins).
 */
export type FeatureBins = NumericBins | CategoricalBins;

export interface NumericBins {
  kind: 'numeric';
  name: string;
  /**
   * Upper edges, float32 values: bin `b` holds `edges[b - 1] < x <= edges[b]`, the last
   * non-missing bin everything above the last edge. Comparing float32 inputs with these same
   * float32 edges is what the ONNX graph does, so binning and the exported model agree exactly.
   */
  edges: Float32Array;
  /** `edges.length + 1`: NaN lands here. */
  missingBin: number;
}

export interface CategoricalBins {
  kind: 'categorical';
  name: string;
  /** The kept categories, most frequent first: category `i` is bin `i`. */
  categories: string[];
  /** `categories.length`: every other value, rare in training or never seen. */
  otherBin: number;
  /** `categories.length + 1`: a missing value (null or ''). */
  missingBin: number;
}

/** Values sorted to place the edges; more rows are sampled down to this many (as scikit-learn does). */
export const BIN_SAMPLE_ROWS = 200_000;

/**
 * Learns the edges of a numeric feature from its present values: the midpoints between
 * neighbouring distinct values when there are at most `maxBins` of them, else midpoints at
 * `maxBins` quantiles (so bins hold about the same number of rows). A constant or empty column
 * gets no edge: one bin, never split.
 *
 * @example
 *   learnNumericBins('hour', hours, 255, mulberry32(0)).edges // Float32Array [0.5, 1.5, …, 22.5]
 */
export function learnNumericBins(name: string, values: Float32Array, maxBins: number, random: () => number): NumericBins {
  const sorted = presentSample(values, random);
  sorted.sort();
  const distinct: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i] as number;
    if (i === 0 || x !== sorted[i - 1]) distinct.push(x);
  }
  const cuts: number[] = [];
  if (distinct.length <= maxBins) {
    for (let i = 1; i < distinct.length; i++) cuts.push(edgeBetween(distinct[i - 1] as number, distinct[i] as number));
  } else {
    const last = sorted.length - 1;
    for (let k = 1; k < maxBins; k++) {
      const at = (k * last) / maxBins;
      cuts.push(edgeBetween(sorted[Math.floor(at)] as number, sorted[Math.ceil(at)] as number));
    }
  }
  // Rounding to float32 can merge neighbouring cuts; edges must strictly increase.
  const edges: number[] = [];
  for (const cut of cuts) if (edges.length === 0 || cut > (edges[edges.length - 1] as number)) edges.push(cut);
  return { kind: 'numeric', name, edges: Float32Array.from(edges), missingBin: edges.length + 1 };
}

/** The float32 midpoint of two neighbouring values, or the lower one where the midpoint is infinite. */
function edgeBetween(low: number, high: number): number {
  const middle = low / 2 + high / 2;
  return Number.isFinite(middle) ? Math.fround(middle) : low;
}

/** The non-NaN values, or a seeded random sample of BIN_SAMPLE_ROWS of them. */
function presentSample(values: Float32Array, random: () => number): Float32Array {
  let present = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i] as number)) present++;
  const out = new Float32Array(present);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (!Number.isNaN(x)) out[k++] = x;
  }
  if (present <= BIN_SAMPLE_ROWS) return out;
  // A partial Fisher–Yates shuffle draws the sample without replacement.
  for (let i = 0; i < BIN_SAMPLE_ROWS; i++) {
    const j = i + Math.floor(random() * (present - i));
    const swap = out[i] as number;
    out[i] = out[j] as number;
    out[j] = swap;
  }
  return out.slice(0, BIN_SAMPLE_ROWS);
}

/** The categorical bins for categories already ranked by frequency, keeping the first `maxBins - 1`. */
export function categoricalBins(name: string, rankedCategories: readonly string[], maxBins: number): CategoricalBins {
  const categories = rankedCategories.slice(0, maxBins - 1);
  return { kind: 'categorical', name, categories, otherBin: categories.length, missingBin: categories.length + 1 };
}

/** Bins one numeric column: the first edge at or above the value; NaN → the missing bin. */
export function binNumeric(values: Float32Array, bins: NumericBins, out: Uint8Array): void {
  const { edges, missingBin } = bins;
  const count = edges.length;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    if (Number.isNaN(x)) {
      out[i] = missingBin;
      continue;
    }
    let low = 0;
    let high = count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (x <= (edges[middle] as number)) high = middle;
      else low = middle + 1;
    }
    out[i] = low;
  }
}

/** Copies category codes (already bins: category, other or missing) into a byte column. */
export function binCategorical(codes: Int32Array, bins: CategoricalBins, out: Uint8Array): void {
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    out[i] = code >= 0 && code <= bins.missingBin ? code : bins.otherBin;
  }
}

/**
 * A small seeded generator (mulberry32): the same seed gives the same validation split and bin
 * sample on every machine, which Math.random cannot.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
