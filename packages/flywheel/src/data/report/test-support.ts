import { DRIFT_FORMAT } from '../drift/drift-format.js';
import type { DriftFeature, DriftReport } from '../drift/drift-format.js';
import { STATISTICS_FORMAT } from '../statistics-format.js';
import type { ColumnStatistics, DatasetStatistics } from '../statistics-format.js';

/** A numeric column whose histogram and moments agree, for report tests. */
export function numericColumn(name: string, counts: number[], low: number, high: number, missing = 0): ColumnStatistics {
  const count = counts.reduce((sum, c) => sum + c, 0);
  const width = (high - low) / counts.length;
  const edges = counts.map((_, i) => low + i * width).concat(high);
  const mean = count > 0 ? counts.reduce((sum, c, i) => sum + c * (low + (i + 0.5) * width), 0) / count : null;
  return {
    name, type: 'DOUBLE', kind: 'numeric', count, missing, distinct: Math.min(count, counts.length * 7),
    numeric: {
      min: count > 0 ? low : null, max: count > 0 ? high : null, mean, std: count > 1 ? width * 3 : null, nonFinite: 0,
      quantiles: count > 0 ? { p01: low, p25: low + (high - low) / 4, p50: (low + high) / 2, p75: high - (high - low) / 4, p99: high } : null,
      histogram: count > 0 ? { edges, counts } : null,
    },
  };
}

export function categoricalColumn(name: string, values: [string, number][], missing = 0): ColumnStatistics {
  const count = values.reduce((sum, [, c]) => sum + c, 0);
  const lengths = values.map(([value]) => [...value].length);
  return {
    name, type: 'VARCHAR', kind: 'categorical', count, missing, distinct: values.length,
    categorical: {
      topValues: values.map(([value, c]) => ({ value, count: c })),
      allValues: true,
      length: values.length > 0 ? { min: Math.min(...lengths), mean: lengths.reduce((a, b) => a + b, 0) / lengths.length, max: Math.max(...lengths) } : null,
    },
  };
}

export function statisticsOf(rowCount: number, columns: ColumnStatistics[]): DatasetStatistics {
  return { format: STATISTICS_FORMAT, rowCount, exact: { distinct: true, quantiles: true }, columns };
}

/**
 * Statistics of a wide dataset (numeric, categorical, boolean and timestamp columns in turn) with
 * full histograms and 20 top values each, the shape a 10,000-feature report has to cope with.
 */
export function wideStatistics(features: number, rowCount = 10_000): DatasetStatistics {
  const columns: ColumnStatistics[] = [];
  for (let i = 0; i < features; i++) {
    const name = `feature_${String(i).padStart(5, '0')}`;
    const missing = i % 7;
    const present = rowCount - missing;
    switch (i % 4) {
      case 0: {
        const counts = Array.from({ length: 20 }, (_, bin) => Math.round(Math.exp(-((bin - 10 - (i % 5)) ** 2) / 18) * 1000));
        const scale = present / counts.reduce((a, b) => a + b, 0);
        const scaled = counts.map((c) => Math.floor(c * scale));
        scaled[0]! += present - scaled.reduce((a, b) => a + b, 0);
        columns.push(numericColumn(name, scaled, -i, i + 100, missing));
        break;
      }
      case 1: {
        const values: [string, number][] = Array.from({ length: 20 }, (_, v) => [`category ${v} of ${name}`, 0]);
        let left = present;
        values.forEach((value, v) => {
          value[1] = v === values.length - 1 ? left : Math.floor(left / 2);
          left -= value[1];
        });
        columns.push(categoricalColumn(name, values, missing));
        break;
      }
      case 2:
        columns.push({ name, type: 'BOOLEAN', kind: 'boolean', count: present, missing, distinct: 2, boolean: { trueCount: Math.floor(present / 3), falseCount: present - Math.floor(present / 3) } });
        break;
      default:
        columns.push({ name, type: 'TIMESTAMP', kind: 'timestamp', count: present, missing, distinct: present, timestamp: { min: '2001-01-01 00:00:00', max: '2001-01-31 23:59:00' } });
    }
  }
  return statisticsOf(rowCount, columns);
}

