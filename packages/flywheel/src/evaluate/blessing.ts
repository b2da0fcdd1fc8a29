import { z } from 'zod';
import type { JsonObject } from '../core/json.js';
import type { BinaryMetrics } from './binary-metrics.js';

/** Metrics a blessing can be decided on, and which way is better. */
export const BLESSING_METRICS = { auc: 'higher', accuracy: 'higher', logLoss: 'lower' } as const;
export type BlessingMetric = keyof typeof BLESSING_METRICS;

/** The model a candidate was compared with: a registry version reached through an alias. */
export interface BaselineResult {
  model: string;
  alias: string;
  version: number;
  /** The baseline's value of the deciding metric on the same data; null when undefined. */
  value: number | null;
  metrics: JsonObject;
}

/**
 * The verdict of an evaluation, as written to the Blessing artifact.
 *
 * @example
 *   { blessed: true, metric: 'auc', candidate: 0.6215, minImprovement: 0,
 *     baseline: { model: 'flights', alias: 'champion', version: 3, value: 0.6190, metrics: {…} },
 *     reasons: ['auc 0.621500 beats champion v3 (0.619000) by 0.002500 (needed more than 0)'] }
 */
export interface Blessing {
  blessed: boolean;
  metric: BlessingMetric;
  /** The candidate's value of the metric; null when undefined (e.g. one class only). */
  candidate: number | null;
  baseline: BaselineResult | null;
  minImprovement: number;
  reasons: string[];
}

export const blessingSchema: z.ZodType<Blessing> = z.object({
  blessed: z.boolean(),
  metric: z.enum(['auc', 'accuracy', 'logLoss']),
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
  minImprovement: z.number(),
  reasons: z.array(z.string()),
});

export interface BlessingInput {
  metric: BlessingMetric;
  minImprovement: number;
  candidate: BinaryMetrics;
  /** Absent when no baseline was asked for. */
  baseline?:
    | { model: string; alias: string; found: false }
    | { model: string; alias: string; found: true; version: number; metrics: BinaryMetrics; sameModel: boolean };
}

/**
 * Blesses a candidate whose metric is defined and, when a baseline exists, beats the baseline's
 * by more than `minImprovement` on the same data (lower is better for logLoss).
 */
export function decideBlessing(input: BlessingInput): Blessing {
  const { metric, minImprovement } = input;
  const value = input.candidate[metric];
  const candidate = Number.isFinite(value) ? value : null;
  const base = { metric, candidate, minImprovement };
  if (candidate === null) {
    return { ...base, blessed: false, baseline: baselineResult(input), reasons: [`candidate ${metric} is undefined on the evaluation data (does it hold both classes?)`] };
  }
  const baseline = input.baseline;
  if (!baseline) return { ...base, blessed: true, baseline: null, reasons: [`no baseline configured; candidate ${metric} is ${fmt(candidate)}`] };
  if (!baseline.found) {
    return { ...base, blessed: true, baseline: null, reasons: [`no ${baseline.alias} yet: model ${baseline.model} has no alias ${baseline.alias}; candidate ${metric} is ${fmt(candidate)}`] };
  }
  const result = baselineResult(input) as BaselineResult;
  const name = `${baseline.alias} v${baseline.version}`;
  if (baseline.sameModel) return { ...base, blessed: false, baseline: result, reasons: [`the candidate is ${name} itself (same digest)`] };
  if (result.value === null) {
    return { ...base, blessed: true, baseline: result, reasons: [`${name} has no ${metric} on this data; candidate ${metric} is ${fmt(candidate)}`] };
  }
  const improvement = BLESSING_METRICS[metric] === 'higher' ? candidate - result.value : result.value - candidate;
  const blessed = improvement > minImprovement;
  const verdict = blessed ? 'beats' : 'does not beat';
  return {
    ...base,
    blessed,
    baseline: result,
    reasons: [`${metric} ${fmt(candidate)} ${verdict} ${name} (${fmt(result.value)}): improvement ${fmt(improvement)}, needed more than ${minImprovement}`],
  };
}

function baselineResult(input: BlessingInput): BaselineResult | null {
  const baseline = input.baseline;
  if (!baseline?.found) return null;
  const value = baseline.metrics[input.metric];
  const metrics: JsonObject = {};
  for (const [key, v] of Object.entries(baseline.metrics)) metrics[key] = Number.isFinite(v) ? v : null;
  return { model: baseline.model, alias: baseline.alias, version: baseline.version, value: Number.isFinite(value) ? value : null, metrics };
}

function fmt(value: number): string {
  return value.toFixed(6);
}

/** The blessing as JSON for the artifact file. */
export function blessingToJson(blessing: Blessing): JsonObject {
  return { ...blessing, baseline: blessing.baseline ? { ...blessing.baseline } : null, reasons: [...blessing.reasons] };
}
