/**
 * Exact two-sample distances between large numeric samples without sorting them.
 *
 * The KS statistic and the Wasserstein distance depend on the merged order of both samples, and a
 * full sort of a million doubles costs more than everything else in a drift report. Instead, one
 * pass drops every value into one of up to 16,384 equal-width buckets over the joint range and
 * keeps per bucket the weight, the smallest and largest value and the sum of offsets from the
 * bucket's start. Then G(x) = F_ref(x) − F_cur(x) is known exactly at every bucket's last value,
 * and inside a bucket it cannot leave [G_before − w_cur/n_cur, G_before + w_ref/n_ref]:
 * - where that interval does not contain 0, G keeps its sign and ∫|G| over the bucket follows from
 *   the bucket's weights and offset sums in closed form;
 * - where the interval's extremes cannot beat the largest |G| known, the bucket cannot hold the
 *   KS statistic;
 * - where no bin edge (a reference quantile) falls, the whole bucket lies in one bin.
 * Only buckets failing a test are looked at value by value: split into finer buckets the same way
 * when they hold many values (dense regions of skewed data), sorted when few. Every |G| that enters
 * the result is computed as count/n − count/n exactly as SciPy does, so the statistic is identical
 * and the distances differ only in summation order.
 */

/** One side of a numeric feature: its finite values and how many rows hold each. */
export interface NumericSample {
  /** Finite values: in any order when `counts` is null (one row each), strictly increasing otherwise. */
  readonly values: Float64Array;
  /** Rows holding each value (a compact or summarised distribution); null means one each. */
  readonly counts: Float64Array | null;
  /** Σ counts (or the number of values). */
  readonly total: number;
  readonly min: number;
  readonly max: number;
}

/** Bins with right-closed intervals: bin j holds edges[j−1] < v <= edges[j]; the first and last are open-ended. */
export interface Bins {
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export interface NumericComparisonOptions {
  /** Bins for PSI and Jensen–Shannon, from reference quantiles (see docs/drift.md). */
  bins: number;
  /** Equal-width bins of the histograms drawn in reports. */
  histogramBins: number;
  /** Bin edges and reference counts fixed beforehand (a profile stores exact ones); computed from the reference otherwise. */
  referenceBins?: Bins;
}

export interface NumericComparison {
  /** sup |F_ref − F_cur|. */
  ksStatistic: number;
  /** ∫ |F_ref − F_cur| dx. */
  wasserstein: number;
  /** PSI / Jensen–Shannon bins: the shared edges and each side's counts. */
  bins: { edges: number[]; reference: number[]; current: number[] };
  /** Equal-width bins over the joint range, for drawing. */
  histogram: { edges: number[]; reference: number[]; current: number[] };
}

const MAX_BUCKETS = 16_384;
const VALUES_PER_BUCKET = 32;
// Offsets within a bucket's record of four numbers; the weight is at 0.
const MIN = 1;
const MAX = 2;
const OFFSET = 3;

/** Equal-width buckets over the joint range of both samples; a whole number of buckets per histogram bin. */
export interface BucketGrid {
  readonly lo: number;
  readonly hi: number;
  /** Buckets per unit; 0 puts everything in bucket 0 (a constant pair, or a range too wide for a double). */
  readonly scale: number;
  readonly step: number;
  readonly buckets: number;
  readonly histogramBins: number;
}

/** The grid for samples spanning [lo, hi] with `values` values in all (about 32 a bucket, at most 16,384 buckets). */
export function bucketGrid(lo: number, hi: number, values: number, histogramBins: number): BucketGrid {
  const wanted = Math.min(MAX_BUCKETS, Math.max(1, Math.ceil(values / VALUES_PER_BUCKET)));
  let buckets = histogramBins * Math.ceil(wanted / histogramBins);
  while (buckets > MAX_BUCKETS) buckets -= histogramBins;
  let scale = buckets / (hi - lo);
  if (!(Number.isFinite(scale) && scale > 0)) scale = 0;
  return { lo, hi, scale, step: scale === 0 ? 0 : (hi - lo) / buckets, buckets, histogramBins };
}

/** The bucket's start; offsets are taken from it, the same way everywhere, so that they cancel. */
function bucketStart(grid: BucketGrid, b: number): number {
  return grid.lo + b * grid.step;
}

/** The per-value arrays of a sample: its values and the bucket of each. */
export interface SampleBuffers {
  readonly values: Float64Array;
  readonly bucket: Uint16Array;
}

/**
 * Per-value arrays handed back and reused: a report over a hundred columns of a million rows
 * would otherwise allocate, and make the garbage collector chase, a gigabyte of them.
 */
export class BufferPool {
  private readonly free: SampleBuffers[] = [];

