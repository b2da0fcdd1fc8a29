import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { ARTIFACT_STATES, EXECUTION_STATES, FINAL_EXECUTION_STATES } from '../model.js';
import type { ArtifactState, ExecutionState } from '../model.js';

/** Parses a caller's value, or throws InvalidInputError naming the path of the first bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = (issue?.path ?? []).map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`)).join('');
  throw new InvalidInputError(`${field}${path}`, issue?.message ?? 'is not valid');
}

const nonEmpty = z.string().min(1, 'must not be empty');
export const id = z.number().int('must be an integer id').positive('must be a positive integer id');
const position = z.number().int().nonnegative();

/** JSON objects are typed by the caller; at runtime only their shape is checked, not every leaf. */
export const jsonObject = z.custom<JsonObject>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date),
  'must be a JSON object',
);

export const artifactState = z.enum(ARTIFACT_STATES as [ArtifactState, ...ArtifactState[]]);
export const executionState = z.enum(EXECUTION_STATES as [ExecutionState, ...ExecutionState[]]);
export const finalExecutionState = z.enum(FINAL_EXECUTION_STATES as [ExecutionState, ...ExecutionState[]]);

export const typeKind = z.enum(['artifact', 'execution', 'context']);
export const typeName = nonEmpty;
export const typeProperties = z.record(z.string(), z.enum(['string', 'number', 'boolean', 'json']));

export const newArtifact = z.object({
  type: nonEmpty,
  name: z.string().optional(),
  uri: nonEmpty,
  digest: z.string().optional(),
  sizeBytes: z.number().int().nonnegative().optional(),
  state: artifactState.optional(),
  properties: jsonObject.optional(),
});

export const artifactPatch = z.object({
  state: artifactState.optional(),
  properties: jsonObject.optional(),
});

export const newExecution = z.object({
  type: nonEmpty,
  name: z.string().optional(),
  state: executionState.optional(),
  cacheKey: z.string().optional(),
  properties: jsonObject.optional(),
  startedAt: z.date().optional(),
});

export const executionPatch = z.object({
  state: executionState.optional(),
  properties: jsonObject.optional(),
  error: z.string().nullable().optional(),
  startedAt: z.date().nullable().optional(),
  endedAt: z.date().nullable().optional(),
});

export const contextPatch = z.object({ properties: jsonObject });

export const newContext = z.object({
  type: nonEmpty,
  name: nonEmpty,
  parentId: id.optional(),
  properties: jsonObject.optional(),
});

export const newEvent = z.object({
  executionId: id,
  artifactId: id,
  kind: z.enum(['input', 'output']),
  name: nonEmpty,
  index: position.optional(),
});

export const executionInput = z.object({ name: nonEmpty, artifactId: id, index: position.optional() });

/** An output is told apart by its `artifact` key, so errors point into the right shape. */
export const newOutput = z.object({ name: nonEmpty, index: position.optional(), artifact: newArtifact });
export const existingOutput = z.object({ name: nonEmpty, index: position.optional(), artifactId: id });

export const ids = z.array(id);

export const page = z.object({
  limit: z.number().int().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

export const lineageQuery = z.object({
  direction: z.enum(['upstream', 'downstream', 'both']),
  depth: z.number().int().nonnegative(),
});

export type ValidArtifact = z.infer<typeof newArtifact>;
export type ValidExecution = z.infer<typeof newExecution>;
export type ValidExecutionPatch = z.infer<typeof executionPatch>;
export type ValidContext = z.infer<typeof newContext>;
export type ValidEvent = z.infer<typeof newEvent>;
export type ValidOutput = z.infer<typeof newOutput> | z.infer<typeof existingOutput>;
