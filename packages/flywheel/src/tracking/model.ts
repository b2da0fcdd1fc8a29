/**
 * Experiment tracking with MLflow's model: every entity and field maps 1:1 onto MLflow's REST API
 * (`experiment_id` ↔ `experimentId`, times in epoch milliseconds, ids as strings), so an
 * MLflow-compatible server is a thin translation of these types.
 */

/** MLflow's run statuses. */
export type TrackingRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly TrackingRunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

/** Deleting an experiment or run only moves it to `deleted`; restoring moves it back. */
export type LifecycleStage = 'active' | 'deleted';

/** Which lifecycle stages a search returns; `ACTIVE_ONLY` by default, as in MLflow. */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** The experiment every database has, as in MLflow: id `0`, named `Default`. */
export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Tags with a meaning, named as MLflow names them. */
export const TAG_RUN_NAME = 'mlflow.runName';
export const TAG_PARENT_RUN_ID = 'mlflow.parentRunId';
export const TAG_USER = 'mlflow.user';
export const TAG_SOURCE_NAME = 'mlflow.source.name';
export const TAG_SOURCE_TYPE = 'mlflow.source.type';

/** MLflow's limits (mlflow/utils/validation.py), enforced identically. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentNameLength: 500,
  experimentTagValueLength: 5000,
  metricsPerBatch: 1000,
  paramsPerBatch: 100,
  tagsPerBatch: 100,
  entitiesPerBatch: 1000,
  searchMaxResultsDefault: 1000,
  searchMaxResults: 50_000,
} as const;

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Tag[];
  creationTime: number;
  lastUpdateTime: number;
}

export interface NewExperiment {
  name: string;
  /** Where the runs' artifacts are addressed; `mlflow-artifacts:/<experiment id>` by default. */
  artifactLocation?: string;
  tags?: Tag[];
}

export interface Tag {
  key: string;
  value: string;
}

export type Param = Tag;

/** One point of a metric's time series. */
export interface Metric {
  key: string;
  /**
   * NaN and ±Infinity are accepted; as in MLflow's SQL store, ±Infinity is kept as ±1.7976931348623157e308
   * (the largest double) and read back as that value.
   */
  value: number;
  /** Epoch milliseconds. */
  timestamp: number;
  step: number;
}

export interface RunInfo {
  /** 32 lowercase hex digits (a uuid4 without dashes), as MLflow makes them. */
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: TrackingRunStatus;
  startTime: number;
  endTime: number | null;
  lifecycleStage: LifecycleStage;
  /** `<experiment artifact location>/<run id>/artifacts`. */
  artifactUri: string;
  /** The ML-metadata execution this run tracks (a pipeline step), when there is one. */
  executionId: number | null;
}

/** A run's latest metric per key, its params and tags, each sorted by key. */
export interface RunData {
  metrics: Metric[];
  params: Param[];
  tags: Tag[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface NewRun {
  /** `0` (the default experiment) when absent. */
  experimentId?: string;
  /** A generated name such as `brave-owl-417` when absent, as MLflow does. */
  runName?: string;
  /** Now when absent. */
  startTime?: number;
  userId?: string;
  tags?: Tag[];
  executionId?: number;
  /** 32 lowercase hex digits chosen by the caller; generated when absent. Refused when taken. */
  runId?: string;
  /** Stored with the run, in the same transaction. */
  params?: Param[];
  /** RUNNING when absent; a run recorded after it ended passes its final status and endTime. */
  status?: TrackingRunStatus;
  endTime?: number;
}

/** What updateRun changes; absent fields are kept. */
export interface RunPatch {
  status?: TrackingRunStatus;
  endTime?: number;
  runName?: string;
}

/** The logging primitive: everything in one batch is stored in one transaction, or nothing is. */
export interface LogBatch {
  metrics?: Metric[];
  params?: Param[];
  tags?: Tag[];
}

export interface SearchRunsQuery {
  experimentIds: string[];
  /** MLflow's filter language, e.g. `metrics.auc > 0.8 and params.depth = '6'`. */
  filter?: string;
  /** e.g. `['metrics.auc DESC', 'attributes.start_time']`. */
  orderBy?: string[];
  /** 1000 by default, at most 50000. */
  maxResults?: number;
  pageToken?: string;
  runViewType?: ViewType;
}

export interface SearchExperimentsQuery {
  /** e.g. `name LIKE 'flights%' and tags.team = 'risk'`. */
  filter?: string;
  /** `creation_time DESC, experiment_id ASC` by default. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

export interface MetricHistoryQuery {
  /** All points when absent. */
  maxResults?: number;
  pageToken?: string;
}

/** One page of results; `nextPageToken` is absent on the last page. */
export interface ResultPage<T> {
  items: T[];
  nextPageToken?: string;
}

/** A file logged to a run: its path under the run's artifact root and its content digest. */
export interface RunArtifact {
  /** Relative POSIX path, e.g. `plots/roc.png`. */
  path: string;
  /** sha256 hex of the content, its key in the artifact store. */
  digest: string;
  sizeBytes: number;
}

/** An entry of a run's artifact tree, as MLflow's ListArtifacts returns it. */
export interface FileInfo {
  path: string;
  isDir: boolean;
  /** null for directories. */
  fileSize: number | null;
}
