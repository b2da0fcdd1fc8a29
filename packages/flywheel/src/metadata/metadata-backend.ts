import type { ModelRegistry } from '../registry/model-registry.js';
import type { MetadataStore } from './metadata-store.js';

/** What a metadata flavor opens: the ML metadata store and the registry over one database. */
export interface MetadataBackend {
  readonly metadata: MetadataStore;
  readonly registry: ModelRegistry;
  close(): Promise<void>;
}
