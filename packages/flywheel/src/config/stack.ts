import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Executor } from '../executor/executor.js';
import type { ControlStore } from '../metadata/control-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { Tracker } from '../tracking/tracker.js';
import type { FlywheelConfig } from './config-schema.js';

/** The backends a project runs on, assembled from its config. */
export interface Stack {
  readonly config: FlywheelConfig;
  /** The project folder (where the config file is), absolute. */
  readonly projectDir: string;
  /** Flywheel's working folder, `.flywheel/` in the project by default, absolute. */
  readonly home: string;
  readonly metadata: MetadataStore;
  readonly registry: ModelRegistry;
  /** The continuous-training loop's memory (trigger state, firings, alerts, rollouts), in the metadata database. */
  readonly control: ControlStore;
  /** Experiment tracking (MLflow's model) in the metadata database; `tracking.store` is the port. */
  readonly tracking: Tracker;
  readonly artifacts: ArtifactStore;
  readonly executor: Executor;
  close(): Promise<void>;
}