  take(capacity: number): SampleBuffers {
    const index = this.free.findIndex((buffers) => buffers.values.length >= capacity);
    if (index >= 0) return this.free.splice(index, 1)[0]!;
    return { values: new Float64Array(capacity), bucket: new Uint16Array(capacity) };
  }

  give(buffers: SampleBuffers): void {
    this.free.push(buffers);
  }
}

/** Anything that hands out values by index, such as a DuckDB vector of DOUBLEs. */
export interface ValueSource {
  readonly itemCount: number;
  getItem(index: number): unknown;
}

/**
 * One side's values dropped into a grid's buckets: the values themselves (kept for the few
 * buckets examined value by value), the bucket of each, and per bucket four numbers — weight,
 * smallest and largest value, Σ weight · (value − bucket start) — side by side so that one value's
 * updates touch one cache line.
 */
export class BucketedSample {
  readonly values: Float64Array;
  readonly counts: Float64Array | null;
  readonly bucket: Uint16Array;
  readonly stats: Float64Array;
  /** Values per bucket (the weight when each value is one row). */
  readonly entries: Float64Array;
  length = 0;
  /** Σ weights: rows with a finite value. */
  total = 0;
  /** NaN values skipped: NULL rows, as a data source encodes them. */
  missing = 0;
  /** ±Infinity values skipped: NaN and ±Infinity rows, as a data source encodes them. */
  nonFinite = 0;
  /** Moments are summed about the first value, which keeps the sums small next to the spread. */
  private shift = Number.NaN;
  private sum = 0;
  private squares = 0;

  /** `buffers` (from a BufferPool) must hold at least `capacity` values; their contents do not matter. */
  constructor(readonly grid: BucketGrid, capacity: number, weighted: boolean, buffers?: SampleBuffers) {
    this.values = buffers?.values ?? new Float64Array(capacity);
    this.counts = weighted ? new Float64Array(capacity) : null;
    this.bucket = buffers?.bucket ?? new Uint16Array(capacity);
    this.stats = new Float64Array(grid.buckets * 4);
    for (let b = 0; b < grid.buckets; b++) {
      this.stats[b * 4 + MIN] = Number.POSITIVE_INFINITY;
      this.stats[b * 4 + MAX] = Number.NEGATIVE_INFINITY;
    }
    this.entries = new Float64Array(grid.buckets);
  }

  /** A whole sample: unweighted values in any order, or strictly increasing values with counts. */
  static of(sample: NumericSample, grid: BucketGrid): BucketedSample {
    const bucketed = new BucketedSample(grid, sample.values.length, sample.counts !== null);
    if (sample.counts === null) bucketed.add({ itemCount: sample.values.length, getItem: (i) => sample.values[i] });
    else bucketed.addWeighted(sample.values, sample.counts);
    return bucketed;
  }

