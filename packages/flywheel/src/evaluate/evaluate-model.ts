import { basename } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { DEFAULT_DECISION_THRESHOLD, binaryMetrics, type BinaryMetrics } from './binary-metrics.js';
import { calibrationCurve, type CalibrationBin } from './calibration-curve.js';
import { confusionMatrix, type ConfusionMatrix } from './confusion-matrix.js';
import { fairnessGap, fairnessSpecSchema, type FairnessGap } from './fairness-gap.js';
import { requireTaskMetric, type ModelTask } from './metric-catalog.js';
import { modelTask } from './model-task.js';
import { regressionMetrics, type RegressionMetrics } from './regression-metrics.js';
import { scoreDataset } from './score-dataset.js';
import { DEFAULT_MIN_SLICE_ROWS, sliceMetrics, type SlicingResult } from './slice-metrics.js';
import { planSlicing, sliceSpecSchema, type SlicingPlan } from './slice-spec.js';

/** What to compute besides the metrics of the whole data; defaults shown. */
export const evaluationOptionsShape = {
  /** What the model predicts; read from its outputs by default (see predictionOutput). */
  task: z.enum(['classification', 'regression']).optional(),
  /** A row is predicted positive when its probability is above this (precision, recall, F1, accuracy, confusion matrix). */
  decisionThreshold: z.number().min(0).max(1).default(DEFAULT_DECISION_THRESHOLD),
  /** Equal-width bins of the calibration curve. */
  calibrationBins: z.number().int().min(1).max(1000).default(10),
  /** Slicings of the evaluation data, each slice with the same metrics as the whole. */
  slices: z.array(sliceSpecSchema).default([]),
  /** Slices with fewer rows are reported, marked insufficient, and neither checked nor compared. */
  minSliceRows: z.number().int().positive().default(DEFAULT_MIN_SLICE_ROWS),
  /** Gaps of a metric across the slices of a slicing, e.g. `[{ slice: 'origin', metric: 'auc' }]`. */
  fairness: z.array(fairnessSpecSchema).default([]),
};

/** Slicing names are unique and every fairness gap names one of them. */
export function checkSliceNames(options: { slices: readonly { name?: string; column: string }[]; fairness: readonly { slice: string }[] }, ctx: z.RefinementCtx): void {
  const names = options.slices.map((s) => s.name ?? s.column);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['slices', i, 'name'], message: `slicing ${JSON.stringify(name)} is defined twice; name one of them` });
  });
  options.fairness.forEach((f, i) => {
    if (!names.includes(f.slice)) {
      ctx.addIssue({ code: 'custom', path: ['fairness', i, 'slice'], message: `no slicing named ${JSON.stringify(f.slice)} in slices (${names.length ? names.join(', ') : 'none defined'})` });
    }
  });
}

export const evaluationOptionsSchema = z.strictObject(evaluationOptionsShape).superRefine(checkSliceNames);

export interface EvaluationOptions extends z.input<typeof evaluationOptionsSchema> {
  /** Rows per onnxruntime run; 65 536 by default. */
  batchRows?: number;
  signal?: AbortSignal;
}

export type CompiledEvaluationOptions = Readonly<z.output<typeof evaluationOptionsSchema>>;

/**
 * Checks evaluation options and fills in the defaults; InvalidInputError naming the bad field.
 *
 * @example
 *   compileEvaluationOptions({ slices: [{ column: 'origin' }] }).decisionThreshold // 0.5
 */
export function compileEvaluationOptions(options: EvaluationOptions = {}): CompiledEvaluationOptions {
  const { batchRows: _batchRows, signal: _signal, ...rest } = options;
  const parsed = evaluationOptionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = (issue?.path ?? []).map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('').replace(/^\./, '');
    throw new InvalidInputError(field || 'options', issue?.message ?? 'invalid');
  }
  return Object.freeze(parsed.data);
}

interface Sliced<M> {
  metrics: M;
  slices: SlicingResult<M>[];
  fairness: FairnessGap[];
}

/** A model's evaluation on a dataset: its metrics, per slice too, and for a classifier its curves. */
export type Evaluation =
  | ({ task: 'classification'; confusionMatrix: ConfusionMatrix; calibration: CalibrationBin[] } & Sliced<BinaryMetrics>)
  | ({ task: 'regression' } & Sliced<RegressionMetrics>);

/**
 * Scores a model on a data file and computes its metrics: overall, per slice, the fairness gaps
 * and, for a binary classifier, the confusion matrix and the calibration curve. The slice
 * columns are read in the same pass as the model inputs, so rows stay aligned.
 * InvalidInputError for bad options, a missing column (the error lists the data's columns), a
 * metric of the other task, a bad label or a prediction that is not a number.
 *
 * @example
 *   const evaluation = await evaluateModel('model.onnx', 'feb.parquet', 'delayed', {
 *     slices: [{ column: 'origin', top: 5 }], fairness: [{ slice: 'origin', metric: 'auc' }],
 *   });
 *   evaluation.metrics.auc; evaluation.slices[0].slices[0].metrics.auc; evaluation.fairness[0].gap;
 */
export async function evaluateModel(modelPath: string, datasetPath: string, label: string, options: EvaluationOptions = {}): Promise<Evaluation> {
  const compiled = compileEvaluationOptions(options);
  const task: ModelTask = compiled.task ?? (await modelTask(modelPath));
  compiled.fairness.forEach((f, i) => requireTaskMetric(f.metric, task, `fairness[${i}].metric`));
  const plans: SlicingPlan[] = compiled.slices.length === 0 ? [] : await withDuckDb((db) => planSlicing(db, tableFunctionFor(datasetPath, 'examples'), compiled.slices));
  const scores = await scoreDataset(modelPath, datasetPath, { label, task, columns: plans.map((p) => p.request), batchRows: options.batchRows, signal: options.signal });
  requireFinitePredictions(scores.predictions, modelPath);
  const scored = { labels: scores.labels as Float64Array, predictions: scores.predictions };
  const sliced = <M extends object>(metricsOf: (labels: Float64Array, predictions: Float64Array) => M): Sliced<M> => {
    const slices = plans.map((plan, i) => sliceMetrics(plan, scores.columns[i] as Int32Array, scored, metricsOf, compiled.minSliceRows));
    const fairness = compiled.fairness.map((f) => fairnessGap(slices.find((s) => s.name === f.slice) as SlicingResult<M>, f.metric));
    return { metrics: metricsOf(scored.labels, scored.predictions), slices, fairness };
  };
  if (task === 'regression') return { task, ...sliced(regressionMetrics) };
  const threshold = compiled.decisionThreshold;
  return {
    task,
    ...sliced((labels, predictions) => binaryMetrics(labels, predictions, { threshold })),
    confusionMatrix: confusionMatrix(scored.labels, scored.predictions, threshold),
    calibration: calibrationCurve(scored.labels, scored.predictions, compiled.calibrationBins),
  };
}

function requireFinitePredictions(predictions: Float64Array, modelPath: string): void {
  for (let i = 0; i < predictions.length; i++) {
    if (!Number.isFinite(predictions[i])) {
      throw new InvalidInputError('model', `${basename(modelPath)} predicts ${predictions[i]} for row ${i} of the evaluation data; metrics need a number for every row`, 'check the row for values the model cannot handle');
    }
  }
}
