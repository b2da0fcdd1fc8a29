import { z } from 'zod';
import type { JsonObject } from '../core/json.js';
import { metricsToJson } from './binary-metrics.js';
import type { FairnessGap } from './fairness-gap.js';
import { DEFAULT_CHANGE_METRIC, METRICS, METRIC_NAMES, type MetricName } from './metric-catalog.js';
import type { SlicingResult } from './slice-metrics.js';
import type { Bound, ChangeBound, CompiledValidation } from './validation-config.js';

/** The model a candidate was compared with: a registry version reached through an alias. */
export interface BaselineResult {
  model: string;
  alias: string;
  version: number;
  /** The baseline's value of the headline metric on the same data; null when undefined. */
  value: number | null;
  metrics: JsonObject;
}

/** What a check held a value to: its bounds, as configured. */
export type CheckThreshold = Partial<Bound & ChangeBound & { maxGap: number }>;

/**
 * One check of a blessing, passed or failed.
 *
 * @example
 *   { check: 'threshold', metric: 'auc', slice: null, value: 0.6215, threshold: { min: 0.6 }, baseline: null,
 *     passed: true, message: 'auc 0.621500 is at least 0.6' }
 */
export interface BlessingCheck {
  /** change: against the baseline; threshold: absolute, whole data; slice-threshold: absolute, one slice; fairness-gap: across slices. */
  check: 'change' | 'threshold' | 'slice-threshold' | 'fairness-gap';
  metric: MetricName;
  /** The slice (`origin=ORD`) or, for a fairness gap, the slicing (`origin`); null for the whole data. */
  slice: string | null;
  /** The candidate's value (the gap, for a fairness check); null when undefined. */
  value: number | null;
  threshold: CheckThreshold;
  /** The baseline's value, for a change check that compared one. */
  baseline: number | null;
  passed: boolean;
  message: string;
}

/**
 * The verdict of an evaluation, as written to the Blessing artifact: blessed when every check
 * passed. `metric`, `candidate` and `baseline.value` are the headline: the first metric compared
 * with the baseline.
 *
 * @example
 *   { blessed: true, metric: 'auc', candidate: 0.6215,
 *     baseline: { model: 'flights', alias: 'champion', version: 3, value: 0.6190, metrics: {…} },
 *     checks: [{ check: 'change', metric: 'auc', slice: null, value: 0.6215, threshold: { minImprovement: 0 }, baseline: 0.619, passed: true, message: '…' }],
 *     reasons: ['auc 0.621500 beats champion v3 (0.619000): improvement 0.002500 (+0.40%), needed more than 0'] }
 */
export interface Blessing {
  blessed: boolean;
  metric: MetricName;
  /** The candidate's value of the headline metric; null when undefined (e.g. one class only). */
  candidate: number | null;
  baseline: BaselineResult | null;
  checks: BlessingCheck[];
  /** Every check's message, in order. */
  reasons: string[];
}

const bound = z.number().optional();

export const blessingSchema: z.ZodType<Blessing> = z.object({
  blessed: z.boolean(),
  metric: z.enum(METRIC_NAMES),
  candidate: z.number().nullable(),
  baseline: z
    .object({
      model: z.string(),
      alias: z.string(),
      version: z.number().int(),
      value: z.number().nullable(),
      metrics: z.record(z.string(), z.any()),
    })
    .nullable(),
  checks: z.array(
    z.object({
      check: z.enum(['change', 'threshold', 'slice-threshold', 'fairness-gap']),
      metric: z.enum(METRIC_NAMES),
      slice: z.string().nullable(),
      value: z.number().nullable(),
      threshold: z.object({ min: bound, max: bound, minImprovement: bound, minRelativeImprovement: bound, maxGap: bound }),
      baseline: z.number().nullable(),
      passed: z.boolean(),
      message: z.string(),
    }),
  ),
  reasons: z.array(z.string()),
});

