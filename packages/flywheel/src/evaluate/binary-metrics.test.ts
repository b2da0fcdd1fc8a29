import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { averagePrecision, binaryMetrics, metricsToJson, rocAuc } from './binary-metrics.js';
import { expectAgrees, metricsReference, type ClassificationReference } from './test-support.js';

let cases: ClassificationReference[];
beforeAll(async () => {
  cases = (await metricsReference()).classification;
});

describe('binaryMetrics agrees with scikit-learn to 1e-9', () => {
  it('on every reference case: random, ties on edges and threshold, skewed, constant score, perfect, one class', () => {
    expect(cases.map((c) => c.name)).toContain('constant score');
    for (const c of cases) {
      const m = binaryMetrics(c.labels, c.scores, { threshold: c.threshold });
      for (const name of ['auc', 'prAuc', 'logLoss', 'brierScore', 'accuracy', 'precision', 'recall', 'f1'] as const) {
        expectAgrees(m[name], c.expected[name], `${c.name}: ${name}`);
      }
      expect(m.rowCount).toBe(c.labels.length);
      expect(m.positives).toBe(c.expected.confusionMatrix.tp + c.expected.confusionMatrix.fn);
    }
  });
});

describe('rocAuc and averagePrecision', () => {
  it('count ties as one half (hand-computed)', () => {
    // Positives score 0.8, 0.4, 0.4; negatives 0.4, 0.2, 0.1, 0.8.
    // Pairs won by the positive: 0.8 beats 3 and ties 1 → 3.5; each 0.4 beats 2 and ties 1 → 2.5.
    const labels = [1, 0, 1, 0, 1, 0, 0];
    const scores = [0.8, 0.4, 0.4, 0.2, 0.4, 0.1, 0.8];
    expect(rocAuc(labels, scores)).toBeCloseTo(8.5 / 12, 12);
    // At 0.8: 1 of 2 rows positive, recall 1/3; at 0.4: 3 of 5, recall 1.
    expect(averagePrecision(labels, scores)).toBeCloseTo((1 / 3) * 0.5 + (2 / 3) * 0.6, 12);
  });

  it('agree with counting every pair on random data with many ties', () => {
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

  it('are NaN without both classes (AUC) or without positives (average precision)', () => {
    expect(rocAuc([1, 1], [0.2, 0.4])).toBeNaN();
    expect(averagePrecision([1, 1], [0.2, 0.4])).toBe(1);
    expect(averagePrecision([0, 0], [0.2, 0.4])).toBeNaN();
  });

  it('take 500k rows in well under a second', () => {
    const n = 500_000;
    const labels = new Float64Array(n);
    const scores = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = Math.round(((i * 7919) % 10007) / 10.007) / 1000;
      labels[i] = (i * 104729) % 10 < scores[i]! * 10 ? 1 : 0;
    }
    const started = performance.now();
    const m = binaryMetrics(labels, scores);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(m.auc).toBeGreaterThan(0.5);
  });
});

describe('binaryMetrics', () => {
  it('predicts positive strictly above the threshold, as the models’ label output', () => {
    const m = binaryMetrics([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.5]);
    // 0.5 is not above the threshold, so that row is predicted 0: three of four right.
    expect(m).toMatchObject({ accuracy: 0.75, precision: 1, recall: 0.5, positiveRate: 0.5, rowCount: 4, positives: 2 });
    expect(binaryMetrics([1, 0, 1, 0], [0.9, 0.2, 0.4, 0.5], { threshold: 0.3 })).toMatchObject({ accuracy: 0.75, precision: 2 / 3, recall: 1 });
  });

  it('clips probabilities of 0 and 1 so log loss stays finite', () => {
    expect(binaryMetrics([1, 0], [0, 1]).logLoss).toBeCloseTo(-Math.log(Number.EPSILON), 9);
  });

  it('refuses labels other than 0/1 and NaN predictions, naming the row', () => {
    expect(() => binaryMetrics([0, 2], [0.1, 0.2])).toThrow(/row 1 has label 2/);
    expect(() => binaryMetrics([0, 1], [0.1, Number.NaN])).toThrow(InvalidInputError);
  });

  it('writes undefined metrics as null in JSON', () => {
    expect(metricsToJson(binaryMetrics([1, 1], [0.3, 0.6]))).toMatchObject({ auc: null, prAuc: 1, rowCount: 2 });
    expect(metricsToJson(binaryMetrics([], []))).toMatchObject({ auc: null, logLoss: null, accuracy: null, rowCount: 0 });
  });
});
