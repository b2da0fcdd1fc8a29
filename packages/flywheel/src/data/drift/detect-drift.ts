import type { ColumnDescription } from './data-source.js';
import { withDuckDbConnections } from './data-source.js';
import { DRIFT_FORMAT } from './drift-format.js';
import type { DriftFeature, DriftReport, DriftSideCounts } from './drift-format.js';
import { categoricalFeature, notCompared, numericFeature } from './feature-drift.js';
import { categoricalThresholdsFor, compileDriftOptions, numericThresholdsFor } from './options.js';
import type { CompiledDriftOptions, DriftOptions } from './options.js';
import { BufferPool, bucketGrid } from './numeric-comparison.js';
import { openSide } from './side.js';
import type { DriftInput, NumericSide, Side } from './side.js';

export interface DetectDriftInput {
  /** The baseline: a data file (Parquet, CSV, JSON; a glob of them) or a drift profile (object or `.json` file). */
  reference: DriftInput;
  /** The data to check, in the same forms. */
  current: DriftInput;
  options?: DriftOptions;
}

/** Numeric columns read per scan: enough to keep DuckDB's threads busy, few enough to bound memory. */
const NUMERIC_BATCH = 4;

interface Pair {
  name: string;
  reference: ColumnDescription | undefined;
  current: ColumnDescription | undefined;
}

interface ComparedPair {
  name: string;
  reference: ColumnDescription;
  current: ColumnDescription;
}

type Planned =
  | { kind: 'numeric' | 'categorical'; pair: ComparedPair }
  | { kind: 'done'; feature: DriftFeature };

function typesOf(pair: Pair) {
  return { reference: pair.reference?.type ?? null, current: pair.current?.type ?? null };
}

/** Decides per column whether and how it is compared. */
function plan(pair: Pair, options: CompiledDriftOptions): Planned {
  const { name, reference, current } = pair;
  const types = typesOf(pair);
  const kind = reference?.kind ?? current?.kind ?? 'other';
  if (options.features[name]?.ignore) {
    return { kind: 'done', feature: notCompared(name, kind, types, 'ignored', 'ignored by the options') };
  }
  if (!reference || !current) {
    const [reason, description] = !reference
      ? ['missing_in_reference', 'the column is only in the current data'] as const
      : ['missing_in_current', 'the column is only in the reference data'] as const;
    return { kind: 'done', feature: notCompared(name, kind, types, reason, description) };
  }
  if (reference.kind !== current.kind) {
    return {
      kind: 'done',
      feature: notCompared(name, 'other', types, 'type_mismatch', `${reference.type} in the reference, ${current.type} in the current data`),
    };
  }
  if (reference.kind === 'other') {
    return {
      kind: 'done',
      feature: notCompared(name, 'other', types, 'unsupported_type', `${reference.type} columns are not compared (only numbers, strings and booleans are)`),
    };
  }
  return { kind: reference.kind, pair: { name, reference, current } };
}

function noValues(pair: ComparedPair, kind: 'numeric' | 'categorical', counts: { reference: DriftSideCounts; current: DriftSideCounts }): DriftFeature {
  const empty = [counts.reference.count === 0 && 'reference', counts.current.count === 0 && 'current'].filter(Boolean).join(' and ');
  return notCompared(pair.name, kind, typesOf(pair), 'no_values', `no ${kind === 'numeric' ? 'finite ' : ''}values in the ${empty} data`, counts);
}

/** The buckets a numeric pair is compared in: over both sides' joint finite range. */
function gridFor(pair: ComparedPair, reference: Side, current: Side, options: CompiledDriftOptions) {
  const ranges = [pair.reference.range, pair.current.range].filter((r) => r !== null);
  const lo = ranges.length === 0 ? 0 : Math.min(...ranges.map((r) => r.min));
  const hi = ranges.length === 0 ? 0 : Math.max(...ranges.map((r) => r.max));
  const values = reference.rows + current.rows;
  return bucketGrid(lo, hi, values, options.histogramBins);
}

