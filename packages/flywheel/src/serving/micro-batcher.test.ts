import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';
import type { HostTensor } from './served-model.js';
import { servingFixture } from './test-support.js';

const x = (values: number[]): Record<string, HostTensor> => ({ x: { type: 'float32', shape: [values.length, 1], data: Float32Array.from(values) } });

describe('MicroBatcher', () => {
  it('joins requests queued while a run is busy, and splits the answers back', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(async (inputs) => {
      const data = inputs.x!.data as Float32Array;
      runs.push(data.length);
      return { y: { type: 'float32', shape: [data.length], data: data.map((v) => v * 2) } };
    }, { maxBatchRows: 8, maxWaitMs: 0 });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.submit(x([i]), 1)));
    answers.forEach((a, i) => expect(Array.from(a.y!.data as Float32Array)).toEqual([i * 2]));
    expect(runs).toEqual([8, 8, 4]);
  });

  it('runs a lone request at once', async () => {
    const batcher = new MicroBatcher(async (inputs) => ({ y: inputs.x! }), { maxBatchRows: 64, maxWaitMs: 0 });
    const started = performance.now();
    await batcher.submit(x([1]), 1);
    expect(performance.now() - started).toBeLessThan(20);
  });

  it('retries a failing batch request by request, so only the bad one fails', async () => {
    const batcher = new MicroBatcher(async (inputs) => {
      const data = inputs.x!.data as Float32Array;
      if (data.includes(-1)) throw new Error('bad value');
      return { y: inputs.x! };
    }, { maxBatchRows: 64, maxWaitMs: 0 });
    const results = await Promise.allSettled([1, 2, -1, 4].map((v) => batcher.submit(x([v]), 1)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('waits up to maxWaitMs for company when asked to', async () => {
    const runs: number[] = [];
    const batcher = new MicroBatcher(async (inputs) => (runs.push(inputs.x!.data.length), { y: inputs.x! }), { maxBatchRows: 64, maxWaitMs: 30 });
    const first = batcher.submit(x([1]), 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all([first, batcher.submit(x([2, 3]), 2)]);
    expect(runs).toEqual([3]);
  });
});

describe('micro-batching in the server', () => {
  let fixture: Awaited<ReturnType<typeof servingFixture>>;
  let server: PredictionServer;
  beforeAll(async () => {
    fixture = await servingFixture();
    server = await startPredictionServer({ stack: fixture.stack, models: [{ name: 'tensor' }], watch: false, predictionLog: false });
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.dispose();
  });

  it('answers concurrent single-row requests from shared runs with each its own result', async () => {
    const answers = await Promise.all(Array.from({ length: 64 }, async (_, i) => {
      const response = await fetch(`${server.url}/v2/models/tensor/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: [i, 0, 0, 0] }] }),
      });
      return ((await response.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data[0];
    }));
    answers.forEach((y, i) => expect(y).toBeCloseTo(i + 0.5, 5));
    const text = server.metrics.expose();
    const runs = Number(/flywheel_inference_batch_requests_count\{model="tensor",version="1"\} (\d+)/.exec(text)?.[1]);
    expect(runs).toBeGreaterThan(0);
    expect(runs).toBeLessThan(64);
  });
});
