import { describe, expect, it } from 'vitest';
import { confusionMatrix } from './confusion-matrix.js';
import { metricsReference } from './test-support.js';

describe('confusionMatrix', () => {
  it('counts as scikit-learn’s confusion_matrix on the reference cases', async () => {
    for (const c of (await metricsReference()).classification) {
      expect(confusionMatrix(c.labels, c.scores, c.threshold), c.name).toEqual({ threshold: c.threshold, ...c.expected.confusionMatrix });
    }
  });

  it('puts a probability equal to the threshold on the negative side', () => {
    expect(confusionMatrix([1, 0, 1, 0], [0.9, 0.6, 0.5, 0.1], 0.5)).toEqual({ threshold: 0.5, tp: 1, fp: 1, tn: 1, fn: 1 });
  });
});
