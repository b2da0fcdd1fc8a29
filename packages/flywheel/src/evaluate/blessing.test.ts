import { describe, expect, it } from 'vitest';
import { binaryMetrics } from './binary-metrics.js';
import { blessingSchema, blessingToJson, decideBlessing, type BlessingInput } from './blessing.js';
import { fairnessGap } from './fairness-gap.js';
import { regressionMetrics } from './regression-metrics.js';
import type { SlicingResult } from './slice-metrics.js';
import { compileValidation, type ValidationConfig } from './validation-config.js';

const good = binaryMetrics([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9]); // auc 1
const fair = binaryMetrics([0, 0, 1, 1], [0.1, 0.4, 0.3, 0.9]); // auc 0.75
const oneClass = binaryMetrics([1, 1], [0.3, 0.9]);
const whole = (metrics: object) => ({ metrics, slices: [], fairness: [] });
const champion = (metrics: object, version = 3) => ({ model: 'flights', alias: 'champion', found: true as const, version, metrics, sameModel: false });

function decide(config: ValidationConfig, candidate: BlessingInput['candidate'], baseline?: BlessingInput['baseline'], task: 'classification' | 'regression' = 'classification') {
  return decideBlessing({ validation: compileValidation(config, task), candidate, baseline });
}

describe('decideBlessing against a baseline (by default: auc must improve)', () => {
  it('blesses without a baseline when the metric is defined', () => {
    const blessing = decide({}, whole(fair));
    expect(blessing).toMatchObject({ blessed: true, metric: 'auc', candidate: 0.75, baseline: null });
    expect(blessing.checks).toEqual([
      { check: 'change', metric: 'auc', slice: null, value: 0.75, threshold: { minImprovement: 0 }, baseline: null, passed: true, message: 'no baseline configured; candidate auc is 0.750000' },
    ]);
    expect(blessing.reasons).toEqual([blessing.checks[0]!.message]);
  });

  it('blesses the first model: no champion yet', () => {
    const blessing = decide({}, whole(fair), { model: 'flights', alias: 'champion', found: false });
    expect(blessing.blessed).toBe(true);
    expect(blessing.reasons[0]).toMatch(/^no champion yet: model flights has no alias champion/);
  });

  it('blesses a candidate that beats the champion by more than minImprovement', () => {
    const blessing = decide({ change: { auc: { minImprovement: 0.1 } } }, whole(good), champion(fair));
    expect(blessing).toMatchObject({ blessed: true, candidate: 1, baseline: { model: 'flights', alias: 'champion', version: 3, value: 0.75 } });
    expect(blessing.checks[0]).toMatchObject({ value: 1, baseline: 0.75, threshold: { minImprovement: 0.1 }, passed: true });
    expect(blessing.reasons[0]).toBe('auc 1.000000 beats champion v3 (0.750000): improvement 0.250000 (+33.33%), needed more than 0.1');
    expect(decide({ change: { auc: { minImprovement: 0.3 } } }, whole(good), champion(fair)).blessed).toBe(false);
  });

  it('checks a relative change, alone or with an absolute one', () => {
    expect(decide({ change: { auc: { minRelativeImprovement: 0.3 } } }, whole(good), champion(fair)).blessed).toBe(true);
    const both = decide({ change: { auc: { minImprovement: 0.1, minRelativeImprovement: 0.5 } } }, whole(good), champion(fair));
    expect(both.blessed).toBe(false);
    expect(both.reasons[0]).toBe('auc 1.000000 does not beat champion v3 (0.750000): improvement 0.250000 (+33.33%), needed more than 0.1 and more than +50.00% relative');
  });

  it('does not bless an equal or worse candidate, nor the champion itself', () => {
    expect(decide({}, whole(good), champion(good)).blessed).toBe(false);
    const worse = decide({}, whole(fair), champion(good));
    expect(worse.blessed).toBe(false);
    expect(worse.reasons[0]).toMatch(/^auc 0\.750000 does not beat champion v3 \(1\.000000\): improvement -0\.250000 \(-25\.00%\)/);
    const itself = decide({}, whole(good), { ...champion(good), sameModel: true });
    expect(itself).toMatchObject({ blessed: false, baseline: { version: 3, value: 1 } });
    expect(itself.reasons[0]).toBe('the candidate is champion v3 itself (same digest)');
  });

  it('treats lower as better for log loss, Brier score and RMSE, and tolerates a configured loss', () => {
    expect(good.logLoss).toBeLessThan(fair.logLoss);
    expect(decide({ change: { logLoss: { minImprovement: 0 } } }, whole(good), champion(fair)).blessed).toBe(true);
    expect(decide({ change: { logLoss: { minImprovement: 0 } } }, whole(fair), champion(good)).blessed).toBe(false);
    expect(decide({ change: { brierScore: { minImprovement: 0 } } }, whole(good), champion(fair)).blessed).toBe(true);
    // Up to 60 % more log loss is tolerated here.
    const tolerant = decide({ change: { logLoss: { minRelativeImprovement: -0.6 } } }, whole(fair), champion(good));
    expect(tolerant.blessed).toBe(true);
    expect(tolerant.checks[0]!.value).toBeGreaterThan(tolerant.checks[0]!.baseline!);

    const close = regressionMetrics([1, 2, 3], [1.1, 2, 3]);
    const far = regressionMetrics([1, 2, 3], [2, 2, 3]);
    const regression = decide({}, whole(close), champion(far), 'regression');
    expect(regression).toMatchObject({ blessed: true, metric: 'rmse' });
    expect(regression.reasons[0]).toMatch(/^rmse 0\.057735 beats champion v3 \(0\.577350\): improvement 0\.519615 \(\+90\.00%\)/);
    expect(decide({}, whole(far), champion(close), 'regression').blessed).toBe(false);
  });

  it('compares every configured metric, the first being the headline', () => {
    const blessing = decide({ change: { logLoss: { minImprovement: 0 }, accuracy: { minImprovement: 0 } } }, whole(good), champion(fair));
    expect(blessing.metric).toBe('logLoss');
    // Both predict 3 of 4 rows right at 0.5: accuracy does not improve.
    expect(blessing.checks.map((c) => [c.metric, c.passed])).toEqual([['logLoss', true], ['accuracy', false]]);
    expect(blessing.blessed).toBe(false);
  });

  it('passes a change check when the baseline’s metric is undefined, fails it when the candidate’s is', () => {
    expect(decide({}, whole(good), champion(oneClass)).reasons[0]).toBe('champion v3 has no auc on this data; candidate auc is 1.000000');
    const blessing = decide({}, whole(oneClass));
    expect(blessing).toMatchObject({ blessed: false, candidate: null });
    expect(blessing.reasons[0]).toBe('candidate auc is undefined on the evaluation data (it is when the labels hold one class only)');
  });

  it('compares nothing with change: {}', () => {
    const blessing = decide({ change: {} }, whole(fair), champion(good));
    expect(blessing).toMatchObject({ blessed: true, metric: 'auc', checks: [], baseline: null });
    expect(blessing.reasons).toEqual(['nothing to check: no change, thresholds or fairness gaps configured']);
  });
});

