import { readdir } from 'node:fs/promises';
import { basename, join, posix, relative, sep } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { mapWithLimit } from '../artifacts/map-with-limit.js';
import { InvalidParameterValueError, InvalidStateError } from './errors.js';
import { WriteBuffer } from './write-buffer.js';
import { LIMITS } from './model.js';
import type { Metric, NewRun, RunArtifact, RunInfo, Tag, TrackingRunStatus } from './model.js';
import type { TrackingStore } from './tracking-store.js';
import { validateMetric } from './validation.js';

/** Param values are stored as text; numbers and booleans are converted with String(). */
export type ParamValue = string | number | boolean;

export interface MetricOptions {
  /** 0 when absent, as in MLflow. */
  step?: number;
  /** Epoch milliseconds; now when absent. */
  timestamp?: number;
}

/** A run whose row is written later: its id is chosen up front, so it can be referred to at once. */
export interface DeferredRun extends NewRun {
  runId: string;
  experimentId: string;
  runName: string;
  startTime: number;
}

/** Files stored at once by logArtifacts. */
const ARTIFACT_CONCURRENCY = 4;

/**
 * A run being logged to from this process. Metric points are buffered and written in batches
 * (see WriteBuffer), so logMetric is cheap enough for a training loop; params and tags are
 * written at once, so an immutable-param conflict surfaces where the param is logged. Invalid
 * keys and values throw where they are logged.
 *
 * @example
 *   const run = await tracking.startRun({ experiment: 'flights', name: 'depth-6' });
 *   await run.logParams({ depth: 6, learningRate: 0.1 });
 *   for (let step = 0; step < 100; step++) run.logMetric('loss', loss(step), { step });
 *   await run.logArtifact('roc.png', 'plots');
 *   await run.end();
 */
export class TrackedRun {
  readonly id: string;
  readonly experimentId: string;
  readonly name: string;
  readonly #store: TrackingStore;
  readonly #artifacts: ArtifactStore | undefined;
  readonly #metrics: WriteBuffer<Metric>;
  readonly #onEnd: (run: TrackedRun) => void;
  readonly #recordEnded: (run: NewRun) => void;
  /** The row to create, while a deferred run has not been written. */
  #deferred: DeferredRun | undefined;
  #creating: Promise<void> | undefined;
  #ended = false;
  #ending: Promise<void> | undefined;

