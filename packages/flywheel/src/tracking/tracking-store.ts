import type {
  Experiment, FileInfo, LogBatch, Metric, MetricHistoryQuery, NewExperiment, NewRun, ResultPage, Run, RunArtifact,
  RunInfo, RunPatch, SearchExperimentsQuery, SearchRunsQuery, Tag,
} from './model.js';

/**
 * The experiment-tracking port, with MLflow's semantics: experiments hold runs; a run has
 * immutable params, last-write-wins tags and append-only metric series; deletion is a lifecycle
 * stage. `logBatch` is the one write primitive for run data. Errors are ResourceDoesNotExistError,
 * ResourceAlreadyExistsError, InvalidParameterValueError and InvalidStateError, with MLflow's
 * codes and messages.
 *
 * @example
 *   const run = await store.createRun({ experimentId: '0', runName: 'baseline' });
 *   await store.logBatch(run.info.runId, { params: [{ key: 'depth', value: '6' }], metrics: [{ key: 'auc', value: 0.81, timestamp: Date.now(), step: 0 }] });
 *   const { items } = await store.searchRuns({ experimentIds: ['0'], filter: 'metrics.auc > 0.8', orderBy: ['metrics.auc DESC'] });
 */
export interface TrackingStore {
  /** Fails with RESOURCE_ALREADY_EXISTS when the name is taken, by an active or a deleted experiment. */
  createExperiment(experiment: NewExperiment): Promise<Experiment>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** Active or deleted; undefined when no experiment has that name. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  searchExperiments(query?: SearchExperimentsQuery): Promise<ResultPage<Experiment>>;
  renameExperiment(experimentId: string, name: string): Promise<void>;
  /** Marks the experiment and all its runs deleted. */
  deleteExperiment(experimentId: string): Promise<void>;
  /** Marks the experiment and all its runs active again. */
  restoreExperiment(experimentId: string): Promise<void>;
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>;
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  createRun(run?: NewRun): Promise<Run>;
  /** Creates several runs in one transaction: all of them, or none when one is refused. */
  createRuns(runs: readonly NewRun[]): Promise<void>;
  /** The run with its latest metrics, params and tags; deleted runs too. */
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, patch: RunPatch): Promise<RunInfo>;
  /** The run that tracks an ML-metadata execution (a pipeline step), the latest started if several; undefined when none. */
  runOfExecution(executionId: number): Promise<RunInfo | undefined>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  /**
   * Stores params, metrics and tags in one transaction, within MLflow's limits (1000 metrics,
   * 100 params, 100 tags, 1000 in all). A param logged again with the same value is accepted, with
   * another value refused; an identical metric point (key, value, timestamp, step) is stored once.
   */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** Every point of one metric, ordered by timestamp, step, then value, as MLflow orders them. */
  getMetricHistory(runId: string, key: string, query?: MetricHistoryQuery): Promise<ResultPage<Metric>>;
  searchRuns(query: SearchRunsQuery): Promise<ResultPage<Run>>;

  /** Records files stored in the artifact store under paths of the run's artifact tree; a path logged again points at the new content. */
  logArtifacts(runId: string, artifacts: RunArtifact[]): Promise<void>;
  /** The entries directly under `path` (the root when absent), directories first, then by name. */
  listArtifacts(runId: string, path?: string): Promise<FileInfo[]>;
  /** The file logged at `path`, to fetch it from the artifact store by digest. */
  getArtifact(runId: string, path: string): Promise<RunArtifact>;
}