describe('decideBlessing on absolute thresholds', () => {
  it('passes and fails each bound, higher- and lower-is-better alike, and lists every check', () => {
    const blessing = decide({ change: {}, thresholds: { auc: { min: 0.7, max: 0.8 }, logLoss: { max: 0.1 } } }, whole(fair));
    expect(blessing.blessed).toBe(false);
    expect(blessing.checks.map((c) => [c.check, c.metric, c.threshold, c.passed])).toEqual([
      ['threshold', 'auc', { min: 0.7 }, true],
      ['threshold', 'auc', { max: 0.8 }, true],
      ['threshold', 'logLoss', { max: 0.1 }, false],
    ]);
    expect(blessing.reasons).toEqual(['auc 0.750000 is at least 0.7', 'auc 0.750000 is at most 0.8', `logLoss ${fair.logLoss.toFixed(6)} is above the maximum 0.1`]);
    expect(decide({ change: {}, thresholds: { auc: { min: 0.8 } } }, whole(fair)).reasons).toEqual(['auc 0.750000 is below the minimum 0.8']);
    expect(decide({ thresholds: { rmse: { max: 0.1 }, r2: { min: 0.9 } } }, whole(regressionMetrics([1, 2, 3], [1, 2, 3.1])), undefined, 'regression').blessed).toBe(true);
  });

  it('fails a threshold on an undefined metric with the reason, never throws', () => {
    const blessing = decide({ change: {}, thresholds: { auc: { min: 0.6 }, accuracy: { min: 0.5 } } }, whole(oneClass));
    expect(blessing.blessed).toBe(false);
    expect(blessing.checks[0]).toMatchObject({ value: null, passed: false, message: 'auc is undefined (it is when the labels hold one class only), so it cannot be at least 0.6' });
    expect(blessing.checks[1]!.passed).toBe(true);
  });
});

