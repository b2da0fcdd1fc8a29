import { z } from 'zod';
import type { FiringStatus, RolloutPhase } from '../control-store.js';
import { FIRING_STATUSES, ROLLOUT_PHASES } from '../control-store.js';
import { jsonObject } from './inputs.js';

const nonEmpty = z.string().min(1, 'must not be empty');
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const versionNumber = z.number().int().positive('must be a version number: 1, 2, 3…');
const validDate = z.date().refine((date) => !Number.isNaN(date.getTime()), 'must be a valid date');
const limit = z.number().int().nonnegative().optional();

export const triggerName = nonEmpty;
export const modelName = nonEmpty;
export const triggerState = jsonObject;
export const firingStatus = z.enum(FIRING_STATUSES as [FiringStatus, ...FiringStatus[]]);
export const rolloutPhase = z.enum(ROLLOUT_PHASES as [RolloutPhase, ...RolloutPhase[]]);

export const newFiring = z.object({
  trigger: nonEmpty,
  eventKey: nonEmpty,
  event: jsonObject,
  runId: nonEmpty,
});

export const firingPatch = z.object({
  status: firingStatus,
  error: z.string().nullable().optional(),
});

export const firingQuery = z.object({
  trigger: nonEmpty.optional(),
  statuses: z.array(firingStatus).optional(),
  limit,
});

export const newAlert = z.object({
  rule: nonEmpty,
  model: nonEmpty,
  version: versionNumber.nullable(),
  windowStart: validDate,
  windowEnd: validDate,
  metric: nonEmpty,
  value: finite,
  threshold: finite,
  details: jsonObject,
}).refine((alert) => alert.windowEnd >= alert.windowStart, { message: 'must not be before windowStart', path: ['windowEnd'] });

export const alertQuery = z.object({
  rule: nonEmpty.optional(),
  model: nonEmpty.optional(),
  since: validDate.optional(),
  limit,
});

export const newRollout = z.object({
  model: nonEmpty,
  challengerVersion: versionNumber,
  championVersion: versionNumber.nullable(),
  phase: rolloutPhase,
  runId: nonEmpty.nullable(),
  reason: z.string(),
  details: jsonObject,
});

export const rolloutPatch = z.object({
  phase: rolloutPhase.optional(),
  reason: z.string().optional(),
  details: jsonObject.optional(),
});

export const rolloutQuery = z.object({
  model: nonEmpty.optional(),
  limit,
});