async function compareNumericColumns(
  pairs: ComparedPair[], reference: Side, current: Side, options: CompiledDriftOptions, features: Map<string, DriftFeature>,
): Promise<void> {
  const batches: ComparedPair[][] = [];
  for (let i = 0; i < pairs.length; i += NUMERIC_BATCH) batches.push(pairs.slice(i, i + NUMERIC_BATCH));
  const start = (batch: ComparedPair[]) => {
    const columns = batch.map((pair) => ({ name: pair.name, grid: gridFor(pair, reference, current, options) }));
    const started = Promise.all([reference.startNumeric(columns), current.startNumeric(columns)]);
    // Awaited in the next round; until then a failure must not count as unhandled.
    started.catch(() => undefined);
    return started;
  };
  let pending = batches.length > 0 ? start(batches[0]!) : null;
  for (let b = 0; b < batches.length; b++) {
    const [refBatch, curBatch] = await pending!;
    // The next scan runs on DuckDB's threads while this batch is read and compared.
    pending = b + 1 < batches.length ? start(batches[b + 1]!) : null;
    const refColumns = await refBatch.read();
    const curColumns = await curBatch.read();
    batches[b]!.forEach((pair, i) => {
      const ref: NumericSide = refColumns[i]!;
      const cur: NumericSide = curColumns[i]!;
      const counts = {
        reference: { count: ref.bucketed.total, missing: ref.missing, nonFinite: ref.nonFinite },
        current: { count: cur.bucketed.total, missing: cur.missing, nonFinite: cur.nonFinite },
      };
      features.set(pair.name, ref.bucketed.total === 0 || cur.bucketed.total === 0
        ? noValues(pair, 'numeric', counts)
        : numericFeature(pair.name, typesOf(pair), pair, ref, cur, options, numericThresholdsFor(options, pair.name)));
      ref.release();
      cur.release();
    });
  }
}

async function compareCategoricalColumns(
  pairs: ComparedPair[], reference: Side, current: Side, options: CompiledDriftOptions, features: Map<string, DriftFeature>,
): Promise<void> {
  for (const pair of pairs) {
    const [ref, cur] = await Promise.all([reference.categories(pair.name), current.categories(pair.name)]);
    const total = (side: typeof ref) => [...side.counts.values()].reduce((s, n) => s + n, side.otherCount);
    const counts = {
      reference: { count: total(ref), missing: ref.missing, nonFinite: 0 },
      current: { count: total(cur), missing: cur.missing, nonFinite: 0 },
    };
    features.set(pair.name, counts.reference.count === 0 || counts.current.count === 0
      ? noValues(pair, 'categorical', counts)
      : categoricalFeature(pair.name, typesOf(pair), ref, cur, options, categoricalThresholdsFor(options, pair.name)));
  }
}

/**
 * Compares the distribution of every column of `current` with the same column of `reference` and
 * says which drifted. Numeric columns get the two-sample Kolmogorov–Smirnov test, the Wasserstein
 * distance, PSI and Jensen–Shannon distance; categorical columns (strings, booleans) the
 * chi-square test, the L-infinity and Jensen–Shannon distances. All values match SciPy's. DuckDB
 * scans the data files; a side given as a drift profile is not scanned at all.
 *
 * @example
 *   const report = await detectDrift({ reference: 'data/2001-01.parquet', current: 'data/2001-02.parquet' });
 *   report.summary; // { features: 7, compared: 6, drifted: 0, share: 0, datasetDrift: false }
 *   report.features.filter((f) => f.status === 'drifted').map((f) => f.name);
 */
export async function detectDrift(input: DetectDriftInput): Promise<DriftReport> {
  const options = compileDriftOptions(input.options);
  return withDuckDbConnections(6, async ([r1, r2, r3, c1, c2, c3]) => {
    const pool = new BufferPool();
    const reference = await openSide([r1!, r2!, r3!], input.reference, 'reference', pool);
    const current = await openSide([c1!, c2!, c3!], input.current, 'current', pool);
    const byName = (side: Side) => new Map(side.columns.map((c) => [c.name, c]));
    const refColumns = byName(reference);
    const curColumns = byName(current);
    const names = [...refColumns.keys(), ...[...curColumns.keys()].filter((name) => !refColumns.has(name))];
    const planned = names.map((name) => plan({ name, reference: refColumns.get(name), current: curColumns.get(name) }, options));

    const features = new Map<string, DriftFeature>();
    for (const p of planned) if (p.kind === 'done') features.set(p.feature.name, p.feature);
    const pairsOf = (kind: 'numeric' | 'categorical') => planned.flatMap((p) => (p.kind === kind ? [p.pair] : []));
    // Categorical counts come from connections of their own, so DuckDB computes them while
    // JavaScript works through the numeric columns. Both finish before the connections close.
    const outcomes = await Promise.allSettled([
      compareNumericColumns(pairsOf('numeric'), reference, current, options, features),
      compareCategoricalColumns(pairsOf('categorical'), reference, current, options, features),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;

    const ordered = names.map((name) => features.get(name)!);
    const compared = ordered.filter((f) => f.status !== 'not_compared').length;
    const drifted = ordered.filter((f) => f.status === 'drifted').length;
    const share = compared === 0 ? 0 : drifted / compared;
    return {
      format: DRIFT_FORMAT,
      kind: options.kind,
      reference: { path: reference.path, from: reference.from, rows: reference.rows },
      current: { path: current.path, from: current.from, rows: current.rows },
      settings: { bins: options.bins, histogramBins: options.histogramBins, psiEpsilon: options.psiEpsilon, driftShare: options.driftShare },
      summary: { features: ordered.length, compared, drifted, share, datasetDrift: share > options.driftShare },
      features: ordered,
    };
  });
}
