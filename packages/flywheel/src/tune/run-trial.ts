import { writeFile } from 'node:fs/promises';
import type { JsonObject } from '../core/json.js';
import type { ModelTask } from '../evaluate/metric-catalog.js';
import type { StepLogger } from '../pipeline/component.js';
import { TUNABLE_TRAINERS, type TunableTrainerName } from './trainers/index.js';
import { validationMetrics } from './trial-metrics.js';

/** One trial to run: everything a worker process needs, as plain data. */
export interface TrialRequest {
  /** 1 for the first trial of the search. */
  trial: number;
  trainer: TunableTrainerName;
  /** The trainer's parameters: the fixed ones and the trial's hyperparameters. */
  params: JsonObject;
  /** Paths of the training and validation data. */
  train: string;
  validation: string;
  /** Where to write the trial's model. */
  modelPath: string;
  label: string;
  task: ModelTask;
  /** Whether the trainer may start helper threads of its own (gbdt: see FitGbdtOptions.helperThread). */
  helperThreads: boolean;
}

/** What a trial measured. */
export interface TrialReport {
  /** Every metric of the task on the validation data. */
  metrics: Record<string, number>;
  /** What the trainer reports of training (loss, iterations…). */
  trainingMetrics: Record<string, number>;
  /** What the trainer's component would record on the Model. */
  properties: JsonObject;
  /** Epoch milliseconds around training and scoring, as the worker saw them. */
  startedAt: number;
  endedAt: number;
}

/**
 * Trains one trial's model, writes it to `modelPath` and scores it on the validation data. Runs in
 * a trial worker (see trial-worker.ts); the trainer's errors propagate.
 *
 * @example
 *   const report = await runTrial({ trial: 1, trainer: 'logistic', params: { label: 'delayed', numeric: ['distance'], l2: 0.01 },
 *     train: 'jan.parquet', validation: 'feb.parquet', modelPath: 'trial-1.onnx', label: 'delayed', task: 'classification',
 *     helperThreads: true }, log);
 *   report.metrics.auc // 0.69
 */
export async function runTrial(request: TrialRequest, log: StepLogger): Promise<TrialReport> {
  const startedAt = Date.now();
  const trained = await TUNABLE_TRAINERS[request.trainer].train(request.train, request.params, { log, helperThreads: request.helperThreads });
  await writeFile(request.modelPath, trained.onnx);
  const metrics = await validationMetrics(request.modelPath, request.validation, request.label, request.task);
  return {
    metrics,
    trainingMetrics: trained.trainingMetrics,
    properties: trained.properties,
    startedAt,
    endedAt: Date.now(),
  };
}
