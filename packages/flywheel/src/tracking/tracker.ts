import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { InvalidParameterValueError, InvalidStateError, ResourceAlreadyExistsError, isTrackingError } from './errors.js';
import { DEFAULT_EXPERIMENT_ID, LIMITS, TAG_PARENT_RUN_ID, TAG_SOURCE_NAME, TAG_SOURCE_TYPE, TAG_USER } from './model.js';
import type { Experiment, NewRun, RunInfo, Tag } from './model.js';
import { TrackedRun } from './tracked-run.js';
import { WriteBuffer } from './write-buffer.js';
import type { DeferredRun, ParamValue } from './tracked-run.js';
import type { TrackingStore } from './tracking-store.js';

/** Finished deferred runs created per transaction. */
const ENDED_RUNS_PER_BATCH = 200;

export interface TrackerOptions {
  /** Metric points written per batch; 1000 (MLflow's batch limit) by default, at most 1000. */
  batchSize?: number;
  /** Longest a logged metric point waits before it is written; 1000 ms by default. */
  flushIntervalMs?: number;
  /** Recorded as the user of new runs; the operating-system user by default. */
  userId?: string;
}

export interface CompiledTrackerOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly userId: string;
}

export function compileTrackerOptions(options: TrackerOptions = {}): CompiledTrackerOptions {
  const batchSize = options.batchSize ?? LIMITS.metricsPerBatch;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > LIMITS.metricsPerBatch) {
    throw new InvalidParameterValueError(`batchSize must be an integer from 1 to ${LIMITS.metricsPerBatch}, got ${batchSize}`, { field: 'batchSize' });
  }
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 0) {
    throw new InvalidParameterValueError(`flushIntervalMs must be a non-negative number, got ${flushIntervalMs}`, { field: 'flushIntervalMs' });
  }
  return Object.freeze({ batchSize, flushIntervalMs, userId: options.userId ?? currentUser() });
}

export interface StartRunOptions {
  /** Experiment name; created when absent. The default experiment when neither this nor experimentId is given. */
  experiment?: string;
  experimentId?: string;
  /** A generated name such as `brave-owl-417` when absent. */
  name?: string;
  /** Makes this a child run (MLflow's `mlflow.parentRunId` tag). */
  parent?: TrackedRun | string;
  tags?: Record<string, string>;
  params?: Record<string, ParamValue>;
  /** The ML-metadata execution (pipeline step) this run tracks. */
  executionId?: number;
}

/**
 * Logs experiments from TypeScript, MLflow-style, over any TrackingStore. Open a stack and use
 * `stack.tracking`, or build one over a store (and an artifact store, to log files).
 *
 * @example
 *   const run = await stack.tracking.startRun({ experiment: 'flights', name: 'baseline' });
 *   run.logMetric('auc', 0.81, { step: 3 });
 *   await run.end();
 *
 *   await stack.tracking.withRun({ experiment: 'flights' }, async (run) => { … }); // FAILED if it throws
 */
export class Tracker {
  readonly store: TrackingStore;
  readonly options: CompiledTrackerOptions;
  readonly #artifacts: ArtifactStore | undefined;
  readonly #open = new Set<TrackedRun>();
  /** Deferred runs that ended unwritten, created in batches of many runs per transaction. */
  readonly #ended: WriteBuffer<NewRun>;
  /** Why ended runs could not be stored (e.g. their experiment was deleted), reported by the next flush. */
  #refused: string[] = [];

  constructor(store: TrackingStore, artifacts?: ArtifactStore, options?: TrackerOptions) {
    this.store = store;
    this.#artifacts = artifacts;
    this.options = compileTrackerOptions(options);
    this.#ended = new WriteBuffer<NewRun>({ batchSize: ENDED_RUNS_PER_BATCH, flushIntervalMs: this.options.flushIntervalMs, write: (runs) => this.#createEnded(runs) });
  }

