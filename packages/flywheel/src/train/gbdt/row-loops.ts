import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HISTOGRAM_PASS_PARAMETERS, HISTOGRAM_STRIDE, histogramPassSources, type BinnedMatrix } from './histogram.js';
import { LEAF_UPDATE_PARAMETERS, type BoostingLoss, type TrainingScores } from './losses.js';
import { sharedArray } from './shared-array.js';
import { BIN_SLOTS } from './split.js';

/**
 * A node with at least this many rows has its row loops (histogram, partition) cut in two halves
 * at its middle row; smaller nodes are done in one piece. Below it, handing half to the helper
 * thread costs more than it saves (measured on the flights data).
 */
export const HALVED_ROWS = 8192;

/** How long the helper thread may take to start before training goes on without it. */
const START_TIMEOUT_MS = 10_000;
/** How long one half may take before the helper thread is taken for dead (a half of the largest node takes well under a second per million rows). */
const JOB_TIMEOUT_MS = 120_000;

type HistogramPass = (
  bins: Uint8Array,
  index: Uint32Array,
  start: number,
  end: number,
  gradients: Float64Array,
  hessians: Float64Array,
  out: Float64Array,
) => void;

type PartitionHalf = (index: Uint32Array, scratch: Uint32Array, column: Uint8Array, goesLeft: Uint8Array, start: number, end: number) => number;

/** The arrays a loss's leaf update reads and writes, in the order of LEAF_UPDATE_PARAMETERS. */
type LossArrays = [labels: Float64Array, raw: Float64Array, expNegative: Float64Array | null, gradients: Float64Array, hessians: Float64Array];

type LeafUpdate = (index: Uint32Array, start: number, end: number, value: number, factor: number, ...arrays: LossArrays) => void;

/** Floats per leaf in the leaf table: first and end position in the index, value, `exp(−value)`. */
const LEAF_FIELDS = 4;

/**
 * Runs the loss's leaf update on the part of each leaf's rows that lies in the index positions
 * `[from, to)`: the two threads split a tree's leaves by position, which gives the same scores
 * and gradients as one thread, since every row is updated on its own.
 */
const LEAF_RANGE_SOURCE = `
for (let k = 0; k < count; k++) {
  const start = Math.max(leaves[${LEAF_FIELDS} * k], from);
  const end = Math.min(leaves[${LEAF_FIELDS} * k + 1], to);
  if (start < end) update(index, start, end, leaves[${LEAF_FIELDS} * k + 2], leaves[${LEAF_FIELDS} * k + 3], labels, raw, expNegative, gradients, hessians);
}`;
const LEAF_RANGE_PARAMETERS = ['update', 'leaves', 'count', 'from', 'to', 'index', 'labels', 'raw', 'expNegative', 'gradients', 'hessians'] as const;
type LeafRange = (update: LeafUpdate, leaves: Float64Array, count: number, from: number, to: number, index: Uint32Array, ...arrays: LossArrays) => void;

/**
 * Moves the rows `index[start..end)` going left to `index[start..]` and the others to
 * `scratch[start..]`, both in their previous order (so rows stay ascending and later bin lookups
 * stay near each other), and returns how many went left. Branch-free on purpose: which side a
 * row takes is a coin flip to the branch predictor, and mispredictions cost more than the one
 * store that is thrown away. `write` never passes `i`.
 */
const PARTITION_SOURCE = `
let write = start;
let aside = start;
for (let i = start; i < end; i++) {
  const row = index[i];
  const left = goesLeft[column[row]];
  index[write] = row;
  scratch[aside] = row;
  write += left;
  aside += 1 - left;
}
return write - start;`;
const PARTITION_PARAMETERS = ['index', 'scratch', 'column', 'goesLeft', 'start', 'end'] as const;

// Slots of the control array the two threads share.
const JOB = 0; // the main thread counts jobs posted here
const DONE = 1; // the helper writes the number of the job it finished
const READY = 2; // 1 once the helper runs, 2 if it could not start
const COMMAND = 3;
const START = 4;
const END = 5;
const ARGUMENT = 6; // the split feature of a partition, the leaf count of an update
const RESULT = 7;
const FAILED = 8; // 1 if the helper's last job threw
const CONTROL_SLOTS = 9;

