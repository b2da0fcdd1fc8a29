import { describe, expect, it } from 'vitest';
import { fairnessGap } from './fairness-gap.js';
import type { SliceResult, SlicingResult } from './slice-metrics.js';

const slice = (key: string, rowCount: number, auc: number): SliceResult<{ auc: number; logLoss: number }> => ({
  key, kind: 'value', rowCount, sufficient: rowCount >= 30, metrics: { auc, logLoss: 1 - auc },
});

describe('fairnessGap', () => {
  const byOrigin: SlicingResult<{ auc: number; logLoss: number }> = {
    name: 'origin', column: 'origin', by: 'value',
    slices: [slice('ATL', 500, 0.66), slice('ORD', 300, 0.58), slice('SFO', 200, 0.61), slice('XYZ', 10, 0.2), slice('(other)', 40, Number.NaN)],
  };

  it('is max − min over the slices with enough rows and a defined value, naming both ends', () => {
    const gap = fairnessGap(byOrigin, 'auc');
    expect(gap).toMatchObject({ slice: 'origin', metric: 'auc', min: { key: 'ORD', value: 0.58 }, max: { key: 'ATL', value: 0.66 }, slicesCompared: 3, slicesLeftOut: ['XYZ', '(other)'] });
    expect(gap.gap).toBeCloseTo(0.08, 12);
  });

  it('is NaN with fewer than two slices to compare', () => {
    const one = { ...byOrigin, slices: [slice('ATL', 500, 0.66), slice('XYZ', 10, 0.2)] };
    expect(fairnessGap(one, 'auc')).toMatchObject({ gap: Number.NaN, slicesCompared: 1 });
  });
});
