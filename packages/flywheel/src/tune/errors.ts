import { FlywheelError } from '../core/errors.js';

/** Every trial of a search failed, so there is no model to pick; `firstError` is trial 1's error. */
export class AllTrialsFailedError extends FlywheelError {
  readonly trials: number;
  readonly firstError: string;
  constructor(trials: number, firstTrial: number, firstError: string) {
    super('all_trials_failed', `all ${trials} trials failed; trial ${firstTrial}: ${firstError}`, {
      hint: 'fix the error the trials share (it is often in the fixed params or the data), or see each trial run for its own',
    });
    this.trials = trials;
    this.firstError = firstError;
  }
}

/** Trials finished, but none has a defined value of the metric the search ranks by (e.g. AUC of one class). */
export class NoTrialMetricError extends FlywheelError {
  readonly metric: string;
  constructor(metric: string) {
    super('no_trial_metric', `no trial has a defined ${metric} on the validation data`, {
      hint: metric === 'auc' ? 'the validation labels may hold one class only; use more validation rows' : 'check the validation data, or rank by another metric',
    });
    this.metric = metric;
  }
}

/** A trial's worker process stopped (crashed, ran out of memory, was killed) before the trial ended. */
export class TrialWorkerStoppedError extends FlywheelError {
  constructor(reason: string) {
    super('trial_worker_stopped', `the trial's worker process stopped: ${reason}`);
  }
}
