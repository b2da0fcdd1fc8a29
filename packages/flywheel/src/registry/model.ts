import type { JsonObject } from '../core/json.js';

export interface RegisteredModel {
  name: string;
  description: string | null;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

export interface ModelVersion {
  modelName: string;
  /** 1, 2, 3… in order of registration. */
  version: number;
  /** Where the model file lives in the artifact store (its uri) and its content digest. */
  uri: string;
  digest: string;
  /** The metadata artifact of the model file, when it was produced by a pipeline. */
  artifactId: number | null;
  /** The execution that produced it, when known. */
  executionId: number | null;
  /** Input/output schema, when known. */
  signature: JsonObject | null;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  description: string | null;
  createdAt: Date;
  /** The tracked run that trained it (MLflow's `run_id`), when known. */
  runId: string | null;
  /** The data it was trained on, when known. */
  trainingData: TrainingData | null;
}

/**
 * The data a version was trained on: where it is, its content digest, and its metadata artifact
 * when a pipeline produced it.
 *
 * @example
 *   { uri: 'file:///data/jan.parquet', digest: '3f2a…', artifactId: null }
 */
export interface TrainingData {
  uri: string;
  digest: string;
  artifactId: number | null;
}

export interface NewModelVersion {
  uri: string;
  digest: string;
  artifactId?: number;
  executionId?: number;
  signature?: JsonObject;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  description?: string;
  runId?: string;
  trainingData?: { uri: string; digest: string; artifactId?: number };
}

export interface AliasMove {
  modelName: string;
  alias: string;
  /** null when the alias is created. */
  fromVersion: number | null;
  /** null when the alias is deleted. */
  toVersion: number | null;
  actor: string;
  reason: string;
  at: Date;
}
