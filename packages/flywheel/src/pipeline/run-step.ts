import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '../config/stack.js';
import { errorMessage } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import type { Artifact, ExecutionInput } from '../metadata/model.js';
import { cacheKey } from './cache-key.js';
import type { AnyComponent, ComponentResult, InputArtifact } from './component.js';
import { OutputNotWrittenError, StepTimeoutError } from './errors.js';
import type { StepIR } from './ir.js';
import { jsonProblem } from './params.js';
import { findCached } from './reuse.js';
import type { RunEventListener, StepOutcome } from './run-events.js';
import { StepLog } from './step-log.js';
import { ingestTrackingFile } from '../tracking/tracking-file.js';
import { paramsFromJson } from '../tracking/params-from-json.js';
import type { TrackingRunStatus } from '../tracking/model.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import { validateKey } from '../tracking/validation.js';
import type { TrackingStore } from '../tracking/tracking-store.js';
import { TAG_RUN, TAG_STEP } from './tracking-tags.js';
import { materializeInputs, prepareOutputs, storeOutputs } from './step-io.js';

/** What every step of one run shares. */
export interface RunState {
  readonly stack: Stack;
  readonly runId: string;
  readonly steps: readonly StepIR[];
  readonly components: ReadonlyMap<string, AnyComponent>;
  readonly index: ReadonlyMap<string, number>;
  /** Outputs of finished steps, by step index; read by the steps downstream. */
  readonly outputs: (Record<string, Artifact> | undefined)[];
  /** The pipeline and pipeline_run contexts. */
  readonly contextIds: number[];
  /** `<home>/work/<runId>`: step folders live here while they run. */
  readonly workRoot: string;
  /** Where command components run unless they say otherwise. */
  readonly baseDir: string;
  readonly signal: AbortSignal;
  readonly emit: RunEventListener;
  /** The pipeline run's tracked run and its experiment: every executed step is a child run. */
  readonly tracking: { readonly experimentId: string; readonly parent: TrackedRun };
}

