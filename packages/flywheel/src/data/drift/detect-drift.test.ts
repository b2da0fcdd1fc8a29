import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncompatibleStateError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import { writeJsonFile } from '../format-file.js';
import { writeParquet } from '../test-support.js';
import { detectDrift } from './detect-drift.js';
import { DRIFT_FORMAT, driftFormat, readDriftReportFile } from './drift-format.js';
import type { DriftFeature, DriftReport } from './drift-format.js';
import { computeDriftProfile } from './drift-profile.js';
import { DRIFT_PROFILE_FORMAT, readDriftProfileFile } from './drift-profile-format.js';
import { expectClose } from './test-support.js';

interface NumericExpectation {
  kind: 'numeric';
  count: [number, number];
  ksStatistic: number;
  ksPValue: number;
  wasserstein: number;
  referenceStd: number;
  binEdges: number[];
  binCounts: [number[], number[]];
  psi: number;
  jensenShannon: number;
}

interface CategoricalExpectation {
  kind: 'categorical';
  count: [number, number];
  categories: string[];
  counts: [number[], number[]];
  chiSquare: number;
  chiSquarePValue: number;
  dof: number;
  lInfinity: number;
  jensenShannon: number;
}

interface PairFixture {
  rows: [number, number];
  features: Record<string, NumericExpectation | CategoricalExpectation>;
}

const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;
const expected = (pair: string) => JSON.parse(readFileSync(fixture(`${pair}-expected.json`), 'utf8')) as PairFixture;

type Compared = Exclude<DriftFeature, { status: 'not_compared' }>;

function feature(report: DriftReport, name: string): DriftFeature {
  const found = report.features.find((f) => f.name === name);
  if (!found) expect.fail(`no feature ${name}`);
  return found;
}

function compared<K extends Compared['kind']>(report: DriftReport, name: string, kind: K): Extract<Compared, { kind: K }> {
  const found = feature(report, name);
  expect(found.status, name).not.toBe('not_compared');
  expect(found.kind, name).toBe(kind);
  return found as Extract<Compared, { kind: K }>;
}

