import type { Artifact } from '../metadata/model.js';

export type RunStatus = 'running' | 'complete' | 'failed' | 'canceled';

/** How a step ended in a run; `not-run` when a failure or cancellation stopped the run first. */
export type StepStatus = 'completed' | 'cached' | 'reused' | 'failed' | 'canceled' | 'not-run';

export interface StepOutcome {
  status: StepStatus;
  /** The execution recorded for the step in this run (none when not run). */
  executionId: number | null;
  /** Output artifacts by output name (empty unless completed, cached or reused). */
  outputs: Record<string, Artifact>;
  attempts: number;
  error?: string;
}

export interface RunCounts {
  steps: number;
  completed: number;
  /** Outputs taken from an earlier identical execution. */
  cached: number;
  /** Done in an earlier attempt of this run, before a resume. */
  reused: number;
  failed: number;
  canceled: number;
  notRun: number;
}

export interface RunResult {
  runId: string;
  pipeline: string;
  status: Exclude<RunStatus, 'running'>;
  /** Why the run failed or was canceled, naming the step. */
  error: string | undefined;
  durationMs: number;
  counts: RunCounts;
  steps: Record<string, StepOutcome>;
}

/** Progress of a run as it happens, for live displays. */
export type RunEvent =
  | { type: 'run-started'; runId: string; pipeline: string; steps: number; resumed: boolean }
  | { type: 'step-started'; runId: string; step: string; executionId: number }
  | {
    type: 'step-cached';
    runId: string;
    step: string;
    executionId: number;
    /** The execution whose outputs are reused. */
    cachedFrom: number;
    /** True when the step was done before a resume rather than found in the cache. */
    resumed: boolean;
  }
  | { type: 'step-retrying'; runId: string; step: string; attempt: number; delayMs: number; error: string }
  | { type: 'step-log'; runId: string; step: string; level: 'info' | 'warn'; message: string }
  | { type: 'step-completed'; runId: string; step: string; executionId: number; attempts: number; durationMs: number }
  | { type: 'step-failed'; runId: string; step: string; executionId: number; attempts: number; error: string }
  | { type: 'step-canceled'; runId: string; step: string; executionId: number }
  | { type: 'run-finished'; runId: string; status: Exclude<RunStatus, 'running'>; counts: RunCounts; durationMs: number; error: string | undefined };

export type RunEventListener = (event: RunEvent) => void;
