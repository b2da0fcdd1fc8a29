import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { queryRows, quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { registerModelFile } from '../deploy/register-model.js';
import { binaryMetrics } from '../evaluate/binary-metrics.js';
import { predictionOutput } from '../evaluate/model-task.js';
import type { ModelSignature } from '../onnx/model-signature.js';
import type { ModelVersion } from '../registry/model.js';
import { startPredictionServer } from '../serving/prediction-server.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticRegression } from '../train/train-logistic.js';
import { ingestLabels } from './label-store.js';
import { livePerformance } from './live-performance.js';
import { trainingProfile } from './reference-profile.js';
import { inputDrift, outputDrift } from './window-drift.js';

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(2001, 1, 5);

interface Flight {
  distance: number;
  hour: number;
  dow: number;
  origin: string;
  destination: string;
  delayed: number;
}

/**
 * A served logistic regression trained on January flights, and three days of February traffic
 * through the prediction server with a replay clock: day 0 and 1 as they were, day 2 with every
 * distance tripled (input drift). Labels arrive for days 0 and 1 only.
 */
describe('monitoring a served model', () => {
  let dir: string;
  let stack: Stack;
  let version: ModelVersion;
  const expected: { labels: number[]; probabilities: number[] }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-monitoring-'));
    stack = await openStack({ projectDir: join(dir, 'project'), env: {} });
    const january = join(dir, 'january.parquet');
    const february = join(dir, 'february.parquet');
    await writeFlightsMonth(january, 1, 4_000);
    await writeFlightsMonth(february, 2, 900);
    const trained = await trainLogisticRegression(january, { ...FLIGHT_FEATURES, topK: 20 });
    const modelFile = join(dir, 'model.onnx');
    await writeFile(modelFile, trained.onnx);
    const data = await stack.artifacts.putFile(january);
    ({ version } = await registerModelFile(stack, { model: 'flights', path: modelFile, trainingData: { uri: data.uri, digest: data.digest } }));
    await stack.registry.setAlias('flights', 'champion', version.version, { actor: 'test', reason: 'fixture' });

    const flights = (await withDuckDb((db) =>
      queryRows(db, `SELECT distance::DOUBLE AS distance, hour::DOUBLE AS hour, dow::DOUBLE AS dow, origin, destination, delayed::DOUBLE AS delayed FROM read_parquet(${quoteLiteral(february)})`),
    )) as unknown as Flight[];
    const labels: { predictionId: string; row: number; label: number }[] = [];
    let now = FIRST_DAY;
    const server = await startPredictionServer({ stack, models: [{ name: 'flights', ref: 'champion' }], clock: () => now, watch: false });
    try {
      for (let day = 0; day < 3; day++) {
        now = FIRST_DAY + day * DAY + 3_600_000;
        const rows = flights.slice(day * 300, day * 300 + 300);
        const instances = rows.map(({ delayed: _, ...features }) => (day === 2 ? { ...features, distance: features.distance * 3 } : features));
        const response = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
        const answer = (await response.json()) as { prediction_id: string; predictions: { probability: number }[] };
        expected.push({ labels: rows.map((r) => r.delayed), probabilities: answer.predictions.map((p) => p.probability) });
        if (day < 2) labels.push(...rows.map((r, row) => ({ predictionId: answer.prediction_id, row, label: r.delayed })));
      }
    } finally {
      await server.close();
    }
    // Labels of predictions the log holds (written when the server closed).
    expect((await ingestLabels({ home: stack.home, rows: labels })).accepted).toBe(600);
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('computes live metrics per window from the log and the delayed labels, as the evaluator would', async () => {
    const windows = await livePerformance({ home: stack.home, registry: stack.registry, model: 'flights', windowMs: DAY });
    expect(windows.map((w) => [w.start.getTime(), w.version, w.predictions, w.labeled])).toEqual([
      [FIRST_DAY, 1, 300, 300],
      [FIRST_DAY + DAY, 1, 300, 300],
      [FIRST_DAY + 2 * DAY, 1, 300, 0],
    ]);
    for (const day of [0, 1]) {
      const { labels, probabilities } = expected[day]!;
      const direct = binaryMetrics(labels, probabilities);
      expect(windows[day]!.task).toBe('classification');
      // The log keeps float32 probabilities as JSON numbers: the same values the response carried.
      expect(windows[day]!.metrics.auc).toBeCloseTo(direct.auc, 12);
      expect(windows[day]!.metrics.accuracy).toBeCloseTo(direct.accuracy, 12);
      expect(windows[day]!.metrics.logLoss).toBeCloseTo(direct.logLoss, 9);
    }
    expect(windows[2]!.metrics).toEqual({});
  });

  it('limits windows to a time range', async () => {
    const windows = await livePerformance({ home: stack.home, registry: stack.registry, model: 'flights', windowMs: DAY, since: new Date(FIRST_DAY + DAY), until: new Date(FIRST_DAY + 2 * DAY) });
    expect(windows.map((w) => w.start.getTime())).toEqual([FIRST_DAY + DAY]);
  });

  it('compares each window of inputs with the training profile, and finds the tripled distances', async () => {
    const reference = await trainingProfile(stack, version);
    const windows = await inputDrift({ home: stack.home, model: 'flights', inputs: (version.signature as unknown as ModelSignature).inputs, reference, windowMs: DAY });
    expect(windows.map((w) => w.rows)).toEqual([300, 300, 300]);
    const distance = (i: number) => windows[i]!.report!.features.find((f) => f.name === 'distance')!;
    expect(distance(0).status).toBe('stable');
    expect(distance(1).status).toBe('stable');
    expect(distance(2).status).toBe('drifted');
    // Training-only columns (the label, the date) are not compared.
    const compared = windows[0]!.report!.features.filter((f) => f.status !== 'not_compared').map((f) => f.name).sort();
    expect(compared).toEqual(['destination', 'distance', 'dow', 'hour', 'origin']);
  });

  it('keeps the computed training profile, so it is computed once', async () => {
    await trainingProfile(stack, version);
    const kept = await stack.metadata.findArtifacts({ type: 'DriftProfile' });
    expect(kept).toHaveLength(1);
    await trainingProfile(stack, version);
    expect(await stack.metadata.findArtifacts({ type: 'DriftProfile' })).toHaveLength(1);
  });

  it('compares predictions of later windows with the first window of the version', async () => {
    const signature = version.signature as unknown as ModelSignature;
    const windows = await outputDrift({ home: stack.home, model: 'flights', version: 1, signature, prediction: predictionOutput(signature), windowMs: DAY });
    expect(windows.map((w) => [w.reference ?? false, w.report === null])).toEqual([[true, true], [false, false], [false, false]]);
    expect(windows[1]!.report!.features.map((f) => f.name)).toEqual(['prediction']);
  });

  it('keeps the version\'s first window as the prediction reference when the range starts later', async () => {
    const signature = version.signature as unknown as ModelSignature;
    const windows = await outputDrift({ home: stack.home, model: 'flights', version: 1, signature, prediction: predictionOutput(signature), windowMs: DAY, since: new Date(FIRST_DAY + DAY) });
    expect(windows.map((w) => [w.start.getTime(), w.reference ?? false, w.report === null])).toEqual([[FIRST_DAY + DAY, false, false], [FIRST_DAY + 2 * DAY, false, false]]);
  });

  it('refuses a window shorter than a second and an empty range', async () => {
    await expect(livePerformance({ home: stack.home, registry: stack.registry, model: 'flights', windowMs: 10 })).rejects.toThrow(/window/);
    await expect(livePerformance({ home: stack.home, registry: stack.registry, model: 'flights', windowMs: DAY, since: new Date(FIRST_DAY), until: new Date(FIRST_DAY) })).rejects.toThrow(/until/);
  });
});