let dir: string;
const file = (name: string) => join(dir, name);
const reports: Record<string, DriftReport> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-drift-'));
  for (const pair of ['small', 'large']) {
    reports[pair] = await detectDrift({ reference: fixture(`${pair}-reference.csv`), current: fixture(`${pair}-current.csv`) });
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('detectDrift agrees with SciPy 1.10 on the frozen datasets (1e-9 relative)', () => {
  for (const pair of ['small', 'large'] as const) {
    it(`${pair}: ${pair === 'small' ? '300 vs 250 rows, exact KS' : '10,500 vs 10,200 rows, asymptotic KS (exact where nulls leave ≤ 10,000)'}`, () => {
      const report = reports[pair]!;
      const { rows, features } = expected(pair);
      expect(report.reference).toEqual({ path: fixture(`${pair}-reference.csv`), from: 'data', rows: rows[0] });
      expect(report.current.rows).toBe(rows[1]);
      for (const [name, e] of Object.entries(features)) {
        if (e.kind === 'numeric') {
          const f = compared(report, name, 'numeric');
          const { tests } = f.numeric;
          expect([f.reference!.count, f.current!.count], name).toEqual(e.count);
          expect(tests.ks.method, name).toBe(Math.max(...e.count) <= 10_000 ? 'exact' : 'asymptotic');
          expectClose(tests.ks.statistic, e.ksStatistic, `${name} KS statistic`);
          expectClose(tests.ks.pValue, e.ksPValue, `${name} KS p-value`);
          expectClose(tests.wasserstein.distance, e.wasserstein, `${name} Wasserstein`);
          expectClose(f.numeric.reference.std, e.referenceStd, `${name} reference std`);
          expect(f.numeric.bins, name).toEqual({ edges: e.binEdges, reference: e.binCounts[0], current: e.binCounts[1] });
          expectClose(tests.psi, e.psi, `${name} PSI`);
          expectClose(tests.jensenShannon, e.jensenShannon, `${name} Jensen–Shannon`);
        } else {
          const f = compared(report, name, 'categorical');
          const { tests } = f.categorical;
          expect([f.reference!.count, f.current!.count], name).toEqual(e.count);
          const counts = new Map(f.categorical.categories.map((c) => [c.value, [c.reference, c.current]]));
          expect(e.categories.map((c) => counts.get(c)), name).toEqual(e.categories.map((_, i) => [e.counts[0][i], e.counts[1][i]]));
          expect(tests.chiSquare.dof, name).toBe(e.dof);
          expect(tests.chiSquare.yates, name).toBe(e.dof === 1);
          expectClose(tests.chiSquare.statistic, e.chiSquare, `${name} chi-square`);
          expectClose(tests.chiSquare.pValue, e.chiSquarePValue, `${name} chi-square p-value`);
          expectClose(tests.lInfinity, e.lInfinity, `${name} L-infinity`);
          expectClose(tests.jensenShannon, e.jensenShannon, `${name} Jensen–Shannon`);
        }
      }
    });
  }

  it('reports nulls, a constant column, unseen categories and a column missing on one side', () => {
    const report = reports.small!;
    const withNulls = compared(report, 'with_nulls', 'numeric');
    expect(withNulls.reference).toEqual({ count: 275, missing: 25, nonFinite: 0 });
    const constant = compared(report, 'constant', 'numeric');
    expect(constant.status).toBe('stable');
    expect(constant.numeric.tests).toEqual({ ks: { statistic: 0, pValue: 1, method: 'exact' }, wasserstein: { distance: 0, normalized: 0 }, psi: 0, jensenShannon: 0 });
    const color = compared(report, 'color', 'categorical');
    expect(color.categorical.unseen).toEqual({ categories: 1, current: expect.any(Number), examples: ['violet'] });
    expect(color.categorical.vanished.categories).toBe(0);
    expect(color.reference!.missing + color.reference!.count).toBe(300);
    expect(feature(report, 'only_in_reference')).toEqual({
      name: 'only_in_reference', types: { reference: 'DOUBLE', current: null }, reference: null, current: null,
      status: 'not_compared', kind: 'numeric', reason: 'missing_in_current', description: 'the column is only in the reference data',
    });
  });

  it('is a valid flywheel.drift/v1 document with histograms on shared edges', () => {
    const report = reports.large!;
    expect(driftFormat.parse(report)).toEqual(report);
    expect(report.format).toBe(DRIFT_FORMAT);
    expect(report.summary).toEqual({ features: 8, compared: 7, drifted: 2, share: 2 / 7, datasetDrift: false });
    const normal = compared(report, 'normal', 'numeric');
    expect(normal.numeric.histogram.edges).toHaveLength(21);
    expect(normal.numeric.histogram.edges[0]).toBe(Math.min(normal.numeric.reference.min, normal.numeric.current.min));
    expect(normal.numeric.histogram.edges[20]).toBe(Math.max(normal.numeric.reference.max, normal.numeric.current.max));
    expect(normal.numeric.histogram.reference.reduce((s, x) => s + x, 0)).toBe(10_500);
    expect(normal.numeric.histogram.current.reduce((s, x) => s + x, 0)).toBe(10_200);
    expect(normal.numeric.errorBound).toBeNull();
  });
});

describe('thresholds and verdicts', () => {
  it('needs an effect besides significance, so a large sample does not drift on tiny differences', () => {
    const flag = compared(reports.large!, 'flag', 'categorical');
    expect(flag.categorical.tests.chiSquare.pValue).toBeLessThan(1e-10);
    expect(flag.status).toBe('stable');
    expect(flag.checks).toEqual([
      { test: 'chi_square_p_value', role: 'significance', value: flag.categorical.tests.chiSquare.pValue, threshold: 0.05, met: true },
      { test: 'l_infinity', role: 'effect', value: flag.categorical.tests.lInfinity, threshold: 0.1, met: false },
      { test: 'jensen_shannon', role: 'effect', value: flag.categorical.tests.jensenShannon, threshold: 0.1, met: false },
    ]);
    const normal = compared(reports.large!, 'normal', 'numeric');
    expect(normal.numeric.tests.ks.pValue).toBeLessThan(1e-5);
    expect(normal.status).toBe('stable');
  });

  it('takes thresholds per kind and per feature, and ignores features', async () => {
    const report = await detectDrift({
      reference: fixture('large-reference.csv'),
      current: fixture('large-current.csv'),
      options: {
        numeric: { psi: 0.005 },
        features: { flag: { lInfinity: 0.05 }, ties: { ignore: true }, same: { pValue: null, psi: null, wassersteinNormalized: null, ksStatistic: 0.001 } },
        driftShare: 0.3,
      },
    });
    expect(compared(report, 'normal', 'numeric').status).toBe('drifted');
    expect(compared(report, 'flag', 'categorical').status).toBe('drifted');
    expect(feature(report, 'ties')).toMatchObject({ status: 'not_compared', reason: 'ignored' });
    const same = compared(report, 'same', 'numeric');
    expect(same.checks).toEqual([{ test: 'ks_statistic', role: 'effect', value: same.numeric.tests.ks.statistic, threshold: 0.001, met: true }]);
    expect(same.status).toBe('drifted');
    expect(report.summary).toMatchObject({ compared: 6, drifted: 4, datasetDrift: true });
  });

  it('uses distance-only thresholds for skew (L-infinity for categories)', async () => {
    const report = await detectDrift({ reference: fixture('small-reference.csv'), current: fixture('small-current.csv'), options: { kind: 'skew' } });
    expect(report.kind).toBe('skew');
    const flag = compared(report, 'flag', 'categorical');
    expect(flag.checks.map((c) => [c.test, c.threshold])).toEqual([['l_infinity', 0.1]]);
    const normal = compared(report, 'normal', 'numeric');
    expect(normal.checks.map((c) => [c.test, c.threshold])).toEqual([['wasserstein_normalized', 0.1], ['jensen_shannon', 0.1]]);
  });

  it('counts a shifted constant column as drifted, its normalised distance being undefined', async () => {
    await writeParquet(file('constant-a.parquet'), 'SELECT 5.0::DOUBLE AS x FROM range(100)');
    await writeParquet(file('constant-b.parquet'), 'SELECT 6.0::DOUBLE AS x FROM range(100)');
    const report = await detectDrift({ reference: file('constant-a.parquet'), current: file('constant-b.parquet') });
    const x = compared(report, 'x', 'numeric');
    expect(x.numeric.tests.wasserstein).toEqual({ distance: 1, normalized: null });
    expect(x.checks.find((c) => c.test === 'wasserstein_normalized')).toMatchObject({ value: null, met: true });
    expect(x.status).toBe('drifted');
  });

  it('rejects bad options naming the field', async () => {
    const run = (options: object) => detectDrift({ reference: fixture('small-reference.csv'), current: fixture('small-current.csv'), options });
    await expect(run({ numeric: { psi: -1 } })).rejects.toThrow(InvalidInputError);
    await expect(run({ numeric: { psi: -1 } })).rejects.toThrow(/options\.numeric\.psi/);
    await expect(run({ features: { normal: { typo: 1 } } })).rejects.toThrow(/options\.features\.normal/);
    await expect(run({ kind: 'shift' })).rejects.toThrow(/options\.kind/);
  });
});

describe('drift profiles', () => {
  it('give the same results as the data they were computed from, without rescanning it', async () => {
    const profile = await computeDriftProfile(fixture('large-reference.csv'), { maxDistinctValues: 20_000 });
    expect(profile.format).toBe(DRIFT_PROFILE_FORMAT);
    await writeJsonFile(file('profile.json'), profile);
    expect(await readDriftProfileFile(file('profile.json'))).toEqual(profile);
    const fromData = reports.large!;
    for (const reference of [profile, file('profile.json')]) {
      const fromProfile = await detectDrift({ reference, current: fixture('large-current.csv') });
      expect(fromProfile.reference).toEqual({ path: typeof reference === 'string' ? reference : fixture('large-reference.csv'), from: 'profile', rows: 10_500 });
      expect(fromProfile.summary).toEqual(fromData.summary);
      for (const f of fromData.features) {
        const g = feature(fromProfile, f.name);
        if (f.status === 'not_compared' || f.kind !== 'numeric') {
          expect(g, f.name).toEqual(f);
          continue;
        }
        const n = compared(fromProfile, f.name, 'numeric');
        const { wasserstein, ...tests } = n.numeric.tests;
        const { wasserstein: expectedW, ...expectedTests } = f.numeric.tests;
        expect(tests, f.name).toEqual(expectedTests);
        expectClose(wasserstein.distance, expectedW.distance, `${f.name} Wasserstein`, 1e-12);
        expect([n.numeric.bins, n.numeric.histogram, n.reference, n.current, n.status], f.name).toEqual([f.numeric.bins, f.numeric.histogram, f.reference, f.current, f.status]);
        expectClose(n.numeric.reference.mean, f.numeric.reference.mean, `${f.name} mean`, 1e-12);
      }
    }
  });

  it('can stand for either side, or both', async () => {
    const [reference, current] = await Promise.all([
      computeDriftProfile(fixture('small-reference.csv')),
      computeDriftProfile(fixture('small-current.csv')),
    ]);
    const fromData = reports.small!;
    for (const report of [
      await detectDrift({ reference: fixture('small-reference.csv'), current }),
      await detectDrift({ reference, current }),
    ]) {
      expect(report.current.from).toBe('profile');
      expect(report.summary).toEqual(fromData.summary);
      expect(report.features.map((f) => [f.name, f.status, f.status === 'not_compared' ? f.reason : f.checks.map((c) => c.met)]))
        .toEqual(fromData.features.map((f) => [f.name, f.status, f.status === 'not_compared' ? f.reason : f.checks.map((c) => c.met)]));
      const normal = compared(report, 'normal', 'numeric').numeric.tests;
      expect(normal.ks).toEqual(compared(fromData, 'normal', 'numeric').numeric.tests.ks);
    }
  });

  it('summarise columns with many distinct values within their stated error bounds', async () => {
    const profile = await computeDriftProfile(fixture('large-reference.csv'), { maxDistinctValues: 100, quantiles: 200 });
    const normal = profile.columns.find((c) => c.name === 'normal');
    if (normal?.kind !== 'numeric' || !normal.numeric) expect.fail('normal is numeric');
    const { distribution } = normal.numeric;
    expect(distribution.exact).toBe(false);
    expect(distribution.values).toHaveLength(200);
    expect(distribution.counts.reduce((s, x) => s + x, 0)).toBe(10_500);
    expect(distribution.errorBound!.ksStatistic).toBeCloseTo(53 / 10_500, 12);
    const ties = profile.columns.find((c) => c.name === 'ties');
    expect(ties?.kind === 'numeric' && ties.numeric?.distribution.exact).toBe(true);

    const approximate = await detectDrift({ reference: profile, current: fixture('large-current.csv') });
    for (const name of ['normal', 'same', 'with_nulls']) {
      const exact = compared(reports.large!, name, 'numeric').numeric;
      const estimate = compared(approximate, name, 'numeric').numeric;
      expect(estimate.errorBound, name).not.toBeNull();
      expect(Math.abs(estimate.tests.ks.statistic - exact.tests.ks.statistic), name).toBeLessThanOrEqual(estimate.errorBound!.ksStatistic + 1e-12);
      expect(Math.abs(estimate.tests.wasserstein.distance - exact.tests.wasserstein.distance), name).toBeLessThanOrEqual(estimate.errorBound!.wasserstein + 1e-12);
      // PSI bins were stored exactly.
      expect(estimate.bins, name).toEqual(exact.bins);
      expect(estimate.tests.psi, name).toBe(exact.tests.psi);
    }
  });

  it('keep the most frequent categories when there are too many, and compare the rest pooled', async () => {
    const profile = await computeDriftProfile(fixture('small-reference.csv'), { maxDistinctValues: 2 });
    const color = profile.columns.find((c) => c.name === 'color');
    expect(color?.kind === 'categorical' && color.categorical).toMatchObject({ values: ['red', 'green'], exact: false });
    const report = await detectDrift({ reference: profile, current: fixture('small-current.csv') });
    const compared2 = compared(report, 'color', 'categorical');
    expect(compared2.categorical.exact).toBe(false);
    expect(compared2.categorical.tests.chiSquare.dof).toBe(2);
    expect(compared2.categorical.categories.map((c) => c.value).sort()).toEqual(['green', 'red']);
  });

  it('refuse a profile of a newer version and other Flywheel documents', async () => {
    await writeFile(file('v2.json'), JSON.stringify({ format: 'flywheel.drift-profile/v2', columns: [] }));
    await expect(detectDrift({ reference: file('v2.json'), current: fixture('small-current.csv') })).rejects.toThrow(IncompatibleStateError);
    await writeFile(file('stats.json'), JSON.stringify({ format: 'flywheel.statistics/v1', rowCount: 0 }));
    await expect(detectDrift({ reference: file('stats.json'), current: fixture('small-current.csv') })).rejects.toThrow(/is a flywheel\.statistics document/);
  });
});

describe('bad inputs', () => {
  it('names a missing file', async () => {
    const missing = file('nope.parquet');
    const error = await detectDrift({ reference: fixture('small-reference.csv'), current: missing }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).key).toBe(missing);
    expect((error as Error).message).toContain(missing);
  });

  it('rejects an empty file naming it', async () => {
    await writeFile(file('empty.csv'), '');
    await expect(detectDrift({ reference: file('empty.csv'), current: fixture('small-current.csv') })).rejects.toThrow(/empty\.csv.*empty/);
  });

  it('reports columns without values, of other types, of mismatched types and only on one side', async () => {
    await writeParquet(file('a.parquet'), `SELECT NULL::DOUBLE AS nothing, i::DOUBLE AS x, 'k' || (i % 3) AS word, TIMESTAMP '2024-01-01' AS seen,
      CASE WHEN i % 2 = 0 THEN 'nan'::DOUBLE ELSE i END AS holes FROM range(50) t(i)`);
    await writeParquet(file('b.parquet'), `SELECT NULL::DOUBLE AS nothing, 'x' || i AS x, 'k' || (i % 3) AS word, TIMESTAMP '2024-01-02' AS seen,
      CASE WHEN i % 5 = 0 THEN NULL WHEN i % 5 = 1 THEN 'inf'::DOUBLE ELSE i END AS holes, i AS extra FROM range(40) t(i)`);
    const report = await detectDrift({ reference: file('a.parquet'), current: file('b.parquet') });
    expect(driftFormat.parse(report)).toEqual(report);
    expect(feature(report, 'nothing')).toMatchObject({
      status: 'not_compared', reason: 'no_values', description: 'no finite values in the reference and current data',
      reference: { count: 0, missing: 50, nonFinite: 0 }, current: { count: 0, missing: 40, nonFinite: 0 },
    });
    expect(feature(report, 'x')).toMatchObject({ status: 'not_compared', reason: 'type_mismatch', types: { reference: 'DOUBLE', current: 'VARCHAR' } });
    expect(feature(report, 'seen')).toMatchObject({ status: 'not_compared', reason: 'unsupported_type' });
    expect(feature(report, 'extra')).toMatchObject({ status: 'not_compared', reason: 'missing_in_reference' });
    expect(compared(report, 'word', 'categorical').status).toBe('stable');
    const holes = compared(report, 'holes', 'numeric');
    expect(holes.reference).toEqual({ count: 25, missing: 0, nonFinite: 25 });
    expect(holes.current).toEqual({ count: 24, missing: 8, nonFinite: 8 });
    expect(report.summary).toMatchObject({ features: 6, compared: 2 });
  });

  it('compares a header-only file as columns without values', async () => {
    await writeFile(file('header.csv'), 'a,b\n');
    await writeFile(file('data.csv'), 'a,b\n1,x\n2,y\n');
    const report = await detectDrift({ reference: file('header.csv'), current: file('data.csv') });
    expect(report.reference.rows).toBe(0);
    expect(report.summary.compared).toBe(0);
    expect(report.features.every((f) => f.status === 'not_compared')).toBe(true);
  });

  it('round-trips through a file', async () => {
    await writeJsonFile(file('drift.json'), reports.small);
    expect(await readDriftReportFile(file('drift.json'))).toEqual(reports.small);
  });
});
