import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { runCli, startCli, waitFor } from './cli.js';

const EXAMPLE = fileURLToPath(new URL('../examples/custom-trainer/pipeline.ts', import.meta.url));
// Debian's python3 holds numpy and onnx (python3-numpy, python3-onnx); .ci/run installs them.
const env = { PATH: `/usr/bin:${process.env.PATH ?? ''}` };

describe('the custom-trainer example: a Python script writing ONNX is a first-class model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-custom-trainer-'));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('is trained, tracked, evaluated against thresholds, registered as champion and served', async () => {
    const result = await runCli(['run', EXAMPLE], { cwd: dir, env });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/train-ridge-numpy │ ridge on 1096 rows, 8 columns: train RMSE \d\.\d{4}/);
    expect(result.stdout).toContain('champion → v1');

    const stack = await openStack({ projectDir: dir, env: {} });
    try {
      const version = await stack.registry.getVersion('weather', 1);
      expect(version.signature).toMatchObject({
        inputs: [
          { name: 'precipitation', type: 'float32' }, { name: 'temp_min', type: 'float32' },
          { name: 'wind', type: 'float32' }, { name: 'weather', type: 'string' },
        ],
        outputs: [{ name: 'variable', type: 'float32' }],
      });
      expect(version.metrics.rmse).toBeGreaterThan(1);
      expect(version.metrics.rmse).toBeLessThan(4);
      expect(version.metrics.r2).toBeGreaterThan(0.7);
    } finally {
      await stack.close();
    }

    // What the script logged through FLYWHEEL_TRACKING_FILE is on its step's tracked run.
    const search = await runCli(['runs', 'search', '-e', 'custom-trainer', '-f', "attributes.run_name = 'train-ridge-numpy'", '--json'], { cwd: dir });
    const [trainRun] = (JSON.parse(search.stdout) as { runs: { params: Record<string, string>; metrics: Record<string, number> }[] }).runs;
    expect(trainRun?.params).toMatchObject({ solver: 'numpy.linalg.solve', label: 'temp_max', l2: '1' });
    expect(trainRun?.metrics.train_rmse).toBeGreaterThan(1);

    const { child, done } = startCli(['serve', 'weather@champion', '--port', '0'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the server to listen', () => /at http:\/\/127\.0\.0\.1:\d+/.test(out));
    const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    const response = await fetch(`${url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ precipitation: 0, temp_min: 15, wind: 2, weather: 'sun' }, { precipitation: 20, temp_min: 2, wind: 6, weather: 'rain' }] }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { variable: number }[]; version: number };
    expect(body.version).toBe(1);
    const [warm, cold] = body.predictions.map((p) => p.variable);
    expect(warm).toBeGreaterThan(cold!);
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });
});
