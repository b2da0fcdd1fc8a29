import { join } from 'node:path';
import type { JsonObject } from '../core/json.js';
import type { StepLogger } from '../pipeline/component.js';
import { AllTrialsFailedError, NoTrialMetricError } from './errors.js';
import type { TrialRequest } from './run-trial.js';
import { runTrials, type TrialOutcome } from './run-trials.js';
import type { Hyperparameters } from './search-plan.js';
import type { CompiledTuneOptions } from './tune-options.js';

interface TrialCommon {
  /** 1 for the first trial planned. */
  trial: number;
  hyperparameters: Hyperparameters;
  /** Which worker slot ran it (1…parallelism), and when, in epoch milliseconds. */
  worker: number;
  startedAt: number;
  endedAt: number;
}

/** A trial that trained and scored a model. */
export interface FinishedTrial extends TrialCommon {
  status: 'finished';
  /** The metric the search ranks by; NaN when undefined on the validation data. */
  value: number;
  /** Validation metrics, then the trainer's training metrics (`trainingLoss`, `iterations`…). */
  metrics: Record<string, number>;
  /** The trial's model file, and what its Model artifact carries. */
  modelPath: string;
  properties: JsonObject;
}

/** A trial whose trainer threw or whose worker stopped (`failed`), or that was cancelled (`killed`). */
export interface UnfinishedTrial extends TrialCommon {
  status: 'failed' | 'killed';
  error: string;
}

/** One trial of a search, as it ended. */
export type TrialResult = FinishedTrial | UnfinishedTrial;

export interface SearchResult {
  best: FinishedTrial;
  /** Every trial, best first: finished ones by the metric (ties: the earlier trial), then the rest by trial number. */
  trials: TrialResult[];
  failed: number;
}

/** Hears of trials as they start and end, e.g. to record them as tracked runs. */
export interface SearchObserver {
  trialStarted(trial: number, hyperparameters: Hyperparameters): Promise<void>;
  trialEnded(result: TrialResult): Promise<void>;
}

export interface SearchContext {
  /** Trial models are written here as `trial-<n>.onnx`. */
  workDir: string;
  signal?: AbortSignal;
  log?: StepLogger;
  observer?: SearchObserver;
}

/**
 * Runs a compiled search: every trial trains on `train` in a worker process and is scored on
 * `validation`; returns the trials ranked by the metric. A failing trial is recorded and the
 * search goes on; AllTrialsFailedError when every trial failed, NoTrialMetricError when none has a
 * defined metric. Rejects with the signal's reason when cancelled.
 *
 * @example
 *   const search = compileTuneOptions({ trainer: 'logistic', fixed: { label: 'delayed', numeric: ['distance'] }, space: { l2: [1e-4, 1e-2, 1] } });
 *   const { best } = await runSearch(search, { train: 'jan.parquet', validation: 'feb.parquet' }, { workDir: 'tmp' });
 *   best.hyperparameters // { l2: 0.01 }
 */
export async function runSearch(search: CompiledTuneOptions, data: { train: string; validation: string }, context: SearchContext): Promise<SearchResult> {
  const requests: TrialRequest[] = search.trials.map((hyperparameters, i) => ({
    trial: i + 1,
    trainer: search.trainer,
    params: { ...search.fixed, ...hyperparameters },
    train: data.train,
    validation: data.validation,
    modelPath: join(context.workDir, `trial-${i + 1}.onnx`),
    label: search.label,
    task: search.task,
    // Trials side by side already keep the cores busy.
    helperThreads: search.parallelism === 1,
  }));
  const hyperparametersOf = (trial: number) => search.trials[trial - 1] as Hyperparameters;
  const { observer, log } = context;
  log?.info(`${search.strategy} search over ${Object.keys(search.space).join(', ')}: ${requests.length} trials of ${search.trainer}, ${search.parallelism} at a time, ranked by ${search.metric} (${search.better} is better)`);

  const results: TrialResult[] = [];
  await runTrials(requests, {
    parallelism: search.parallelism,
    signal: context.signal,
    log,
    onStart: async (request) => observer?.trialStarted(request.trial, hyperparametersOf(request.trial)),
    onEnd: async (outcome) => {
      const result = toResult(outcome, hyperparametersOf(outcome.request.trial), search.metric);
      results.push(result);
      log?.info(describeResult(result, search.metric));
      await observer?.trialEnded(result);
    },
  });

  const trials = rankTrials(results, search.better);
  const failed = trials.filter((trial) => trial.status !== 'finished').length;
  const best = pickBest(trials, search.metric);
  return { best, trials, failed };
}

/**
 * The best of ranked trials; AllTrialsFailedError when none finished, NoTrialMetricError when
 * some finished but none has a value of the metric.
 */
export function pickBest(ranked: readonly TrialResult[], metric: string): FinishedTrial {
  if (!ranked.some((trial) => trial.status === 'finished')) {
    const first = ranked[0] as UnfinishedTrial;
    throw new AllTrialsFailedError(ranked.length, first.trial, first.error);
  }
  // Trials with a defined value rank first: when the first has none, no trial has one.
  const best = ranked[0] as TrialResult;
  if (best.status !== 'finished' || Number.isNaN(best.value)) throw new NoTrialMetricError(metric);
  return best;
}

/**
 * Trials best first: finished ones with a defined value by it (`higher` or `lower` is better, the
 * earlier trial first on ties), then the others by trial number.
 *
 * @example
 *   rankTrials(results, 'higher').map((r) => r.trial) // [2, 3, 1, 4]: 4 failed
 */
export function rankTrials(results: readonly TrialResult[], better: 'higher' | 'lower'): TrialResult[] {
  const sign = better === 'higher' ? -1 : 1;
  const rankValue = (r: TrialResult) => (r.status === 'finished' && !Number.isNaN(r.value) ? r.value : undefined);
  return [...results].sort((a, b) => {
    const x = rankValue(a);
    const y = rankValue(b);
    if ((x === undefined) !== (y === undefined)) return x === undefined ? 1 : -1;
    if (x !== undefined && y !== undefined && x !== y) return sign * (x - y);
    return a.trial - b.trial;
  });
}

function toResult(outcome: TrialOutcome, hyperparameters: Hyperparameters, metric: string): TrialResult {
  const common = { trial: outcome.request.trial, hyperparameters, worker: outcome.worker, startedAt: outcome.startedAt, endedAt: outcome.endedAt };
  if (outcome.status !== 'finished') return { ...common, status: outcome.status, error: outcome.error };
  const { report } = outcome;
  return {
    ...common,
    status: 'finished',
    value: report.metrics[metric] ?? Number.NaN,
    metrics: { ...report.metrics, ...report.trainingMetrics },
    modelPath: outcome.request.modelPath,
    properties: report.properties,
  };
}

function describeResult(result: TrialResult, metric: string): string {
  const values = Object.entries(result.hyperparameters).map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', ');
  const seconds = ((result.endedAt - result.startedAt) / 1000).toFixed(1);
  return result.status === 'finished'
    ? `trial ${result.trial} (${values}): ${metric} ${result.value.toFixed(4)} in ${seconds}s`
    : `trial ${result.trial} (${values}) ${result.status}: ${result.error}`;
}
