import { describe, expect, it } from 'vitest';
import { calibrationCurve } from './calibration-curve.js';
import { expectAgrees, metricsReference } from './test-support.js';

describe('calibrationCurve', () => {
  it('agrees with scikit-learn’s calibration_curve (uniform) to 1e-9, edges and empty bins included', async () => {
    for (const c of (await metricsReference()).classification) {
      const curve = calibrationCurve(c.labels, c.scores, c.bins);
      expect(curve).toHaveLength(c.bins);
      expect(curve.map((b) => b.count), c.name).toEqual(c.expected.calibration.map((b) => b.count));
      c.expected.calibration.forEach((expected, b) => {
        expectAgrees(curve[b]!.meanPredicted, expected.meanPredicted, `${c.name}: bin ${b} mean predicted`);
        expectAgrees(curve[b]!.observedRate, expected.observedRate, `${c.name}: bin ${b} observed rate`);
      });
    }
  });

  it('has equal-width bins whose upper edge belongs to them', () => {
    const curve = calibrationCurve([0, 1, 1, 0], [0, 0.5, 0.9, 1], 2);
    expect(curve).toEqual([
      { lower: 0, upper: 0.5, count: 2, meanPredicted: 0.25, observedRate: 0.5 },
      { lower: 0.5, upper: 1, count: 2, meanPredicted: 0.95, observedRate: 0.5 },
    ]);
  });

  it('puts probabilities outside [0, 1] in the first or last bin', () => {
    expect(calibrationCurve([0, 1], [-0.2, 1.3], 4).map((b) => b.count)).toEqual([1, 0, 0, 1]);
  });
});