/** Runs one step: from the cache when possible, else with retries and timeouts; records it all. */
export async function runStep(run: RunState, stepIndex: number): Promise<StepOutcome> {
  const step = run.steps[stepIndex]!;
  const { metadata, artifacts } = run.stack;

  const inputs: Record<string, { artifact: Artifact; layout: 'file' | 'directory'; fileName: string }> = {};
  const digests: Record<string, string> = {};
  const inputEvents: ExecutionInput[] = [];
  for (const [name, ref] of Object.entries(step.inputs)) {
    const producer = run.index.get(ref.step)!;
    const artifact = run.outputs[producer]![ref.output]!;
    const spec = run.steps[producer]!.outputs[ref.output]!;
    inputs[name] = { artifact, layout: spec.layout, fileName: spec.fileName };
    digests[name] = artifact.digest!;
    inputEvents.push({ name, artifactId: artifact.id });
  }
  const key = cacheKey(step, digests);
  const type = `${step.component.name}@${step.component.version}`;

  if (step.cache) {
    const hit = await findCached(metadata, artifacts, step, key);
    if (hit) {
      const started = await metadata.startExecution({
        execution: { type, name: step.name, cacheKey: key, properties: { runId: run.runId, cachedFrom: hit.execution.id } },
        inputs: inputEvents,
        contextIds: run.contextIds,
      });
      await metadata.finishExecution(started.id, {
        patch: { state: 'cached' },
        outputs: Object.entries(hit.outputs).map(([name, artifact]) => ({ name, artifactId: artifact.id })),
      });
      run.outputs[stepIndex] = hit.outputs;
      run.emit({ type: 'step-cached', runId: run.runId, step: step.name, executionId: started.id, cachedFrom: hit.execution.id, resumed: false });
      return { status: 'cached', executionId: started.id, outputs: hit.outputs, attempts: 0 };
    }
  }

  const startedAt = Date.now();
  const execution = await metadata.startExecution({
    execution: { type, name: step.name, cacheKey: key, startedAt: new Date(startedAt), properties: { runId: run.runId } },
    inputs: inputEvents,
    contextIds: run.contextIds,
  });
  run.emit({ type: 'step-started', runId: run.runId, step: step.name, executionId: execution.id });

  // Nothing here creates a folder a step does not need (the executor makes the work folder, the
  // log makes its own on the first line): on file systems with online discard, creating and
  // removing one empty folder per step costs about a millisecond, far more than the bookkeeping.
  // Folders are removed with sync calls: a thread-pool round trip costs more than the call.
  const stepDir = join(run.workRoot, step.name);
  const log = new StepLog(join(stepDir, 'step.log'), (level, message) => {
    run.emit({ type: 'step-log', runId: run.runId, step: step.name, level, message });
  });
  // Each attempt is a tracked run, a child of the pipeline run. Most end within milliseconds:
  // their run is written once, at the end; one that runs longer, or logs, appears as RUNNING at
  // once (see TrackedRun.write). Tracking trouble is a warning in the step's log, never a failure.
  let attemptRun: { tracked: TrackedRun; end: (status: TrackingRunStatus, result?: ComponentResult) => Promise<void> } | undefined;
  const trackAttempt = () => {
    const tracked = run.stack.tracking.deferRun({
      experimentId: run.tracking.experimentId,
      name: step.name,
      parent: run.tracking.parent,
      executionId: execution.id,
      params: paramsFromJson(step.params),
      tags: { [TAG_RUN]: run.runId, [TAG_STEP]: step.name },
    });
    const warn = (error: unknown) => log.write('warn', `tracking: ${errorMessage(error)}`);
    const showRunning = setTimeout(() => tracked.write().catch(warn), SHOW_RUNNING_AFTER_MS);
    showRunning.unref();
    const end = async (status: TrackingRunStatus, result?: ComponentResult) => {
      clearTimeout(showRunning);
      try {
        logResultMetrics(tracked, result);
        await tracked.end(status);
      } catch (error) {
        warn(error);
      }
    };
    return { tracked, end };
  };
  const finish = async (state: 'complete' | 'failed' | 'canceled', attempts: number, extra: { error?: string; result?: ComponentResult; outputs?: Awaited<ReturnType<typeof storeOutputs>> }) => {
    const logDigest = await log.store(artifacts).catch(() => undefined);
    const properties: JsonObject = { runId: run.runId, attempts, durationMs: Date.now() - startedAt };
    if (logDigest) properties.logDigest = logDigest;
    if (extra.result) properties.result = extra.result;
    await attemptRun?.end(TRACKING_STATUS[state], extra.result);
    const { outputs } = await metadata.finishExecution(execution.id, {
      patch: { state, properties, error: extra.error ?? null, endedAt: new Date() },
      outputs: extra.outputs ?? [],
    });
    return outputs;
  };

  let localInputs: Record<string, InputArtifact> | undefined;
  for (let attempt = 1; ; attempt++) {
    const workDir = join(stepDir, `attempt-${attempt}`);
    let done: { result: ComponentResult; stored: Awaited<ReturnType<typeof storeOutputs>> } | undefined;
    let failure: unknown;
    attemptRun = trackAttempt();
    const tracked = attemptRun.tracked;
    try {
      localInputs ??= await materializeInputs(artifacts, inputs, join(stepDir, 'inputs'));
      const stepInputs = localInputs;
      const outputs = prepareOutputs(step, join(stepDir, 'outputs'));
      const trackingFile = join(workDir, 'tracking.ndjson');
      const component = run.components.get(step.name)!;
      // Only a command logs through the file; a function logs to `tracking` directly.
      const withTrackingFile = component.kind === 'command'
        ? (work: () => Promise<ComponentResult>) => recordTrackingFile(trackingFile, run.stack.tracking.store, tracked, log, work)
        : (work: () => Promise<ComponentResult>) => work();
      const result = await withTrackingFile(() => attemptOnce(run, step, {
        runId: run.runId,
        step: step.name,
        executionId: execution.id,
        component,
        params: step.params,
        inputs: stepInputs,
        outputs,
        workDir,
        attempt,
        baseDir: run.baseDir,
        log: log.logger,
        stack: run.stack,
        tracking: tracked,
        trackingFile,
      }));
      const problem = result === undefined ? undefined : jsonProblem(result, 'result');
      if (problem) throw new OutputNotWrittenError(step.name, '(returned value)', problem);
      done = { result, stored: await storeOutputs(artifacts, step, outputs) };
    } catch (error) {
      failure = error;
    }
    if (done) {
      const recorded = await finish('complete', attempt, { result: done.result, outputs: done.stored });
      const byName: Record<string, Artifact> = {};
      done.stored.forEach((output, i) => {
        byName[output.name] = recorded[i]!;
      });
      run.outputs[stepIndex] = byName;
      removeQuietly(stepDir);
      run.emit({ type: 'step-completed', runId: run.runId, step: step.name, executionId: execution.id, attempts: attempt, durationMs: Date.now() - startedAt });
      return { status: 'completed', executionId: execution.id, outputs: byName, attempts: attempt };
    }
    removeQuietly(workDir);
    if (run.signal.aborted) return cancel(run, step, execution.id, attempt, finish);
    const message = errorMessage(failure);
    if (attempt <= step.retry.times) {
      const delayMs = Math.min(step.retry.backoffMs * 2 ** (attempt - 1), step.retry.maxBackoffMs);
      log.write('warn', `attempt ${attempt} failed: ${message}; retrying in ${delayMs} ms`);
      await attemptRun.end('FAILED');
      attemptRun = undefined;
      run.emit({ type: 'step-retrying', runId: run.runId, step: step.name, attempt: attempt + 1, delayMs, error: message });
      try {
        await sleep(delayMs, undefined, { signal: run.signal });
      } catch {
        return cancel(run, step, execution.id, attempt, finish);
      }
      continue;
    }
    log.write('warn', `attempt ${attempt} failed: ${message}`);
    await finish('failed', attempt, { error: message });
    run.emit({ type: 'step-failed', runId: run.runId, step: step.name, executionId: execution.id, attempts: attempt, error: message });
    return { status: 'failed', executionId: execution.id, outputs: {}, attempts: attempt, error: message };
  }
}

