import type { ModelRegistry } from '../registry/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import type { MetadataStore } from './metadata-store.js';

/** What a metadata flavor opens: the ML metadata store, the registry and experiment tracking over one database. */
export interface MetadataBackend {
  readonly metadata: MetadataStore;
  readonly registry: ModelRegistry;
  readonly tracking: TrackingStore;
  close(): Promise<void>;
}
