import { localArtifactsFlavor } from '../artifacts/local/local-flavor.js';
import { s3ArtifactsFlavor } from '../artifacts/s3/s3-flavor.js';
import { localExecutorFlavor } from '../executor/local/local-flavor.js';
import { postgresMetadataFlavor } from '../metadata/sql/postgres/postgres-flavor.js';
import { sqliteMetadataFlavor } from '../metadata/sql/sqlite/sqlite-flavor.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Executor } from '../executor/executor.js';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import type { Flavor } from './flavor.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each flavor has its own options type
type AnyFlavor<Instance> = Flavor<any, Instance>;

/** Every backend kind a stack has, with its flavors; the first flavor of each kind is the default. */
export interface FlavorRegistry {
  metadata: readonly AnyFlavor<MetadataBackend>[];
  artifacts: readonly AnyFlavor<ArtifactStore>[];
  executor: readonly AnyFlavor<Executor>[];
}

export type BackendKind = keyof FlavorRegistry;
export const BACKEND_KINDS: readonly BackendKind[] = ['metadata', 'artifacts', 'executor'];

export const FLAVORS: FlavorRegistry = {
  metadata: [sqliteMetadataFlavor, postgresMetadataFlavor],
  artifacts: [localArtifactsFlavor, s3ArtifactsFlavor],
  executor: [localExecutorFlavor],
};
