import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Stack } from '../config/stack.js';
import { errorMessage, InvalidInputError, NotFoundError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { codeVersion } from '../core/code-version.js';
import type { JsonObject } from '../core/json.js';
import type { Artifact, Context } from '../metadata/model.js';
import { PipelineChangedError, RunNotResumableError } from './errors.js';
import type { CompiledPipeline } from './ir.js';
import { dependenciesOf } from './ir.js';
import { outputsOfExecutions, outputsStillUsable } from './reuse.js';
import type { RunCounts, RunEvent, RunEventListener, RunResult, StepOutcome } from './run-events.js';
import { runStep } from './run-step.js';
import type { RunState } from './run-step.js';
import { runDag } from './scheduler.js';
import { paramsFromJson } from '../tracking/params-from-json.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import { TAG_RUN } from './tracking-tags.js';
import { processAlive } from '../core/process-alive.js';

/** Run ids name folders under `<home>/work`, so they stay path-safe. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface RunPipelineOptions {
  /** The file the pipeline came from: recorded so the run can be resumed, and the folder commands run in. */
  pipelineFile?: string;
  /** Aborting it cancels the run: running steps are stopped, nothing more starts. */
  signal?: AbortSignal;
  /** Progress as it happens; a listener that throws is reported once and does not affect the run. */
  onEvent?: RunEventListener;
  /** A run id of your choosing; `run-…` by default. */
  runId?: string;
  /** Why the run started (a trigger and the event that fired it), kept with the run for lineage. */
  trigger?: JsonObject;
}

export interface ResumeRunOptions {
  /** Compiles the pipeline again from its file and the run's parameters (e.g. loadPipelineFile + compilePipeline). */
  load: (pipelineFile: string, params: JsonObject) => Promise<CompiledPipeline>;
  signal?: AbortSignal;
  onEvent?: RunEventListener;
}

/**
 * Runs a compiled pipeline on a stack and records it in the metadata store: a `pipeline_run`
 * context (under the pipeline's `pipeline` context) holding the IR, parameters and status, one
 * execution per step with its input and output events, and the outputs attributed to the run.
 * Independent steps run in parallel up to the executor's concurrency; steps whose work was done
 * before (same cache key, outputs still stored) are taken from the cache.
 *
 * Resolves with the outcome whether the run completed, failed or was canceled; rejects only when
 * the stores themselves fail.
 *
 * @example
 *   const result = await runPipeline(stack, compilePipeline(flights, { month: 2 }), { onEvent: render });
 *   if (result.status !== 'complete') console.error(result.error);
 */
export async function runPipeline(stack: Stack, compiled: CompiledPipeline, options: RunPipelineOptions = {}): Promise<RunResult> {
  const runId = options.runId ?? newId('run');
  if (!RUN_ID.test(runId)) throw new InvalidInputError('runId', `${JSON.stringify(runId)} must be letters, digits, dots, dashes and underscores`);
  const pipelineFile = options.pipelineFile === undefined ? null : resolve(options.pipelineFile);
  const code = pipelineFile === null ? undefined : await codeVersion(dirname(pipelineFile));
  const pipelineContext = await stack.metadata.ensureContext({ type: 'pipeline', name: compiled.ir.pipeline.name });
  const runContext = await stack.metadata.putContext({
    type: 'pipeline_run',
    name: runId,
    parentId: pipelineContext.id,
    properties: {
      status: 'running',
      irHash: compiled.hash,
      ir: compiled.ir,
      pipelineFile,
      params: compiled.ir.params,
      codeVersion: code ? { commit: code.commit, dirty: code.dirty } : null,
      trigger: options.trigger ?? null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      error: null,
      ...owner(),
    },
  });
  return execute(stack, compiled, {
    runId, pipelineContext, runContext, pipelineFile, reused: new Map(), resumed: false,
    signal: options.signal, onEvent: options.onEvent,
  });
}

/**
 * Continues a run that failed, was canceled or whose process died: steps done in the run are
 * kept, the rest run under the same run id. Refuses a completed run, a run still running in a
 * live process, and a pipeline whose IR changed since the run.
 *
 * @example
 *   await resumeRun(stack, 'run-lz3k9q2a-7f3c9e1b', {
 *     load: async (file, params) => compilePipeline(await loadPipelineFile(file), params),
 *   });
 */
