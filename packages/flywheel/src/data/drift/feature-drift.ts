import { chiSquareContingency } from './chi-square.js';
import type { ColumnDescription } from './data-source.js';
import { jensenShannonDistance, lInfinityDistance, populationStabilityIndex } from './divergence.js';
import type { DriftCheck, DriftFeature, DriftSideCounts } from './drift-format.js';
import { ksTwoSampleTest } from './ks-test.js';
import { compareBucketed } from './numeric-comparison.js';
import type { CategoricalThresholds, CompiledDriftOptions, NumericThresholds } from './options.js';
import type { CategoricalSide, NumericSide } from './side.js';

type Types = { reference: string | null; current: string | null };

const EXAMPLES = 5;

function significance(test: string, pValue: number, threshold: number | null): DriftCheck[] {
  return threshold === null ? [] : [{ test, role: 'significance', value: pValue, threshold, met: pValue < threshold }];
}

function effect(test: string, value: number | null, threshold: number | null, nonZero = false): DriftCheck[] {
  if (threshold === null) return [];
  return [{ test, role: 'effect', value, threshold, met: value === null ? nonZero : value >= threshold }];
}

/** Drifted: every significance check met, and some effect check met (or none set, then significance alone). */
function verdict(checks: DriftCheck[]): 'drifted' | 'stable' {
  const significant = checks.filter((c) => c.role === 'significance');
  const effects = checks.filter((c) => c.role === 'effect');
  if (checks.length === 0) return 'stable';
  const isSignificant = significant.every((c) => c.met);
  const hasEffect = effects.length === 0 || effects.some((c) => c.met);
  return isSignificant && hasEffect ? 'drifted' : 'stable';
}

function moments(side: NumericSide, column: ColumnDescription) {
  return { min: column.range?.min ?? Number.NaN, max: column.range?.max ?? Number.NaN, mean: side.mean, std: side.std };
}

/** A feature that was not compared, and why. */
export function notCompared(
  name: string, kind: 'numeric' | 'categorical' | 'other', types: Types, reason: Extract<DriftFeature, { status: 'not_compared' }>['reason'],
  description: string, counts: { reference: DriftSideCounts | null; current: DriftSideCounts | null } = { reference: null, current: null },
): DriftFeature {
  return { name, types, reference: counts.reference, current: counts.current, status: 'not_compared', kind, reason, description };
}

/** Compares a numeric feature; both sides have values. */
export function numericFeature(
  name: string, types: Types, columns: { reference: ColumnDescription; current: ColumnDescription },
  reference: NumericSide, current: NumericSide, options: CompiledDriftOptions, thresholds: NumericThresholds,
): DriftFeature {
  const storedBins = reference.bins !== null && reference.bins.count === options.bins ? reference.bins : undefined;
  const compared = compareBucketed(reference.bucketed, current.bucketed, { bins: options.bins, ...(storedBins ? { referenceBins: storedBins } : {}) });
  const ks = ksTwoSampleTest(reference.bucketed.total, current.bucketed.total, compared.ksStatistic);
  const psi = populationStabilityIndex(compared.bins.reference, compared.bins.current, options.psiEpsilon);
  const jensenShannon = jensenShannonDistance(compared.bins.reference, compared.bins.current);
  const distance = compared.wasserstein;
  const std = reference.std ?? 0;
  const normalized = std > 0 ? distance / std : distance === 0 ? 0 : null;
  const checks = [
    ...significance('ks_p_value', ks.pValue, thresholds.pValue),
    ...effect('ks_statistic', ks.statistic, thresholds.ksStatistic),
    ...effect('wasserstein_normalized', normalized, thresholds.wassersteinNormalized, distance > 0),
    ...effect('psi', psi, thresholds.psi),
    ...effect('jensen_shannon', jensenShannon, thresholds.jensenShannon),
  ];
  const bounds = [reference.errorBound, current.errorBound].filter((b) => b !== null);
  return {
    name,
    types,
    reference: { count: reference.bucketed.total, missing: reference.missing, nonFinite: reference.nonFinite },
    current: { count: current.bucketed.total, missing: current.missing, nonFinite: current.nonFinite },
    status: verdict(checks),
    kind: 'numeric',
    checks,
    numeric: {
      tests: {
        ks: { statistic: ks.statistic, pValue: ks.pValue, method: ks.method },
        wasserstein: { distance, normalized },
        psi,
        jensenShannon,
      },
      reference: moments(reference, columns.reference),
      current: moments(current, columns.current),
      bins: compared.bins,
      histogram: compared.histogram,
      errorBound: bounds.length === 0 ? null : {
        ksStatistic: bounds.reduce((s, b) => s + b.ksStatistic, 0),
        wasserstein: bounds.reduce((s, b) => s + b.wasserstein, 0),
      },
    },
  };
}