  /**
   * Adds unweighted values, skipping and counting NaN (as `missing`) and ±Infinity (as
   * `nonFinite`). The loop is the hot path of a drift report: it runs once per value of every
   * numeric column.
   */
  add(source: ValueSource): void {
    const { lo, scale, step } = this.grid;
    const last = this.grid.buckets - 1;
    const { values, bucket, stats } = this;
    const length = source.itemCount;
    for (let i = 0; i < length && Number.isNaN(this.shift); i++) {
      const v = source.getItem(i) as number;
      if (v - v === 0) this.shift = v;
    }
    const shift = this.shift;
    let n = this.length;
    let missing = 0;
    let infinite = 0;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < length; i++) {
      const v = source.getItem(i) as number;
      // v − v is 0 for finite values and NaN for NaN and ±Infinity.
      if (v - v !== 0) {
        if (v !== v) missing++;
        else infinite++;
        continue;
      }
      // (v − lo)·scale lies in [0, buckets], so `| 0` is floor.
      let b = ((v - lo) * scale) | 0;
      if (b > last) b = last;
      values[n] = v;
      bucket[n++] = b;
      const r = b * 4;
      stats[r]! += 1;
      if (v < stats[r + MIN]!) stats[r + MIN] = v;
      if (v > stats[r + MAX]!) stats[r + MAX] = v;
      stats[r + OFFSET]! += v - (lo + b * step);
      const d = v - shift;
      sum += d;
      squares += d * d;
    }
    this.total += n - this.length;
    this.length = n;
    this.missing += missing;
    this.nonFinite += infinite;
    this.sum += sum;
    this.squares += squares;
  }

  private addWeighted(values: Float64Array, counts: Float64Array): void {
    const { lo, scale } = this.grid;
    const last = this.grid.buckets - 1;
    this.shift = values[0]!;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const w = counts[i]!;
      let b = ((v - lo) * scale) | 0;
      if (b > last) b = last;
      this.values[i] = v;
      this.counts![i] = w;
      this.bucket[i] = b;
      this.entries[b]! += 1;
      const r = b * 4;
      this.stats[r]! += w;
      if (v < this.stats[r + MIN]!) this.stats[r + MIN] = v;
      if (v > this.stats[r + MAX]!) this.stats[r + MAX] = v;
      this.stats[r + OFFSET]! += w * (v - bucketStart(this.grid, b));
      this.total += w;
      const d = v - this.shift;
      this.sum += w * d;
      this.squares += w * d * d;
    }
    this.length = values.length;
  }

  /** Mean and sample standard deviation of the values added, from sums about the first value (ample for normalising distances). */
  moments(): { mean: number; std: number | null } {
    const n = this.total;
    const mean = this.shift + this.sum / n;
    const variance = n > 1 ? Math.max(0, (this.squares - (this.sum * this.sum) / n) / (n - 1)) : null;
    return { mean, std: variance === null ? null : Math.sqrt(variance) };
  }

  /** Values per bucket, filled in for unweighted samples once all values are in. */
  entryCounts(): Float64Array {
    if (this.counts === null) for (let b = 0; b < this.grid.buckets; b++) this.entries[b] = this.stats[b * 4]!;
    return this.entries;
  }
}

