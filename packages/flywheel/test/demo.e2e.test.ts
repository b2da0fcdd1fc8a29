import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { FLIGHTS_MODEL } from '../src/demo/flights-pipeline.js';
import { runCli, startServe } from './cli.js';

// The demo on a small slice of the real flights (first 3 days of January, evaluated on the first
// 3 days of February), through the real CLI, then served by `flywheel serve`.
describe('the flights demo, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-demo-'));

  it('trains, validates, evaluates, registers, promotes and serves a model', async () => {
    const result = await runCli(['demo', '--once', '--days', '3'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    for (const step of ['ingest-train', 'ingest-eval', 'statistics-train', 'statistics-eval', 'infer-schema', 'validate', 'train', 'champion', 'evaluate', 'push']) {
      expect(result.stdout).toContain(`✓ ${step}`);
    }
    expect(result.stdout).toContain('Verdict: blessed — no champion yet');
    expect(result.stdout).toMatch(/Evaluation on the next month: auc 0\.\d{3}, pr auc 0\.\d{3}, brier 0\.\d{3}/);
    expect(result.stdout).toMatch(/auc by origin: [A-Z]{3} 0\.\d{3}/);
    expect(result.stdout).toMatch(/auc gap across origin: 0\.\d{3} \([A-Z]{3} 0\.\d{3} … [A-Z]{3} 0\.\d{3}\)/);
    expect(result.stdout).toContain('registered as v1; champion moved to v1');
    expect(result.stdout).toMatch(/200 \{"predictions":\[\{"label":[01],"probability":0\.\d+\}\],"model":"flights-delay","version":1,"prediction_id":"[0-9a-f-]{36}"\}/);

    const stack = await openStack({ projectDir: dir, env: {} });
    try {
      const versions = await stack.registry.listVersions(FLIGHTS_MODEL);
      expect(versions).toHaveLength(1);
      expect(await stack.registry.aliases(FLIGHTS_MODEL)).toEqual({ champion: 1 });
      const champion = versions[0]!;
      expect(champion.metrics.auc).toBeGreaterThan(0.55);
      expect(champion.metrics.auc).toBeLessThan(0.75);
      expect(await stack.artifacts.has(champion.digest)).toBe(true);
      // Lineage: the model version's artifact comes from the train step, fed by the ingested January data.
      const lineage = await stack.metadata.lineage({ artifactId: champion.artifactId! }, { direction: 'upstream', depth: 2 });
      expect(lineage.executions.map((e) => e.name)).toContain('train');
      expect(lineage.artifacts.map((a) => a.type).sort()).toEqual(['Dataset', 'Model']);
    } finally {
      await stack.close();
    }
  });

  it('runs again from the cache without registering a duplicate version', async () => {
    const second = await runCli(['demo', '--once', '--days', '3', '--quiet'], { cwd: dir });
    expect(second.code).toBe(0);
    // The champion is now this very model, so the evaluation runs again (and does not bless it against itself).
    expect(second.stdout).toContain('3 ran, 7 cached');
    expect(second.stdout).toContain('Verdict: not blessed');
    expect(second.stdout).toContain('registered as v1; champion not moved');

    const third = await runCli(['demo', '--once', '--days', '3', '--quiet'], { cwd: dir });
    expect(third.stdout.match(/≡ .* cached/g)).toHaveLength(8);
    expect(third.stdout).toContain('2 ran, 8 cached');
  });

  it('names the flag at fault in a bad replay setting', async () => {
    const until = await runCli(['demo', '--until', '2002-01-01'], { cwd: dir });
    expect(until.code).toBe(2);
    expect(until.stderr).toContain('--until: expected a day from 2001-02-08 to 2001-07-01 (YYYY-MM-DD), got "2002-01-01"');
    const traffic = await runCli(['demo', '--traffic', '0.5'], { cwd: dir });
    expect(traffic.stderr).toContain('--traffic: expected a share of the flights above 0 and at most 0.2, got "0.5"');
    const sample = await runCli(['demo', '--train-sample', '0'], { cwd: dir });
    expect(sample.stderr).toContain('--train-sample: expected a share of the flights above 0 and at most 1, got "0"');
  });

  it('serves the champion with `flywheel serve` until interrupted', async () => {
    const { child, done, url } = await startServe([`${FLIGHTS_MODEL}@champion`, '--port', '0'], { cwd: dir });
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    const response = await fetch(`${url}/predict`, {
      method: 'POST',
      body: JSON.stringify({ model: FLIGHTS_MODEL, instances: [{ distance: 1846, hour: 7, dow: 1, origin: 'SFO', destination: 'ORD' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { probability: number }[]; version: number };
    expect(body.version).toBe(1);
    expect(body.predictions[0]!.probability).toBeGreaterThan(0);
    expect(body.predictions[0]!.probability).toBeLessThan(1);
    const bad = await fetch(`${url}/predict`, { method: 'POST', body: JSON.stringify({ model: FLIGHTS_MODEL, instances: [{ distance: 'far' }] }) });
    expect(bad.status).toBe(400);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);

    // The answer traced back, once the server has written its prediction log.
    const id = response.headers.get('x-prediction-id')!;
    const lineage = await runCli(['lineage', 'prediction', id], { cwd: dir });
    expect(lineage.stderr).toBe('');
    expect(lineage.stdout).toContain(`prediction ${id}`);
    expect(lineage.stdout).toMatch(/answered by flights-delay v1 \(champion\) at \S+ via predict, 1 row/);
    expect(lineage.stdout).toMatch(/alias {3}champion → v1 at \S+ by pipeline/);
    expect(lineage.stdout).toMatch(/step {6}execution \d+ train \(train-gbdt@\d+\)/);
    expect(lineage.stdout).toMatch(/data {6}file:\/\/\S+ \(sha256 [0-9a-f]{12}, artifact \d+\)/);
    expect(lineage.stdout).toMatch(/pipeline {2}flights-delay run run-\S+ \(complete, started \S+\), version [0-9a-f]{12}, params \{"month":1,/);
    expect(lineage.stdout).toMatch(/code {6}git [0-9a-f]{12}/);
    expect(lineage.stdout).toContain('trigger   started by hand');
    const json = JSON.parse((await runCli(['lineage', 'prediction', id, '--json'], { cwd: dir })).stdout) as { versions: { run: { codeVersion: { commit: string } } }[] };
    expect(json.versions[0]!.run.codeVersion.commit).toMatch(/^[0-9a-f]{40}$/);
    const unknown = await runCli(['lineage', 'prediction', 'no-such-id'], { cwd: dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('prediction "no-such-id" does not exist');
  });
});