const TRACKING_STATUS = { complete: 'FINISHED', failed: 'FAILED', canceled: 'KILLED' } as const;
/** How long a step runs before its tracked run is written as RUNNING. */
const SHOW_RUNNING_AFTER_MS = 250;

/**
 * The finite numbers a component returned (e.g. `auc`), as metrics of its step's run; keys that
 * are not valid metric names (e.g. `precision@10`) are left out, as invalid param keys are.
 */
function logResultMetrics(tracked: TrackedRun, result: ComponentResult | undefined): void {
  if (!result) return;
  for (const [key, value] of Object.entries(result)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    try {
      validateKey('metric', key, 'result');
    } catch {
      continue;
    }
    tracked.logMetric(key, value);
  }
}

/**
 * Runs an attempt, then records what a command appended to its tracking file on the step's
 * tracked run. A malformed file fails an attempt that otherwise succeeded; after a failed
 * attempt it is only reported, so the attempt's own error stays the one shown.
 */
async function recordTrackingFile(
  path: string,
  store: TrackingStore,
  tracked: TrackedRun,
  log: StepLog,
  attempt: () => Promise<ComponentResult>,
): Promise<ComponentResult> {
  let result: ComponentResult;
  try {
    result = await attempt();
  } catch (error) {
    if (existsSync(path)) {
      await tracked.write().then(() => ingestTrackingFile(store, tracked.id, path)).catch((e: unknown) => log.write('warn', errorMessage(e)));
    }
    throw error;
  }
  if (existsSync(path)) {
    await tracked.write();
    await ingestTrackingFile(store, tracked.id, path);
  }
  return result;
}

/** Cleanup that must not turn a finished step into a failed one. */
function removeQuietly(path: string): void {
  try {
    // Most steps never create their folder; existsSync answers that without rmSync's thrown ENOENT.
    if (existsSync(path)) rmSync(path, { recursive: true, force: true });
  } catch {
    // Left behind under <home>/work; harmless.
  }
}

async function cancel(
  run: RunState,
  step: StepIR,
  executionId: number,
  attempts: number,
  finish: (state: 'canceled', attempts: number, extra: { error: string }) => Promise<unknown>,
): Promise<StepOutcome> {
  await finish('canceled', attempts, { error: 'canceled' });
  run.emit({ type: 'step-canceled', runId: run.runId, step: step.name, executionId });
  return { status: 'canceled', executionId, outputs: {}, attempts, error: 'canceled' };
}

/**
 * One attempt under the step's timeout; the executor sees one signal for both timeout and
 * cancellation (the run's own signal when there is no timeout, which saves a controller per step).
 */
async function attemptOnce(run: RunState, step: StepIR, task: Parameters<Stack['executor']['execute']>[0]): Promise<ComponentResult> {
  run.signal.throwIfAborted();
  const timeoutMs = step.timeoutMs;
  if (timeoutMs === null) return run.stack.executor.execute(task, run.signal);
  const controller = new AbortController();
  const onCancel = () => controller.abort(run.signal.reason);
  run.signal.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(() => controller.abort(new StepTimeoutError(step.name, timeoutMs)), timeoutMs);
  try {
    return await run.stack.executor.execute(task, controller.signal);
  } finally {
    clearTimeout(timer);
    run.signal.removeEventListener('abort', onCancel);
  }
}