export async function resumeRun(stack: Stack, runId: string, options: ResumeRunOptions): Promise<RunResult> {
  const { metadata } = stack;
  const runContext = await metadata.findContext('pipeline_run', runId);
  if (!runContext) throw new NotFoundError('run', runId, 'list runs with `flywheel runs list`');
  const recorded = runContext.properties;
  if (recorded.status === 'complete') {
    throw new RunNotResumableError(runId, 'it completed', 'start a new run; steps whose work is unchanged come from the cache');
  }
  if (recorded.status === 'running' && recorded.host === hostname() && typeof recorded.pid === 'number' && processAlive(recorded.pid)) {
    throw new RunNotResumableError(runId, `it is still running in process ${recorded.pid}`, 'cancel that process first, or wait for it to end');
  }
  if (typeof recorded.pipelineFile !== 'string') {
    throw new RunNotResumableError(runId, 'it was not started from a pipeline file, so it cannot be compiled again');
  }
  const pipelineFile = recorded.pipelineFile;
  const compiled = await options.load(pipelineFile, (recorded.params ?? {}) as JsonObject);
  if (compiled.hash !== recorded.irHash) throw new PipelineChangedError(runId, String(recorded.irHash), compiled.hash);
  if (runContext.parentId === null) throw new RunNotResumableError(runId, 'its pipeline context is missing');
  const pipelineContext = await metadata.getContext(runContext.parentId);

  const executions = await metadata.findExecutions({ contextId: runContext.id, order: 'asc' });
  for (const execution of executions) {
    if (execution.state === 'running' || execution.state === 'new') {
      await metadata.updateExecution(execution.id, { state: 'failed', error: 'interrupted', endedAt: new Date() });
      // Its tracked run was written as RUNNING if the step ran long enough; it ends with it.
      const tracked = await stack.tracking.store.runOfExecution(execution.id);
      if (tracked?.status === 'RUNNING') await stack.tracking.store.updateRun(tracked.runId, { status: 'KILLED', endTime: Date.now() });
    }
  }
  const done = executions.filter((e) => e.state === 'complete' || e.state === 'cached');
  const outputs = await outputsOfExecutions(metadata, done.map((e) => e.id));
  const stepsByName = new Map(compiled.ir.steps.map((step) => [step.name, step]));
  const reused = new Map<string, { executionId: number; outputs: Record<string, Artifact> }>();
  for (const execution of done) {
    const step = execution.name === null ? undefined : stepsByName.get(execution.name);
    const found = outputs.get(execution.id)!;
    if (step && !reused.has(step.name) && (await outputsStillUsable(stack.artifacts, step, found))) {
      reused.set(step.name, { executionId: execution.id, outputs: found });
    }
  }

  await rm(join(stack.home, 'work', runId), { recursive: true, force: true });
  await metadata.updateContext(runContext.id, {
    properties: { status: 'running', resumedAt: new Date().toISOString(), endedAt: null, error: null, ...owner() },
  });
  return execute(stack, compiled, {
    runId, pipelineContext, runContext, pipelineFile, reused, resumed: true,
    signal: options.signal, onEvent: options.onEvent,
  });
}

interface RunSetup {
  runId: string;
  pipelineContext: Context;
  runContext: Context;
  pipelineFile: string | null;
  /** Steps done before a resume, by name. */
  reused: ReadonlyMap<string, { executionId: number; outputs: Record<string, Artifact> }>;
  resumed: boolean;
  signal: AbortSignal | undefined;
  onEvent: RunEventListener | undefined;
}

