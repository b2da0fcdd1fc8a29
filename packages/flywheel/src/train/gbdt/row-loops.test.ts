import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './binning.js';
import { fitGbdt, type FitGbdtOptions, type FitGbdtResult, type GbdtDataset } from './fit-gbdt.js';
import { binnedMatrix, HISTOGRAM_STRIDE, type BinnedMatrix } from './histogram.js';
import { logLoss, squaredError } from './losses.js';
import { HALVED_ROWS, RowLoops } from './row-loops.js';
import { sharedArray } from './shared-array.js';
import { BIN_SLOTS } from './split.js';

const ROWS = 5 * HALVED_ROWS + 7;
const MISSING_BINS = [40, 255, 3];

/** A matrix of seeded random bins, each feature's last bin (missing) included. */
function randomMatrix(rows: number, seed: number): BinnedMatrix {
  const random = seededRandom(seed);
  const columns = sharedArray(Uint8Array, rows * MISSING_BINS.length);
  MISSING_BINS.forEach((missing, f) => {
    for (let r = 0; r < rows; r++) columns[f * rows + r] = Math.floor(random() * (missing + 1));
  });
  return binnedMatrix(rows, MISSING_BINS, columns);
}

function lossRows(rows: number, seed: number) {
  const random = seededRandom(seed);
  const labels = sharedArray(Float64Array, rows);
  for (let r = 0; r < rows; r++) labels[r] = random() < 0.3 ? 1 : 0;
  return { loss: logLoss, labels, scores: logLoss.startScores(rows, -0.5) };
}

/** Both kinds of RowLoops on the same data: in one piece on this thread, and with a helper thread. */
function pair(rows = ROWS) {
  const matrix = randomMatrix(rows, 1);
  const alone = RowLoops.open(matrix, lossRows(rows, 2), { maxLeaves: 8, helperThread: false });
  const helped = RowLoops.open(matrix, lossRows(rows, 2), { maxLeaves: 8, helperThread: true });
  // Where there is a second core the comparisons below are between one thread and two.
  expect(helped.parallel).toBe(availableParallelism() > 1);
  return { matrix, alone, helped, close: () => [alone, helped].forEach((loops) => loops.close()) };
}

describe('RowLoops', () => {
  it.runIf(availableParallelism() > 1)('starts a helper thread on a machine with two cores, and only when asked and when nodes can be cut', () => {
    const { alone, helped, close } = pair();
    const small = RowLoops.open(randomMatrix(HALVED_ROWS - 1, 1), lossRows(HALVED_ROWS - 1, 2), { maxLeaves: 8, helperThread: true });
    try {
      expect([alone.parallel, helped.parallel, small.parallel]).toEqual([false, true, false]);
    } finally {
      close();
      small.close();
    }
  });

  it('computes gradients of the starting scores, and histograms that equal a direct count, in halves or not', () => {
    const { matrix, alone, helped, close } = pair();
    try {
      for (const loops of [alone, helped]) {
        loops.startGradients();
        const p = 1 / (1 + Math.exp(0.5));
        expect(loops.gradients[0]).toBeCloseTo(p - (lossRows(ROWS, 2).labels[0] as number), 12);
        expect(loops.hessians[1]).toBeCloseTo(p * (1 - p), 12);
      }
      const direct = new Float64Array(HISTOGRAM_STRIDE * matrix.totalBins);
      const start = 3;
      const end = ROWS - 5; // large enough to be cut in two
      for (let i = start; i < end; i++) {
        for (let f = 0; f < matrix.features; f++) {
          const k = HISTOGRAM_STRIDE * ((matrix.offset[f] as number) + (matrix.columns[f * ROWS + i] as number));
          direct[k] = (direct[k] as number) + (alone.gradients[i] as number);
          direct[k + 1] = (direct[k + 1] as number) + (alone.hessians[i] as number);
          direct[k + 2] = (direct[k + 2] as number) + 1;
        }
      }
      const [a, b] = [alone, helped].map((loops) => {
        const out = new Float64Array(HISTOGRAM_STRIDE * matrix.totalBins).fill(Number.NaN);
        loops.histogram(start, end, out);
        return out;
      }) as [Float64Array, Float64Array];
      expect(Array.from(b)).toEqual(Array.from(a));
      for (let k = 0; k < direct.length; k++) expect(a[k]).toBeCloseTo(direct[k] as number, 9);
    } finally {
      close();
    }
  });

  it('partitions a range stably, the same with the helper thread as without', () => {
    const { matrix, alone, helped, close } = pair();
    try {
      const goesLeft = new Uint8Array(BIN_SLOTS);
      for (let bin = 0; bin < BIN_SLOTS; bin += 3) goesLeft[bin] = 1;
      const start = 11;
      const end = ROWS - 13;
      const middles = [alone, helped].map((loops) => {
        loops.resetIndex();
        return loops.partition(start, end, 1, goesLeft);
      });
      const rows = Array.from({ length: end - start }, (_, i) => start + i);
      const left = rows.filter((r) => goesLeft[matrix.columns[ROWS + r] as number] === 1);
      const right = rows.filter((r) => goesLeft[matrix.columns[ROWS + r] as number] !== 1);
      expect(middles).toEqual([start + left.length, start + left.length]);
      for (const loops of [alone, helped]) {
        expect(Array.from(loops.index.subarray(start, end))).toEqual([...left, ...right]);
        expect(loops.index[start - 1]).toBe(start - 1);
        expect(loops.index[end]).toBe(end);
      }
    } finally {
      close();
    }
  });

  it('applies leaf values to scores and gradients of the rows of each leaf, the same with the helper thread as without', () => {
    const rows = 3 * HALVED_ROWS;
    const matrix = randomMatrix(rows, 4);
    const random = seededRandom(5);
    const labels = sharedArray(Float64Array, rows);
    for (let r = 0; r < rows; r++) labels[r] = random() * 10;
    const make = (helperThread: boolean) =>
      RowLoops.open(matrix, { loss: squaredError, labels, scores: squaredError.startScores(rows, 2) }, { maxLeaves: 3, helperThread });
    const [alone, helped] = [make(false), make(true)];
    expect(helped.parallel).toBe(availableParallelism() > 1);
    try {
      const leaves = [[0, 100, 0.5], [100, rows - 1000, -1.25], [rows - 1000, rows, 3]] as const;
      for (const loops of [alone, helped]) {
        loops.resetIndex();
        for (const [start, end, value] of leaves) loops.addLeaf(start, end, value);
        loops.applyLeaves();
      }
      for (const [start, end, value] of leaves) {
        for (const row of [start, end - 1]) {
          expect(alone.gradients[row]).toBe(2 + value - (labels[row] as number));
          expect(alone.hessians[row]).toBe(1);
        }
      }
      expect(Array.from(helped.gradients)).toEqual(Array.from(alone.gradients));
    } finally {
      alone.close();
      helped.close();
    }
  });
});

