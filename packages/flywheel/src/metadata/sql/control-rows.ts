import type { Selectable } from 'kysely';
import type { JsonObject } from '../../core/json.js';
import type { Alert, Firing, FiringStatus, Rollout, RolloutPhase } from '../control-store.js';
import type { AlertTable, RolloutTable, TriggerFiringTable } from './schema.js';

export type FiringRow = Selectable<TriggerFiringTable>;
export type AlertRow = Selectable<AlertTable>;
export type RolloutRow = Selectable<RolloutTable>;

/** How `alerts.version` stores an alert over all versions; real versions start at 1. */
export const ALL_VERSIONS = 0;

export function toFiring(row: FiringRow): Firing {
  return {
    id: row.id,
    trigger: row.trigger_name,
    eventKey: row.event_key,
    event: JSON.parse(row.event) as JsonObject,
    runId: row.run_id,
    status: row.status as FiringStatus,
    error: row.error,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    rule: row.rule,
    model: row.model,
    version: row.version === ALL_VERSIONS ? null : row.version,
    windowStart: new Date(row.window_start),
    windowEnd: new Date(row.window_end),
    metric: row.metric,
    value: row.value,
    threshold: row.threshold,
    details: JSON.parse(row.details) as JsonObject,
    createdAt: new Date(row.created_at),
  };
}

export function toRollout(row: RolloutRow): Rollout {
  return {
    id: row.id,
    model: row.model,
    challengerVersion: row.challenger_version,
    championVersion: row.champion_version,
    phase: row.phase as RolloutPhase,
    runId: row.run_id,
    reason: row.reason,
    details: JSON.parse(row.details) as JsonObject,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}
