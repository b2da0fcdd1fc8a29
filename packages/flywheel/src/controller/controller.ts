import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import { errorMessage } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import { withLockFile } from '../core/lock-file.js';
import type { ControlStore } from '../metadata/control-store.js';
import { evaluateAlertRules } from '../monitoring/alert-rules.js';
import { monitorModel, type ModelMonitoring } from '../monitoring/monitor-model.js';
import type { RunEventListener } from '../pipeline/run-events.js';
import { startPredictionServer, type PredictionServer } from '../serving/prediction-server.js';
import type { ServingLogger } from '../serving/serving-options.js';
import { folderFileLister } from '../triggers/folder-file-lister.js';
import { isS3Url, s3FileLister } from '../triggers/s3-file-lister.js';
import { alertSource, dataArrivalSource, scheduleSource, type TriggerSource } from '../triggers/trigger-sources.js';
import { writeControllerState, type ControllerNote } from './controller-state.js';
import { FiringRunner } from './firing-runner.js';
import { labelsRoute } from './labels-route.js';
import type { LoopConfig, MonitorConfig, TriggerConfig } from './loop-config.js';
import { MonitorGauges } from './monitor-gauges.js';
import { RolloutManager } from './rollout.js';

export interface ControllerOptions {
  stack: Stack;
  loop: LoopConfig;
  /** The controller's time in ms since the epoch: `Date.now` by default; a replay of past traffic passes its own. */
  clock?: () => number;
  logger?: ServingLogger;
  /** Everything the controller decides or notices, as it happens. */
  onNote?: (note: ControllerNote) => void;
  onRunEvent?: RunEventListener;
}

export interface Controller {
  /** The prediction server's URL, when the loop serves. */
  readonly url: string | undefined;
  readonly server: PredictionServer | undefined;
  /** The newest monitoring report of each monitored model. */
  readonly reports: ReadonlyMap<string, ModelMonitoring>;
  /** Runs one round now (monitoring that is due, triggers, runs), instead of waiting for the next tick. */
  tick(): Promise<void>;
  /** Waits until no run is active or pending. */
  idle(): Promise<void>;
  /** Stops serving and ticking; running pipeline runs are stopped and resume at the next start. */
  stop(): Promise<void>;
}

const NOTES_KEPT = 200;

/**
 * The continuous-training controller of one project (`flywheel up`): serves the configured
 * models, monitors them window by window and raises alerts, polls the triggers (schedules, data
 * arrival, alerts) and records each firing before starting its pipeline run, and rolls the
 * versions those runs register out (evaluation on the newest labeled window, optional canary,
 * promotion or rollback). One controller per project: a second one is refused while the first
 * lives. Everything it must not forget is in the control store, so `kill -9` at any moment loses
 * nothing: the next start resumes runs, re-establishes a canary and fires no event twice.
 *
 * @example
 *   const controller = await startController({ stack, loop: await loadLoopConfig(stack.projectDir) });
 *   // … later
 *   await controller.stop();
 */
