import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { queryRows, quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { sampleDataPath } from '../data/sample-data.js';
import { retrainPipeline } from '../demo/retrain-pipeline.js';
import { predictionLineage } from '../monitoring/prediction-lineage.js';
import { compilePipeline } from '../pipeline/ir.js';
import { runPipeline } from '../pipeline/runner.js';
import { startController, type Controller } from './controller.js';
import type { ControllerNote } from './controller-state.js';
import { compileLoopConfig } from './loop-config.js';

const RETRAIN = fileURLToPath(new URL('../demo/retrain-pipeline.ts', import.meta.url));
const FEB_5 = Date.UTC(2001, 1, 5);
const DAY = 86_400_000;
const PARAMS = { until: '${time}', days: 14, evalDays: 3, sample: 0.05, trainer: 'logistic' as const };

interface Flight {
  ms: number;
  distance: number;
  hour: number;
  dow: number;
  origin: string;
  destination: string;
  delayed: number;
}

async function flightsOf(day: number, count: number): Promise<Flight[]> {
  const rows = await withDuckDb((db) =>
    queryRows(db, `SELECT epoch_ms(date) AS ms, distance::DOUBLE AS distance, hour(date)::DOUBLE AS hour, dayofweek(date)::DOUBLE AS dow, origin, destination, (delay > 15)::DOUBLE AS delayed
      FROM read_parquet(${quoteLiteral(sampleDataPath('flights-3m.parquet'))}) WHERE date >= epoch_ms(${day}) AND date < epoch_ms(${day + DAY}) AND hash(date, origin) % 20 = 0 ORDER BY date LIMIT ${count}`),
  );
  return rows.map((r) => ({ ...(r as unknown as Flight), ms: Number(r.ms) }));
}

/**
 * The loop in one process with a replay clock: a champion trained on January, a day of February
 * traffic and its labels, an alert on live AUC that fires the retraining pipeline, and the
 * rollout of what it registers.
 */
describe('the continuous-training controller', () => {
  let dir: string;
  let stack: Stack;
  let controller: Controller;
  let now = FEB_5;
  const notes: ControllerNote[] = [];
  const loop = () =>
    compileLoopConfig({
      serve: { port: 0, models: [{ name: 'flights-delay' }] },
      monitor: [{ model: 'flights-delay', window: '1d', every: '1d', rules: [{ name: 'auc-low', metric: 'auc', below: 0.99, minLabeled: 50 }] }],
      triggers: [
        { name: 'retrain', pipeline: RETRAIN, params: PARAMS, alert: { rules: ['auc-low'], cooldown: '7d' } },
        { name: 'broken', pipeline: RETRAIN, params: { ...PARAMS, until: 'never' }, manual: true },
      ],
      rollout: [{ model: 'flights-delay', minLabeled: 50 }],
      tickMs: 60_000,
    }, dir);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-controller-'));
    stack = await openStack({ projectDir: dir, env: {} });
    const bootstrap = await runPipeline(stack, compilePipeline(retrainPipeline, { ...PARAMS, until: '2001-01-29T00:00:00Z' }), { pipelineFile: RETRAIN });
    expect(bootstrap.status).toBe('complete');
    await stack.registry.setAlias('flights-delay', 'champion', 1, { actor: 'test', reason: 'bootstrap' });
    controller = await startController({ stack, loop: loop(), clock: () => now, onNote: (n) => notes.push(n) });
  }, 120_000);

  afterAll(async () => {
    await controller?.stop();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves, takes labels, raises an alert for the window, fires the trigger and rolls out what the run registered', async () => {
    const url = controller.url!;
    const flights = await flightsOf(FEB_5, 400);
    const ids: string[] = [];
    for (const flight of flights) {
      now = flight.ms;
      const { ms: _, delayed: __, ...features } = flight;
      const response = await fetch(`${url}/predict`, { method: 'POST', body: JSON.stringify({ instances: [features] }) });
      ids.push(((await response.json()) as { prediction_id: string }).prediction_id);
    }
    await controller.server!.predictionLog!.settle();
    now = FEB_5 + DAY + 3_600_000;
    const labels = flights.map((f, i) => ({ prediction_id: ids[i], label: f.delayed }));
    const answer = await fetch(`${url}/labels`, { method: 'POST', body: JSON.stringify({ labels: [...labels, { prediction_id: 'nope', label: 1 }, labels[0]] }) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ accepted: 400, rejected: { unknown: 1, duplicate: 1, invalid: 0 } });
    const wrongType = await fetch(`${url}/labels`, { method: 'POST', body: JSON.stringify({ labels: [{ prediction_id: ids[0], label: 'yes' }] }) });
    expect(await wrongType.json()).toMatchObject({ accepted: 0, rejected: { invalid: 1 } });
    const notAList = await fetch(`${url}/labels`, { method: 'POST', body: JSON.stringify({ labels: 'all of them' }) });
    expect(notAList.status).toBe(400);
    expect(await notAList.json()).toMatchObject({ field: 'labels' });
    const badId = await fetch(`${url}/labels`, { method: 'POST', body: JSON.stringify({ labels: [{ prediction_id: 7, label: 1 }] }) });
    expect(await badId.json()).toMatchObject({ field: 'labels[0].prediction_id' });
    expect((await fetch(`${url}/labels`, { method: 'POST', body: '{"labels": [' })).status).toBe(400);

    await controller.tick();
    await controller.idle();

    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('flywheel_monitor_alerts_total{rule="auc-low"} 1');
    expect(metrics).toMatch(/flywheel_monitor_live_metric\{model="flights-delay",version="1",metric="auc"\} 0\.\d+/);
    expect(metrics).toMatch(/flywheel_monitor_input_drift_share\{model="flights-delay",version="1"\} [\d.]+/);
    const alerts = await stack.control.findAlerts();
    expect(alerts.map((a) => [a.rule, a.version, a.windowStart.getTime()])).toEqual([['auc-low', 1, FEB_5]]);
    const [firing] = await stack.control.findFirings();
    expect(firing).toMatchObject({ trigger: 'retrain', status: 'complete', eventKey: `alert:${alerts[0]!.id}` });
    expect(firing!.event).toMatchObject({ kind: 'alert', rule: 'auc-low', windowStart: new Date(FEB_5).toISOString() });
    const run = await stack.metadata.findContext('pipeline_run', firing!.runId);
    expect(run?.properties.trigger).toMatchObject({ kind: 'alert', name: 'retrain', eventKey: firing!.eventKey });
    expect(run?.properties.params).toMatchObject({ until: new Date(now).toISOString() });

    const [rollout] = await stack.control.findRollouts();
    expect(rollout).toMatchObject({ model: 'flights-delay', challengerVersion: 2, championVersion: 1, runId: firing!.runId });
    expect(['promoted', 'rejected']).toContain(rollout!.phase);
    expect(rollout!.reason).toMatch(/auc on the newest labeled window \(2001-02-05, 400 rows\): challenger 0\.\d{4}, champion 0\.\d{4}/);
    const champion = (await stack.registry.aliases('flights-delay')).champion;
    expect(champion).toBe(rollout!.phase === 'promoted' ? 2 : 1);
    expect(controller.server!.repository.servedRefs()).toEqual([{ name: 'flights-delay', ref: 'champion', version: champion }]);
    expect(notes.map((n) => n.text).join('\n')).toMatch(/trigger retrain fired \(alert auc-low on 2001-02-05\)/);

    // The next answer traced back to the run the alert started, when the challenger won.
    const next = await fetch(`${url}/predict`, { method: 'POST', body: JSON.stringify({ instances: [{ distance: 500, hour: 8, dow: 2, origin: 'SFO', destination: 'LAX' }] }) });
    const id = ((await next.json()) as { prediction_id: string }).prediction_id;
    await controller.server!.predictionLog!.settle();
    const lineage = await predictionLineage(stack, id);
    expect(lineage.versions[0]!.version.version).toBe(champion);
    if (champion === 2) expect(lineage.versions[0]!.run?.trigger).toMatchObject({ kind: 'alert', name: 'retrain' });
  }, 120_000);

  it('keeps the champion serving when a run fails', async () => {
    const before = controller.server!.repository.servedRefs();
    await stack.control.fire({ trigger: 'broken', eventKey: 'manual:broken', event: { kind: 'manual', time: new Date(now).toISOString() }, runId: 'run-broken' });
    await controller.tick();
    await controller.idle();
    const [broken] = await stack.control.findFirings({ trigger: 'broken' });
    expect(broken).toMatchObject({ status: 'failed', runId: 'run-broken' });
    expect(broken!.error).toMatch(/until/);
    expect(controller.server!.repository.servedRefs()).toEqual(before);
    expect((await stack.control.findRollouts()).length).toBe(1);
  }, 60_000);

  it('fires nothing twice after a restart, and refuses a second controller while one runs', async () => {
    await expect(startController({ stack, loop: loop(), clock: () => now })).rejects.toThrow(/controller\.lock/);
    await controller.stop();
    controller = await startController({ stack, loop: loop(), clock: () => now, onNote: (n) => notes.push(n) });
    now += DAY;
    await controller.tick();
    await controller.idle();
    expect((await stack.control.findFirings()).map((f) => f.trigger)).toEqual(['broken', 'retrain']);
    expect(await stack.control.findAlerts()).toHaveLength(1);
  }, 60_000);
});
