import type { Generated } from 'kysely';

/**
 * The tables behind the metadata store and the registry, as Kysely sees them. Times are epoch
 * milliseconds and JSON values are text in every dialect, so rows read the same everywhere.
 */
export interface Database {
  types: TypeTable;
  artifacts: ArtifactTable;
  executions: ExecutionTable;
  contexts: ContextTable;
  attributions: AttributionTable;
  associations: AssociationTable;
  events: EventTable;
  registered_models: RegisteredModelTable;
  model_versions: ModelVersionTable;
  model_aliases: ModelAliasTable;
  alias_moves: AliasMoveTable;
  experiments: ExperimentTable;
  experiment_tags: ExperimentTagTable;
  runs: RunTable;
  params: RunEntryTable;
  run_tags: RunEntryTable;
  metrics: MetricTable;
  latest_metrics: MetricTable;
  run_artifacts: RunArtifactTable;
  trigger_states: TriggerStateTable;
  trigger_firings: TriggerFiringTable;
  alerts: AlertTable;
  rollouts: RolloutTable;
}

export interface TypeTable {
  id: Generated<number>;
  kind: string;
  name: string;
  properties: string;
}

export interface ArtifactTable {
  id: Generated<number>;
  type_id: number;
  name: string | null;
  uri: string;
  digest: string | null;
  size_bytes: number | null;
  state: string;
  properties: string;
  created_at: number;
  updated_at: number;
}

export interface ExecutionTable {
  id: Generated<number>;
  type_id: number;
  name: string | null;
  state: string;
  cache_key: string | null;
  properties: string;
  error: string | null;
  started_at: number | null;
  ended_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ContextTable {
  id: Generated<number>;
  type_id: number;
  name: string;
  parent_id: number | null;
  properties: string;
  created_at: number;
  updated_at: number;
}

export interface AttributionTable {
  context_id: number;
  artifact_id: number;
}

export interface AssociationTable {
  context_id: number;
  execution_id: number;
}

export interface EventTable {
  id: Generated<number>;
  execution_id: number;
  artifact_id: number;
  kind: string;
  name: string;
  position: number;
  created_at: number;
}

export interface RegisteredModelTable {
  id: Generated<number>;
  name: string;
  description: string | null;
  tags: string;
  /** The highest version number handed out; incremented under the row's lock. */
  last_version: number;
  created_at: number;
  updated_at: number;
}

export interface ModelVersionTable {
  id: Generated<number>;
  model_id: number;
  version: number;
  uri: string;
  digest: string;
  artifact_id: number | null;
  execution_id: number | null;
  signature: string | null;
  metrics: string;
  tags: string;
  description: string | null;
  created_at: number;
  run_id: string | null;
  training_data_uri: string | null;
  training_data_digest: string | null;
  training_data_artifact_id: number | null;
}

export interface ModelAliasTable {
  model_id: number;
  alias: string;
  version: number;
  updated_at: number;
}

export interface AliasMoveTable {
  id: Generated<number>;
  model_id: number;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string;
  at: number;
}

/** A tracking experiment (MLflow's `experiments`); id 0 is the default experiment. */
export interface ExperimentTable {
  experiment_id: Generated<number>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number;
  last_update_time: number;
}

export interface ExperimentTagTable {
  experiment_id: number;
  key: string;
  value: string;
}

/**
 * A tracked run. `run_uuid` is the public run id; run data refers to the run by the integer `id`,
 * which keeps the metric table and its index narrow.
 */
export interface RunTable {
  id: Generated<number>;
  run_uuid: string;
  experiment_id: number;
  name: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  deleted_time: number | null;
  lifecycle_stage: string;
  artifact_uri: string;
  execution_id: number | null;
}

/** A param or a run tag: one value per run and key. `run_id` is `runs.id`. */
export interface RunEntryTable {
  run_id: number;
  key: string;
  value: string;
}

/**
 * A metric point, or (in `latest_metrics`) the latest point per run and key. As in MLflow, NaN is
 * stored as value 0 with `is_nan` 1, and ±Infinity as ±1.7976931348623157e308.
 */
export interface MetricTable {
  run_id: number;
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number;
}

/** A file in a run's artifact tree: its path and the content-addressed blob it holds. */
export interface RunArtifactTable {
  run_id: number;
  path: string;
  digest: string;
  size_bytes: number;
  created_at: number;
}

/** A continuous-training trigger's saved state (its cursor), one row per trigger. */
export interface TriggerStateTable {
  trigger_name: string;
  state: string;
  updated_at: number;
}

/** A trigger fired for one event; unique per trigger and event key, and per run id. */
export interface TriggerFiringTable {
  id: Generated<number>;
  trigger_name: string;
  event_key: string;
  event: string;
  run_id: string;
  status: string;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/**
 * An alert raised for a window; unique per rule, model, version and window start. `version` 0
 * stands for "all versions" (the port's null): a NULL would make every such row distinct.
 */
export interface AlertTable {
  id: Generated<number>;
  rule: string;
  model: string;
  version: number;
  window_start: number;
  window_end: number;
  metric: string;
  value: number;
  threshold: number;
  details: string;
  created_at: number;
}

/** A challenger's rollout; at most one per model in an undecided phase. */
export interface RolloutTable {
  id: Generated<number>;
  model: string;
  challenger_version: number;
  champion_version: number | null;
  phase: string;
  run_id: string | null;
  reason: string;
  details: string;
  created_at: number;
  updated_at: number;
}
