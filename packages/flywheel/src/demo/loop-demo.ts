import { fileURLToPath } from 'node:url';
import type { Stack } from '../config/stack.js';
import { queryRows, quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { sampleDataPath } from '../data/sample-data.js';
import { startController, type Controller } from '../controller/controller.js';
import type { ControllerNote } from '../controller/controller-state.js';
import { compileLoopConfig, type LoopConfigInput } from '../controller/loop-config.js';
import { compilePipeline } from '../pipeline/ir.js';
import type { RunEventListener } from '../pipeline/run-events.js';
import { runPipeline } from '../pipeline/runner.js';
import { FLIGHTS_MODEL } from './flights-pipeline.js';
import { retrainPipeline } from './retrain-pipeline.js';
import { keepNote, keptNotes, readReplayProgress, writeReplayProgress, type ReplaySettings } from './replay-progress.js';
import { InvalidInputError } from '../core/errors.js';

const RETRAIN_FILE = fileURLToPath(new URL('./retrain-pipeline.ts', import.meta.url));
const DAY_MS = 86_400_000;
/** Requests in flight at once while a day is replayed. */
const CONCURRENCY = 16;

export interface LoopDemoOptions {
  /** Share of the flights replayed as prediction requests. Default 0.01 (about 25k requests for Feb–Jun). */
  traffic?: number;
  /** Share of flights the retraining runs learn from. Default 0.5. */
  trainSample?: number;
  /** The replay runs from this day (the champion is trained on the four weeks before) … */
  from?: Date;
  /** … to this one. */
  until?: Date;
  /** Told of every decision of the controller, at replay time. */
  onNote?: (note: ControllerNote) => void;
  /** Told of the replay's progress (one line per replayed week). */
  onProgress?: (line: string) => void;
  onRunEvent?: RunEventListener;
}

export interface LoopDemoResult {
  /** Where this run took the replay up: undefined for a fresh start, the day for a resumed replay, `finished` when it had ended before. */
  resumedAt?: string;
  from: Date;
  until: Date;
  requests: number;
  labels: number;
  notes: ControllerNote[];
  /** The retraining parameters, for the report's summary. */
  retrain: Record<string, unknown>;
}

interface ReplayedFlight {
  ms: number;
  delayed: number;
  features: { distance: number; hour: number; dow: number; origin: string; destination: string };
}

/**
 * The loop replay: a first champion trained on January, then February to June 2001 sent to the
 * controller's prediction server day by day in compressed time (the controller's clock is the
 * replay's), each day's true delays posted as labels the next day, and the controller left to do
 * its job: monitor weekly windows, alert on live AUC and input drift, retrain on a monthly
 * schedule and on alerts, judge each challenger against the champion on the newest labeled week,
 * canary it, then promote or roll back.
 */
export function loopDemoConfig(retrain: Record<string, unknown>): LoopConfigInput {
  return {
    serve: { port: 0, models: [{ name: FLIGHTS_MODEL }] },
    monitor: [{
      model: FLIGHTS_MODEL, window: '7d', every: '7d', lookback: '28d', minRows: 300,
      // The day of the week is a cycle a weekly window holds once: compared with weeks of
      // training data, any week (and every part of one) looks drifted.
      drift: { features: { dow: { ignore: true } } },
      rules: [
        { name: 'auc-drop', metric: 'auc', below: 0.64, for: 1, minLabeled: 300 },
        { name: 'input-drift', metric: 'input_drift_share', above: 0.3, for: 2 },
      ],
    }],
    triggers: [
      { name: 'monthly', pipeline: RETRAIN_FILE, params: retrain, schedule: { cron: '0 0 1 * *', timezone: 'UTC', catchUp: 'latest' } },
      { name: 'degradation', pipeline: RETRAIN_FILE, params: retrain, alert: { rules: ['auc-drop', 'input-drift'], cooldown: '14d' } },
    ],
    rollout: [{ model: FLIGHTS_MODEL, minLabeled: 300, canary: { percent: 50, minLabeled: 300, tolerance: 0.01, timeout: '21d' } }],
    tickMs: 60_000,
  };
}

export async function runLoopDemo(stack: Stack, options: LoopDemoOptions = {}): Promise<LoopDemoResult> {
  const from = options.from ?? new Date(Date.UTC(2001, 1, 1));
  const until = options.until ?? new Date(Date.UTC(2001, 6, 1));
  const settings: ReplaySettings = { from: from.toISOString(), until: until.toISOString(), traffic: options.traffic ?? 0.01, trainSample: options.trainSample ?? 0.5 };
  const retrain = { until: '${time}', days: 28, evalDays: 7, sample: settings.trainSample, trainer: 'gbdt' as const };
  let progress = await readReplayProgress(stack.home);
  if (progress && JSON.stringify(progress.settings) !== JSON.stringify(settings)) {
    throw new InvalidInputError('demo', `this project holds a replay with other settings (${JSON.stringify(progress.settings)})`, 'run the demo in a new folder');
  }
  const notes = await keptNotes(stack.home);
  if (progress?.finished) return { from, until, requests: progress.requests, labels: progress.labels, notes, retrain, resumedAt: 'finished' };
  const resumedAt = progress ? progress.day : undefined;
  if (!progress) {
    await bootstrap(stack, from, retrain, options.onRunEvent);
    progress = { settings, day: from.toISOString(), finished: false, requests: 0, labels: 0, pendingLabels: [] };
    await writeReplayProgress(stack.home, progress);
  }

  const flights = await replayedFlights(new Date(progress.day), until, settings.traffic);
  let now = Date.parse(progress.day);
  const controller = await startController({
    stack, loop: compileLoopConfig(loopDemoConfig(retrain), stack.projectDir), clock: () => now,
    onNote: (note) => {
      keepNote(stack.home, note);
      notes.push(note);
      options.onNote?.(note);
    },
    ...(options.onRunEvent ? { onRunEvent: options.onRunEvent } : {}),
  });
  let { requests, labels, pendingLabels } = progress;
  try {
    let next = 0;
    for (let day = Date.parse(progress.day); day < until.getTime(); day += DAY_MS) {
      const todays: ReplayedFlight[] = [];
      while (next < flights.length && flights[next]!.ms < day + DAY_MS) todays.push(flights[next++]!);
      now = day;
      // Yesterday's flights have landed: their delays are known now.
      if (pendingLabels.length > 0) {
        await controller.server!.predictionLog!.settle();
        labels += await postLabels(controller, pendingLabels);
      }
      pendingLabels = [];
      for (let hour = 0; hour < 24; hour++) {
        now = day + hour * 3_600_000;
        const batch = todays.filter((f) => f.ms < now + 3_600_000 && f.ms >= now);
        const ids = await predictAll(controller, batch);
        requests += ids.length;
        batch.forEach((flight, i) => pendingLabels.push({ prediction_id: ids[i]!, label: flight.delayed }));
      }
      now = day + DAY_MS - 1;
      await controller.tick();
      await controller.idle();
      await writeReplayProgress(stack.home, { settings, day: new Date(day + DAY_MS).toISOString(), finished: false, requests, labels, pendingLabels });
      if (new Date(day).getUTCDay() === 0) options.onProgress?.(`replayed up to ${new Date(day).toISOString().slice(0, 10)}: ${requests} requests, ${labels} labels`);
    }
    await controller.server!.predictionLog!.settle();
    labels += await postLabels(controller, pendingLabels);
    now = until.getTime();
    await controller.tick();
    await controller.idle();
    await writeReplayProgress(stack.home, { settings, day: until.toISOString(), finished: true, requests, labels, pendingLabels: [] });
  } finally {
    await controller.stop();
  }
  return { from, until, requests, labels, notes, retrain, ...(resumedAt ? { resumedAt } : {}) };
}

/** The first champion: the retraining pipeline on the weeks before the replay. Run again after a crash, it comes from the cache. */
async function bootstrap(stack: Stack, from: Date, retrain: Record<string, unknown>, onRunEvent: RunEventListener | undefined): Promise<void> {
  const run = await runPipeline(stack, compilePipeline(retrainPipeline, { ...retrain, until: from.toISOString() }), {
    pipelineFile: RETRAIN_FILE, trigger: { kind: 'bootstrap', name: 'demo', event: { kind: 'bootstrap', time: from.toISOString() } },
    ...(onRunEvent ? { onEvent: onRunEvent } : {}),
  });
  if (run.status !== 'complete') throw new Error(`the first training run ${run.status}: ${run.error ?? ''}`);
  const first = (await stack.registry.listVersions(FLIGHTS_MODEL)).find((v) => v.digest === run.steps.train?.outputs.model?.digest);
  if (!first) throw new Error(`the first training run registered no version of ${FLIGHTS_MODEL}`);
  await stack.registry.setAlias(FLIGHTS_MODEL, 'champion', first.version, { actor: 'demo', reason: `first model, trained on the four weeks before ${from.toISOString().slice(0, 10)}` });
}

async function replayedFlights(from: Date, until: Date, share: number): Promise<ReplayedFlight[]> {
  const rows = await withDuckDb((db) =>
    queryRows(db, `SELECT epoch_ms(date) AS ms, distance::DOUBLE AS distance, hour(date)::DOUBLE AS hour, dayofweek(date)::DOUBLE AS dow, origin, destination, (delay > 15)::INTEGER AS delayed
      FROM read_parquet(${quoteLiteral(sampleDataPath('flights-3m.parquet'))})
      WHERE date >= epoch_ms(${from.getTime()}) AND date < epoch_ms(${until.getTime()}) AND hash(date, destination, origin) % 100000 < ${Math.round(share * 100_000)}
      ORDER BY date`),
  );
  return rows.map((r) => ({
    ms: Number(r.ms), delayed: Number(r.delayed),
    features: { distance: Number(r.distance), hour: Number(r.hour), dow: Number(r.dow), origin: String(r.origin), destination: String(r.destination) },
  }));
}

/** Sends each flight as a single-row request, CONCURRENCY at a time; the prediction ids in order. */
async function predictAll(controller: Controller, flights: readonly ReplayedFlight[]): Promise<string[]> {
  const ids = new Array<string>(flights.length);
  let next = 0;
  const worker = async () => {
    while (next < flights.length) {
      const i = next++;
      const response = await fetch(`${controller.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [flights[i]!.features] }) });
      if (response.status !== 200) throw new Error(`the prediction server answered ${response.status}: ${await response.text()}`);
      ids[i] = ((await response.json()) as { prediction_id: string }).prediction_id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, flights.length) }, worker));
  return ids;
}

async function postLabels(controller: Controller, labels: readonly { prediction_id: string; label: number }[]): Promise<number> {
  if (labels.length === 0) return 0;
  const response = await fetch(`${controller.url}/labels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ labels }) });
  const answer = (await response.json()) as { accepted?: number; error?: string };
  if (response.status !== 200) throw new Error(`the label endpoint answered ${response.status}: ${answer.error ?? ''}`);
  return answer.accepted ?? 0;
}
