import type { ModelRegistry } from '../registry/model-registry.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import type { ControlStore } from './control-store.js';
import type { MetadataStore } from './metadata-store.js';

/**
 * What a metadata flavor opens over one database: the ML metadata store, the registry, experiment
 * tracking and the continuous-training loop's control store.
 */
export interface MetadataBackend {
  readonly metadata: MetadataStore;
  readonly registry: ModelRegistry;
  readonly tracking: TrackingStore;
  readonly control: ControlStore;
  close(): Promise<void>;
}
