import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPredictionLog } from './prediction-log/parquet-prediction-log.js';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';
import { call, FLIGHT_ROW, flightTensors, servingFixture } from './test-support.js';

let fixture: Awaited<ReturnType<typeof servingFixture>>;
const servers: PredictionServer[] = [];
beforeAll(async () => {
  fixture = await servingFixture();
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await fixture?.dispose();
});

async function start(options: Omit<Parameters<typeof startPredictionServer>[0], 'stack'>): Promise<PredictionServer> {
  const server = await startPredictionServer({ stack: fixture.stack, watch: false, ...options });
  servers.push(server);
  return server;
}

describe('canary', () => {
  it('splits by the hash of a sticky header: the same user always meets the same version', async () => {
    const server = await start({ models: [{ name: 'flights', canary: { challenger: 'challenger', percent: 30, stickyKey: 'header:x-user-id' } }], predictionLog: false });
    const versionOf = async (user: string) => {
      const { status, headers } = await call(server.url, 'POST', '/predict', { instances: [FLIGHT_ROW] }, { 'x-user-id': user });
      expect(status).toBe(200);
      return headers.get('x-model-version');
    };
    let challenger = 0;
    for (let user = 0; user < 200; user++) {
      const first = await versionOf(`user-${user}`);
      expect(await versionOf(`user-${user}`)).toBe(first);
      if (first === '2') challenger++;
    }
    expect(challenger).toBeGreaterThan(30);
    expect(challenger).toBeLessThan(90);
    const metrics = server.metrics.expose();
    expect(metrics).toContain(`flywheel_canary_requests_total{model="flights",arm="challenger",version="2"} ${challenger * 2}`);
    expect(metrics).toContain(`flywheel_canary_requests_total{model="flights",arm="champion",version="1"} ${(200 - challenger) * 2}`);
  });

  it('splits by a feature value, and a version in the path bypasses the split', async () => {
    const server = await start({ models: [{ name: 'flights', canary: { percent: 50, stickyKey: 'field:origin' } }], predictionLog: false });
    const seen = new Set<string>();
    for (const origin of ['SFO', 'LAX', 'ORD', 'ATL', 'JFK', 'SEA', 'DEN', 'BOS', 'PHX', 'IAH']) {
      const versions = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const { status, body } = await call(server.url, 'POST', '/predict', { instances: [{ ...FLIGHT_ROW, origin }] });
        expect(status).toBe(200);
        versions.add(String(body.version));
      }
      expect(versions.size).toBe(1);
      seen.add([...versions][0] as string);
    }
    expect([...seen].sort()).toEqual(['1', '2']);
    const pinned = await call(server.url, 'POST', '/v2/models/flights/versions/1/infer', { inputs: flightTensors([FLIGHT_ROW]) });
    expect(pinned.body.model_version).toBe('1');
  });
});

describe('shadow', () => {
  it('answers with the champion and records the challenger on the same prediction id', async () => {
    const dir = join(fixture.dir, 'predictions-shadow');
    const server = await start({ models: [{ name: 'flights', shadow: { challenger: 'challenger' } }], predictionLog: { dir, flushIntervalMs: 50 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { status, body } = await call(server.url, 'POST', '/predict', { instances: [{ ...FLIGHT_ROW, hour: 6 + i }] });
      expect(status).toBe(200);
      expect(body.version).toBe(1);
      ids.push(body.prediction_id as string);
    }
    const deadline = Date.now() + 10_000;
    let records = await readPredictionLog({ dir, model: 'flights' });
    while (records.length < 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await server.predictionLog?.flush();
      records = await readPredictionLog({ dir, model: 'flights' });
    }
    for (const id of ids) {
      const pair = records.filter((r) => r.predictionId === id);
      expect(pair.map((r) => [r.arm, r.version]).sort()).toEqual([['champion', 1], ['shadow', 2]]);
      expect(pair.find((r) => r.arm === 'shadow')?.inputs).toMatchObject({ hour: expect.any(Number) });
    }
    expect(server.metrics.expose()).toContain('flywheel_shadow_requests_total{model="flights",version="2",outcome="ok"} 5');
  });
});
