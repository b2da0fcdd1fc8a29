import type { JsonObject } from '../core/json.js';
import { metricsToJson } from '../evaluate/binary-metrics.js';
import type { SearchResult } from './run-search.js';
import type { CompiledTuneOptions } from './tune-options.js';

/**
 * A finished search as JSON, the tune component's `trials` output: what was searched and every
 * trial, best first, with its hyperparameters, status, ranking value, validation metrics, error,
 * worker slot and timing. Undefined metric values are null.
 *
 * @example
 *   trialTable(search, result)
 *   // { trainer: 'logistic', strategy: 'grid', metric: 'auc', better: 'higher', best: { trial: 2, value: 0.71, hyperparameters: { l2: 0.01 } },
 *   //   trials: [{ trial: 2, status: 'finished', value: 0.71, hyperparameters: { l2: 0.01 }, metrics: { auc: 0.71, … }, durationMs: 1840, … }, …] }
 */
export function trialTable(search: CompiledTuneOptions, result: SearchResult): JsonObject {
  const finite = (value: number) => (Number.isFinite(value) ? value : null);
  return {
    trainer: search.trainer,
    strategy: search.strategy,
    metric: search.metric,
    better: search.better,
    parallelism: search.parallelism,
    best: { trial: result.best.trial, value: result.best.value, hyperparameters: result.best.hyperparameters },
    failed: result.failed,
    trials: result.trials.map((trial) => ({
      trial: trial.trial,
      status: trial.status,
      value: trial.status === 'finished' ? finite(trial.value) : null,
      hyperparameters: trial.hyperparameters,
      metrics: trial.status === 'finished' ? metricsToJson(trial.metrics) : {},
      error: trial.status === 'finished' ? null : trial.error,
      worker: trial.worker,
      startedAt: trial.startedAt,
      endedAt: trial.endedAt,
      durationMs: trial.endedAt - trial.startedAt,
    })),
  };
}
