import { LIMITS } from '../tracking/model.js';
import { paramsFromJson } from '../tracking/params-from-json.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import type { Tracker } from '../tracking/tracker.js';
import type { SearchObserver, SearchResult, TrialResult } from './run-search.js';
import type { Hyperparameters } from './search-plan.js';
import type { CompiledTuneOptions } from './tune-options.js';

/** Tag on a trial's run: its number in the search, from 1. */
export const TAG_TRIAL = 'flywheel.trial';
/** Tag on a failed trial's run: the error. */
export const TAG_TRIAL_ERROR = 'flywheel.error';

const STATUS = { finished: 'FINISHED', failed: 'FAILED', killed: 'KILLED' } as const;

/**
 * Records a search in experiment tracking: every trial is a child run of the search's own run
 * (`trial-<n>`, tagged with its number), with the trainer's params (fixed and searched) and,
 * when it ends, its validation and training metrics, or its error. The
 * search's run gets the best trial's number, metric and hyperparameters (`best.*`).
 *
 * @example
 *   const trials = new TrackedTrials(stack.tracking, context.tracking, search, { 'flywheel.step': 'tune' });
 *   const result = await runSearch(search, data, { workDir, observer: trials });
 *   await trials.recordBest(result);
 */
export class TrackedTrials implements SearchObserver {
  readonly #tracker: Tracker;
  readonly #parent: TrackedRun;
  readonly #search: CompiledTuneOptions;
  readonly #tags: Readonly<Record<string, string>>;
  readonly #running = new Map<number, TrackedRun>();
  readonly #runIds = new Map<number, string>();

  /** `tags` go on every trial run, e.g. the pipeline run and step it belongs to. */
  constructor(tracker: Tracker, parent: TrackedRun, search: CompiledTuneOptions, tags: Record<string, string> = {}) {
    this.#tracker = tracker;
    this.#parent = parent;
    this.#search = search;
    this.#tags = tags;
  }

  async trialStarted(trial: number, hyperparameters: Hyperparameters): Promise<void> {
    const run = await this.#tracker.startRun({
      experimentId: this.#parent.experimentId,
      parent: this.#parent,
      name: `trial-${trial}`,
      params: paramsFromJson({ ...this.#search.fixed, ...hyperparameters }),
      tags: { ...this.#tags, [TAG_TRIAL]: String(trial) },
    });
    this.#running.set(trial, run);
    this.#runIds.set(trial, run.id);
  }

  async trialEnded(result: TrialResult): Promise<void> {
    const run = this.#running.get(result.trial);
    if (run === undefined) throw new TypeError(`trial ${result.trial} ended without having started`);
    this.#running.delete(result.trial);
    if (result.status === 'finished') run.logMetrics(result.metrics);
    else await run.setTag(TAG_TRIAL_ERROR, result.error.slice(0, LIMITS.tagValueLength));
    await run.end(STATUS[result.status]);
  }

  /** Logs the outcome on the search's run: metrics `best.trial`, `best.<metric>`, `trials`, `failedTrials`, params `best.<hyperparameter>`, tag `best.runId`. */
  async recordBest(result: SearchResult): Promise<void> {
    const { best } = result;
    this.#parent.logMetrics({
      'best.trial': best.trial,
      [`best.${this.#search.metric}`]: best.value,
      trials: result.trials.length,
      failedTrials: result.failed,
    });
    await this.#parent.logParams(paramsFromJson({ best: best.hyperparameters }));
    const runId = this.#runIds.get(best.trial);
    if (runId !== undefined) await this.#parent.setTag('best.runId', runId);
  }
}