export async function startController(options: ControllerOptions): Promise<Controller> {
  const { stack, loop } = options;
  const clock = options.clock ?? Date.now;
  const notes: ControllerNote[] = [];
  const startedAt = new Date().toISOString();
  const note = (text: string, details: JsonObject = {}) => {
    const entry: ControllerNote = { at: new Date(clock()).toISOString(), text, details };
    notes.push(entry);
    if (notes.length > NOTES_KEPT) notes.shift();
    try {
      options.onNote?.(entry);
    } catch {
      // A listener that fails (a full disk under the demo's note file) must not stop the controller.
    }
  };

  // Held for the controller's life; a dead holder's lock is taken over.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const locked = new Promise<void>((resolve, reject) => {
    withLockFile(join(stack.home, 'controller.lock'), async () => {
      resolve();
      await released;
    }, { timeoutMs: 1500 }).catch(reject);
  });
  await locked;

  let server: PredictionServer | undefined;
  try {
    if (loop.serve) {
      server = await startPredictionServer({
        stack, clock, host: loop.serve.host, port: loop.serve.port, models: loop.serve.models,
        ...(options.logger ? { logger: options.logger } : {}),
        routes: loop.serve.labels ? [labelsRoute(stack.home, clock)] : [],
      });
    }
  } catch (error) {
    release();
    throw error;
  }

  const monitorOf = new Map(loop.monitor.map((m) => [m.model, m]));
  const rollouts = loop.rollout.map((config) => new RolloutManager({
    stack, control: stack.control, repository: server!.repository, config, clock,
    windowMs: monitorOf.get(config.model)?.window ?? 86_400_000, onNote: note,
  }));
  const runner = new FiringRunner({
    stack, control: stack.control, triggers: loop.triggers, maxConcurrentRuns: loop.maxConcurrentRuns, onNote: note,
    ...(options.onRunEvent ? { onRunEvent: options.onRunEvent } : {}),
    onRunEnded: async (firing, result) => {
      if (result.status !== 'complete') return;
      for (const rollout of rollouts) await rollout.afterRun(firing.runId);
    },
  });
  const sources = new Map<string, TriggerSource>();
  for (const trigger of loop.triggers) {
    const source = sourceOf(trigger, stack.control);
    if (source) sources.set(trigger.name, source);
  }
  const gauges = server ? new MonitorGauges(server.metrics.registry) : undefined;
  const reports = new Map<string, ModelMonitoring>();
  const lastMonitored = new Map<string, number>();
  const lastRolled = new Map<string, number>();
  const problems = new Map<string, string>();

  const monitor = async (config: MonitorConfig, now: number) => {
    const lookback = config.lookback ?? 14 * config.window;
    const report = await monitorModel(stack, {
      model: config.model, windowMs: config.window, since: new Date(now - lookback),
      ...(config.drift ? { drift: config.drift } : {}), ...(config.minRows ? { minRows: config.minRows } : {}), ...(config.threshold ? { threshold: config.threshold } : {}),
    });
    reports.set(config.model, report);
    gauges?.update(report);
    // Only versions serving now: an alert on one already replaced would retrain for nothing.
    const serving = new Set(server?.repository.servedRefs().filter((r) => r.name === config.model).map((r) => r.version));
    for (const alert of evaluateAlertRules(report, config.rules, new Date(now)).filter((a) => a.version !== null && serving.has(a.version))) {
      const raised = await stack.control.raiseAlert(alert);
      if (raised) {
        gauges?.alert(raised.rule);
        note(`alert ${raised.rule}: ${raised.model} v${raised.version} ${raised.metric} ${raised.value.toFixed(4)} (threshold ${raised.threshold}) in the window from ${raised.windowStart.toISOString().slice(0, 10)}`, { alert: raised.id, rule: raised.rule });
      }
    }
  };

  const pollTrigger = async (trigger: TriggerConfig, source: TriggerSource, now: Date) => {
    if ((await runner.activeCount(trigger.name)) >= trigger.maxConcurrent) return;
    const state = await stack.control.triggerState(trigger.name);
    const result = await source.poll(state, now);
    if (result.problem !== problems.get(trigger.name)) {
      if (result.problem) note(`trigger ${trigger.name}: ${result.problem}`, { trigger: trigger.name });
      problems.set(trigger.name, result.problem ?? '');
    }
    if (result.state && result.events.length === 0) await stack.control.saveTriggerState(trigger.name, result.state);
    for (const event of result.events) {
      const firing = await stack.control.fire({ trigger: trigger.name, eventKey: event.eventKey, event: event.event, runId: newId('run') }, event.state);
      // Fired before (a file that went and came back unchanged): its state is saved all the same, or it would settle again and again.
      if (!firing) await stack.control.saveTriggerState(trigger.name, event.state);
      else note(`trigger ${trigger.name} fired (${String(event.event.kind)} ${describeEvent(event.event)}) → run ${firing.runId}`, { trigger: trigger.name, firing: firing.id, runId: firing.runId });
    }
  };

  let ticking: Promise<void> | undefined;
  const round = async () => {
    const now = clock();
    for (const config of loop.monitor) {
      if (now - (lastMonitored.get(config.model) ?? Number.NEGATIVE_INFINITY) < config.every) continue;
      lastMonitored.set(config.model, now);
      await guarded(`monitoring ${config.model}`, () => monitor(config, now));
    }
    // Rollouts move on what monitoring sees: after a pass over their model's windows, or once a
    // minute for a model that is not monitored.
    for (const rollout of rollouts) {
      const monitored = monitorOf.get(rollout.model);
      const due = monitored ? lastMonitored.get(rollout.model) === now : now - (lastRolled.get(rollout.model) ?? Number.NEGATIVE_INFINITY) >= 60_000;
      if (!due) continue;
      lastRolled.set(rollout.model, now);
      await guarded('rollout', () => rollout.resume());
    }
    for (const trigger of loop.triggers) {
      const source = sources.get(trigger.name);
      if (source) await guarded(`trigger ${trigger.name}`, () => pollTrigger(trigger, source, new Date(now)));
    }
    await guarded('runs', () => runner.tick());
    await guarded('state file', () => writeControllerState(stack.home, {
      pid: process.pid, url: server?.url ?? null, startedAt, heartbeatAt: new Date().toISOString(), clock: new Date(clock()).toISOString(),
      activeRuns: runner.busy, notes: notes.slice(-50), problems: Object.fromEntries([...problems].filter(([, p]) => p !== '')),
    }));
  };
  const guarded = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      note(`${what} failed: ${errorMessage(error)}`, { failed: what });
    }
  };
  const tick = () => (ticking ??= round().finally(() => (ticking = undefined)));

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void tick().catch(() => undefined).finally(schedule), loop.tickMs);
  };
  note(`controller started${server ? `, serving ${loop.serve!.models.map((m) => `${m.name}@${m.ref}`).join(', ')} at ${server.url}` : ''}`);
  await tick();
  schedule();

  return {
    url: server?.url,
    server,
    reports,
    tick,
    async idle() {
      for (;;) {
        await tick();
        if (runner.busy === 0 && (await stack.control.findFirings({ statuses: ['pending', 'running'], limit: 1 })).length === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await ticking;
      await runner.stop();
      for (const source of sources.values()) source.close?.();
      await server?.close();
      note('controller stopped');
      release();
    },
  };
}

function sourceOf(trigger: TriggerConfig, control: ControlStore): TriggerSource | undefined {
  if (trigger.cron) return scheduleSource(trigger.cron);
  if (trigger.data) {
    const { path, s3, debounce } = trigger.data;
    return dataArrivalSource(isS3Url(path) ? s3FileLister({ url: path, ...s3 }) : folderFileLister(path), debounce);
  }
  if (trigger.alert) return alertSource(control, trigger.alert.rules, trigger.alert.cooldown);
  return undefined;
}

function describeEvent(event: JsonObject): string {
  if (event.kind === 'alert') return `${String(event.rule)} on ${String(event.windowStart).slice(0, 10)}`;
  if (event.kind === 'data') return `${(event.files as string[]).length} file(s)`;
  return String(event.time);
}
