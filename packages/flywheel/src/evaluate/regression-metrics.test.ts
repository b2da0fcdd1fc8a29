import { describe, expect, it } from 'vitest';
import { regressionMetrics } from './regression-metrics.js';
import { expectAgrees, metricsReference } from './test-support.js';

describe('regressionMetrics', () => {
  it('agrees with scikit-learn to 1e-9: random, labels of 0 (MAPE divides by eps), constant labels, perfect predictions', async () => {
    for (const c of (await metricsReference()).regression) {
      const m = regressionMetrics(c.labels, c.predictions);
      for (const name of ['rmse', 'mae', 'r2', 'mape'] as const) expectAgrees(m[name], c.expected[name], `${c.name}: ${name}`);
      expect(m.rowCount).toBe(c.labels.length);
    }
  });

  it('computes the hand example and the means', () => {
    const m = regressionMetrics([1, 2, 3], [1, 2, 5]);
    expect(m.rmse).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(m.mae).toBeCloseTo(2 / 3, 12);
    expect(m.r2).toBeCloseTo(1 - 4 / 2, 12);
    expect(m.mape).toBeCloseTo(2 / 3 / 3, 12);
    expect(m).toMatchObject({ meanLabel: 2, meanPrediction: 8 / 3, rowCount: 3 });
  });

  it('refuses non-finite labels and predictions, naming the row', () => {
    expect(() => regressionMetrics([1, Number.NaN], [1, 2])).toThrow(/labels: row 1 has label NaN/);
    expect(() => regressionMetrics([1, 2], [Infinity, 2])).toThrow(/predictions: row 0 has prediction Infinity/);
  });
});