/** What a blessing is decided on. Metrics are objects of numbers (BinaryMetrics, RegressionMetrics). */
export interface BlessingInput {
  validation: CompiledValidation;
  candidate: { metrics: object; slices: readonly SlicingResult<object>[]; fairness: readonly FairnessGap[] };
  /** Absent when no baseline was asked for. */
  baseline?:
    | { model: string; alias: string; found: false }
    | { model: string; alias: string; found: true; version: number; metrics: object; sameModel: boolean };
}

/**
 * Runs every check of the validation config on a candidate's evaluation, in this order: the
 * change of each `change` metric against the baseline, the absolute thresholds, the slice
 * thresholds, the fairness gaps. Blesses the candidate when all of them pass; an undefined value
 * fails its check. Without a baseline (none wired, or the alias not set yet) change checks pass
 * on a defined value; against the baseline itself (same digest) they fail.
 *
 * @example
 *   decideBlessing({ validation: compileValidation({ thresholds: { auc: { min: 0.6 } } }, 'classification'), candidate: evaluation })
 */
export function decideBlessing(input: BlessingInput): Blessing {
  const { validation } = input;
  const checks = [...changeChecks(input), ...thresholdChecks(input), ...sliceChecks(input), ...fairnessChecks(input)];
  const metric = validation.change[0]?.metric ?? validation.thresholds[0]?.metric ?? DEFAULT_CHANGE_METRIC[validation.task];
  const baseline = input.baseline?.found && validation.change.length > 0 ? input.baseline : undefined;
  return {
    blessed: checks.every((c) => c.passed),
    metric,
    candidate: valueOf(input.candidate.metrics, metric),
    baseline: baseline
      ? { model: baseline.model, alias: baseline.alias, version: baseline.version, value: valueOf(baseline.metrics, metric), metrics: metricsToJson(baseline.metrics) }
      : null,
    checks,
    reasons: checks.length > 0 ? checks.map((c) => c.message) : ['nothing to check: no change, thresholds or fairness gaps configured'],
  };
}

function changeChecks(input: BlessingInput): BlessingCheck[] {
  return input.validation.change.map(({ metric, bound }) => {
    const value = valueOf(input.candidate.metrics, metric);
    const check = { check: 'change' as const, metric, slice: null, value, threshold: { ...bound }, baseline: null };
    const baseline = input.baseline;
    if (value === null) return { ...check, passed: false, message: `candidate ${metric} is undefined on the evaluation data (${whyUndefined(metric)})` };
    if (!baseline) return { ...check, passed: true, message: `no baseline configured; candidate ${metric} is ${fmt(value)}` };
    if (!baseline.found) {
      return { ...check, passed: true, message: `no ${baseline.alias} yet: model ${baseline.model} has no alias ${baseline.alias}; candidate ${metric} is ${fmt(value)}` };
    }
    const name = `${baseline.alias} v${baseline.version}`;
    if (baseline.sameModel) return { ...check, passed: false, message: `the candidate is ${name} itself (same digest)` };
    const base = valueOf(baseline.metrics, metric);
    if (base === null) return { ...check, passed: true, message: `${name} has no ${metric} on this data; candidate ${metric} is ${fmt(value)}` };
    const improvement = METRICS[metric].better === 'higher' ? value - base : base - value;
    const relative = base !== 0 ? improvement / Math.abs(base) : improvement === 0 ? 0 : Math.sign(improvement) * Infinity;
    const passed =
      (bound.minImprovement === undefined || improvement > bound.minImprovement) &&
      (bound.minRelativeImprovement === undefined || relative > bound.minRelativeImprovement);
    const needed = [
      ...(bound.minImprovement === undefined ? [] : [`more than ${bound.minImprovement}`]),
      ...(bound.minRelativeImprovement === undefined ? [] : [`more than ${percent(bound.minRelativeImprovement)} relative`]),
    ].join(' and ');
    return {
      ...check,
      baseline: base,
      passed,
      message: `${metric} ${fmt(value)} ${passed ? 'beats' : 'does not beat'} ${name} (${fmt(base)}): improvement ${fmt(improvement)} (${percent(relative)}), needed ${needed}`,
    };
  });
}