  /** A run already in the store (`created`), or a `deferred` one that its first write creates. */
  constructor(
    run: { created: RunInfo } | { deferred: DeferredRun },
    context: {
      store: TrackingStore;
      artifacts: ArtifactStore | undefined;
      batchSize: number;
      flushIntervalMs: number;
      onEnd: (run: TrackedRun) => void;
      /** Queues a deferred run that ended before anything was written, to be created with others in one batch. */
      recordEnded: (run: NewRun) => void;
    },
  ) {
    const { runId, experimentId, runName } = 'created' in run ? run.created : run.deferred;
    this.id = runId;
    this.experimentId = experimentId;
    this.name = runName;
    if ('deferred' in run) this.#deferred = run.deferred;
    this.#store = context.store;
    this.#artifacts = context.artifacts;
    this.#onEnd = context.onEnd;
    this.#recordEnded = context.recordEnded;
    this.#metrics = new WriteBuffer<Metric>({
      batchSize: context.batchSize,
      flushIntervalMs: context.flushIntervalMs,
      write: async (metrics) => {
        await this.write();
        await this.#store.logBatch(this.id, { metrics });
      },
    });
  }

  /**
   * Creates a deferred run's row now (status RUNNING); a no-op once it exists. Every write does
   * this first, so only a run that ends before anything was written is stored in one go by end().
   */
  write(): Promise<void> {
    const deferred = this.#deferred;
    if (deferred === undefined) return Promise.resolve();
    this.#creating ??= this.#store.createRun(deferred).then(
      () => {
        this.#deferred = undefined;
      },
      (error: unknown) => {
        this.#creating = undefined;
        throw error;
      },
    );
    return this.#creating;
  }

  /** Metric points logged but not written yet. */
  get pendingMetrics(): number {
    return this.#metrics.size;
  }

  /** Buffers one point; it is written within the flush interval, or by flush() and end(). */
  logMetric(key: string, value: number, options: MetricOptions = {}): void {
    if (this.#ended) {
      throw new InvalidStateError(`run ${this.id} has ended; points logged now would not be written`, 'continue it with tracker.resumeRun(runId)');
    }
    const point = { key, value, timestamp: options.timestamp ?? Date.now(), step: options.step ?? 0 };
    validateMetric(point, 'metric');
    this.#metrics.add(point);
  }

  /** Buffers one point per key, all with the same step and timestamp. */
  logMetrics(values: Record<string, number>, options: MetricOptions = {}): void {
    const timestamp = options.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(values)) this.logMetric(key, value, { step: options.step, timestamp });
  }

  logParam(key: string, value: ParamValue): Promise<void> {
    return this.logParams({ [key]: value });
  }

  /** Writes params now; logging a key again with another value fails (params are immutable). */
  async logParams(params: Record<string, ParamValue>): Promise<void> {
    const entries = Object.entries(params).map(([key, value]) => ({ key, value: String(value) }));
    await this.write();
    for (let i = 0; i < entries.length; i += LIMITS.paramsPerBatch) {
      await this.#store.logBatch(this.id, { params: entries.slice(i, i + LIMITS.paramsPerBatch) });
    }
  }

  setTag(key: string, value: string): Promise<void> {
    return this.setTags({ [key]: value });
  }

  /** Writes tags now; a key set again takes the new value. */
  async setTags(tags: Record<string, string>): Promise<void> {
    const entries: Tag[] = Object.entries(tags).map(([key, value]) => ({ key, value }));
    await this.write();
    for (let i = 0; i < entries.length; i += LIMITS.tagsPerBatch) {
      await this.#store.logBatch(this.id, { tags: entries.slice(i, i + LIMITS.tagsPerBatch) });
    }
  }

  async deleteTag(key: string): Promise<void> {
    await this.write();
    await this.#store.deleteTag(this.id, key);
  }

  /**
   * Stores a file content-addressed in the artifact store and records it in the run's artifact
   * tree as `<artifactPath>/<file name>` (MLflow's log_artifact).
   */
  async logArtifact(localPath: string, artifactPath?: string): Promise<RunArtifact> {
    const artifacts = this.#requireArtifacts();
    const blob = await artifacts.putFile(localPath);
    const logged = { path: joinArtifactPath(artifactPath, basename(localPath)), digest: blob.digest, sizeBytes: blob.size };
    await this.write();
    await this.#store.logArtifacts(this.id, [logged]);
    return logged;
  }

  /** Stores every file under a folder, keeping its layout under `artifactPath` (MLflow's log_artifacts). */
  async logArtifacts(localDir: string, artifactPath?: string): Promise<RunArtifact[]> {
    const artifacts = this.#requireArtifacts();
    const files = (await readdir(localDir, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .sort();
    const logged = await mapWithLimit(files, ARTIFACT_CONCURRENCY, async (file) => {
      const blob = await artifacts.putFile(file);
      const path = joinArtifactPath(artifactPath, relative(localDir, file).split(sep).join('/'));
      return { path, digest: blob.digest, sizeBytes: blob.size };
    });
    await this.write();
    if (logged.length > 0) await this.#store.logArtifacts(this.id, logged);
    return logged;
  }

  /** Writes every buffered metric point. */
  flush(): Promise<void> {
    return this.#metrics.flush();
  }

  /**
   * Writes what is buffered, then records the final status and end time (a deferred run never
   * written is queued in its tracker and created with other finished runs; tracker.flush()
   * writes the queue). Points logged once end() was called are refused; calling it again while
   * it runs returns the same promise. When writing fails the run stays RUNNING and end() can be
   * called again.
   */
  async end(status: TrackingRunStatus = 'FINISHED'): Promise<void> {
    if (status === 'RUNNING' || status === 'SCHEDULED') {
      throw new InvalidParameterValueError(`a run ends as FINISHED, FAILED or KILLED, not ${status}`, { field: 'status' });
    }
    this.#ending ??= this.#end(status).catch((error: unknown) => {
      this.#ending = undefined;
      this.#ended = false;
      throw error;
    });
    return this.#ending;
  }

  async #end(status: TrackingRunStatus): Promise<void> {
    this.#ended = true;
    await this.flush();
    await this.#creating;
    if (this.#deferred !== undefined) {
      this.#recordEnded({ ...this.#deferred, status, endTime: Math.max(Date.now(), this.#deferred.startTime) });
      this.#deferred = undefined;
    } else {
      await this.#store.updateRun(this.id, { status, endTime: Date.now() });
    }
    this.#onEnd(this);
  }

  #requireArtifacts(): ArtifactStore {
    if (this.#artifacts === undefined) {
      throw new InvalidStateError(
        'this tracker has no artifact store to log files to',
        'use stack.tracking, or pass the artifact store to new Tracker(store, artifacts)',
      );
    }
    return this.#artifacts;
  }
}

function joinArtifactPath(directory: string | undefined, path: string): string {
  return directory === undefined || directory === '' ? path : posix.join(directory, path);
}
