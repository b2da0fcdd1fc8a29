import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chiSquareContingency } from './chi-square.js';
import { jensenShannonDistance, lInfinityDistance, populationStabilityIndex } from './divergence.js';
import { ksTwoSampleTest } from './ks-test.js';
import { compareNumeric } from './numeric-comparison.js';
import type { NumericSample } from './numeric-comparison.js';
import { expectClose } from './test-support.js';

interface TestFixtures {
  ks2samp: { name: string; a: number[]; b: number[]; statistic: number; pValue: number; wasserstein: number }[];
  chi2Contingency: { name: string; table: [number[], number[]]; statistic: number; pValue: number; dof: number }[];
  jensenShannon: { p: number[]; q: number[]; distance: number }[];
}

const fixtures = JSON.parse(readFileSync(new URL('fixtures/tests.json', import.meta.url), 'utf8')) as TestFixtures;

function sample(values: number[]): NumericSample {
  return {
    values: Float64Array.from(values), counts: null, total: values.length,
    min: values.reduce((m, v) => Math.min(m, v)), max: values.reduce((m, v) => Math.max(m, v)),
  };
}

describe('two-sample tests agree with SciPy 1.10 to 1e-9 relative', () => {
  for (const c of fixtures.ks2samp) {
    it(`ks_2samp and wasserstein_distance: ${c.name} (${c.a.length} vs ${c.b.length})`, () => {
      const compared = compareNumeric(sample(c.a), sample(c.b), { bins: 10, histogramBins: 20 });
      const ks = ksTwoSampleTest(c.a.length, c.b.length, compared.ksStatistic);
      expect(ks.method).toBe(Math.max(c.a.length, c.b.length) <= 10_000 ? 'exact' : 'asymptotic');
      expectClose(ks.statistic, c.statistic, 'statistic');
      expectClose(ks.pValue, c.pValue, 'p-value');
      expectClose(compared.wasserstein, c.wasserstein, 'wasserstein');
    });
  }

  for (const c of fixtures.chi2Contingency) {
    it(`chi2_contingency: ${c.name}`, () => {
      const result = chiSquareContingency(c.table[0], c.table[1]);
      expect(result.dof).toBe(c.dof);
      expect(result.yates).toBe(c.dof === 1);
      expectClose(result.statistic, c.statistic, 'statistic');
      expectClose(result.pValue, c.pValue, 'p-value');
    });
  }

  it('jensenshannon', () => {
    for (const c of fixtures.jensenShannon) expectClose(jensenShannonDistance(c.p, c.q), c.distance, `${c.p} vs ${c.q}`);
  });
});

describe('divergences', () => {
  it('PSI replaces empty shares by epsilon and is 0 for equal shares', () => {
    expect(populationStabilityIndex([1, 1], [2, 2], 1e-4)).toBe(0);
    expectClose(populationStabilityIndex([50, 50], [40, 60], 1e-4), 0.1 * Math.log(0.6 / 0.5) - 0.1 * Math.log(0.4 / 0.5), 'psi');
    expectClose(populationStabilityIndex([10, 0], [5, 5], 1e-4), (0.5 - 1) * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4), 'psi with an empty bin');
  });

  it('L-infinity is the largest difference of shares', () => {
    expect(lInfinityDistance([30, 70], [50, 50])).toBeCloseTo(0.2, 15);
    expect(lInfinityDistance([1, 0, 0], [0, 0, 2])).toBe(1);
  });

  it('chi-square of a single category has nothing to test', () => {
    expect(chiSquareContingency([10], [20])).toEqual({ statistic: 0, pValue: 1, dof: 0, yates: false });
  });
});
