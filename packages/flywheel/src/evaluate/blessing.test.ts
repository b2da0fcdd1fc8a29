import { describe, expect, it } from 'vitest';
import { binaryMetrics } from './binary-metrics.js';
import { blessingSchema, decideBlessing } from './blessing.js';

const good = binaryMetrics([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9]); // auc 1
const fair = binaryMetrics([0, 0, 1, 1], [0.1, 0.4, 0.3, 0.9]); // auc 0.75
const oneClass = binaryMetrics([1, 1], [0.3, 0.9]);

describe('decideBlessing', () => {
  it('blesses without a baseline when the metric is defined', () => {
    const blessing = decideBlessing({ metric: 'auc', minImprovement: 0, candidate: fair });
    expect(blessing).toMatchObject({ blessed: true, metric: 'auc', candidate: 0.75, baseline: null });
    expect(blessing.reasons[0]).toMatch(/no baseline configured/);
  });

  it('blesses the first model: no champion yet', () => {
    const blessing = decideBlessing({ metric: 'auc', minImprovement: 0, candidate: fair, baseline: { model: 'flights', alias: 'champion', found: false } });
    expect(blessing.blessed).toBe(true);
    expect(blessing.reasons[0]).toMatch(/^no champion yet/);
  });

  it('blesses a candidate that beats the champion by more than minImprovement', () => {
    const baseline = { model: 'flights', alias: 'champion', found: true as const, version: 3, metrics: fair, sameModel: false };
    const blessing = decideBlessing({ metric: 'auc', minImprovement: 0.1, candidate: good, baseline });
    expect(blessing).toMatchObject({ blessed: true, candidate: 1, baseline: { model: 'flights', alias: 'champion', version: 3, value: 0.75 } });
    expect(blessing.reasons[0]).toBe('auc 1.000000 beats champion v3 (0.750000): improvement 0.250000, needed more than 0.1');
    expect(decideBlessing({ metric: 'auc', minImprovement: 0.3, candidate: good, baseline }).blessed).toBe(false);
  });

  it('does not bless an equal or worse candidate, nor the champion itself', () => {
    const baseline = { model: 'flights', alias: 'champion', found: true as const, version: 3, metrics: good, sameModel: false };
    expect(decideBlessing({ metric: 'auc', minImprovement: 0, candidate: good, baseline }).blessed).toBe(false);
    const worse = decideBlessing({ metric: 'auc', minImprovement: 0, candidate: fair, baseline });
    expect(worse.blessed).toBe(false);
    expect(worse.reasons[0]).toMatch(/does not beat champion v3/);
    const itself = decideBlessing({ metric: 'auc', minImprovement: 0, candidate: good, baseline: { ...baseline, sameModel: true } });
    expect(itself.blessed).toBe(false);
    expect(itself.reasons[0]).toMatch(/champion v3 itself/);
  });

  it('treats lower log loss as better', () => {
    const baseline = { model: 'flights', alias: 'champion', found: true as const, version: 1, metrics: fair, sameModel: false };
    expect(good.logLoss).toBeLessThan(fair.logLoss);
    expect(decideBlessing({ metric: 'logLoss', minImprovement: 0, candidate: good, baseline }).blessed).toBe(true);
    expect(decideBlessing({ metric: 'logLoss', minImprovement: 0, candidate: fair, baseline: { ...baseline, metrics: good } }).blessed).toBe(false);
  });

  it('does not bless an undefined metric', () => {
    const blessing = decideBlessing({ metric: 'auc', minImprovement: 0, candidate: oneClass });
    expect(blessing).toMatchObject({ blessed: false, candidate: null });
    expect(blessing.reasons[0]).toMatch(/undefined/);
  });

  it('produces JSON that its schema accepts', () => {
    const baseline = { model: 'flights', alias: 'champion', found: true as const, version: 3, metrics: oneClass, sameModel: false };
    const blessing = decideBlessing({ metric: 'accuracy', minImprovement: 0, candidate: good, baseline });
    const parsed = blessingSchema.parse(JSON.parse(JSON.stringify(blessing)));
    expect(parsed.baseline?.metrics.auc).toBeNull();
  });
});
