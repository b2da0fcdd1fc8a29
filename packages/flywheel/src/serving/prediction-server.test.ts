import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { writeParquet } from '../data/test-support.js';
import { scoreDataset } from '../evaluate/score-dataset.js';
import { writeFlightsMonth } from '../train/test-support.js';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';
import { call, FLIGHT_ROW, flightTensors, servingFixture } from './test-support.js';

let fixture: Awaited<ReturnType<typeof servingFixture>>;
let server: PredictionServer;
let rows: (typeof FLIGHT_ROW)[];
let expected: Float64Array;
const get = (path: string) => call(server.url, 'GET', path);
const post = (path: string, body: unknown, headers?: Record<string, string>) => call(server.url, 'POST', path, body, headers);

beforeAll(async () => {
  fixture = await servingFixture();
  const { dir } = fixture;
  // Rows as a client would send them, and what the model predicts for them in batch.
  const sample = join(dir, 'sample.parquet');
  await writeFlightsMonth(join(dir, 'february.parquet'), 2, 2_000);
  await writeParquet(sample, `SELECT distance::DOUBLE AS distance, hour::DOUBLE AS hour, dow::DOUBLE AS dow, origin, destination
    FROM read_parquet(${quoteLiteral(join(dir, 'february.parquet'))}) LIMIT 5`);
  rows = (await withDuckDb(async (db) => (await db.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(sample)})`)).getRowObjectsJS())) as typeof rows;
  expected = (await scoreDataset(fixture.files.full, sample)).predictions;
  server = await startPredictionServer({
    stack: fixture.stack,
    models: [{ name: 'flights', ref: 'champion' }, { name: 'flights', ref: '2' }, { name: 'tensor', ref: 'champion' }],
    predictionLog: false,
    watch: false,
  });
});
afterAll(async () => {
  await server?.close();
  await fixture?.dispose();
});

describe('Open Inference Protocol v2', () => {
  it('answers server metadata, liveness and readiness', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await get('/v2')).toMatchObject({ status: 200, body: { name: 'flywheel', extensions: [] } });
    expect(await get('/v2/health/live')).toMatchObject({ status: 200, body: { live: true } });
    expect(await get('/v2/health/ready')).toMatchObject({ status: 200, body: { ready: true } });
    expect(await get('/v2/models/flights/ready')).toMatchObject({ status: 200, body: { name: 'flights', version: '1', ready: true } });
    expect(await get('/v2/models/flights/versions/2/ready')).toMatchObject({ status: 200, body: { version: '2', ready: true } });
  });

  it('describes models with datatypes and -1 for the batch dimension', async () => {
    const { status, body } = await get('/v2/models/flights');
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
    expect((await get('/v2/models/flights/versions/2')).body).toMatchObject({ inputs: [{ name: 'hour', datatype: 'FP32', shape: [-1, 1] }] });
    expect((await get('/v2/models/tensor')).body).toMatchObject({ inputs: [{ name: 'float_input', datatype: 'FP32', shape: [-1, 4] }] });
  });

  it('infers as the model does in batch, echoing the id, with the prediction id and version', async () => {
    const { status, body, headers } = await post('/v2/models/flights/infer', { id: 'req-1', inputs: flightTensors(rows.slice(0, 2)) });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model_name: 'flights', model_version: '1', id: 'req-1' });
    const predictionId = (body.parameters as { prediction_id: string }).prediction_id;
    expect(predictionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers.get('x-prediction-id')).toBe(predictionId);
    expect(headers.get('x-model-version')).toBe('1');
    const [label, probabilities] = body.outputs as { name: string; datatype: string; shape: number[]; data: number[] }[];
    expect(label).toMatchObject({ name: 'label', datatype: 'INT64', shape: [2] });
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [2, 2] });
    expect(probabilities!.data[1]).toBeCloseTo(expected[0]!, 6);
    expect(probabilities!.data[3]).toBeCloseTo(expected[1]!, 6);
  });

  it('takes nested data, a version in the path and an output selection', async () => {
    const { body } = await post('/v2/models/flights/versions/2/infer', {
      inputs: [{ name: 'hour', shape: [2, 1], datatype: 'FP32', data: [[7], [19]] }],
      outputs: [{ name: 'probabilities' }],
    });
    expect(body).toMatchObject({ model_version: '2', outputs: [{ name: 'probabilities', shape: [2, 2] }] });
    expect(body.outputs).toHaveLength(1);
    expect(body.id).toBe((body.parameters as { prediction_id: string }).prediction_id);
  });

  it('serves an external model with one tensor input [N, F]', async () => {
    const { status, body } = await post('/v2/models/tensor/infer', { inputs: [{ name: 'float_input', shape: [2, 4], datatype: 'FP32', data: [1, 1, 1, 1, 0, 0, 0, 1] }] });
    expect(status).toBe(200);
    expect(body.outputs).toEqual([{ name: 'variable', datatype: 'FP32', shape: [2, 1], data: [10.5, 4.5] }]);
  });
});

describe('KServe v1', () => {
  it('lists models, reports readiness and predicts instances', async () => {
    expect(await get('/v1/models')).toMatchObject({ status: 200, body: { models: ['flights', 'tensor'] } });
    expect(await get('/v1/models/flights')).toMatchObject({ status: 200, body: { name: 'flights', ready: true } });
    const { status, body } = await post('/v1/models/flights:predict', { instances: rows.slice(0, 3) });
    expect(status).toBe(200);
    const predictions = body.predictions as { label: number; probability: number }[];
    expect(predictions).toHaveLength(3);
    predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(expected[i]!, 6));
    expect(body).toMatchObject({ model_name: 'flights', model_version: '1' });
  });

  it('takes arrays as rows for a tensor model, and columnar inputs', async () => {
    const rowsForm = await post('/v1/models/tensor:predict', { instances: [[1, 1, 1, 1], [0, 0, 0, 1]] });
    expect(rowsForm.body.predictions).toEqual([10.5, 4.5]);
    const columns = await post('/v1/models/flights:predict', { inputs: { distance: [500], hour: [8], dow: [2], origin: ['SFO'], destination: ['LAX'] } });
    expect(columns.status).toBe(200);
    expect(columns.body.predictions).toHaveLength(1);
  });
});

describe('MLflow scoring', () => {
  it('answers /ping, /health and /version', async () => {
    expect((await get('/ping')).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
    expect((await get('/version')).text).toBe('0.1.0');
  });

  it('scores dataframe_split, dataframe_records, instances and inputs', async () => {
    const columns = Object.keys(FLIGHT_ROW);
    const split = await post('/invocations', { dataframe_split: { columns, data: rows.slice(0, 2).map((r) => columns.map((c) => r[c as keyof typeof r])) } });
    expect(split.status).toBe(200);
    const records = split.body.predictions as { label: number; probabilities: number[] }[];
    expect(records[1]!.probabilities[1]).toBeCloseTo(expected[1]!, 6);
    expect(split.body.prediction_id).toBe(split.headers.get('x-prediction-id'));
    const byRecords = await post('/invocations', { dataframe_records: rows.slice(0, 2) });
    expect((byRecords.body.predictions as typeof records)[0]!.probabilities[1]).toBeCloseTo(expected[0]!, 6);
    const instances = await post('/invocations', { instances: rows.slice(0, 1) });
    expect(instances.body.predictions).toHaveLength(1);
    const tensor = await post('/invocations?model=tensor', { inputs: { float_input: [[1, 1, 1, 1]] } });
    expect(tensor.body.predictions).toEqual({ variable: [10.5] });
    const tensorSplit = await post('/invocations?model=tensor', { dataframe_split: { columns: ['a', 'b', 'c', 'd'], data: [[0, 0, 0, 1]] } });
    expect(tensorSplit.body.predictions).toEqual([{ variable: 4.5 }]);
  });

  it('scores CSV with a header row', async () => {
    const csv = `distance,hour,dow,origin,destination\n${rows.slice(0, 2).map((r) => `${r.distance},${r.hour},${r.dow},"${r.origin}",${r.destination}`).join('\r\n')}\n`;
    const { status, body } = await call(server.url, 'POST', '/invocations', csv, { 'content-type': 'text/csv' });
    expect(status).toBe(200);
    const predictions = body.predictions as { probabilities: number[] }[];
    expect(predictions[1]!.probabilities[1]).toBeCloseTo(expected[1]!, 6);
  });

  it('answers errors the way MLflow clients read them', async () => {
    const both = await post('/invocations', { dataframe_records: rows, instances: rows });
    expect(both).toMatchObject({ status: 400, body: { error_code: 'BAD_REQUEST', code: 'invalid_input', field: 'body' } });
    expect(both.body.message).toMatch(/exactly one of dataframe_split, dataframe_records, instances, inputs/);
    expect(await call(server.url, 'POST', '/invocations', 'x', { 'content-type': 'text/plain' })).toMatchObject({ status: 415, body: { error_code: 'BAD_REQUEST' } });
    expect((await call(server.url, 'POST', '/invocations', '{}', { 'content-type': 'application/json; charset=latin-1' })).status).toBe(415);
  });
});

describe('row-oriented /predict', () => {
  it('predicts rows as the model does in batch', async () => {
    const { status, body, headers } = await post('/predict', { model: 'flights', instances: rows });
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: 'flights', version: 1 });
    expect(body.prediction_id).toBe(headers.get('x-prediction-id'));
    const predictions = body.predictions as { label: number; probability: number }[];
    predictions.forEach((p, i) => {
      expect(p.probability).toBeCloseTo(expected[i]!, 6);
      expect(p.label).toBe(p.probability > 0.5 ? 1 : 0);
    });
  });

  it('takes one instance as an object, or a body that is the instance, and a version', async () => {
    const single = await post('/predict', { model: 'flights', instances: rows[0] });
    expect((single.body.predictions as { probability: number }[])[0]!.probability).toBeCloseTo(expected[0]!, 6);
    const bare = await post('/predict', { ...rows[1], model: 'flights' });
    expect((bare.body.predictions as { probability: number }[])[0]!.probability).toBeCloseTo(expected[1]!, 6);
    const v2 = await post('/predict', { model: 'flights', version: 2, instances: [{ hour: 18 }, { hour: null }] });
    expect(v2).toMatchObject({ status: 200, body: { version: 2 } });
  });

  it('treats null as a missing value for a model that imputes', async () => {
    const { status } = await post('/predict', { model: 'flights', instances: [{ distance: null, hour: null, dow: null, origin: null, destination: null }] });
    expect(status).toBe(200);
  });
});

describe('/metrics', () => {
  it('exposes Prometheus text with requests by code, latency and batch histograms', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain('# TYPE flywheel_requests_total counter');
    expect(text).toMatch(/flywheel_requests_total\{endpoint="v2_infer",model="flights",version="1",code="200"\} \d+/);
    expect(text).toMatch(/flywheel_requests_total\{endpoint="mlflow_invocations",model="",version="",code="415"\} 2/);
    expect(text).toMatch(/flywheel_request_duration_seconds_bucket\{endpoint="v2_infer",model="flights",version="1",le="\+Inf"\} \d+/);
    expect(text).toMatch(/flywheel_inference_batch_rows_count\{model="flights",version="1"\} \d+/);
    expect(text).toContain('flywheel_model_version_info{model="flights",ref="champion",version="1"} 1');
    expect(text).toContain('process_resident_memory_bytes');
  });
});
