import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../artifacts/local/local-artifact-store.js';
import { openStack } from '../config/open-stack.js';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import { openSqliteMetadataBackend } from '../metadata/sql/sqlite/open-sqlite-metadata.js';
import { InvalidParameterValueError, InvalidStateError } from './errors.js';
import type { LogBatch } from './model.js';
import { Tracker } from './tracker.js';
import { expectTwoWritersKeepEveryPoint } from './two-writers.test-support.js';
import type { TrackingStore } from './tracking-store.js';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-tracker-'));
let files = 0;
const tempPath = (name: string): string => {
  const folder = join(dir, String(++files));
  mkdirSync(folder);
  return join(folder, name);
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Tracker', () => {
  let backend: MetadataBackend;
  let store: TrackingStore;

  beforeEach(async () => {
    backend = await openSqliteMetadataBackend({ path: tempPath('tracking.db') });
    store = backend.tracking;
  });
  afterEach(async () => {
    await backend.close();
  });

  const history = async (runId: string, key: string): Promise<number[]> =>
    (await store.getMetricHistory(runId, key)).items.map((m) => m.step);

  it('starts a run in a named experiment (created once) with MLflow’s client tags, params and a parent', async () => {
    const tracker = new Tracker(store, undefined, { userId: 'ann' });
    const parent = await tracker.startRun({ experiment: 'flights', name: 'sweep' });
    const child = await tracker.startRun({ experiment: 'flights', name: 'depth-6', parent, params: { depth: 6, fast: true }, tags: { team: 'risk' } });
    expect(child.experimentId).toBe(parent.experimentId);
    expect((await store.getExperimentByName('flights'))?.experimentId).toBe(parent.experimentId);
    const run = await store.getRun(child.id);
    expect(run.info).toMatchObject({ runName: 'depth-6', userId: 'ann', status: 'RUNNING' });
    expect(run.data.params).toEqual([{ key: 'depth', value: '6' }, { key: 'fast', value: 'true' }]);
    expect(Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]))).toMatchObject({
      'mlflow.parentRunId': parent.id, 'mlflow.runName': 'depth-6', 'mlflow.user': 'ann', 'mlflow.source.type': 'LOCAL', team: 'risk',
    });
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/${parent.experimentId}/${child.id}/artifacts`);
    expect((await tracker.startRun()).experimentId).toBe('0');
  });

  it('queues a deferred run that ends before anything was logged and writes it complete on flush', async () => {
    const tracker = new Tracker(store, undefined, { userId: 'ann' });
    const parent = await tracker.startRun({ experiment: 'deferred' });
    const quick = tracker.deferRun({ experimentId: parent.experimentId, name: 'quick', parent, params: { i: 1 } });
    await expect(store.getRun(quick.id)).rejects.toThrow(/not found|No run/i);
    await quick.end('FAILED');
    await expect(store.getRun(quick.id)).rejects.toThrow(/not found/);
    await tracker.flush();
    const run = await store.getRun(quick.id);
    expect(run.info).toMatchObject({ runName: 'quick', status: 'FAILED', experimentId: parent.experimentId });
    expect(run.info.endTime).toBeGreaterThanOrEqual(run.info.startTime);
    expect(run.data.params).toEqual([{ key: 'i', value: '1' }]);
    expect(run.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value).toBe(parent.id);
  });

  it('stores the other ended runs when the store refuses one, and reports the refused one once', async () => {
    const tracker = new Tracker(store, undefined, { flushIntervalMs: 10_000 });
    const kept = await tracker.experiment('kept');
    const doomed = await tracker.experiment('doomed');
    const good = tracker.deferRun({ experimentId: kept.experimentId, name: 'good' });
    const lost = tracker.deferRun({ experimentId: doomed.experimentId, name: 'lost' });
    await good.end();
    await lost.end();
    await store.deleteExperiment(doomed.experimentId);
    await expect(tracker.flush()).rejects.toThrow(/1 ended run\(s\) could not be stored: lost: /);
    expect((await store.getRun(good.id)).info.status).toBe('FINISHED');
    await expect(store.getRun(lost.id)).rejects.toThrow(/not found/);
    await tracker.flush();
  });

  it('creates a deferred run RUNNING at its first write, then ends it like any other', async () => {
    const tracker = new Tracker(store, undefined, { flushIntervalMs: 10_000 });
    const parent = await tracker.startRun({ experiment: 'deferred-written' });
    const slow = tracker.deferRun({ experimentId: parent.experimentId, name: 'slow' });
    slow.logMetric('loss', 0.5);
    await Promise.all([slow.setTag('phase', 'fit'), slow.write()]);
    expect((await store.getRun(slow.id)).info.status).toBe('RUNNING');
    await slow.end();
    const run = await store.getRun(slow.id);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.metrics.map((m) => [m.key, m.value])).toEqual([['loss', 0.5]]);
    expect(run.data.tags.find((t) => t.key === 'phase')?.value).toBe('fit');
  });

  it('buffers metric points and writes them when a batch fills, on the interval, on flush and on end', async () => {
    const tracker = new Tracker(store, undefined, { batchSize: 10, flushIntervalMs: 30 });
    const run = await tracker.startRun();
    for (let step = 0; step < 9; step++) run.logMetric('loss', 1 / (step + 1), { step });
    expect(run.pendingMetrics).toBe(9);
    expect(await history(run.id, 'loss')).toEqual([]);
    run.logMetric('loss', 0.05, { step: 9 });
    await run.flush();
    expect(await history(run.id, 'loss')).toHaveLength(10);
    run.logMetrics({ acc: 0.5, f1: 0.4 }, { step: 1 });
    const keys = async (): Promise<string[]> => (await store.getRun(run.id)).data.metrics.map((m) => m.key);
    const deadline = Date.now() + 5_000;
    while ((await keys()).length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(run.pendingMetrics).toBe(0);
    expect(await keys()).toEqual(['acc', 'f1', 'loss']);
    run.logMetric('late', 1);
    await run.end();
    const ended = await store.getRun(run.id);
    expect(ended.info.status).toBe('FINISHED');
    expect(ended.info.endTime).toBeGreaterThan(0);
    expect(await history(run.id, 'late')).toEqual([0]);
    await run.end('FAILED');
    expect((await store.getRun(run.id)).info.status).toBe('FINISHED');
    expect(() => run.logMetric('after', 1)).toThrow(InvalidStateError);
  });

  it('throws where an invalid metric, a changed param or a bad end status is logged', async () => {
    const run = await new Tracker(store).startRun({ params: { depth: 6 } });
    expect(() => run.logMetric('bad,key', 1)).toThrow(InvalidParameterValueError);
    expect(() => run.logMetric('ok', 1, { step: 0.5 })).toThrow('Step must be a valid long');
    expect(run.pendingMetrics).toBe(0);
    await expect(run.logParam('depth', 7)).rejects.toThrow('Changing param values is not allowed');
    await run.logParam('depth', '6');
    await expect(run.end('RUNNING')).rejects.toThrow(InvalidParameterValueError);
  });

  it('ends withRun runs FINISHED, or FAILED with the work’s error', async () => {
    const tracker = new Tracker(store);
    let finished = '';
    expect(await tracker.withRun({ name: 'ok' }, async (run) => {
      finished = run.id;
      run.logMetric('m', 1);
      return 42;
    })).toBe(42);
    expect((await store.getRun(finished)).info.status).toBe('FINISHED');
    expect((await store.getRun(finished)).data.metrics).toHaveLength(1);
    let failed = '';
    await expect(tracker.withRun({ name: 'boom' }, async (run) => {
      failed = run.id;
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect((await store.getRun(failed)).info.status).toBe('FAILED');
  });

  it('refuses a deleted experiment like MLflow’s set_experiment, and resumes runs', async () => {
    const tracker = new Tracker(store);
    const run = await tracker.startRun({ experiment: 'old' });
    await run.end();
    const resumed = await new Tracker(store).resumeRun(run.id);
    expect((await store.getRun(run.id)).info.status).toBe('RUNNING');
    await resumed.end('KILLED');
    await store.deleteExperiment(run.experimentId);
    await expect(tracker.startRun({ experiment: 'old' })).rejects.toThrow(
      "Cannot set a deleted experiment 'old' as the active experiment. You can restore the experiment, or permanently delete the experiment to create a new one.",
    );
  });

  it('neither loses nor duplicates points logged by many async writers to one run', async () => {
    const tracker = new Tracker(store, undefined, { batchSize: 250 });
    const run = await tracker.startRun();
    const writers = 8;
    const points = 5_000;
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; i < points; i++) {
        run.logMetric('loss', w, { step: w * points + i, timestamp: 1_000 });
        if (i % 97 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    }));
    await run.end();
    const steps = await history(run.id, 'loss');
    expect(steps).toHaveLength(writers * points);
    expect(new Set(steps).size).toBe(writers * points);
    expect((await store.getRun(run.id)).data.metrics[0]).toEqual({ key: 'loss', value: 7, step: writers * points - 1, timestamp: 1_000 });
  });

  it('writes a failed batch again, without duplicates when the failure came after the commit', async () => {
    const failures = ['after-commit', 'before-commit'];
    const logBatch = async (runId: string, batch: LogBatch): Promise<void> => {
      const failure = batch.metrics?.length ? failures.shift() : undefined;
      if (failure === 'before-commit') throw new Error('connection reset');
      await store.logBatch(runId, batch);
      if (failure === 'after-commit') throw new Error('timeout after commit');
    };
    const flaky = new Proxy(store, {
      get: (target, property) => {
        if (property === 'logBatch') return logBatch;
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const run = await new Tracker(flaky, undefined, { batchSize: 100 }).startRun();
    for (let step = 0; step < 250; step++) run.logMetric('m', step, { step });
    // The write started by the full batch fails in the background and is reported by a later flush.
    await expect(run.flush()).rejects.toThrow('connection reset');
    await expect(run.flush()).rejects.toThrow('timeout after commit');
    await run.flush();
    expect(await history(run.id, 'm')).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('logs files and folders content-addressed into the run’s artifact tree', async () => {
    const artifacts = await LocalArtifactStore.open(tempPath('artifacts'));
    const run = await new Tracker(store, artifacts).startRun();
    const file = tempPath('roc.png');
    writeFileSync(file, 'png bytes');
    const logged = await run.logArtifact(file, 'plots');
    expect(logged).toEqual({ path: 'plots/roc.png', digest: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: 9 });
    const folder = tempPath('model');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'model.onnx'), 'onnx');
    writeFileSync(join(folder, 'sub', 'notes.txt'), 'notes');
    expect((await run.logArtifacts(folder, 'model')).map((a) => a.path)).toEqual(['model/model.onnx', 'model/sub/notes.txt']);
    expect((await store.listArtifacts(run.id)).map((f) => f.path)).toEqual(['model', 'plots']);
    const stored = await store.getArtifact(run.id, 'model/sub/notes.txt');
    expect((await artifacts.readBytes(stored.digest)).toString()).toBe('notes');
    await expect(new Tracker(store).startRun().then((r) => r.logArtifact(file))).rejects.toThrow(InvalidStateError);
  });

  it('lets two processes log to one run at once without losing or duplicating points', async () => {
    const path = tempPath('shared.db');
    const shared = await openSqliteMetadataBackend({ path });
    const opener = fileURLToPath(new URL('../metadata/sql/sqlite/open-sqlite-metadata.ts', import.meta.url));
    await expectTwoWritersKeepEveryPoint({
      backend: shared,
      openInChild: [
        `import { openSqliteMetadataBackend } from ${JSON.stringify(opener)};`,
        `const backend = await openSqliteMetadataBackend({ path: ${JSON.stringify(path)} });`,
      ],
      dir: dirname(path),
      points: 20_000,
      batchSize: 200,
      yieldEvery: 500,
    });
    await shared.close();
  });
});

describe('stack.tracking', () => {
  it('is a tracker over the stack’s database and artifact store, and closing the stack writes buffered points', async () => {
    const projectDir = tempPath('project');
    const stack = await openStack({ projectDir, env: {} });
    const run = await stack.tracking.startRun({ experiment: 'flights' });
    const file = tempPath('report.txt');
    writeFileSync(file, 'report');
    await run.logArtifact(file);
    run.logMetric('auc', 0.8, { step: 1 });
    await stack.close();
    const reopened = await openStack({ projectDir, env: {} });
    const { data } = await reopened.tracking.store.getRun(run.id);
    expect(data.metrics).toEqual([expect.objectContaining({ key: 'auc', value: 0.8, step: 1 })]);
    const artifact = await reopened.tracking.store.getArtifact(run.id, 'report.txt');
    expect((await reopened.artifacts.readBytes(artifact.digest)).toString()).toBe('report');
    await reopened.close();
  });
});