/** A numeric feature of a drift report whose histograms are the given counts over [low, high]. */
export function numericDrift(name: string, reference: number[], current: number[], low: number, high: number, drifted: boolean): DriftFeature {
  const edges = reference.map((_, i) => low + ((high - low) * i) / reference.length).concat(high);
  const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  const mean = (counts: number[]) => counts.reduce((total, c, i) => total + c * (edges[i]! + edges[i + 1]!) / 2, 0) / Math.max(sum(counts), 1);
  const moments = (counts: number[]) => ({ min: low, max: high, mean: mean(counts), std: (high - low) / 6 });
  return {
    name, types: { reference: 'DOUBLE', current: 'DOUBLE' }, status: drifted ? 'drifted' : 'stable', kind: 'numeric',
    reference: { count: sum(reference), missing: 0, nonFinite: 0 },
    current: { count: sum(current), missing: 2, nonFinite: 0 },
    checks: [
      { test: 'ks_p_value', role: 'significance', value: drifted ? 1.2e-12 : 0.41, threshold: 0.05, met: drifted },
      { test: 'wasserstein_normalized', role: 'effect', value: drifted ? 0.31 : 0.02, threshold: 0.1, met: drifted },
      { test: 'psi', role: 'effect', value: drifted ? 0.27 : 0.01, threshold: 0.2, met: drifted },
    ],
    numeric: {
      tests: {
        ks: { statistic: drifted ? 0.18 : 0.02, pValue: drifted ? 1.2e-12 : 0.41, method: 'asymptotic' },
        wasserstein: { distance: drifted ? 3.1 : 0.2, normalized: drifted ? 0.31 : 0.02 },
        psi: drifted ? 0.27 : 0.01,
        jensenShannon: drifted ? 0.21 : 0.03,
      },
      reference: moments(reference),
      current: moments(current),
      bins: { edges: edges.slice(1, -1), reference, current },
      histogram: { edges, reference, current },
      errorBound: null,
    },
  };
}

/** A categorical feature of a drift report over the given (value, reference count, current count) rows. */
export function categoricalDrift(name: string, rows: [string, number, number][], drifted: boolean): DriftFeature {
  const unseen = rows.filter(([, reference, current]) => reference === 0 && current > 0);
  const vanished = rows.filter(([, reference, current]) => reference > 0 && current === 0);
  const total = (pick: 1 | 2) => rows.reduce((sum, row) => sum + row[pick], 0);
  return {
    name, types: { reference: 'VARCHAR', current: 'VARCHAR' }, status: drifted ? 'drifted' : 'stable', kind: 'categorical',
    reference: { count: total(1), missing: 0, nonFinite: 0 },
    current: { count: total(2), missing: 0, nonFinite: 0 },
    checks: [
      { test: 'chi_square_p_value', role: 'significance', value: drifted ? 3e-20 : 0.6, threshold: 0.05, met: drifted },
      { test: 'l_infinity', role: 'effect', value: drifted ? 0.14 : 0.01, threshold: 0.1, met: drifted },
      { test: 'jensen_shannon', role: 'effect', value: drifted ? 0.12 : 0.01, threshold: 0.1, met: drifted },
    ],
    categorical: {
      tests: { chiSquare: { statistic: drifted ? 95.2 : 1.3, pValue: drifted ? 3e-20 : 0.6, dof: rows.length - 1, yates: false }, lInfinity: drifted ? 0.14 : 0.01, jensenShannon: drifted ? 0.12 : 0.01 },
      categories: rows.map(([value, reference, current]) => ({ value, reference, current })),
      others: { categories: 0, reference: 0, current: 0 },
      unseen: { categories: unseen.length, current: unseen.reduce((sum, row) => sum + row[2], 0), examples: unseen.map(([value]) => value) },
      vanished: { categories: vanished.length, reference: vanished.reduce((sum, row) => sum + row[1], 0), examples: vanished.map(([value]) => value) },
      exact: true,
    },
  };
}

/** A drift report over the given features, with the summary they imply. */
export function driftReportOf(features: DriftFeature[], driftShare = 0.5): DriftReport {
  const compared = features.filter((feature) => feature.status !== 'not_compared').length;
  const drifted = features.filter((feature) => feature.status === 'drifted').length;
  const share = compared > 0 ? drifted / compared : 0;
  return {
    format: DRIFT_FORMAT,
    kind: 'drift',
    reference: { path: 'data/2001-01.parquet', from: 'data', rows: 1000 },
    current: { path: 'data/2001-02.parquet', from: 'data', rows: 1002 },
    settings: { bins: 10, histogramBins: 20, psiEpsilon: 0.0001, driftShare },
    summary: { features: features.length, compared, drifted, share, datasetDrift: share > driftShare },
    features,
  };
}
