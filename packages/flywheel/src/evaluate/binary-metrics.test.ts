import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { binaryMetrics, metricsToJson, rocAuc } from './binary-metrics.js';

describe('rocAuc', () => {
  it('counts ties as one half (hand-computed)', () => {
    // Positives score 0.8, 0.4, 0.4; negatives 0.4, 0.2, 0.1, 0.8.
    // Pairs won by the positive: 0.8 beats 3 and ties 1 → 3.5; each 0.4 beats 2 and ties 1 → 2.5.
    // AUC = (3.5 + 2.5 + 2.5) / (3 · 4) = 8.5 / 12.
    const labels = [1, 0, 1, 0, 1, 0, 0];
    const scores = [0.8, 0.4, 0.4, 0.2, 0.4, 0.1, 0.8];
    expect(rocAuc(labels, scores)).toBeCloseTo(8.5 / 12, 12);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one and 0.5 when all scores tie', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.9])).toBe(0);
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });

  it('agrees with counting every pair on random data with many ties', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const n = 400;
    const labels = Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0));
    const scores = Array.from({ length: n }, () => Math.round(random() * 20) / 20);
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] !== 1) continue;
      for (let j = 0; j < n; j++) {
        if (labels[j] !== 0) continue;
        pairs++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    expect(rocAuc(labels, scores)).toBeCloseTo(wins / pairs, 12);
  });

  it('is NaN with one class only', () => {
    expect(rocAuc([1, 1], [0.2, 0.4])).toBeNaN();
  });
});

describe('binaryMetrics', () => {
  it('computes log loss, accuracy at 0.5, rates and counts', () => {
    const m = binaryMetrics(Uint8Array.of(1, 0, 1, 0), Float64Array.of(0.9, 0.2, 0.4, 0.5));
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4) + Math.log(0.5)) / 4, 12);
    // 0.5 is not above the threshold, so that row is predicted 0: three of four right.
    expect(m.accuracy).toBe(0.75);
    expect(m.positiveRate).toBe(0.5);
    expect(m.meanPrediction).toBeCloseTo(0.5, 12);
    expect(m).toMatchObject({ rowCount: 4, positives: 2, auc: 0.75 });
  });

  it('clips probabilities of 0 and 1 so log loss stays finite', () => {
    expect(Number.isFinite(binaryMetrics([1, 0], [0, 1]).logLoss)).toBe(true);
  });

  it('refuses labels other than 0/1 and NaN predictions, naming the row', () => {
    expect(() => binaryMetrics([0, 2], [0.1, 0.2])).toThrow(/row 1 has label 2/);
    expect(() => binaryMetrics([0, 1], [0.1, Number.NaN])).toThrow(InvalidInputError);
  });

  it('writes undefined metrics as null in JSON', () => {
    expect(metricsToJson(binaryMetrics([1, 1], [0.3, 0.6]))).toMatchObject({ auc: null, rowCount: 2 });
  });
});
