import type { Stack } from '../config/stack.js';
import { errorMessage } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import type { ControlStore, Firing, FiringStatus } from '../metadata/control-store.js';
import type { Context } from '../metadata/model.js';
import { compilePipeline } from '../pipeline/ir.js';
import { loadPipelineFile } from '../pipeline/load-pipeline-file.js';
import { outputsOfExecutions } from '../pipeline/reuse.js';
import type { RunEventListener, RunResult, StepOutcome } from '../pipeline/run-events.js';
import { resumeRun, runPipeline } from '../pipeline/runner.js';
import type { TriggerConfig } from './loop-config.js';

export interface FiringRunnerOptions {
  stack: Stack;
  control: ControlStore;
  triggers: readonly TriggerConfig[];
  /** Pipeline runs at once across all triggers. */
  maxConcurrentRuns: number;
  /** Told when a run ends (to roll out what it registered). */
  onRunEnded?: (firing: Firing, result: RunResult) => Promise<void>;
  /** Told of everything that happens, for the console and the status. */
  onNote?: (note: string, details: JsonObject) => void;
  onRunEvent?: RunEventListener;
  /** Start only this firing (`flywheel trigger` running one firing without a controller). */
  only?: number;
}

/**
 * Starts the pipeline runs of recorded firings, oldest first, within the global and per-trigger
 * concurrency limits. A firing's run id was chosen when it fired, so a controller that died
 * mid-run finds the run under that id when it starts again and resumes it (steps already done are
 * kept), takes it as done when it had completed, or starts it when it had not been created yet.
 * Firings of triggers no longer configured fail with a reason rather than wait forever.
 */
export class FiringRunner {
  private readonly running = new Map<number, { trigger: string; work: Promise<void> }>();
  private readonly abort = new AbortController();
  private readonly triggers: Map<string, TriggerConfig>;

  constructor(private readonly options: FiringRunnerOptions) {
    this.triggers = new Map(options.triggers.map((t) => [t.name, t]));
  }

  /** Active runs of a trigger (started by this runner, or waiting to start). */
  async activeCount(trigger: string): Promise<number> {
    return (await this.options.control.findFirings({ trigger, statuses: ['pending', 'running'] })).length;
  }

  /** Starts what may start now. Firings `running` but not in this process are runs a dead controller left: they resume. */
  async tick(): Promise<void> {
    const { control, maxConcurrentRuns } = this.options;
    const waiting = (await control.findFirings({ statuses: ['pending', 'running'] }))
      .filter((f) => !this.running.has(f.id) && (this.options.only === undefined || f.id === this.options.only))
      .reverse();
    for (const firing of waiting) {
      if (this.running.size >= maxConcurrentRuns || this.abort.signal.aborted) return;
      const trigger = this.triggers.get(firing.trigger);
      if (!trigger) {
        await control.updateFiring(firing.id, { status: 'failed', error: `trigger ${firing.trigger} is no longer configured` });
        continue;
      }
      const mine = [...this.running.values()].filter((r) => r.trigger === trigger.name).length;
      if (mine >= trigger.maxConcurrent) continue;
      const work = this.run(firing, trigger).finally(() => this.running.delete(firing.id));
      this.running.set(firing.id, { trigger: trigger.name, work });
    }
  }

  /** Runs in this process now. */
  get busy(): number {
    return this.running.size;
  }

