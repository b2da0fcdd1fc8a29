import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { startPredictionServer, type PredictionServer } from './prediction-server.js';
import { FLIGHT_ROW, servingFixture } from './test-support.js';

let fixture: Awaited<ReturnType<typeof servingFixture>>;
let server: PredictionServer;
// A second connection to the same SQLite registry, as another process moving the alias would have.
let operator: Stack;

beforeAll(async () => {
  fixture = await servingFixture();
  operator = await openStack({ projectDir: fixture.stack.projectDir, env: {} });
  server = await startPredictionServer({ stack: fixture.stack, models: [{ name: 'flights', ref: 'champion' }], watch: { intervalMs: 25 }, predictionLog: false });
});
afterAll(async () => {
  await server?.close();
  await operator?.close();
  await fixture?.dispose();
});

async function servedVersion(): Promise<number> {
  const response = await fetch(`${server.url}/predict`, { method: 'POST', body: JSON.stringify({ instances: [FLIGHT_ROW] }) });
  return ((await response.json()) as { version: number }).version;
}

async function waitForVersion(version: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await servedVersion()) !== version) {
    if (Date.now() > deadline) throw new Error(`still not serving v${version}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('hot swap', () => {
  it('follows alias moves under concurrent load without a failed request', async () => {
    const statuses = new Map<number, number>();
    const versions = new Set<number>();
    let running = true;
    // Rows carry every feature, so both versions (all features, hour only) accept them.
    const body = JSON.stringify({ instances: [FLIGHT_ROW] });
    const worker = async () => {
      while (running) {
        const response = await fetch(`${server.url}/predict`, { method: 'POST', body });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.ok) versions.add(((await response.json()) as { version: number }).version);
        else await response.text();
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (const target of [2, 1, 2, 1, 2, 1]) {
      await operator.registry.setAlias('flights', 'champion', target, { actor: 'test', reason: target === 1 ? 'rollback' : 'promote' });
      await waitForVersion(target);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    running = false;
    await Promise.all(workers);
    const failed = [...statuses].filter(([status]) => status < 200 || status >= 300).reduce((n, [, count]) => n + count, 0);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(200);
    expect(failed).toBe(0);
    expect([...versions].sort()).toEqual([1, 2]);
    const metrics = server.metrics.expose();
    expect(metrics).toMatch(/flywheel_model_swaps_total\{model="flights",ref="champion"\} 6/);
    expect(metrics).toContain('flywheel_model_version_info{model="flights",ref="champion",version="1"} 1');
  });

  it('keeps serving the current version when the alias is removed or points at a broken file', async () => {
    await operator.registry.deleteAlias('flights', 'champion', { actor: 'test', reason: 'oops' });
    await server.refresh();
    expect(await servedVersion()).toBe(1);
    const broken = join(fixture.dir, 'broken.onnx');
    await writeFile(broken, 'not a model');
    const blob = await operator.artifacts.putFile(broken);
    const bad = await operator.registry.createVersion('flights', { uri: blob.uri, digest: blob.digest });
    await operator.registry.setAlias('flights', 'champion', bad.version, { actor: 'test', reason: 'bad push' });
    await server.refresh();
    expect(await servedVersion()).toBe(1);
    expect(server.metrics.expose()).toMatch(/flywheel_model_swap_failures_total\{model="flights",ref="champion"\} [1-9]/);
  });
});
