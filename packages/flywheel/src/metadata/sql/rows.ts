import type { Selectable } from 'kysely';
import type { JsonObject } from '../../core/json.js';
import type {
  Artifact, ArtifactState, Context, Event, EventKind, Execution, ExecutionState, TypeDefinition, TypeKind,
} from '../model.js';
import type { ArtifactTable, ContextTable, EventTable, ExecutionTable, TypeTable } from './schema.js';

export type ArtifactRow = Selectable<ArtifactTable>;
export type ExecutionRow = Selectable<ExecutionTable>;
export type ContextRow = Selectable<ContextTable>;
export type EventRow = Selectable<EventTable>;
export type TypeRow = Selectable<TypeTable>;

/** Properties as stored: JSON text of an object. */
export function propertiesText(properties: JsonObject | undefined): string {
  return properties === undefined ? '{}' : JSON.stringify(properties);
}

export function parseProperties(text: string): JsonObject {
  return JSON.parse(text) as JsonObject;
}

export function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

export function msOrNull(date: Date | null | undefined): number | null {
  return date === null || date === undefined ? null : date.getTime();
}

export function toTypeDefinition(row: TypeRow): TypeDefinition {
  return {
    id: row.id,
    kind: row.kind as TypeKind,
    name: row.name,
    properties: JSON.parse(row.properties) as TypeDefinition['properties'],
  };
}

export function toArtifact(row: ArtifactRow, type: string): Artifact {
  return {
    id: row.id,
    type,
    name: row.name,
    uri: row.uri,
    digest: row.digest,
    sizeBytes: row.size_bytes,
    state: row.state as ArtifactState,
    properties: parseProperties(row.properties),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toExecution(row: ExecutionRow, type: string): Execution {
  return {
    id: row.id,
    type,
    name: row.name,
    state: row.state as ExecutionState,
    cacheKey: row.cache_key,
    properties: parseProperties(row.properties),
    error: row.error,
    startedAt: dateOrNull(row.started_at),
    endedAt: dateOrNull(row.ended_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toContext(row: ContextRow, type: string): Context {
  return {
    id: row.id,
    type,
    name: row.name,
    parentId: row.parent_id,
    properties: parseProperties(row.properties),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toEvent(row: EventRow): Event {
  return {
    id: row.id,
    executionId: row.execution_id,
    artifactId: row.artifact_id,
    kind: row.kind as EventKind,
    name: row.name,
    index: row.position,
    createdAt: new Date(row.created_at),
  };
}
