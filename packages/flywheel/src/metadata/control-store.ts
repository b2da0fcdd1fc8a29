import type { JsonObject } from '../core/json.js';

/** Where a trigger's firing is: recorded, its pipeline run started, and how the run ended. */
export type FiringStatus = 'pending' | 'running' | 'complete' | 'failed' | 'canceled';
export const FIRING_STATUSES: readonly FiringStatus[] = ['pending', 'running', 'complete', 'failed', 'canceled'];
/** Statuses a firing is still working in: they count against a trigger's concurrency. */
export const ACTIVE_FIRING_STATUSES: readonly FiringStatus[] = ['pending', 'running'];

/** A trigger fired for one event: the pipeline run it starts (its id chosen when it fires). */
export interface Firing {
  id: number;
  trigger: string;
  /** What makes the event unique for its trigger (`schedule:2001-02-01T00:00:00.000Z`, a file's name and digest…). */
  eventKey: string;
  /** What happened, for people and lineage: the fire time, the file, the alert and its window… */
  event: JsonObject;
  /** The pipeline run the firing starts; it exists once status leaves `pending`. */
  runId: string;
  status: FiringStatus;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewFiring {
  trigger: string;
  eventKey: string;
  event: JsonObject;
  runId: string;
}

export interface FiringQuery {
  trigger?: string;
  statuses?: readonly FiringStatus[];
  /** Newest first; at most this many. */
  limit?: number;
}

/** An alert rule held for a window: a metric past its threshold. */
export interface Alert {
  id: number;
  rule: string;
  model: string;
  /** The version the window's predictions came from; null for a rule over all of them. */
  version: number | null;
  windowStart: Date;
  windowEnd: Date;
  /** The metric and its value in that window, e.g. `auc` 0.61, `input_drift_share` 0.4. */
  metric: string;
  value: number;
  threshold: number;
  /** The details a person looks at next: drifted features, labeled rows… */
  details: JsonObject;
  createdAt: Date;
}

export type NewAlert = Omit<Alert, 'id' | 'createdAt'>;

export interface AlertQuery {
  rule?: string;
  model?: string;
  /** Alerts created at or after this time. */
  since?: Date;
  /** Newest first; at most this many. */
  limit?: number;
}

/** The steps of rolling a challenger out: evaluated offline, then (optionally) a canary, then a decision. */
export type RolloutPhase = 'evaluating' | 'canary' | 'promoted' | 'rejected' | 'rolled_back';
export const ROLLOUT_PHASES: readonly RolloutPhase[] = ['evaluating', 'canary', 'promoted', 'rejected', 'rolled_back'];
/** Phases in which a rollout is undecided; a model has at most one such rollout. */
export const OPEN_ROLLOUT_PHASES: readonly RolloutPhase[] = ['evaluating', 'canary'];

export interface Rollout {
  id: number;
  model: string;
  challengerVersion: number;
  /** The champion when the rollout started; null when there was none. */
  championVersion: number | null;
  phase: RolloutPhase;
  /** The pipeline run that produced the challenger, when known. */
  runId: string | null;
  /** Why it is in its phase: the evaluation's and the canary's findings. */
  reason: string;
  details: JsonObject;
  createdAt: Date;
  updatedAt: Date;
}

export type NewRollout = Pick<Rollout, 'model' | 'challengerVersion' | 'championVersion' | 'phase' | 'runId' | 'reason' | 'details'>;

export interface RolloutPatch {
  phase?: RolloutPhase;
  reason?: string;
  /** Merged into the stored details. */
  details?: JsonObject;
}

/**
 * The continuous-training loop's own memory, kept in the metadata database so that a controller
 * killed at any moment starts again where it was: each trigger's cursor (the last fire time or
 * file it handled), the firings with the run each started, the alerts raised per window and the
 * rollouts of challengers. Uniqueness is what makes restarts safe: one firing per trigger and
 * event, one alert per rule, model, version and window, one undecided rollout per model.
 *
 * @example
 *   const firing = await control.fire({ trigger: 'nightly', eventKey: 'schedule:2001-02-01T00:00:00.000Z', event, runId }, { cursor: '2001-02-01T00:00:00.000Z' });
 *   if (firing) await startRun(firing.runId); // undefined: this event had fired already
 */
export interface ControlStore {
  /** The trigger's saved state (its cursor); undefined before it first saved one. */
  triggerState(trigger: string): Promise<JsonObject | undefined>;
  /** Replaces the trigger's state. */
  saveTriggerState(trigger: string, state: JsonObject): Promise<void>;

  /**
   * In one transaction: records the firing as `pending` unless this trigger already fired for
   * `eventKey` (then undefined and nothing changes), and saves `state` as the trigger's state
   * when given. A runId used by another firing is a ConflictError.
   */
  fire(firing: NewFiring, state?: JsonObject): Promise<Firing | undefined>;
  /** Moves a firing on; NotFoundError for an unknown id. */
  updateFiring(id: number, patch: { status: FiringStatus; error?: string | null }): Promise<Firing>;
  findFirings(query?: FiringQuery): Promise<Firing[]>;

  /** Records an alert unless one exists for the same rule, model, version and window start (then undefined). */
  raiseAlert(alert: NewAlert): Promise<Alert | undefined>;
  findAlerts(query?: AlertQuery): Promise<Alert[]>;

  /** Starts a rollout; ConflictError when the model has an undecided one already. */
  startRollout(rollout: NewRollout): Promise<Rollout>;
  updateRollout(id: number, patch: RolloutPatch): Promise<Rollout>;
  /** The model's undecided rollout, if any. */
  openRollout(model: string): Promise<Rollout | undefined>;
  /** Newest first. */
  findRollouts(query?: { model?: string; limit?: number }): Promise<Rollout[]>;
}
