import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { writeParquet } from '../data/test-support.js';
import { registerModelFile } from '../deploy/register-model.js';
import { scoreDataset } from '../evaluate/score-dataset.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticRegression } from '../train/train-logistic.js';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';

let dir: string;
let stack: Stack;
let server: PredictionServer;
let rows: Record<string, unknown>[];
let expected: Float64Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-serving-'));
  stack = await openStack({ projectDir: join(dir, 'project') });
  const january = join(dir, 'january.parquet');
  await writeFlightsMonth(january, 1, 10_000);
  const full = await trainLogisticRegression(january, { ...FLIGHT_FEATURES, topK: 30 });
  const hourOnly = await trainLogisticRegression(january, { label: 'delayed', numeric: ['hour'] });
  await writeFile(join(dir, 'full.onnx'), full.onnx);
  await writeFile(join(dir, 'hour.onnx'), hourOnly.onnx);
  const v1 = await registerModelFile(stack, { model: 'flights', path: join(dir, 'full.onnx') });
  await registerModelFile(stack, { model: 'flights', path: join(dir, 'hour.onnx') });
  await stack.registry.setAlias('flights', 'champion', v1.version.version, { actor: 'test', reason: 'first' });

  // Rows as a client would send them, and what the model predicts for them in batch.
  const sample = join(dir, 'sample.parquet');
  await writeFlightsMonth(join(dir, 'february.parquet'), 2, 2_000);
  await writeParquet(sample, `SELECT distance::DOUBLE AS distance, hour::DOUBLE AS hour, dow::DOUBLE AS dow, origin, destination, delayed
    FROM read_parquet(${quoteLiteral(join(dir, 'february.parquet'))}) LIMIT 5`);
  rows = await withDuckDb(async (db) => (await db.runAndReadAll(`SELECT * EXCLUDE (delayed) FROM read_parquet(${quoteLiteral(sample)})`)).getRowObjectsJS());
  expected = (await scoreDataset(join(dir, 'full.onnx'), sample)).probabilities;

  server = await startPredictionServer({ stack, models: [{ name: 'flights', ref: 'champion' }, { name: 'flights', ref: '2' }] });
});
afterAll(async () => {
  await server?.close();
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('prediction server', () => {
  it('listens on a free loopback port and reports health', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('GET', '/v2/health/live')).toMatchObject({ status: 200, body: { live: true } });
    expect(await call('GET', '/v2/health/ready')).toMatchObject({ status: 200, body: { ready: true } });
    expect(await call('GET', '/v2/models/flights/ready')).toMatchObject({ status: 200, body: { name: 'flights', version: '1', ready: true } });
    expect(await call('GET', '/v2/models/flights/versions/2/ready')).toMatchObject({ status: 200, body: { version: '2' } });
  });

  it('describes models in OIP v2 terms', async () => {
    const { status, body } = await call('GET', '/v2/models/flights');
    expect(status).toBe(200);
    expect(body).toEqual({
      name: 'flights',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'distance', datatype: 'FP32', shape: [-1, 1] },
        { name: 'hour', datatype: 'FP32', shape: [-1, 1] },
        { name: 'dow', datatype: 'FP32', shape: [-1, 1] },
        { name: 'origin', datatype: 'BYTES', shape: [-1, 1] },
        { name: 'destination', datatype: 'BYTES', shape: [-1, 1] },
      ],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    const v2 = await call('GET', '/v2/models/flights/versions/2');
    expect(v2.body).toMatchObject({ versions: ['2'], inputs: [{ name: 'hour', datatype: 'FP32', shape: [-1, 1] }] });
  });

  it('predicts rows as the model does in batch', async () => {
    const { status, body } = await call('POST', '/predict', { model: 'flights', instances: rows });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: 'flights', version: 1 });
    const predictions = body.predictions as { label: number; probability: number }[];
    expect(predictions).toHaveLength(rows.length);
    predictions.forEach((p, i) => {
      expect(p.probability).toBeCloseTo(expected[i]!, 6);
      expect(p.label).toBe(p.probability > 0.5 ? 1 : 0);
    });
  });

  it('takes one instance as an object, or a body that is the instance, and a version', async () => {
    const single = await call('POST', '/predict', { instances: rows[0] });
    expect((single.body.predictions as { probability: number }[])[0]!.probability).toBeCloseTo(expected[0]!, 6);
    const bare = await call('POST', '/predict', { ...rows[1], model: 'flights' });
    expect((bare.body.predictions as { probability: number }[])[0]!.probability).toBeCloseTo(expected[1]!, 6);
    const v2 = await call('POST', '/predict', { version: 2, instances: [{ hour: 18 }, { hour: null }] });
    expect(v2).toMatchObject({ status: 200, body: { version: 2 } });
    expect(v2.body.predictions).toHaveLength(2);
  });

  it('treats null as a missing value, as training did', async () => {
    const { status, body } = await call('POST', '/predict', { instances: [{ distance: null, hour: null, dow: null, origin: null, destination: null }] });
    expect(status).toBe(200);
    expect((body.predictions as { probability: number }[])[0]!.probability).toBeGreaterThan(0);
  });

  it('answers Open Inference Protocol v2 requests', async () => {
    const { status, body } = await call('POST', '/v2/models/flights/infer', {
      id: 'req-1',
      inputs: [
        { name: 'distance', shape: [2, 1], datatype: 'FP32', data: [[rows[0]!.distance], [rows[1]!.distance]] },
        { name: 'hour', shape: [2, 1], datatype: 'FP32', data: [rows[0]!.hour, rows[1]!.hour] },
        { name: 'dow', shape: [2, 1], datatype: 'FP32', data: [rows[0]!.dow, rows[1]!.dow] },
        { name: 'origin', shape: [2, 1], datatype: 'BYTES', data: [rows[0]!.origin, rows[1]!.origin] },
        { name: 'destination', shape: [2, 1], datatype: 'BYTES', data: [rows[0]!.destination, rows[1]!.destination] },
      ],
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'flights', model_version: '1', id: 'req-1' });
    const [label, probabilities] = body.outputs as { name: string; datatype: string; shape: number[]; data: number[] }[];
    expect(label).toMatchObject({ name: 'label', datatype: 'INT64', shape: [2] });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2] });
    expect(probabilities!.data[1]).toBeCloseTo(expected[0]!, 6);
    expect(probabilities!.data[3]).toBeCloseTo(expected[1]!, 6);

    const chosen = await call('POST', '/v2/models/flights/versions/2/infer', {
      inputs: [{ name: 'hour', shape: [1, 1], datatype: 'FP32', data: [7] }],
      outputs: [{ name: 'probabilities' }],
    });
    expect(chosen.body).toMatchObject({ model_version: '2', outputs: [{ name: 'probabilities', shape: [1, 2] }] });
  });

  describe('refuses bad requests with a JSON error naming the field, and keeps serving', () => {
    const expectError = async (method: string, path: string, body: unknown, status: number, error: Record<string, unknown>) => {
      const response = await call(method, path, body);
      expect(response.status).toBe(status);
      expect(response.body).toMatchObject(error);
      return response;
    };

    it('unknown models, versions and routes: 404', async () => {
      await expectError('GET', '/v2/models/nope', undefined, 404, { code: 'not_found', error: 'model "nope" does not exist' });
      await expectError('POST', '/predict', { model: 'nope', instances: rows }, 404, { code: 'not_found' });
      await expectError('POST', '/v2/models/flights/versions/3/infer', { inputs: [{ name: 'hour', shape: [1, 1], datatype: 'FP32', data: [1] }] }, 404, {
        error: 'model version "flights@3" does not exist',
      });
      await expectError('GET', '/v1/models', undefined, 404, { code: 'not_found' });
    });

    it('a missing feature or a value of the wrong type: 400', async () => {
      const missing = { ...rows[1] };
      delete missing.origin;
      await expectError('POST', '/predict', { instances: [rows[0], missing] }, 400, { code: 'invalid_input', field: 'instances[1].origin' });
      await expectError('POST', '/predict', { instances: [{ ...rows[0], distance: '500' }] }, 400, {
        field: 'instances[0].distance',
        error: 'instances[0].distance: expected a number or null, got string "500"',
      });
      await expectError('POST', '/predict', { instances: [{ ...rows[0], origin: 7 }] }, 400, { field: 'instances[0].origin' });
      await expectError('POST', '/predict', { instances: [] }, 400, { field: 'instances' });
      await expectError('POST', '/predict', { instances: 'all' }, 400, { field: 'instances' });
    });

    it('malformed JSON and bad OIP requests: 400', async () => {
      await expectError('POST', '/predict', '{"instances": [', 400, { field: 'body' });
      await expectError('POST', '/v2/models/flights/infer', { inputs: [] }, 400, { field: 'inputs' });
      await expectError('POST', '/v2/models/flights/infer', { inputs: [{ name: 'hour', shape: [1], datatype: 'FP8', data: [1] }] }, 400, { field: 'inputs[0].datatype' });
      await expectError('POST', '/v2/models/flights/versions/2/infer', { inputs: [{ name: 'hour', shape: [1, 1], datatype: 'FP64', data: [1] }] }, 400, {
        field: 'inputs.hour',
        error: 'inputs.hour: is float64, flights v2 expects float32 [N, 1]',
      });
      await expectError('POST', '/v2/models/flights/versions/2/infer', { inputs: [{ name: 'hour', shape: [2, 1], datatype: 'FP32', data: [1] }] }, 400, { field: 'inputs[0].data' });
      await expectError('POST', '/v2/models/flights/versions/2/infer', { inputs: [{ name: 'hour', shape: [1, 1], datatype: 'FP32', data: ['x'] }] }, 400, { field: 'inputs[0].data[0]' });
      await expectError('POST', '/v2/models/flights/infer', { inputs: [{ name: 'hour', shape: [1, 1], datatype: 'FP32', data: [1] }] }, 400, { field: 'inputs.distance' });
    });

    it('a wrong method: 405 with Allow', async () => {
      const response = await expectError('GET', '/predict', undefined, 405, { code: 'method_not_allowed' });
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('still serves after all of that', async () => {
      expect((await call('POST', '/predict', { instances: rows })).status).toBe(200);
    });
  });

  it('refuses bodies over the limit with 413, declared or streamed', async () => {
    const small = await startPredictionServer({ stack, models: [{ name: 'flights', ref: 'champion' }], maxBodyBytes: 4096 });
    try {
      const big = JSON.stringify({ instances: Array.from({ length: 200 }, () => rows[0]) });
      const declared = await fetch(`${small.url}/predict`, { method: 'POST', body: big });
      expect(declared.status).toBe(413);
      expect(await declared.json()).toMatchObject({ code: 'payload_too_large' });
      const streamed = await fetch(`${small.url}/predict`, {
        method: 'POST',
        body: new Blob([big]).stream(),
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status).toBe(413);
      const fine = await fetch(`${small.url}/predict`, { method: 'POST', body: JSON.stringify({ instances: rows }) });
      expect(fine.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('fails to start on a model or version the registry does not have', async () => {
    await expect(startPredictionServer({ stack, models: [{ name: 'flights', ref: 'challenger' }] })).rejects.toThrow(/challenger/);
    await expect(startPredictionServer({ stack, models: [{ name: 'nope', ref: 'champion' }] })).rejects.toThrow(/nope/);
  });
});
