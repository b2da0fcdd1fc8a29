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
