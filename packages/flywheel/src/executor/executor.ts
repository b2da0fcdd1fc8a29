import type { Stack } from '../config/stack.js';
import type { JsonObject } from '../core/json.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import type { AnyComponent, ComponentResult, InputArtifact, OutputArtifact, StepLogger } from '../pipeline/component.js';

/** One attempt of one step, ready to run: inputs are on local disk, output paths are chosen. */
export interface StepTask {
  runId: string;
  step: string;
  executionId: number;
  component: AnyComponent;
  params: JsonObject;
  inputs: Record<string, InputArtifact>;
  outputs: Record<string, OutputArtifact>;
  /**
   * Scratch folder of this attempt, removed afterwards. The executor creates it when the
   * component needs it (a function component on its first read of `workDir`).
   */
  workDir: string;
  attempt: number;
  /** Folder of the pipeline file: where command components run unless they say otherwise. */
  baseDir: string;
  log: StepLogger;
  /** Handed to function components (RunContext.stack); remote executors rebuild their own. */
  stack: Stack;
  /** The step's tracked run: function components log to it (RunContext.tracking). */
  tracking: TrackedRun;
  /**
   * Where a command component may append metrics, params and tags as NDJSON (named to it by
   * FLYWHEEL_TRACKING_FILE); the runner records them on the step's tracked run afterwards.
   */
  trackingFile: string;
}

/**
 * The executor port: runs one step attempt and resolves when it ends. Scheduling, caching,
 * retries and recording stay in the pipeline runner, so an executor only has to run things —
 * in-process, as child processes, or on remote workers.
 */
export interface Executor {
  readonly name: string;
  /** How many steps may run at once. */
  readonly concurrency: number;
  /**
   * Resolves with what the component returned, after its outputs are written (a command
   * component's properties files are merged into `task.outputs[name].properties`). Rejects
   * with `signal.reason` once the signal is aborted, after any child process is gone.
   */
  execute(task: StepTask, signal: AbortSignal): Promise<ComponentResult>;
  close(): Promise<void>;
}