const HISTOGRAM = 1;
const PARTITION = 2;
const UPDATE = 3;
const STOP = 4;

function quoted(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

/**
 * The helper thread's program. It runs the same generated loops as the main thread, on the same
 * shared arrays, and waits on the control array between jobs.
 */
const HELPER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { control, matrix, index, scratch, gradients, hessians, histogram, goesLeft, leaves, labels, raw, expNegative, sources } = workerData;
let passes, partitionHalf, update, leafRange;
try {
  passes = sources.passes.map((source) => new Function(${quoted(HISTOGRAM_PASS_PARAMETERS)}, source));
  partitionHalf = new Function(${quoted(PARTITION_PARAMETERS)}, sources.partition);
  update = new Function(${quoted(LEAF_UPDATE_PARAMETERS)}, sources.update);
  leafRange = new Function(${quoted(LEAF_RANGE_PARAMETERS)}, sources.leafRange);
  Atomics.store(control, ${READY}, 1);
} catch {
  Atomics.store(control, ${READY}, 2);
}
Atomics.notify(control, ${READY});
if (Atomics.load(control, ${READY}) !== 1) process.exit(0);
let seen = 0;
for (;;) {
  Atomics.wait(control, ${JOB}, seen);
  seen = Atomics.load(control, ${JOB});
  const command = control[${COMMAND}];
  if (command === ${STOP}) break;
  const start = control[${START}];
  const end = control[${END}];
  try {
    if (command === ${HISTOGRAM}) {
      histogram.fill(0);
      for (const pass of passes) pass(matrix.bins, index, start, end, gradients, hessians, histogram);
    } else if (command === ${PARTITION}) {
      const feature = control[${ARGUMENT}];
      const column = matrix.columns.subarray(feature * matrix.rows, (feature + 1) * matrix.rows);
      control[${RESULT}] = partitionHalf(index, scratch, column, goesLeft, start, end);
    } else {
      leafRange(update, leaves, control[${ARGUMENT}], start, end, index, labels, raw, expNegative, gradients, hessians);
    }
    control[${FAILED}] = 0;
  } catch {
    control[${FAILED}] = 1;
  }
  Atomics.store(control, ${DONE}, seen);
  Atomics.notify(control, ${DONE});
}`;

/** What the leaf updates of a loss work on. */
export interface LossRows {
  loss: BoostingLoss;
  labels: Float64Array;
  scores: TrainingScores;
}

/**
 * The loops over training rows that training spends most of its time in: a node's histogram, the
 * partition of its rows by a split, and after each tree, the update of every row's score,
 * gradient and hessian. Large nodes, and the update, are cut into two halves; with a second core,
 * a helper thread does the second half while the calling thread does the first. Histogram halves
 * are summed apart and then added, partition halves are merged in row order, and rows are updated
 * each on their own, so the model is the same with or without the helper thread, on any machine.
 *
 * Every array the loops touch is shared memory: allocated here, by binnedMatrix, or (labels and
 * scores) by the caller with sharedArray. Call close() when done.
 *
 * @example
 *   const loops = RowLoops.open(matrix, { labels, scores, loss }, { maxLeaves: 31, helperThread: true });
 *   try { loops.startGradients(); loops.histogram(0, matrix.rows, out); } finally { loops.close(); }
 */
export class RowLoops {
  /** Row numbers, partitioned so that each node's rows are one contiguous range. */
  readonly index: Uint32Array;
  readonly gradients: Float64Array;
  readonly hessians: Float64Array;
  private readonly scratch: Uint32Array;
  /** The second half's histogram. */
  private readonly half: Float64Array;
  private readonly goesLeft = sharedArray(Uint8Array, BIN_SLOTS);
  /** Leaves added since the last update, LEAF_FIELDS floats each. */
  private readonly leaves: Float64Array;
  private leafCount = 0;
  private readonly control = sharedArray(Int32Array, CONTROL_SLOTS);
  /** The histogram loops' source, which both threads compile. */
  private readonly passSources: string[];
  private readonly passes: HistogramPass[];
  private readonly partitionHalf = new Function(...PARTITION_PARAMETERS, PARTITION_SOURCE) as PartitionHalf;
  private readonly update: LeafUpdate;
  private readonly leafRange = new Function(...LEAF_RANGE_PARAMETERS, LEAF_RANGE_SOURCE) as LeafRange;
  private helper: Worker | null = null;
  private jobs = 0;

  private constructor(
    private readonly matrix: BinnedMatrix,
    private readonly rows: LossRows,
    maxLeaves: number,
  ) {
    const n = matrix.rows;
    this.index = sharedArray(Uint32Array, n);
    this.scratch = sharedArray(Uint32Array, n);
    this.gradients = sharedArray(Float64Array, n);
    this.hessians = sharedArray(Float64Array, n);
    this.half = sharedArray(Float64Array, HISTOGRAM_STRIDE * matrix.totalBins);
    this.leaves = sharedArray(Float64Array, LEAF_FIELDS * Math.max(maxLeaves, 1));
    this.passSources = histogramPassSources(matrix);
    this.passes = this.passSources.map((source) => new Function(...HISTOGRAM_PASS_PARAMETERS, source) as HistogramPass);
    this.update = new Function(...LEAF_UPDATE_PARAMETERS, rows.loss.leafUpdateSource) as LeafUpdate;
  }

  /**
   * Loops for the rows of `matrix`, whose labels and scores are `rows`, for trees of at most
   * `maxLeaves` leaves. With `helperThread`, and when the machine has a second core and some
   * node can be large enough to cut, a helper thread takes the second halves.
   */
  static open(matrix: BinnedMatrix, rows: LossRows, options: { maxLeaves: number; helperThread: boolean }): RowLoops {
    // Either thread may update any row from one tree to the next: a private copy would silently diverge.
    const arrays = { bins: matrix.bins, columns: matrix.columns, labels: rows.labels, scores: rows.scores.raw, expNegative: rows.scores.expNegative };
    for (const [name, array] of Object.entries(arrays)) {
      if (array !== null && !(array.buffer instanceof SharedArrayBuffer)) throw new TypeError(`RowLoops: ${name} must be on a SharedArrayBuffer (see sharedArray)`);
    }
    const loops = new RowLoops(matrix, rows, options.maxLeaves);
    if (options.helperThread && availableParallelism() > 1 && matrix.rows >= HALVED_ROWS) loops.startHelper();
    return loops;
  }

  /** Whether a helper thread takes the second halves. */
  get parallel(): boolean {
    return this.helper !== null;
  }

  /** Puts the rows in order in the index: the root node of a new tree. */
  resetIndex(): void {
    const index = this.index;
    for (let i = 0; i < index.length; i++) index[i] = i;
  }

  /** Gradients and hessians at the starting scores. */
  startGradients(): void {
    this.resetIndex();
    this.addLeaf(0, this.matrix.rows, 0);
    this.applyLeaves();
  }

  /** The histogram of the rows `index[start..end)` into `out`. */
  histogram(start: number, end: number, out: Float64Array): void {
    out.fill(0);
    if (end - start < HALVED_ROWS) {
      this.addRows(start, end, out);
      return;
    }
    const middle = start + ((end - start) >> 1);
    if (this.helper) {
      this.post(HISTOGRAM, middle, end, 0);
      this.addRows(start, middle, out);
      this.await();
    } else {
      this.addRows(start, middle, out);
      this.half.fill(0);
      this.addRows(middle, end, this.half);
    }
    const half = this.half;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (half[i] as number);
  }

  /**
   * Moves the rows `index[start..end)` whose bin of `feature` goes left (`goesLeft[bin]` is 1)
   * before the others, both in their previous order, and returns where the others begin.
   */
  partition(start: number, end: number, feature: number, goesLeft: Uint8Array): number {
    const { index, scratch, matrix } = this;
    const column = matrix.columns.subarray(feature * matrix.rows, (feature + 1) * matrix.rows);
    if (!this.helper || end - start < HALVED_ROWS) {
      const left = this.partitionHalf(index, scratch, column, goesLeft, start, end);
      index.set(scratch.subarray(start, end - left), start + left);
      return start + left;
    }
    const middle = start + ((end - start) >> 1);
    this.goesLeft.set(goesLeft);
    this.post(PARTITION, middle, end, feature);
    const firstLeft = this.partitionHalf(index, scratch, column, goesLeft, start, middle);
    this.await();
    const secondLeft = this.control[RESULT] as number;
    // [first's left | first's right (in scratch) | second's left | second's right (in scratch)]
    index.copyWithin(start + firstLeft, middle, middle + secondLeft);
    const firstRight = middle - start - firstLeft;
    index.set(scratch.subarray(start, start + firstRight), start + firstLeft + secondLeft);
    index.set(scratch.subarray(middle, end - secondLeft), start + firstLeft + secondLeft + firstRight);
    return start + firstLeft + secondLeft;
  }

  /** Records a leaf of the tree being grown: `value` is to be added to the rows `index[start..end)`. */
  addLeaf(start: number, end: number, value: number): void {
    const at = LEAF_FIELDS * this.leafCount++;
    const leaves = this.leaves;
    leaves[at] = start;
    leaves[at + 1] = end;
    leaves[at + 2] = value;
    leaves[at + 3] = Math.exp(-value);
  }

  /** Adds the leaves recorded since the last call to the rows' scores, and updates their gradients and hessians. */
  applyLeaves(): void {
    const count = this.leafCount;
    const n = this.matrix.rows;
    this.leafCount = 0;
    if (!this.helper) {
      this.updateRows(count, 0, n);
      return;
    }
    const middle = n >> 1;
    this.post(UPDATE, middle, n, count);
    this.updateRows(count, 0, middle);
    this.await();
  }

  /** Stops the helper thread, if there is one. */
  close(): void {
    if (!this.helper) return;
    this.post(STOP, 0, 0, 0);
    void this.helper.terminate();
    this.helper = null;
  }

  private addRows(start: number, end: number, out: Float64Array): void {
    const { matrix, index, gradients, hessians } = this;
    for (const pass of this.passes) pass(matrix.bins, index, start, end, gradients, hessians, out);
  }

  private updateRows(count: number, from: number, to: number): void {
    const { labels, scores } = this.rows;
    this.leafRange(this.update, this.leaves, count, from, to, this.index, labels, scores.raw, scores.expNegative, this.gradients, this.hessians);
  }

  private startHelper(): void {
    const { matrix, index, scratch, gradients, hessians, half, goesLeft, leaves, control } = this;
    const { labels, scores, loss } = this.rows;
    const workerData = {
      control, index, scratch, gradients, hessians, histogram: half, goesLeft, leaves, labels, raw: scores.raw, expNegative: scores.expNegative,
      matrix: { rows: matrix.rows, bins: matrix.bins, columns: matrix.columns },
      sources: { passes: this.passSources, partition: PARTITION_SOURCE, update: loss.leafUpdateSource, leafRange: LEAF_RANGE_SOURCE },
    };
    const helper = new Worker(HELPER_SOURCE, { eval: true, workerData, execArgv: [] });
    helper.unref();
    // Its failures show in the control array (or as a timeout); the event would come too late to matter.
    helper.on('error', () => undefined);
    // Training goes on without the helper if it does not start: the results are the same.
    Atomics.wait(control, READY, 0, START_TIMEOUT_MS);
    if (Atomics.load(control, READY) !== 1) {
      void helper.terminate();
      return;
    }
    this.helper = helper;
  }

  private post(command: number, start: number, end: number, argument: number): void {
    const control = this.control;
    control[COMMAND] = command;
    control[START] = start;
    control[END] = end;
    control[ARGUMENT] = argument;
    Atomics.store(control, JOB, ++this.jobs);
    Atomics.notify(control, JOB);
  }

  private await(): void {
    const control = this.control;
    const started = Date.now();
    while (Atomics.load(control, DONE) !== this.jobs) {
      Atomics.wait(control, DONE, this.jobs - 1, JOB_TIMEOUT_MS);
      if (Date.now() - started > JOB_TIMEOUT_MS) throw new Error('the training helper thread stopped answering');
    }
    if (control[FAILED] === 1) throw new Error('the training helper thread failed on its half of the rows');
  }
}