it('refuses labels or scores that a helper thread could not share', () => {
  const matrix = randomMatrix(100, 1);
  const shared = lossRows(100, 2);
  expect(() => RowLoops.open(matrix, { ...shared, labels: new Float64Array(100) }, { maxLeaves: 8, helperThread: false })).toThrow(/labels must be on a SharedArrayBuffer/);
  expect(() => RowLoops.open(matrix, { ...shared, scores: { raw: new Float64Array(100), expNegative: null } }, { maxLeaves: 8, helperThread: false })).toThrow(/scores must be/);
});

describe('fitGbdt with and without the helper thread', () => {
  function dataset(rows: number): GbdtDataset {
    const random = seededRandom(7);
    const x = Float32Array.from({ length: rows }, () => random() * 100);
    const z = Float32Array.from({ length: rows }, () => (random() < 0.05 ? Number.NaN : random()));
    const codes = Int32Array.from({ length: rows }, () => Math.floor(random() * 12));
    const labels = Float64Array.from({ length: rows }, (_, r) => ((x[r] as number) > 60 !== (codes[r] as number) % 3 > 0 || random() < 0.1 ? 1 : 0));
    return {
      rows,
      numeric: [{ name: 'x', values: x }, { name: 'z', values: z }],
      categorical: [{ name: 'c', categories: Array.from({ length: 10 }, (_, i) => `c${i}`), codes }],
      labels,
    };
  }

  it('grows exactly the same trees', () => {
    const options: FitGbdtOptions = {
      task: 'classification', maxIterations: 8, learningRate: 0.2, maxLeafNodes: 15, minSamplesLeaf: 20, minHessianLeaf: 1e-3,
      l2: 0, maxBins: 255, earlyStopping: { validationFraction: 0.1, patience: 3 }, seed: 3,
    };
    const data = dataset(6 * HALVED_ROWS);
    const [alone, helped] = [false, true].map((helperThread) => fitGbdt(data, { ...options, helperThread })) as [FitGbdtResult, FitGbdtResult];
    expect(alone.iterations).toBeGreaterThan(3);
    expect([alone.threads, helped.threads]).toEqual([1, availableParallelism() > 1 ? 2 : 1]);
    expect({ ...helped, threads: 1 }).toEqual(alone);
  });
});
