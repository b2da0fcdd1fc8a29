import type { JsonObject } from '../core/json.js';

/** Lifecycle of an artifact, after ML Metadata: `pending` while being written, `live` once readable. */
export type ArtifactState = 'pending' | 'live' | 'deleted' | 'abandoned';
export const ARTIFACT_STATES: readonly ArtifactState[] = ['pending', 'live', 'deleted', 'abandoned'];

export type ExecutionState = 'new' | 'running' | 'complete' | 'failed' | 'cached' | 'canceled';
export const EXECUTION_STATES: readonly ExecutionState[] = ['new', 'running', 'complete', 'failed', 'cached', 'canceled'];
/** States an execution never leaves. */
export const FINAL_EXECUTION_STATES: readonly ExecutionState[] = ['complete', 'failed', 'cached', 'canceled'];

export type EventKind = 'input' | 'output';
export type TypeKind = 'artifact' | 'execution' | 'context';

/** Well-known context types; any other name is allowed too. */
export type ContextTypeName = 'pipeline' | 'pipeline_run' | 'experiment' | (string & {});

export interface TypeDefinition {
  id: number;
  kind: TypeKind;
  name: string;
  /** Declared property names and their JSON kinds, informational. */
  properties: Record<string, 'string' | 'number' | 'boolean' | 'json'>;
}

export interface Artifact {
  id: number;
  type: string;
  name: string | null;
  uri: string;
  /** sha256 hex of the content (for a directory: of its manifest). */
  digest: string | null;
  sizeBytes: number | null;
  state: ArtifactState;
  properties: JsonObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewArtifact {
  type: string;
  name?: string;
  uri: string;
  digest?: string;
  sizeBytes?: number;
  state?: ArtifactState;
  properties?: JsonObject;
}

export interface ArtifactPatch {
  state?: ArtifactState;
  /** Merged into the stored properties (a key set to null is kept as null). */
  properties?: JsonObject;
}

export interface Execution {
  id: number;
  /** The component that ran, e.g. `train@2`. */
  type: string;
  /** The step's name within its pipeline. */
  name: string | null;
  state: ExecutionState;
  /** Identity of the work for caching: component version + parameters + input digests. */
  cacheKey: string | null;
  properties: JsonObject;
  error: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewExecution {
  type: string;
  name?: string;
  state?: ExecutionState;
  cacheKey?: string;
  properties?: JsonObject;
  startedAt?: Date;
}

export interface ExecutionPatch {
  state?: ExecutionState;
  properties?: JsonObject;
  error?: string | null;
  startedAt?: Date | null;
  endedAt?: Date | null;
}

export interface Context {
  id: number;
  type: ContextTypeName;
  name: string;
  parentId: number | null;
  properties: JsonObject;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewContext {
  type: ContextTypeName;
  name: string;
  parentId?: number;
  properties?: JsonObject;
}

export interface Event {
  id: number;
  executionId: number;
  artifactId: number;
  kind: EventKind;
  /** The input or output name on the component, e.g. `examples`. */
  name: string;
  /** Position when one name carries several artifacts. */
  index: number;
  createdAt: Date;
}

export interface NewEvent {
  executionId: number;
  artifactId: number;
  kind: EventKind;
  name: string;
  index?: number;
}

export interface Page {
  limit?: number;
  offset?: number;
  /** Newest first unless `asc`. */
  order?: 'asc' | 'desc';
}

export interface ArtifactQuery extends Page {
  type?: string;
  state?: ArtifactState;
  digest?: string;
  uri?: string;
  name?: string;
  contextId?: number;
  ids?: number[];
}

export interface ExecutionQuery extends Page {
  type?: string;
  name?: string;
  states?: ExecutionState[];
  cacheKey?: string;
  contextId?: number;
  ids?: number[];
}

export interface ContextQuery extends Page {
  type?: ContextTypeName;
  parentId?: number;
  name?: string;
}

export interface EventQuery {
  executionIds?: number[];
  artifactIds?: number[];
  kind?: EventKind;
}

export interface LineageQuery {
  direction: 'upstream' | 'downstream' | 'both';
  /** Hops, where one hop is artifact → execution or execution → artifact. */
  depth: number;
}

export interface LineageGraph {
  artifacts: Artifact[];
  executions: Execution[];
  events: Event[];
}

/** An input to an execution: an artifact already stored. */
export interface ExecutionInput {
  name: string;
  artifactId: number;
  index?: number;
}

/** An output of an execution: a new artifact, or (for a cached execution) one already stored. */
export type ExecutionOutput =
  | { name: string; index?: number; artifact: NewArtifact }
  | { name: string; index?: number; artifactId: number };
