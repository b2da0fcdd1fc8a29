import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServingMetrics } from '../serving-metrics.js';
import { ParquetPredictionLog, readPredictionLog } from './parquet-prediction-log.js';
import type { PredictionLogSink, PredictionRecord } from './prediction-log-sink.js';
import { PredictionLogger } from './prediction-logger.js';
import type { LoggedPrediction } from './prediction-ndjson.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-predlog-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function entry(id: string, timestamp: number, model = 'flights', version = 1, rows = 2): LoggedPrediction {
  return {
    predictionId: id, timestamp, model, version, arm: 'champion', endpoint: 'v2_infer', latencyMs: 1.5, rows,
    inputs: {
      hour: { type: 'float32', shape: [rows, 1], data: Float32Array.from({ length: rows }, (_, i) => 8 + i) },
      origin: { type: 'string', shape: [rows, 1], data: Array.from({ length: rows }, (_, i) => (i === 0 ? 'SFO' : 'LAX')) },
      x: { type: 'float32', shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => i) },
    },
    outputs: {
      label: { type: 'int64', shape: [rows], data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i % 2)) },
      probabilities: { type: 'float32', shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => (i % 2 === 0 ? 0.75 : 0.25)) },
    },
  };
}

describe('the Parquet prediction log', () => {
  it('writes one record per row into segments, and reads them back by model and time', async () => {
    const logDir = join(dir, 'log');
    const metrics = new ServingMetrics();
    const sink = new ParquetPredictionLog(logDir);
    const logger = new PredictionLogger({ sink, sampleRate: 1, maxQueueRecords: 1000, flushRecords: 4, flushIntervalMs: 50, metrics });
    const t0 = Date.parse('2026-03-01T10:00:00Z');
    logger.log(entry('a', t0));
    logger.log(entry('b', t0 + 60_000));
    logger.log(entry('c', t0 + 120_000, 'churn', 3, 1));
    // Written (staged) before it is readable: the pending batch shows until the writer has converted it.
    await logger.flush();
    expect(sink.pendingBatches()).toBeGreaterThan(0);
    expect(metrics.expose()).toMatch(/^flywheel_prediction_log_pending_batches [1-9]\d*$/m);
    await logger.close();
    expect(metrics.expose()).toMatch(/^flywheel_prediction_log_pending_batches 0$/m);

    const all = await readPredictionLog({ dir: logDir });
    expect(all.map((r) => `${r.predictionId}/${r.row}`)).toEqual(['a/0', 'a/1', 'b/0', 'b/1', 'c/0']);
    expect(all[1]).toEqual({
      predictionId: 'a', row: 1, timestamp: new Date(t0), model: 'flights', version: 1, arm: 'champion', endpoint: 'v2_infer',
      inputs: { hour: 9, origin: 'LAX', x: [2, 3] }, outputs: { label: 1, probabilities: [0.75, 0.25] }, latencyMs: 1.5,
    } satisfies PredictionRecord);
    expect((await readPredictionLog({ dir: logDir, model: 'churn' })).map((r) => r.version)).toEqual([3]);
    expect((await readPredictionLog({ dir: logDir, model: 'flights', since: new Date(t0 + 1), until: new Date(t0 + 120_000) })).map((r) => r.predictionId)).toEqual(['b', 'b']);
    expect(await readPredictionLog({ dir: logDir, model: 'nope' })).toEqual([]);
    expect(await readPredictionLog({ dir: join(dir, 'missing') })).toEqual([]);

    const files = await readdir(join(logDir, 'flights', '2026-03-01'));
    expect(files.every((f) => /^\d+-\d+-[0-9a-f]{8}-\d{6}\.parquet$/.test(f))).toBe(true);
  });

  it('splits one write by model and UTC day, and leaves no staging files behind', async () => {
    const logDir = join(dir, 'days');
    const logger = new PredictionLogger({ sink: new ParquetPredictionLog(logDir), sampleRate: 1, maxQueueRecords: 1000, flushRecords: 1000, flushIntervalMs: 10_000 });
    const evening = Date.parse('2026-03-01T23:59:59.999Z');
    logger.log(entry('late', evening, 'flights', 1, 1));
    logger.log(entry('next', evening + 1, 'flights', 1, 1));
    logger.log(entry('other', evening, 'churn', 2, 1));
    await logger.close();

    expect((await readdir(logDir)).sort()).toEqual(['churn', 'flights']);
    expect((await readdir(join(logDir, 'flights'))).sort()).toEqual(['2026-03-01', '2026-03-02']);
    expect((await readdir(join(logDir, 'flights', '2026-03-02'))).every((f) => /^\d+-\d+-[0-9a-f]{8}-\d{6}\.parquet$/.test(f))).toBe(true);
    expect((await readPredictionLog({ dir: logDir, model: 'flights' })).map((r) => [r.predictionId, r.timestamp.getTime()])).toEqual([['late', evening], ['next', evening + 1]]);
  });

  it('hands records to a sink without writeNdjson as objects', async () => {
    const written: PredictionRecord[] = [];
    const logger = new PredictionLogger({ sink: { write: async (records) => void written.push(...records), close: async () => undefined }, sampleRate: 1, maxQueueRecords: 100, flushRecords: 100, flushIntervalMs: 10_000 });
    const withNaN = entry('n', 1000, 'flights', 1, 1);
    (withNaN.inputs.x as { data: Float32Array }).data[0] = Number.NaN;
    logger.log(withNaN);
    await logger.close();
    expect(written).toEqual([{
      predictionId: 'n', row: 0, timestamp: new Date(1000), model: 'flights', version: 1, arm: 'champion', endpoint: 'v2_infer',
      inputs: { hour: 8, origin: 'SFO', x: [null, 1] }, outputs: { label: 0, probabilities: [0.75, 0.25] }, latencyMs: 1.5,
    } satisfies PredictionRecord]);
  });

  it('never waits on a slow sink: the queue stays bounded and drops are counted', async () => {
    let release: () => void = () => undefined;
    const written: PredictionRecord[] = [];
    const slow: PredictionLogSink = {
      write: async (records) => {
        await new Promise<void>((resolve) => (release = resolve));
        written.push(...records);
      },
      close: async () => undefined,
    };
    const metrics = new ServingMetrics();
    const logger = new PredictionLogger({ sink: slow, sampleRate: 1, maxQueueRecords: 10, flushRecords: 4, flushIntervalMs: 10_000, metrics });
    const started = performance.now();
    for (let i = 0; i < 100; i++) logger.log(entry(`p${i}`, Date.now()));
    expect(performance.now() - started).toBeLessThan(100);
    expect(logger.depth).toBeLessThanOrEqual(10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    const closing = logger.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await closing;
    expect(written.length).toBe(10);
    const text = metrics.expose();
    expect(text).toContain('flywheel_prediction_log_dropped_total{reason="queue_full"} 190');
    expect(text).toContain('flywheel_prediction_log_written_total 10');
  });

  it('samples requests', () => {
    const none = new PredictionLogger({ sink: new ParquetPredictionLog(join(dir, 'none')), sampleRate: 0, maxQueueRecords: 10, flushRecords: 4, flushIntervalMs: 50 });
    const all = new PredictionLogger({ sink: new ParquetPredictionLog(join(dir, 'all')), sampleRate: 1, maxQueueRecords: 10, flushRecords: 4, flushIntervalMs: 50 });
    const some = new PredictionLogger({ sink: new ParquetPredictionLog(join(dir, 'some')), sampleRate: 0.5, maxQueueRecords: 10, flushRecords: 4, flushIntervalMs: 50 });
    let drawn = 0;
    for (let i = 0; i < 2000; i++) {
      expect(none.sampled()).toBe(false);
      expect(all.sampled()).toBe(true);
      if (some.sampled()) drawn++;
    }
    expect(drawn).toBeGreaterThan(800);
    expect(drawn).toBeLessThan(1200);
  });
});
