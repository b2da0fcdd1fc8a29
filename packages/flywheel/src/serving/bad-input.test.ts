import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';
import { call, FLIGHT_ROW, flightTensors, rawRequest, servingFixture } from './test-support.js';

let fixture: Awaited<ReturnType<typeof servingFixture>>;
let server: PredictionServer;
let strict: PredictionServer;

beforeAll(async () => {
  fixture = await servingFixture();
  const common = { stack: fixture.stack, watch: false as const, predictionLog: false as const, timeouts: { headersMs: 400, requestMs: 800 } };
  server = await startPredictionServer({ ...common, models: [{ name: 'flights', ref: 'champion' }, { name: 'flights', ref: '2' }, { name: 'tensor', ref: 'champion' }] });
  strict = await startPredictionServer({ ...common, models: [{ name: 'flights', ref: 'champion' }], extraFields: 'reject' });
});
afterAll(async () => {
  await server?.close();
  await strict?.close();
  await fixture?.dispose();
});

const post = (path: string, body: unknown, base = server.url) => call(base, 'POST', path, body);
const infer = (body: unknown) => post('/v2/models/flights/infer', body);

async function expectError(reply: Promise<Awaited<ReturnType<typeof call>>>, status: number, error: Record<string, unknown>): Promise<void> {
  const { status: got, body } = await reply;
  expect({ status: got, body }).toMatchObject({ status, body: error });
  expect(typeof body.error).toBe('string');
}

async function stillServing(): Promise<void> {
  expect((await post('/v2/models/flights/infer', { inputs: flightTensors([FLIGHT_ROW]) })).status).toBe(200);
}