/** Index of the bin holding v: the number of edges below v. */
export function binOf(edges: readonly number[], v: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (edges[mid]! < v) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Ranks (1-based) of the reference order statistics used as bin edges: ⌈i·n/bins⌉, i = 1 … bins−1. */
export function quantileRanks(total: number, bins: number): number[] {
  return Array.from({ length: bins - 1 }, (_, i) => Math.ceil(((i + 1) * total) / bins));
}

/**
 * Compares the distributions of two numeric samples (both non-empty).
 *
 * @example
 *   const sample = (values: number[]) => ({ values: Float64Array.from(values), counts: null, total: values.length, min: Math.min(...values), max: Math.max(...values) });
 *   compareNumeric(sample([1, 2, 3]), sample([2, 3, 4]), { bins: 10, histogramBins: 20 }).ksStatistic; // 1/3
 */
export function compareNumeric(reference: NumericSample, current: NumericSample, options: NumericComparisonOptions): NumericComparison {
  const grid = bucketGrid(Math.min(reference.min, current.min), Math.max(reference.max, current.max),
    reference.values.length + current.values.length, options.histogramBins);
  return compareBucketed(BucketedSample.of(reference, grid), BucketedSample.of(current, grid), options);
}

/** A run of one side's values: in any order (one row each), or increasing with counts. */
interface Segment {
  values: Float64Array;
  counts: Float64Array | null;
}

/** One level of buckets over both sides: per bucket weight, min, max and offset sum (4 numbers), and values per bucket. */
interface Level {
  buckets: number;
  ref: { stats: Float64Array; entries: Float64Array };
  cur: { stats: Float64Array; entries: Float64Array };
  start(b: number): number;
}

/** Segments holding fewer values are sorted; larger ones are split into finer buckets first. */
const LEAF_SIZE = 64;
const SEGMENT_VALUES_PER_BUCKET = 16;
const MAX_SEGMENT_BUCKETS = 4096;

/**
 * One left-to-right pass over the merged distribution, in buckets where a bucket can be settled
 * as a whole and value by value (after finer bucketing or sorting) where it cannot. It carries the
 * cumulative weights, so every G it evaluates is exactly count/n − count/n.
 */
class DistributionWalk {
  cRef = 0;
  cCur = 0;
  wasserstein = 0;
  statistic = 0;
  private nextRank = 0;
  /** Distinct edges found so far, in increasing order (computed bins) or the given edges. */
  readonly edges: number[];
  readonly binsRef: number[];
  readonly binsCur: number[];

  constructor(
    private readonly nRef: number,
    private readonly nCur: number,
    /** Ranks of the reference order statistics that become bin edges; null when the edges are given. */
    private readonly ranks: number[] | null,
    givenEdges: readonly number[] | null,
  ) {
    this.edges = givenEdges ? [...givenEdges] : [];
    const bins = (givenEdges ? givenEdges.length : ranks!.length) + 1;
    this.binsRef = new Array<number>(bins).fill(0);
    this.binsCur = new Array<number>(bins).fill(0);
  }

  private g(cRef: number, cCur: number): number {
    return cRef / this.nRef - cCur / this.nCur;
  }

  /** The bin of values that all lie beyond the edges found so far and before the next one. */
  private binOfRun(v: number): number {
    return this.ranks ? this.edges.length : binOf(this.edges, v);
  }

  /** Resolves the ranks reached once the reference weight up to `v` is counted. */
  private reach(v: number): void {
    if (!this.ranks) return;
    while (this.nextRank < this.ranks.length && this.ranks[this.nextRank]! <= this.cRef) {
      // + 0 turns −0 into 0: the two are one value here, and edges print the same either way.
      if (this.edges[this.edges.length - 1] !== v) this.edges.push(v + 0);
      this.nextRank++;
    }
  }

  /**
   * Walks one level. `integrate` says whether ∫|G| over this level's range is still owed (it is
   * not when a parent settled it in closed form); `statistic` is the largest |G| seen anywhere.
   */
  walk(level: Level, integrate: boolean, segments: (flagged: Uint8Array) => SegmentSource): void {
    const { buckets, ref, cur } = level;
    const flagged = this.plan(level, integrate);
    const segment = flagged.some((mode) => mode !== SETTLE) ? segments(flagged) : null;
    let before = Number.NaN;
    let gBefore = 0;
    for (let b = 0; b < buckets; b++) {
      const r = b * 4;
      const wRef = ref.stats[r]!;
      const wCur = cur.stats[r]!;
      if (wRef + wCur === 0) continue;
      const first = Math.min(ref.stats[r + MIN]!, cur.stats[r + MIN]!);
      const last = Math.max(ref.stats[r + MAX]!, cur.stats[r + MAX]!);
      if (integrate && !Number.isNaN(before)) this.wasserstein += Math.abs(gBefore) * (first - before);
      const gEnd = this.g(this.cRef + wRef, this.cCur + wCur);
      const mode = flagged[b]!;
      if (integrate && first < last && mode !== DESCEND_AND_INTEGRATE) {
        // G keeps its sign over the bucket: ∫|G| = |∫F_ref − ∫F_cur|, each from the bucket's offsets.
        const width = last - first;
        const start = level.start(b);
        const areaRef = (this.cRef * width + wRef * (last - start) - ref.stats[r + OFFSET]!) / this.nRef;
        const areaCur = (this.cCur * width + wCur * (last - start) - cur.stats[r + OFFSET]!) / this.nCur;
        this.wasserstein += Math.abs(areaRef - areaCur);
      }
      if (mode !== SETTLE) {
        this.segment(segment!(b, 'ref'), segment!(b, 'cur'), mode === DESCEND_AND_INTEGRATE);
      } else {
        // The whole bucket lies in one bin, and holds a single value if it holds a rank.
        const bin = this.binOfRun(first);
        this.binsRef[bin]! += wRef;
        this.binsCur[bin]! += wCur;
        this.cRef += wRef;
        this.cCur += wCur;
        this.reach(first);
      }
      if (Math.abs(gEnd) > this.statistic) this.statistic = Math.abs(gEnd);
      before = last;
      gBefore = gEnd;
    }
  }

  /**
   * Decides per bucket: settled as a whole (its ∫|G| in closed form when G cannot change sign in
   * it), or walked value by value because G may cross zero there, may exceed the largest |G| known,
   * or a bin edge lies inside.
   */
  private plan(level: Level, integrate: boolean): Uint8Array {
    const { buckets, ref, cur } = level;
    const flagged = new Uint8Array(buckets);
    let cRef = this.cRef;
    let cCur = this.cCur;
    let rank = this.nextRank;
    for (let b = 0; b < buckets; b++) {
      const r = b * 4;
      const wRef = ref.stats[r]!;
      const wCur = cur.stats[r]!;
      if (wRef + wCur === 0) continue;
      const first = Math.min(ref.stats[r + MIN]!, cur.stats[r + MIN]!);
      const last = Math.max(ref.stats[r + MAX]!, cur.stats[r + MAX]!);
      let holdsRank = false;
      if (this.ranks) {
        while (rank < this.ranks.length && this.ranks[rank]! <= cRef + wRef) {
          holdsRank = true;
          rank++;
        }
      }
      if (first < last) {
        // Over the bucket G stays within [lower, upper].
        const upper = this.g(cRef + wRef, cCur);
        const lower = this.g(cRef, cCur + wCur);
        const crossing = integrate && lower < 0 && upper > 0;
        const maximum = upper > this.statistic || -lower > this.statistic;
        const edge = this.ranks ? holdsRank : binOf(this.edges, first) !== binOf(this.edges, last);
        flagged[b] = crossing ? DESCEND_AND_INTEGRATE : maximum || edge ? DESCEND : SETTLE;
      }
      cRef += wRef;
      cCur += wCur;
    }
    return flagged;
  }

  /** Walks the values of one bucket: sorted when few, else in finer buckets of their own. */
  segment(ref: Segment, cur: Segment, integrate: boolean): void {
    const size = ref.values.length + cur.values.length;
    if (size > LEAF_SIZE) {
      const level = bucketSegments(ref, cur, size);
      if (level) {
        this.walk(level.level, integrate, () => level.segment);
        return;
      }
    }
    this.leaf(sorted(ref), sorted(cur), integrate);
  }

  /** Walks sorted values one distinct value at a time, exactly as SciPy sums over the merged sample. */
  private leaf(ref: Segment, cur: Segment, integrate: boolean): void {
    let i = 0;
    let j = 0;
    const iEnd = ref.values.length;
    const jEnd = cur.values.length;
    let g = this.g(this.cRef, this.cCur);
    let previous = Number.NaN;
    while (i < iEnd || j < jEnd) {
      const z = j >= jEnd || (i < iEnd && ref.values[i]! <= cur.values[j]!) ? ref.values[i]! : cur.values[j]!;
      if (integrate && !Number.isNaN(previous)) this.wasserstein += Math.abs(g) * (z - previous);
      const bin = this.binOfRun(z);
      let wRef = 0;
      let wCur = 0;
      for (; i < iEnd && ref.values[i] === z; i++) wRef += ref.counts ? ref.counts[i]! : 1;
      for (; j < jEnd && cur.values[j] === z; j++) wCur += cur.counts ? cur.counts[j]! : 1;
      this.binsRef[bin]! += wRef;
      this.binsCur[bin]! += wCur;
      this.cRef += wRef;
      this.cCur += wCur;
      this.reach(z);
      g = this.g(this.cRef, this.cCur);
      if (Math.abs(g) > this.statistic) this.statistic = Math.abs(g);
      previous = z;
    }
  }
}

/** How the walk treats a bucket: as a whole, or value by value (also integrating |G| when it may change sign there). */
const SETTLE = 0;
const DESCEND = 1;
const DESCEND_AND_INTEGRATE = 2;

type SegmentSource = (b: number, side: 'ref' | 'cur') => Segment;

function sorted(segment: Segment): Segment {
  // A weighted segment comes from a sorted sample and kept its order.
  if (segment.counts === null) segment.values.sort();
  return segment;
}

/**
 * Finer equal-width buckets over the values of both segments, with each bucket's values gathered
 * into segments of their own; null when they would not split (all in one bucket).
 */
function bucketSegments(ref: Segment, cur: Segment, size: number): { level: Level; segment: SegmentSource } | null {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const { values } of [ref, cur]) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const buckets = Math.min(MAX_SEGMENT_BUCKETS, Math.max(2, Math.ceil(size / SEGMENT_VALUES_PER_BUCKET)));
  const scale = buckets / (hi - lo);
  if (!(Number.isFinite(scale) && scale > 0)) return null;
  const step = (hi - lo) / buckets;
  const start = (b: number) => lo + b * step;
  const split = (segment: Segment) => {
    const stats = new Float64Array(buckets * 4);
    for (let b = 0; b < buckets; b++) {
      stats[b * 4 + MIN] = Number.POSITIVE_INFINITY;
      stats[b * 4 + MAX] = Number.NEGATIVE_INFINITY;
    }
    const entries = new Float64Array(buckets);
    const { values, counts } = segment;
    const bucket = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const w = counts ? counts[i]! : 1;
      let b = ((v - lo) * scale) | 0;
      if (b >= buckets) b = buckets - 1;
      bucket[i] = b;
      entries[b]! += 1;
      const r = b * 4;
      stats[r]! += w;
      if (v < stats[r + MIN]!) stats[r + MIN] = v;
      if (v > stats[r + MAX]!) stats[r + MAX] = v;
      stats[r + OFFSET]! += w * (v - start(b));
    }
    // Counting sort: each bucket's values become one contiguous, order-keeping run.
    const offsets = new Uint32Array(buckets + 1);
    for (let b = 0; b < buckets; b++) offsets[b + 1] = offsets[b]! + entries[b]!;
    const cursor = offsets.slice(0, buckets);
    const grouped = new Float64Array(values.length);
    const groupedCounts = counts ? new Float64Array(values.length) : null;
    for (let i = 0; i < values.length; i++) {
      const at = cursor[bucket[i]!]!++;
      grouped[at] = values[i]!;
      if (groupedCounts) groupedCounts[at] = counts![i]!;
    }
    return { stats, entries, offsets, grouped, groupedCounts };
  };
  const a = split(ref);
  const c = split(cur);
  const nonEmpty = a.entries.reduce((n, e, b) => n + (e + c.entries[b]! > 0 ? 1 : 0), 0);
  if (nonEmpty < 2) return null;
  const run = (side: typeof a, b: number): Segment => ({
    values: side.grouped.subarray(side.offsets[b], side.offsets[b + 1]),
    counts: side.groupedCounts ? side.groupedCounts.subarray(side.offsets[b], side.offsets[b + 1]) : null,
  });
  return {
    level: { buckets, ref: a, cur: c, start },
    segment: (b, side) => run(side === 'ref' ? a : c, b),
  };
}