  /** Resolves once the runs started so far have ended. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running.values()].map((r) => r.work));
  }

  /**
   * Stops starting runs and cancels the running ones; their firings stay `running`, so the next
   * controller resumes them. Resolves once they have stopped.
   */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.running.values()].map((r) => r.work));
  }

  /**
   * Runs one firing to its end. Never rejects: a store that fails while the status is written
   * leaves the firing as it was, and the next tick (or controller) takes it up again.
   */
  private async run(firing: Firing, trigger: TriggerConfig): Promise<void> {
    const note = (text: string, details: JsonObject) => {
      try {
        this.options.onNote?.(text, details);
      } catch {
        // A listener's failure is not the run's.
      }
    };
    try {
      const resumed = firing.status === 'running';
      await this.options.control.updateFiring(firing.id, { status: 'running' });
      note(`${resumed ? 'resuming' : 'starting'} run ${firing.runId} of ${trigger.name} (${String(firing.event.kind)} event)`, { trigger: trigger.name, runId: firing.runId, firing: firing.id });
      let status: FiringStatus;
      let error: string | null = null;
      let result: RunResult | undefined;
      try {
        result = await this.execute(firing, trigger);
        status = result.status === 'complete' ? 'complete' : result.status === 'canceled' ? 'canceled' : 'failed';
        error = result.error ?? null;
      } catch (caught) {
        status = 'failed';
        error = errorMessage(caught);
      }
      // Stopped with the controller: left running, so the next controller resumes it.
      if (status === 'canceled' && this.abort.signal.aborted) return;
      // What the run registered is handed on before the firing is marked: a controller that dies
      // in between finds the firing running, the run complete, and hands it on again.
      if (result?.status === 'complete' && this.options.onRunEnded) {
        try {
          await this.options.onRunEnded(firing, result);
        } catch (caught) {
          note(`after run ${firing.runId}: ${errorMessage(caught)}`, { runId: firing.runId });
        }
      }
      await this.options.control.updateFiring(firing.id, { status, error });
      note(`run ${firing.runId} of ${trigger.name} ${status}${error ? `: ${error}` : ''}`, { trigger: trigger.name, runId: firing.runId, status });
    } catch (caught) {
      note(`run ${firing.runId} of ${trigger.name}: ${errorMessage(caught)}; it is taken up again`, { trigger: trigger.name, runId: firing.runId });
    }
  }

  private async execute(firing: Firing, trigger: TriggerConfig): Promise<RunResult> {
    const { stack } = this.options;
    const common = { signal: this.abort.signal, ...(this.options.onRunEvent ? { onEvent: this.options.onRunEvent } : {}) };
    const existing = await stack.metadata.findContext('pipeline_run', firing.runId);
    // The run ended but the controller died before marking the firing: nothing is left to run.
    if (existing?.properties.status === 'complete') return completedRun(stack, existing);
    if (existing) {
      return resumeRun(stack, firing.runId, { ...common, load: async (file, params) => compilePipeline(await loadPipelineFile(file), params) });
    }
    const params = fillParams(trigger.params, firing.event);
    const compiled = compilePipeline(await loadPipelineFile(trigger.pipelineFile), params);
    return runPipeline(stack, compiled, {
      ...common,
      runId: firing.runId,
      pipelineFile: trigger.pipelineFile,
      trigger: { kind: String(firing.event.kind), name: trigger.name, firing: firing.id, eventKey: firing.eventKey, event: firing.event },
    });
  }
}

/** The result of a run that completed earlier, its steps' work counted as reused. */
async function completedRun(stack: Stack, run: Context): Promise<RunResult> {
  const ir = run.properties.ir as { pipeline: { name: string }; steps: unknown[] };
  const done = (await stack.metadata.findExecutions({ contextId: run.id, order: 'asc' }))
    .filter((e) => e.name !== null && (e.state === 'complete' || e.state === 'cached'));
  const outputs = await outputsOfExecutions(stack.metadata, done.map((e) => e.id));
  const steps: Record<string, StepOutcome> = {};
  for (const execution of done) steps[execution.name!] = { status: 'reused', executionId: execution.id, outputs: outputs.get(execution.id) ?? {}, attempts: 0 };
  return {
    runId: run.name, pipeline: ir.pipeline.name, status: 'complete', error: undefined,
    durationMs: Date.parse(String(run.properties.endedAt)) - Date.parse(String(run.properties.startedAt)),
    counts: { steps: ir.steps.length, completed: 0, cached: 0, reused: ir.steps.length, failed: 0, canceled: 0, notRun: 0 },
    steps,
  };
}

/**
 * The run's parameters with the event's facts filled in: a string holding `${time}`, `${date}`,
 * `${file}` or any other top-level field of the event gets its value; a string that is only the
 * placeholder gets the value with its type (a number stays a number).
 *
 * @example
 *   fillParams({ until: '${time}', note: 'retrain after ${rule}' }, { kind: 'alert', time: '2001-03-05T00:00:00.000Z', rule: 'auc-drop' })
 */
export function fillParams(params: Record<string, unknown>, event: JsonObject): Record<string, unknown> {
  const facts: Record<string, JsonValue> = { ...event, ...(typeof event.time === 'string' ? { date: event.time.slice(0, 10) } : {}) };
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = /^\$\{(\w+)\}$/.exec(value);
      // Own keys only: `${constructor}` is not a fact of the event.
      if (whole && Object.hasOwn(facts, whole[1]!)) return facts[whole[1]!];
      return value.replace(/\$\{(\w+)\}/g, (text, key: string) => (Object.hasOwn(facts, key) ? String(facts[key]) : text));
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return fill(params) as Record<string, unknown>;
}
