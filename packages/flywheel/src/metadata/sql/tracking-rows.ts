import type { Selectable } from 'kysely';
import type {
  Experiment, LifecycleStage, Metric, RunInfo, Tag, TrackingRunStatus, ViewType,
} from '../../tracking/model.js';
import type { ExperimentTable, MetricTable, RunTable } from './schema.js';

export type ExperimentRow = Selectable<ExperimentTable>;
export type RunRow = Selectable<RunTable>;
export type MetricRow = Selectable<MetricTable>;

/** The largest double: what MLflow's SQL store keeps for +Infinity (and its negation for -Infinity). */
const LARGEST_DOUBLE = 1.7976931348623157e308;

/** A metric value as stored: 0 for NaN (flagged in `is_nan`), ±the largest double for ±Infinity, as MLflow stores them. */
export function storedMetricValue(value: number): number {
  if (Number.isNaN(value)) return 0;
  if (value === Infinity) return LARGEST_DOUBLE;
  if (value === -Infinity) return -LARGEST_DOUBLE;
  return value;
}

export function toMetric(row: Pick<MetricRow, 'key' | 'value' | 'timestamp' | 'step' | 'is_nan'>): Metric {
  return { key: row.key, value: row.is_nan === 1 ? NaN : row.value, timestamp: row.timestamp, step: row.step };
}

export function toExperiment(row: ExperimentRow, tags: Tag[]): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    tags,
    creationTime: row.creation_time,
    lastUpdateTime: row.last_update_time,
  };
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_uuid,
    runName: row.name,
    experimentId: String(row.experiment_id),
    userId: row.user_id,
    status: row.status as TrackingRunStatus,
    startTime: row.start_time,
    endTime: row.end_time,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    artifactUri: row.artifact_uri,
    executionId: row.execution_id,
  };
}

export function stagesOf(view: ViewType): LifecycleStage[] {
  if (view === 'ACTIVE_ONLY') return ['active'];
  if (view === 'DELETED_ONLY') return ['deleted'];
  return ['active', 'deleted'];
}

/** MLflow's append_to_uri_path: joins with exactly one slash, keeping the scheme's own slashes. */
export function appendToUri(base: string, ...parts: string[]): string {
  let uri = base;
  for (const part of parts) uri = uri.endsWith('/') ? `${uri}${part}` : `${uri}/${part}`;
  return uri;
}

/** Orders run data by key in JavaScript, so results never depend on an engine's collation. */
export function byKey<T extends { key: string }>(a: T, b: T): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