describe('bad requests get a 4xx naming the field, and the server keeps serving', () => {
  it('wrong shapes', async () => {
    const tensors = flightTensors([FLIGHT_ROW]);
    await expectError(infer({ inputs: [{ ...tensors[0], shape: [2, 1] }, ...tensors.slice(1)] }), 400, { code: 'invalid_input', field: 'inputs[0].data' });
    await expectError(infer({ inputs: [{ ...tensors[0], shape: [1, 1, 1] }, ...tensors.slice(1)] }), 400, { field: 'inputs.distance' });
    await expectError(infer({ inputs: [{ ...tensors[0], shape: [-1, 1] }, ...tensors.slice(1)] }), 400, { field: 'inputs[0].shape' });
    await expectError(post('/v2/models/tensor/infer', { inputs: [{ name: 'float_input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }), 400, { field: 'inputs.float_input' });
    await expectError(post('/v1/models/tensor:predict', { instances: [[1, 2, 3, 4], [1, 2]] }), 400, { field: 'instances[1]' });
    await stillServing();
  });

  it('wrong datatypes', async () => {
    const tensors = flightTensors([FLIGHT_ROW]);
    await expectError(infer({ inputs: [{ ...tensors[0], datatype: 'FP64' }, ...tensors.slice(1)] }), 400, {
      field: 'inputs[0].datatype', error: 'inputs[0].datatype: is FP64, flights v1 expects FP32 [-1, 1] for distance',
    });
    await expectError(infer({ inputs: [{ ...tensors[0], datatype: 'FP16' }, ...tensors.slice(1)] }), 400, { field: 'inputs[0].datatype' });
    await expectError(infer({ inputs: [...tensors.slice(0, 3), { ...tensors[3], data: [7] }, tensors[4]] }), 400, { field: 'inputs[3].data[0]', error: 'inputs[3].data[0]: expected a string or null, got number 7' });
    await expectError(post('/predict', { model: 'flights', instances: [{ ...FLIGHT_ROW, distance: '500' }] }), 400, {
      field: 'instances[0].distance', error: 'instances[0].distance: expected a number or null, got string "500"',
    });
    await expectError(post('/invocations', { dataframe_records: [{ ...FLIGHT_ROW, hour: true }] }), 400, { field: 'dataframe_records[0].hour', error_code: 'BAD_REQUEST' });
    await stillServing();
  });

  it('missing or extra fields', async () => {
    const tensors = flightTensors([FLIGHT_ROW]);
    await expectError(infer({ inputs: tensors.slice(0, 4) }), 400, { field: 'inputs', error: 'inputs: missing input "destination": flights v1 needs BYTES [-1, 1]' });
    await expectError(infer({ inputs: [...tensors, { name: 'weather', shape: [1, 1], datatype: 'FP32', data: [1] }] }), 400, { field: 'inputs[5].name' });
    await expectError(infer({ inputs: [...tensors, tensors[0]] }), 400, { field: 'inputs[5].name' });
    await expectError(infer({}), 400, { field: 'inputs' });
    const { origin: _origin, ...withoutOrigin } = FLIGHT_ROW;
    await expectError(post('/predict', { model: 'flights', instances: [FLIGHT_ROW, withoutOrigin] }), 400, { field: 'instances[1].origin' });
    await expectError(post('/invocations', { dataframe_split: { columns: ['hour'], data: [[8]] } }), 400, { field: 'dataframe_split.columns' });
    // Extra row fields are ignored by default, refused when the server says so.
    expect((await post('/predict', { model: 'flights', instances: [{ ...FLIGHT_ROW, user: 'u1' }] })).status).toBe(200);
    await expectError(post('/predict', { instances: [{ ...FLIGHT_ROW, user: 'u1' }] }, strict.url), 400, { field: 'instances[0].user' });
    await stillServing();
  });

  it('NaN where it is not allowed', async () => {
    await expectError(infer('{"inputs": [{"name": "hour", "shape": [1, 1], "datatype": "FP32", "data": [NaN]}]}'), 400, {
      field: 'body', hint: 'JSON has no NaN or Infinity: send null for a missing value',
    });
    // The external model does not impute: null is refused; Flywheel's model imputes, so null is a missing value.
    await expectError(post('/v2/models/tensor/infer', { inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: [1, 2, null, 4] }] }), 400, {
      field: 'inputs[0].data[2]', error: 'inputs[0].data[2]: is null, but this model input takes no missing values',
    });
    await expectError(post('/v1/models/tensor:predict', { instances: [[1, null, 3, 4]] }), 400, { field: 'instances[0][1]' });
    expect((await post('/predict', { model: 'flights', instances: [{ ...FLIGHT_ROW, distance: null }] })).status).toBe(200);
    await stillServing();
  });

  it('malformed JSON, wrong methods and media types', async () => {
    await expectError(infer('{"inputs": ['), 400, { field: 'body' });
    await expectError(infer(''), 400, { field: 'body' });
    await expectError(infer('[1, 2]'), 400, { field: 'body' });
    await expectError(call(server.url, 'GET', '/v2/models/flights/infer'), 405, { code: 'method_not_allowed' });
    await expectError(call(server.url, 'POST', '/invocations', 'a,b', { 'content-type': 'application/xml' }), 415, { code: 'unsupported_media_type' });
    await stillServing();
  });

  it('unknown models, versions and routes', async () => {
    await expectError(call(server.url, 'GET', '/v2/models/nope'), 404, { code: 'not_found', error: 'model "nope" does not exist', hint: 'served models: flights, tensor' });
    await expectError(post('/v2/models/flights/versions/7/infer', { inputs: flightTensors([FLIGHT_ROW]) }), 404, { error: 'model version "flights@7" does not exist' });
    await expectError(call(server.url, 'GET', '/v2/models/flights/versions/x'), 400, { field: 'version' });
    await expectError(post('/v1/models/nope:predict', { instances: [FLIGHT_ROW] }), 404, { code: 'not_found' });
    await expectError(post('/invocations?model=nope', { instances: [FLIGHT_ROW] }), 404, { error_code: 'RESOURCE_DOES_NOT_EXIST' });
    await expectError(call(server.url, 'GET', '/v3/anything'), 404, { code: 'not_found' });
    await stillServing();
  });

  it('a 100 MB body: 413 without holding it, declared or streamed', async () => {
    const before = process.memoryUsage().rss;
    const declared = await rawRequest(server.url, { method: 'POST', path: '/predict', headers: { 'content-length': 100 * 1024 * 1024, 'content-type': 'application/json' } }, (req) => {
      req.write('{"instances": [');
      req.end();
    }).catch(() => ({ status: 0, body: '' }));
    expect(declared.status).toBe(413);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const streamed = await rawRequest(server.url, { method: 'POST', path: '/v2/models/flights/infer', headers: { 'transfer-encoding': 'chunked' } }, (req) => {
      let sent = 0;
      // As a real client does, stop uploading once the server has answered.
      req.once('response', () => (sent = 100));
      const pump = () => {
        while (sent < 100) {
          sent++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      req.on('error', () => undefined);
      pump();
    }).catch((error: Error) => ({ status: -1, body: error.message }));
    // The server answers 413 while the client is still uploading; TCP may reset the connection
    // before the client reads it, so the server's own count is the check when that happens.
    if (streamed.status === 413) expect(JSON.parse(streamed.body)).toMatchObject({ code: 'payload_too_large' });
    else expect(streamed.body).toMatch(/EPIPE|ECONNRESET/);
    expect(server.metrics.expose()).toMatch(/flywheel_requests_total\{endpoint="v2_infer",model="",version="",code="413"\} 1/);
    expect(process.memoryUsage().rss - before).toBeLessThan(60 * 1024 * 1024);
    await stillServing();
  });

  it('a slowloris client is dropped while others are served', async () => {
    const trickle = (lines: string[], everyMs: number) =>
      new Promise<{ closedAfterMs: number; answer: string }>((resolve) => {
        const started = Date.now();
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
        let answer = '';
        let i = 0;
        const timer = setInterval(() => {
          if (i < lines.length && !socket.destroyed) socket.write(lines[i++] as string);
        }, everyMs);
        socket.on('data', (data) => (answer += data.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ closedAfterMs: Date.now() - started, answer });
        });
      });
    const headers = Array.from({ length: 100 }, (_, i) => (i === 0 ? 'POST /predict HTTP/1.1\r\nHost: x\r\n' : `x-slow-${i}: ${i}\r\n`));
    const body = ['POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', ...Array.from({ length: 100 }, () => ' ')];
    const slowHeaders = trickle(headers, 50);
    const slowBody = trickle(body, 50);
    for (let i = 0; i < 5; i++) await stillServing();
    const [h, b] = await Promise.all([slowHeaders, slowBody]);
    expect(h.closedAfterMs).toBeLessThan(3000);
    expect(b.closedAfterMs).toBeLessThan(3000);
    expect(b.answer).toMatch(/^HTTP\/1\.1 408/);
    await stillServing();
  });
});
