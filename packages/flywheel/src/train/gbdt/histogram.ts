import { sharedArray } from './shared-array.js';

/**
 * Training rows as bins, and where each feature's bins sit in a histogram. A histogram holds,
 * per bin of every feature, three doubles side by side: the sum of gradients, the sum of
 * hessians and the row count.
 *
 * The bins are stored twice, as the two hot loops want them: row by row for histograms, which
 * visit the scattered rows of a node and use every feature of each (one cache line, one load of
 * the row's gradient for all features), and column by column for partitions, which read one
 * feature of each row (a byte per row instead of a stride of all features).
 */
export interface BinnedMatrix {
  rows: number;
  features: number;
  /** Feature `f`'s bin of row `r` is at `r * features + f`. */
  bins: Uint8Array;
  /** The same bins by column: feature `f`'s bin of row `r` is at `f * rows + r`. */
  columns: Uint8Array;
  /** Per feature, its first bin's position in a histogram (in bins, not doubles). */
  offset: Int32Array;
  /** Per feature, its missing bin, the last one. */
  missingBin: Int32Array;
  /** Bins of all features together: a histogram is `HISTOGRAM_STRIDE * totalBins` doubles. */
  totalBins: number;
}

export const HISTOGRAM_STRIDE = 3;

/**
 * A binned matrix from its columns (`f * rows + r`), for features with these missing bins. Both
 * layouts live in shared memory, so that a second thread can read them (see RowLoops).
 */
export function binnedMatrix(rows: number, missingBins: readonly number[], columns: Uint8Array): BinnedMatrix {
  const features = missingBins.length;
  const offset = new Int32Array(features);
  let total = 0;
  missingBins.forEach((missing, f) => {
    offset[f] = total;
    total += missing + 1;
  });
  const bins = sharedArray(Uint8Array, columns.length);
  for (let f = 0; f < features; f++) {
    const column = columns.subarray(f * rows, (f + 1) * rows);
    for (let r = 0; r < rows; r++) bins[r * features + f] = column[r] as number;
  }
  return { rows, features, bins, columns, offset, missingBin: Int32Array.from(missingBins), totalBins: total };
}

/** Features added per pass over a node's rows. */
const FEATURES_PER_PASS = 8;

/**
 * The bodies of the loops that add the rows `index[start..end)` to a histogram `out`, each adding
 * up to FEATURES_PER_PASS features per row with the body unrolled and the features' histogram
 * positions written in as literals. They are generated because the number of features is known
 * only at training time, and a loop over the features inside the row loop runs at about half the
 * speed of the unrolled body (measured on the flights data). The generated source holds nothing
 * but integers computed here; RowLoops makes functions of it with the parameters
 * HISTOGRAM_PASS_PARAMETERS.
 */
export function histogramPassSources(matrix: BinnedMatrix): string[] {
  const { features, offset } = matrix;
  const sources: string[] = [];
  for (let first = 0; first < features; first += FEATURES_PER_PASS) {
    const lines = [
      'for (let i = start; i < end; i++) {',
      '  const row = index[i];',
      `  const at = row * ${features} + ${first};`,
      '  const g = gradients[row];',
      '  const h = hessians[row];',
      '  let k;',
    ];
    for (let j = 0; j < Math.min(FEATURES_PER_PASS, features - first); j++) {
      const base = HISTOGRAM_STRIDE * (offset[first + j] as number);
      lines.push(`  k = ${base} + ${HISTOGRAM_STRIDE} * bins[at + ${j}];`, '  out[k] += g;', '  out[k + 1] += h;', '  out[k + 2] += 1;');
    }
    lines.push('}');
    sources.push(lines.join('\n'));
  }
  return sources;
}

export const HISTOGRAM_PASS_PARAMETERS = ['bins', 'index', 'start', 'end', 'gradients', 'hessians', 'out'] as const;

/** `parent − child` into `parent`: the sibling's histogram without visiting its rows. */
export function subtractHistogram(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] = (parent[i] as number) - (child[i] as number);
}
