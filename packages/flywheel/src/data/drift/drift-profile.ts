import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import { bucketColumns, DuckDbDataSource, withDuckDbConnections } from './data-source.js';
import { DRIFT_PROFILE_FORMAT } from './drift-profile-format.js';
import type { CategoricalProfile, DriftProfile, DriftProfileColumn, NumericProfile } from './drift-profile-format.js';
import { binOf, BucketedSample, bucketGrid, quantileRanks } from './numeric-comparison.js';

/** Options of computeDriftProfile; every field is optional. */
export interface DriftProfileOptions {
  /** Reference-quantile bins stored for PSI and Jensen–Shannon; match detectDrift's `bins`. Default 10. */
  bins?: number;
  /** Columns with at most this many distinct values (numbers or categories) are stored exactly. Default 10,000. */
  maxDistinctValues?: number;
  /** Groups a numeric column with more distinct values is summarised into. Default 10,000. */
  quantiles?: number;
}

export const driftProfileOptionsSchema = z.strictObject({
  bins: z.number().int().min(2).max(1000).optional(),
  maxDistinctValues: z.number().int().positive().optional(),
  quantiles: z.number().int().min(2).optional(),
});

const NUMERIC_BATCH = 4;

/** Distinct values of a sorted array with how often each occurs. */
function compact(sorted: Float64Array): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (i > 0 && sorted[i - 1] === v) counts[counts.length - 1]! += 1;
    else {
      values.push(v);
      counts.push(1);
    }
  }
  return { values, counts };
}

/**
 * Cuts sorted values into `groups` runs of consecutive values (sizes differing by at most one),
 * each stored as its median value and its size; equal medians are merged. Replacing every value by
 * its group's median moves no CDF value by more than the largest group's share, and moves each
 * value by at most its group's range, which gives the stored error bounds.
 */
function summarise(sorted: Float64Array, groups: number): NumericProfile['distribution'] {
  const n = sorted.length;
  const values: number[] = [];
  const counts: number[] = [];
  let largest = 0;
  let moved = 0;
  for (let g = 0; g < groups; g++) {
    const start = Math.floor((g * n) / groups);
    const end = Math.floor(((g + 1) * n) / groups);
    if (end === start) continue;
    const size = end - start;
    const median = sorted[start + Math.floor((size - 1) / 2)]!;
    largest = Math.max(largest, size);
    moved += size * (sorted[end - 1]! - sorted[start]!);
    if (values.length > 0 && values[values.length - 1] === median) counts[counts.length - 1]! += size;
    else {
      values.push(median);
      counts.push(size);
    }
  }
  return { exact: false, values, counts, errorBound: { ksStatistic: largest / n, wasserstein: moved / n } };
}

function numericProfile(sample: BucketedSample, options: Required<DriftProfileOptions>): NumericProfile | null {
  if (sample.length === 0) return null;
  const sorted = sample.values.subarray(0, sample.length).sort();
  const exact = compact(sorted);
  const distribution = exact.values.length <= options.maxDistinctValues || sorted.length <= options.quantiles
    ? { exact: true, ...exact, errorBound: null }
    : summarise(sorted, options.quantiles);
  const edges = [...new Set(quantileRanks(sorted.length, options.bins).map((rank) => sorted[rank - 1]! + 0))];
  const binCounts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < exact.values.length; i++) binCounts[binOf(edges, exact.values[i]!)]! += exact.counts[i]!;
  const { mean, std } = sample.moments();
  return {
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    mean,
    std,
    distribution,
    bins: { count: options.bins, edges, counts: binCounts },
  };
}

function categoricalProfile(counts: Map<string, number>, maxDistinct: number): CategoricalProfile {
  const ordered = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const kept = ordered.slice(0, maxDistinct);
  return {
    values: kept.map(([value]) => value),
    counts: kept.map(([, n]) => n),
    exact: kept.length === ordered.length,
    otherCount: ordered.slice(maxDistinct).reduce((s, [, n]) => s + n, 0),
  };
}

/**
 * What detectDrift needs of a data file, so that later comparisons against it never scan it again:
 * per numeric column its distinct values with their counts (or, beyond `maxDistinctValues`, a
 * summary of `quantiles` groups with stated error bounds), its exact PSI bins and moments; per
 * categorical column its category counts.
 *
 * @example
 *   const profile = await computeDriftProfile('data/2001-01.parquet');
 *   await writeJsonFile('data/2001-01.drift-profile.json', profile);
 *   await detectDrift({ reference: 'data/2001-01.drift-profile.json', current: 'data/2001-02.parquet' });
 */
export async function computeDriftProfile(path: string, options: DriftProfileOptions = {}): Promise<DriftProfile> {
  const parsed = driftProfileOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(['options', ...issue.path.map(String)].join('.'), issue.message);
  }
  const settings = { bins: parsed.data.bins ?? 10, maxDistinctValues: parsed.data.maxDistinctValues ?? 10_000, quantiles: parsed.data.quantiles ?? 10_000 };
  return withDuckDbConnections(3, async ([first, second, third]) => {
    const source = await DuckDbDataSource.open([first!, second!, third!], path, 'path', 'profiled');
    const numeric = source.columns.filter((c) => c.kind === 'numeric');
    const profiles = new Map<string, DriftProfileColumn>();
    for (let i = 0; i < numeric.length; i += NUMERIC_BATCH) {
      const batch = numeric.slice(i, i + NUMERIC_BATCH);
      const stream = await source.streamNumeric(batch.map((c) => c.name));
      // One bucket: only the values and the counts of what was skipped are wanted here.
      const samples = batch.map(() => new BucketedSample(bucketGrid(0, 0, 1, 1), source.rows, false));
      await bucketColumns(stream, samples);
      batch.forEach(({ name, type }, j) => {
        const sample = samples[j]!;
        profiles.set(name, {
          name, type, kind: 'numeric', count: sample.total, missing: sample.missing, nonFinite: sample.nonFinite,
          numeric: numericProfile(sample, settings),
        });
      });
    }
    for (const { name, type, kind } of source.columns) {
      if (kind !== 'categorical') continue;
      const counts = await source.categoryCounts(name);
      const count = [...counts.values()].reduce((s, n) => s + n, 0);
      profiles.set(name, { name, type, kind, count, missing: source.rows - count, nonFinite: 0, categorical: categoricalProfile(counts, settings.maxDistinctValues) });
    }
    const others = source.columns.filter((c) => c.kind === 'other');
    const present = await source.nonNullCounts(others.map((c) => c.name));
    others.forEach(({ name, type }, i) => {
      profiles.set(name, { name, type, kind: 'other', count: present[i]!, missing: source.rows - present[i]!, nonFinite: 0 });
    });
    return {
      format: DRIFT_PROFILE_FORMAT,
      source: path,
      rows: source.rows,
      settings: { maxDistinctValues: settings.maxDistinctValues, quantiles: settings.quantiles },
      columns: source.columns.map((c) => profiles.get(c.name)!),
    };
  });
}
