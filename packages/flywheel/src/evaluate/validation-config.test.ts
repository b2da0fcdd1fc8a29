import { describe, expect, it } from 'vitest';
import { changeSchema, compileValidation, thresholdsSchema } from './validation-config.js';

describe('validation config', () => {
  it('compares auc for a classifier and rmse for a regressor by default', () => {
    expect(compileValidation({}, 'classification').change).toEqual([{ metric: 'auc', bound: { minImprovement: 0 } }]);
    expect(compileValidation({}, 'regression').change).toEqual([{ metric: 'rmse', bound: { minImprovement: 0 } }]);
  });

  it('gathers slice thresholds and the fairness gaps that have a maximum', () => {
    const compiled = compileValidation({
      slices: [{ column: 'origin', thresholds: { auc: { min: 0.5 } } }, { column: 'distance', name: 'far', thresholds: { logLoss: { max: 1 } } }],
      fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.1 }, { slice: 'far', metric: 'auc' }],
    }, 'classification');
    expect(compiled.sliceThresholds).toEqual([{ slice: 'origin', metric: 'auc', bound: { min: 0.5 } }, { slice: 'far', metric: 'logLoss', bound: { max: 1 } }]);
    expect(compiled.fairness).toEqual([{ slice: 'origin', metric: 'auc', maxGap: 0.1 }]);
  });

  it('refuses a metric of the other task, naming the field', () => {
    expect(() => compileValidation({ thresholds: { rmse: { max: 3 } } }, 'classification')).toThrow(
      'thresholds.rmse: rmse is a regression metric, but the model is a binary classifier (its metrics: auc, prAuc, logLoss, brierScore, accuracy, precision, recall, f1)',
    );
    expect(() => compileValidation({ change: { auc: { minImprovement: 0 } } }, 'regression')).toThrow(/^change\.auc: auc is a classification metric, but the model is a regressor \(its metrics: rmse, mae, r2, mape\)/);
    expect(() => compileValidation({ slices: [{ column: 'origin', thresholds: { mape: { max: 1 } } }] }, 'classification')).toThrow(/^slices\[0\]\.thresholds\.mape:/);
  });

  it('refuses unknown metrics and empty bounds in params, listing the metrics', () => {
    const unknown = thresholdsSchema.safeParse({ aucc: { min: 0.6 } });
    expect(unknown.error?.issues[0]).toMatchObject({ path: ['aucc'], message: expect.stringMatching(/^unknown metric "aucc" \(metrics: auc, prAuc, .*, rmse, mae, r2, mape\)$/) });
    expect(thresholdsSchema.safeParse({ auc: {} }).error?.issues[0]?.message).toBe('give min, max or both');
    expect(thresholdsSchema.safeParse({ auc: { min: 0.9, max: 0.8 } }).error?.issues[0]?.message).toBe('min is above max');
    expect(changeSchema.safeParse({ auc: {} }).error?.issues[0]?.message).toBe('give minImprovement, minRelativeImprovement or both');
  });
});