async function execute(stack: Stack, compiled: CompiledPipeline, run: RunSetup): Promise<RunResult> {
  const started = Date.now();
  const { steps } = compiled.ir;
  const listener = run.onEvent;
  let listenerFailed = false;
  // A progress display that throws must not fail the run it displays.
  const emit: RunEventListener = listener
    ? (event: RunEvent) => {
      try {
        listener(event);
      } catch (error) {
        if (!listenerFailed) process.emitWarning(`run ${run.runId}: the onEvent listener threw: ${errorMessage(error)}`);
        listenerFailed = true;
      }
    }
    : () => undefined;
  const signal = run.signal ?? new AbortController().signal;
  const index = new Map(steps.map((step, i) => [step.name, i]));

  const tracked = await trackPipelineRun(stack, compiled, run);
  const state: RunState = {
    stack,
    runId: run.runId,
    steps,
    components: compiled.components,
    index,
    outputs: new Array<Record<string, Artifact> | undefined>(steps.length),
    contextIds: [run.pipelineContext.id, run.runContext.id],
    workRoot: join(stack.home, 'work', run.runId),
    baseDir: run.pipelineFile === null ? stack.projectDir : dirname(run.pipelineFile),
    signal,
    emit,
    tracking: { experimentId: tracked.experimentId, parent: tracked },
  };
  const outcomes: (StepOutcome | undefined)[] = new Array<StepOutcome | undefined>(steps.length);
  const finished = new Array<boolean>(steps.length).fill(false);
  emit({ type: 'run-started', runId: run.runId, pipeline: compiled.ir.pipeline.name, steps: steps.length, resumed: run.resumed });
  steps.forEach((step, i) => {
    const reused = run.reused.get(step.name);
    if (!reused) return;
    finished[i] = true;
    state.outputs[i] = reused.outputs;
    outcomes[i] = { status: 'reused', executionId: reused.executionId, outputs: reused.outputs, attempts: 0 };
    emit({ type: 'step-cached', runId: run.runId, step: step.name, executionId: reused.executionId, cachedFrom: reused.executionId, resumed: true });
  });

  let crash: unknown;
  try {
    await runDag({
      dependencies: steps.map((step) => dependenciesOf(step).map((name) => index.get(name)!)),
      finished,
      concurrency: stack.executor.concurrency,
      signal,
      run: async (i) => {
        const outcome = await runStep(state, i);
        outcomes[i] = outcome;
        return outcome.status === 'completed' || outcome.status === 'cached';
      },
    });
  } catch (error) {
    crash = error;
  }

  const result = summarize(compiled, run.runId, outcomes, signal.aborted, crash, Date.now() - started);
  await stack.metadata.updateContext(run.runContext.id, {
    properties: { status: result.status, endedAt: new Date().toISOString(), error: result.error ?? null },
  });
  // Steps that ended unwritten are queued in the tracker: write them before the parent ends.
  // Tracking trouble is reported, never turned into a failed or crashed run.
  const warn = (error: unknown) => process.emitWarning(`tracking of run ${run.runId}: ${errorMessage(error)}`);
  await stack.tracking.flush().catch(warn);
  await tracked.end(TRACKING_STATUS[result.status]).catch(warn);
  if (result.status === 'complete') await rm(state.workRoot, { recursive: true, force: true });
  emit({ type: 'run-finished', runId: run.runId, status: result.status, counts: result.counts, durationMs: result.durationMs, error: result.error });
  if (crash !== undefined) throw crash;
  return result;
}

function summarize(
  compiled: CompiledPipeline,
  runId: string,
  outcomes: readonly (StepOutcome | undefined)[],
  aborted: boolean,
  crash: unknown,
  durationMs: number,
): RunResult {
  const counts: RunCounts = { steps: outcomes.length, completed: 0, cached: 0, reused: 0, failed: 0, canceled: 0, notRun: 0 };
  const steps: Record<string, StepOutcome> = {};
  let firstFailure: string | undefined;
  compiled.ir.steps.forEach((step, i) => {
    const outcome = outcomes[i] ?? { status: 'not-run', executionId: null, outputs: {}, attempts: 0 };
    steps[step.name] = outcome;
    switch (outcome.status) {
      case 'completed': counts.completed++; break;
      case 'cached': counts.cached++; break;
      case 'reused': counts.reused++; break;
      case 'failed':
        counts.failed++;
        firstFailure ??= outcome.error?.startsWith(`step "${step.name}"`) ? outcome.error : `step "${step.name}" failed: ${outcome.error}`;
        break;
      case 'canceled': counts.canceled++; break;
      case 'not-run': counts.notRun++; break;
    }
  });
  let status: RunResult['status'] = 'complete';
  let error: string | undefined;
  if (crash !== undefined) {
    status = 'failed';
    error = `the run stopped: ${errorMessage(crash)}`;
  } else if (firstFailure !== undefined) {
    status = 'failed';
    error = firstFailure;
  } else if (counts.canceled > 0 || (aborted && counts.notRun > 0)) {
    status = 'canceled';
    error = `run ${runId} was canceled`;
  }
  return { runId, pipeline: compiled.ir.pipeline.name, status, error, durationMs, counts, steps };
}

const TRACKING_STATUS = { complete: 'FINISHED', failed: 'FAILED', canceled: 'KILLED' } as const;

/**
 * The pipeline run as a tracked run (experiment = pipeline name, run name = run id), parent of
 * one run per executed step; a resumed run continues the same tracked run.
 */
async function trackPipelineRun(stack: Stack, compiled: CompiledPipeline, run: RunSetup): Promise<TrackedRun> {
  const existing = run.runContext.properties.trackedRunId;
  if (typeof existing === 'string') return stack.tracking.resumeRun(existing);
  const tracked = await stack.tracking.startRun({
    experiment: compiled.ir.pipeline.name,
    name: run.runId,
    params: paramsFromJson(compiled.ir.params),
    tags: { [TAG_RUN]: run.runId },
  });
  await stack.metadata.updateContext(run.runContext.id, { properties: { trackedRunId: tracked.id } });
  return tracked;
}

/** Who runs the run, so a resume can tell a dead run from one still going. */
function owner(): JsonObject {
  return { host: hostname(), pid: process.pid };
}