/** The values of every flagged top-level bucket, one contiguous run per bucket. */
function gather(side: BucketedSample, entries: Float64Array, flagged: Uint8Array): (b: number) => Segment {
  const buckets = entries.length;
  const start = new Uint32Array(buckets + 1);
  let total = 0;
  for (let b = 0; b < buckets; b++) {
    start[b] = total;
    if (flagged[b]) total += entries[b]!;
  }
  start[buckets] = total;
  const values = new Float64Array(total);
  const counts = side.counts ? new Float64Array(total) : null;
  const cursor = start.slice(0, buckets);
  const { bucket, values: source, length } = side;
  if (counts === null) {
    for (let i = 0; i < length; i++) {
      const b = bucket[i]!;
      if (flagged[b]) values[cursor[b]!++] = source[i]!;
    }
  } else {
    const weights = side.counts!;
    for (let i = 0; i < length; i++) {
      const b = bucket[i]!;
      if (!flagged[b]) continue;
      const at = cursor[b]!++;
      values[at] = source[i]!;
      counts[at] = weights[i]!;
    }
  }
  return (b) => ({ values: values.subarray(start[b], start[b]! + entries[b]!), counts: counts ? counts.subarray(start[b], start[b]! + entries[b]!) : null });
}

/** Compares two samples already dropped into the same grid (both non-empty). */
export function compareBucketed(a: BucketedSample, c: BucketedSample, options: Omit<NumericComparisonOptions, 'histogramBins'>): NumericComparison {
  const { grid } = a;
  const { buckets, lo, hi, histogramBins } = grid;
  const entriesRef = a.entryCounts();
  const entriesCur = c.entryCounts();
  const walk = new DistributionWalk(a.total, c.total, options.referenceBins ? null : quantileRanks(a.total, options.bins), options.referenceBins?.edges ?? null);
  // Every bucket's last value is a point of the merged sample: the largest |G| among them is a
  // lower bound of the statistic that lets most buckets be settled without looking inside.
  let cRef = 0;
  let cCur = 0;
  for (let b = 0; b < buckets; b++) {
    cRef += a.stats[b * 4]!;
    cCur += c.stats[b * 4]!;
    walk.statistic = Math.max(walk.statistic, Math.abs(cRef / a.total - cCur / c.total));
  }
  const level: Level = { buckets, ref: { stats: a.stats, entries: entriesRef }, cur: { stats: c.stats, entries: entriesCur }, start: (b) => bucketStart(grid, b) };
  // The top level's values are not grouped by bucket: the flagged buckets' values are gathered in
  // one pass per side, once the plan is known.
  walk.walk(level, true, (flagged) => {
    const ref = gather(a, entriesRef, flagged);
    const cur = gather(c, entriesCur, flagged);
    return (b, side) => (side === 'ref' ? ref(b) : cur(b));
  });

  const edges = walk.edges;
  const binsRef = options.referenceBins ? [...options.referenceBins.counts] : walk.binsRef.slice(0, edges.length + 1);
  const binsCur = walk.binsCur.slice(0, edges.length + 1);
  const perHistogram = buckets / histogramBins;
  const histRef = new Array<number>(histogramBins).fill(0);
  const histCur = new Array<number>(histogramBins).fill(0);
  for (let b = 0; b < buckets; b++) {
    const h = Math.floor(b / perHistogram);
    histRef[h]! += a.stats[b * 4]!;
    histCur[h]! += c.stats[b * 4]!;
  }
  const histogramEdges = Array.from({ length: histogramBins + 1 }, (_, i) => (i === histogramBins ? hi : lo + (i * (hi - lo)) / histogramBins));
  return {
    ksStatistic: walk.statistic,
    wasserstein: walk.wasserstein,
    bins: { edges: [...edges], reference: binsRef, current: binsCur },
    histogram: { edges: histogramEdges, reference: histRef, current: histCur },
  };
}