  /** Starts a RUNNING run, recording the user and the program as MLflow's client does. */
  async startRun(options: StartRunOptions = {}): Promise<TrackedRun> {
    const experimentId = options.experimentId ?? (options.experiment === undefined
      ? DEFAULT_EXPERIMENT_ID
      : (await this.experiment(options.experiment)).experimentId);
    const created = await this.store.createRun({ ...this.#newRun(options), experimentId });
    return this.#track({ created: created.info });
  }

  /**
   * A run whose row is written by its first write (a param, tag, metric flush or artifact) or by
   * `run.write()`; one that ends before that is queued complete (final status, end time, params,
   * tags) and created with other such runs, many per transaction, within the flush interval or
   * by `flush()`: for short work such as pipeline steps, where a create and an end per run would
   * cost more than the work. Its id is known at once, so child runs and other records can point
   * at it.
   *
   * @example
   *   const run = tracker.deferRun({ experimentId: parent.experimentId, name: 'step-3', parent });
   *   await run.end();        // queued, status FINISHED
   *   await tracker.flush();  // written
   */
  deferRun(options: StartRunOptions & { experimentId: string; name: string }): TrackedRun {
    const deferred = { ...this.#newRun(options), experimentId: options.experimentId, runName: options.name, runId: randomUUID().replaceAll('-', ''), startTime: Date.now() };
    return this.#track({ deferred });
  }

  #newRun(options: StartRunOptions): NewRun {
    const tags: Tag[] = [
      { key: TAG_USER, value: this.options.userId },
      { key: TAG_SOURCE_NAME, value: process.argv[1] ?? '' },
      { key: TAG_SOURCE_TYPE, value: 'LOCAL' },
      ...Object.entries(options.tags ?? {}).map(([key, value]) => ({ key, value })),
    ];
    if (options.parent !== undefined) {
      tags.push({ key: TAG_PARENT_RUN_ID, value: typeof options.parent === 'string' ? options.parent : options.parent.id });
    }
    const params = Object.entries(options.params ?? {}).map(([key, value]) => ({ key, value: String(value) }));
    return { runName: options.name, userId: this.options.userId, tags, params, executionId: options.executionId };
  }

  /** Continues logging to an existing run (from another process, say), marking it RUNNING again as MLflow does. */
  async resumeRun(runId: string): Promise<TrackedRun> {
    const { info } = await this.store.getRun(runId);
    const resumed = info.status === 'RUNNING' ? info : await this.store.updateRun(runId, { status: 'RUNNING' });
    return this.#track({ created: resumed });
  }

  /** Runs `work` in a new run that ends FINISHED, or FAILED when `work` throws. */
  async withRun<T>(options: StartRunOptions, work: (run: TrackedRun) => Promise<T>): Promise<T> {
    const run = await this.startRun(options);
    let result: T;
    try {
      result = await work(run);
    } catch (error) {
      // The work's failure is what the caller needs; a failure to record FAILED must not hide it.
      await run.end('FAILED').catch(() => undefined);
      throw error;
    }
    await run.end('FINISHED');
    return result;
  }

  /** The active experiment of that name, created when absent (MLflow's set_experiment). */
  async experiment(name: string): Promise<Experiment> {
    let experiment = await this.store.getExperimentByName(name);
    if (experiment === undefined) {
      try {
        experiment = await this.store.createExperiment({ name });
      } catch (error) {
        if (!(error instanceof ResourceAlreadyExistsError)) throw error;
        experiment = await this.store.getExperimentByName(name);
      }
    }
    if (experiment === undefined || experiment.lifecycleStage !== 'active') {
      throw new InvalidParameterValueError(
        `Cannot set a deleted experiment '${name}' as the active experiment. You can restore the experiment, or permanently delete the experiment to create a new one.`,
        { field: 'experiment' },
      );
    }
    return experiment;
  }

  /**
   * Writes the buffered metric points of every run of this tracker that has not ended, and the
   * runs that ended unwritten; rejects with the first failure, or naming the ended runs the store
   * refused since the last flush.
   */
  async flush(): Promise<void> {
    const results = await Promise.allSettled([...[...this.#open].map((run) => run.flush()), this.#ended.flush()]);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    if (this.#refused.length > 0) {
      const refused = this.#refused;
      this.#refused = [];
      throw new InvalidStateError(`${refused.length} ended run(s) could not be stored: ${refused.slice(0, 3).join('; ')}${refused.length > 3 ? '; …' : ''}`);
    }
  }

  /**
   * Creates ended runs in one transaction; when the store refuses the batch, one by one, so a run
   * it refuses (say, of a deleted experiment) neither holds back the others nor comes back.
   */
  async #createEnded(runs: NewRun[]): Promise<void> {
    try {
      await this.store.createRuns(runs);
      return;
    } catch (error) {
      // Anything but a refusal (a lost connection, say) is retried: the batch goes back to the buffer.
      if (!isTrackingError(error)) throw error;
    }
    for (const run of runs) {
      try {
        await this.store.createRun(run);
      } catch (error) {
        if (!isTrackingError(error)) throw error;
        this.#refused.push(`${run.runName ?? run.runId ?? 'a run'}: ${error.message}`);
      }
    }
  }

  #track(run: { created: RunInfo } | { deferred: DeferredRun }): TrackedRun {
    const tracked = new TrackedRun(run, {
      store: this.store,
      artifacts: this.#artifacts,
      batchSize: this.options.batchSize,
      flushIntervalMs: this.options.flushIntervalMs,
      onEnd: (ended) => this.#open.delete(ended),
      recordEnded: (ended) => this.#ended.add(ended),
    });
    this.#open.add(tracked);
    return tracked;
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