describe('decideBlessing on slices and fairness gaps', () => {
  const slice = (key: string, labels: number[], scores: number[], sufficient = true) => ({ key, kind: 'value' as const, rowCount: labels.length, sufficient, metrics: binaryMetrics(labels, scores) });
  const byOrigin: SlicingResult<object> = {
    name: 'origin', column: 'origin', by: 'value',
    slices: [slice('ATL', [0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9]), slice('ORD', [0, 0, 1, 1], [0.1, 0.4, 0.3, 0.9]), slice('XYZ', [0, 1], [0.9, 0.1], false)],
  };
  const candidate = (metric: 'auc' | 'logLoss' = 'auc') => ({ metrics: good, slices: [byOrigin], fairness: [fairnessGap(byOrigin, metric)] });

  it('checks every slice with enough rows, and says which were too small', () => {
    const config: ValidationConfig = { change: {}, slices: [{ column: 'origin', thresholds: { auc: { min: 0.8 } } }] };
    const blessing = decide(config, candidate());
    expect(blessing.blessed).toBe(false);
    expect(blessing.checks.map((c) => [c.check, c.slice, c.value, c.passed])).toEqual([
      ['slice-threshold', 'origin=ATL', 1, true],
      ['slice-threshold', 'origin=ORD', 0.75, false],
      ['slice-threshold', 'origin=XYZ', 0, true],
    ]);
    expect(blessing.reasons[1]).toBe('auc on origin=ORD 0.750000 is below the minimum 0.8');
    expect(blessing.reasons[2]).toBe('origin=XYZ has 2 rows, fewer than minSliceRows: auc not checked');
  });

  it('checks the largest fairness gap allowed', () => {
    const wide = decide({ change: {}, fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.2 }] }, candidate());
    expect(wide.checks).toEqual([{
      check: 'fairness-gap', metric: 'auc', slice: 'origin', value: 0.25, threshold: { maxGap: 0.2 }, baseline: null, passed: false,
      message: 'auc gap across origin 0.250000 (ORD 0.750000 to ATL 1.000000) is above the maximum 0.2',
    }]);
    expect(decide({ change: {}, fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.3 }] }, candidate()).blessed).toBe(true);
    const lonely = { ...candidate(), fairness: [fairnessGap({ ...byOrigin, slices: byOrigin.slices.slice(0, 1) }, 'auc')] };
    expect(decide({ change: {}, fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.3 }] }, lonely).reasons).toEqual([
      'auc gap across origin is undefined: 1 slice(s) with enough rows and a defined auc, at least two needed',
    ]);
  });

  it('writes JSON its schema accepts, as push-model and the CLI read it', () => {
    const config: ValidationConfig = { thresholds: { auc: { min: 0.5 } }, slices: [{ column: 'origin', thresholds: { auc: { min: 0.8 } } }], fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.3 }] };
    const blessing = decide(config, candidate(), champion(oneClass));
    const parsed = blessingSchema.parse(JSON.parse(JSON.stringify(blessingToJson(blessing))));
    expect(parsed).toEqual(blessing);
    expect(parsed.checks.map((c) => c.check)).toEqual(['change', 'threshold', 'slice-threshold', 'slice-threshold', 'slice-threshold', 'fairness-gap']);
    expect(parsed.baseline?.metrics.auc).toBeNull();
  });
});