const OTHER = Symbol('other');
type Cell = string | typeof OTHER;

/**
 * The categories compared cell by cell. With exact counts on both sides: every category seen on
 * either side. When a side only knows its most frequent categories, only categories every such
 * side lists are compared one by one, and all the others are pooled into one cell on both sides.
 */
function cells(reference: CategoricalSide, current: CategoricalSide): { cells: Cell[]; reference: number[]; current: number[] } {
  const inexact = [reference, current].filter((side) => !side.exact);
  const known = new Set<string>([...reference.counts.keys(), ...current.counts.keys()]);
  const explicit = [...known].filter((value) => inexact.every((side) => side.counts.has(value)));
  const explicitSet = new Set(explicit);
  const pooled = (side: CategoricalSide) => side.otherCount + [...side.counts].reduce((s, [value, n]) => (explicitSet.has(value) ? s : s + n), 0);
  const list: Cell[] = [...explicit];
  const refCounts = explicit.map((value) => reference.counts.get(value) ?? 0);
  const curCounts = explicit.map((value) => current.counts.get(value) ?? 0);
  const poolRef = pooled(reference);
  const poolCur = pooled(current);
  if (poolRef + poolCur > 0) {
    list.push(OTHER);
    refCounts.push(poolRef);
    curCounts.push(poolCur);
  }
  return { cells: list, reference: refCounts, current: curCounts };
}

function byFrequency(values: { value: string; n: number }[]): string[] {
  return values.sort((a, b) => b.n - a.n || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).map((v) => v.value);
}

/** Compares a categorical feature; both sides have values. */
export function categoricalFeature(
  name: string, types: Types, reference: CategoricalSide, current: CategoricalSide, options: CompiledDriftOptions, thresholds: CategoricalThresholds,
): DriftFeature {
  const table = cells(reference, current);
  const chiSquare = chiSquareContingency(table.reference, table.current);
  const lInfinity = lInfinityDistance(table.reference, table.current);
  const jensenShannon = jensenShannonDistance(table.reference, table.current);
  const checks = [
    ...significance('chi_square_p_value', chiSquare.pValue, thresholds.pValue),
    ...effect('l_infinity', lInfinity, thresholds.lInfinity),
    ...effect('jensen_shannon', jensenShannon, thresholds.jensenShannon),
  ];

  const rows = table.cells.flatMap((cell, i) => (cell === OTHER ? [] : [{ value: cell, reference: table.reference[i]!, current: table.current[i]! }]));
  const ordered = byFrequency(rows.map((r) => ({ value: r.value, n: r.reference + r.current })));
  const rowOf = new Map(rows.map((r) => [r.value, r]));
  const listed = ordered.slice(0, options.maxCategories).map((value) => rowOf.get(value)!);
  const rest = ordered.slice(options.maxCategories).map((value) => rowOf.get(value)!);
  const otherIndex = table.cells.indexOf(OTHER);
  const pooledRef = otherIndex < 0 ? 0 : table.reference[otherIndex]!;
  const pooledCur = otherIndex < 0 ? 0 : table.current[otherIndex]!;
  const unseen = rows.filter((r) => r.reference === 0);
  const vanished = rows.filter((r) => r.current === 0);
  const total = (list: typeof rows, side: 'reference' | 'current') => list.reduce((s, r) => s + r[side], 0);
  const refTotal = table.reference.reduce((s, x) => s + x, 0);
  const curTotal = table.current.reduce((s, x) => s + x, 0);

  return {
    name,
    types,
    reference: { count: refTotal, missing: reference.missing, nonFinite: 0 },
    current: { count: curTotal, missing: current.missing, nonFinite: 0 },
    status: verdict(checks),
    kind: 'categorical',
    checks,
    categorical: {
      tests: { chiSquare, lInfinity, jensenShannon },
      categories: listed,
      others: {
        categories: rest.length,
        reference: total(rest, 'reference') + pooledRef,
        current: total(rest, 'current') + pooledCur,
      },
      unseen: {
        categories: unseen.length,
        current: total(unseen, 'current'),
        examples: byFrequency(unseen.map((r) => ({ value: r.value, n: r.current }))).slice(0, EXAMPLES),
      },
      vanished: {
        categories: vanished.length,
        reference: total(vanished, 'reference'),
        examples: byFrequency(vanished.map((r) => ({ value: r.value, n: r.reference }))).slice(0, EXAMPLES),
      },
      exact: reference.exact && current.exact,
    },
  };
}