function thresholdChecks(input: BlessingInput): BlessingCheck[] {
  return input.validation.thresholds.flatMap(({ metric, bound }) => boundChecks('threshold', metric, null, valueOf(input.candidate.metrics, metric), bound, metric));
}

function sliceChecks(input: BlessingInput): BlessingCheck[] {
  return input.validation.sliceThresholds.flatMap(({ slice: name, metric, bound }) => {
    const slicing = input.candidate.slices.find((s) => s.name === name);
    if (!slicing) {
      return [{ check: 'slice-threshold' as const, metric, slice: name, value: null, threshold: { ...bound }, baseline: null, passed: false, message: `slicing ${name} was not evaluated` }];
    }
    return slicing.slices.flatMap((slice) => {
      const label = `${name}=${slice.key}`;
      const value = valueOf(slice.metrics, metric);
      if (!slice.sufficient) {
        const message = `${label} has ${slice.rowCount} rows, fewer than minSliceRows: ${metric} not checked`;
        return [{ check: 'slice-threshold' as const, metric, slice: label, value, threshold: { ...bound }, baseline: null, passed: true, message }];
      }
      return boundChecks('slice-threshold', metric, label, value, bound, `${metric} on ${label}`);
    });
  });
}

function boundChecks(check: 'threshold' | 'slice-threshold', metric: MetricName, slice: string | null, value: number | null, bound: Bound, what: string): BlessingCheck[] {
  const sides = [
    ...(bound.min === undefined ? [] : [{ threshold: { min: bound.min }, limit: bound.min, ok: (v: number) => v >= (bound.min as number), word: 'at least', fail: 'is below the minimum' }]),
    ...(bound.max === undefined ? [] : [{ threshold: { max: bound.max }, limit: bound.max, ok: (v: number) => v <= (bound.max as number), word: 'at most', fail: 'is above the maximum' }]),
  ];
  return sides.map(({ threshold, limit, ok, word, fail }) => {
    const base = { check, metric, slice, value, threshold, baseline: null };
    if (value === null) return { ...base, passed: false, message: `${what} is undefined (${whyUndefined(metric)}), so it cannot be ${word} ${limit}` };
    const passed = ok(value);
    return { ...base, passed, message: `${what} ${fmt(value)} ${passed ? `is ${word}` : fail} ${limit}` };
  });
}

function fairnessChecks(input: BlessingInput): BlessingCheck[] {
  return input.validation.fairness.map(({ slice, metric, maxGap }) => {
    const found = input.candidate.fairness.find((f) => f.slice === slice && f.metric === metric);
    const value = found && Number.isFinite(found.gap) ? found.gap : null;
    const check = { check: 'fairness-gap' as const, metric, slice, value, threshold: { maxGap }, baseline: null };
    const what = `${metric} gap across ${slice}`;
    if (!found) return { ...check, passed: false, message: `${what} was not computed` };
    if (value === null || !found.min || !found.max) {
      return { ...check, passed: false, message: `${what} is undefined: ${found.slicesCompared} slice(s) with enough rows and a defined ${metric}, at least two needed` };
    }
    const passed = value <= maxGap;
    const ends = `${found.min.key} ${fmt(found.min.value)} to ${found.max.key} ${fmt(found.max.value)}`;
    return { ...check, passed, message: `${what} ${fmt(value)} (${ends}) ${passed ? 'is at most' : 'is above the maximum'} ${maxGap}` };
  });
}

function valueOf(metrics: object, metric: MetricName): number | null {
  const value = (metrics as Partial<Record<MetricName, number>>)[metric];
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function whyUndefined(metric: MetricName): string {
  return `it is when ${METRICS[metric].undefinedWhen}`;
}

function fmt(value: number): string {
  return value.toFixed(6);
}

function percent(share: number): string {
  return `${share > 0 ? '+' : ''}${(share * 100).toFixed(2)}%`;
}

/** The blessing as JSON for the artifact file. */
export function blessingToJson(blessing: Blessing): JsonObject {
  return JSON.parse(JSON.stringify(blessing)) as JsonObject;
}
