import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { linearRegressorModel } from '../src/serving/test-support.js';
import { runCli, startServe, waitFor } from './cli.js';

// The registry and serving commands through the real CLI, on an imported external model.
describe('flywheel models import/download and flywheel serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-serve-cli-'));
  const v1 = join(dir, 'linear-v1.onnx');
  const v2 = join(dir, 'linear-v2.onnx');
  writeFileSync(v1, linearRegressorModel([1, 2, 3, 4], 0.5));
  writeFileSync(v2, linearRegressorModel([0, 0, 0, 1], 100));
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('imports ONNX files, reading the signature from the graph', async () => {
    const first = await runCli(['models', 'import', 'linear', v1, '--description', 'sklearn LinearRegression', '--tags', 'source=sklearn', 'team=risk', '--alias', 'champion'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('registered linear v1');
    expect(first.stdout).toContain('inputs: float_input float32 [N, 4]');
    expect(first.stdout).toContain('linear@champion → v1');
    const again = await runCli(['models', 'import', 'linear', v1], { cwd: dir });
    expect(again.stdout).toContain('linear v1 already holds this file');
    const second = await runCli(['models', 'import', 'linear', v2, '--json'], { cwd: dir });
    expect(JSON.parse(second.stdout)).toMatchObject({ version: 2, created: true, description: null, signature: { inputs: [{ name: 'float_input', type: 'float32', shape: ['N', 4] }] } });
    const show = await runCli(['models', 'show', 'linear', '--json'], { cwd: dir });
    expect(JSON.parse(show.stdout).versions[0]).toMatchObject({ description: 'sklearn LinearRegression', tags: { source: 'sklearn', team: 'risk' } });
  });

  it('refuses a corrupt ONNX file with a clear error and registers nothing', async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, readFileSync(v1).subarray(0, 40));
    const result = await runCli(['models', 'import', 'linear', corrupt], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: (model: onnxruntime cannot load|onnx model: not an ONNX model)/);
    const missing = await runCli(['models', 'import', 'linear', join(dir, 'nope.onnx')], { cwd: dir });
    expect(missing.stderr).toContain('error: file: ');
    const show = await runCli(['models', 'show', 'linear', '--json'], { cwd: dir });
    expect(JSON.parse(show.stdout).versions).toHaveLength(2);
  });

  it('downloads a version by alias', async () => {
    const out = join(dir, 'downloaded.onnx');
    const result = await runCli(['models', 'download', 'linear@champion', '--out', out], { cwd: dir });
    expect(result.code).toBe(0);
    expect(readFileSync(out).equals(readFileSync(v1))).toBe(true);
    const again = await runCli(['models', 'download', 'linear@champion', '--out', out], { cwd: dir });
    expect(again.stderr).toContain('already exists');
  });

  it('serves the imported model and follows an alias moved by another process', async () => {
    const { child, done, url, output } = await startServe(['linear@champion', '--port', '0', '--watch-interval', '50'], { cwd: dir });
    expect(output()).toContain('serving linear@champion (v1)');
    const infer = async () => {
      const response = await fetch(`${url}/v2/models/linear/infer`, { method: 'POST', body: JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] }] }) });
      return (await response.json()) as { model_version: string; outputs: { data: number[] }[] };
    };
    expect(await infer()).toMatchObject({ model_version: '1', outputs: [{ data: [10.5] }] });
    const moved = await runCli(['models', 'alias', 'linear', 'champion', '2', '--reason', 'better'], { cwd: dir });
    expect(moved.code).toBe(0);
    let answer = await infer();
    const deadline = Date.now() + 10_000;
    while (answer.model_version !== '2' && Date.now() < deadline) answer = await infer();
    expect(answer).toMatchObject({ model_version: '2', outputs: [{ data: [101] }] });
    child.kill('SIGINT');
    const finished = await done;
    expect(finished.code).toBe(0);
    expect(finished.stderr).toContain('alias moved: now serving the new version');
  });

  it('serves from several worker processes on one port, with the metrics of all, and replaces a worker that dies', async () => {
    const { child, done, url, output } = await startServe(['linear@2', '--port', '0', '--workers', '2', '--no-prediction-log'], { cwd: dir });
    try {
      expect(output()).toContain('serving linear@2 (v2) with 2 workers at');
      const infer = async () => {
        const response = await fetch(`${url}/v2/models/linear/infer`, {
          method: 'POST', body: JSON.stringify({ inputs: [{ name: 'float_input', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] }] }), headers: { connection: 'close' },
        });
        expect(response.status).toBe(200);
      };
      for (let i = 0; i < 40; i++) await infer();

      const scrape = async () => {
        const response = await fetch(`${url}/metrics`, { headers: { connection: 'close' } });
        expect(response.status).toBe(200);
        return response.text();
      };
      const metrics = async () => {
        return [...(await scrape()).matchAll(/^flywheel_requests_total\{worker="(\d)",endpoint="v2_infer"[^}]*\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
      };
      const first = await metrics();
      expect(first.map(([worker]) => worker).sort()).toEqual(['1', '2']);
      expect(first.reduce((sum, [, n]) => sum + n, 0)).toBe(40);
      expect(first.every(([, n]) => n > 0)).toBe(true);

      const workersOf = () => execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
      const workers = workersOf();
      expect(workers).toHaveLength(2);
      process.kill(workers[0] as number, 'SIGKILL');
      // Scrapes while the replacement starts (and loads its model) neither fail nor disturb it.
      while (workersOf().includes(workers[0] as number)) await new Promise((resolve) => setTimeout(resolve, 20));
      const during = await metrics();
      expect(during.length).toBeGreaterThanOrEqual(1);
      await waitFor('a new worker', () => {
        const now = workersOf();
        return now.length === 2 && !now.includes(workers[0] as number);
      });
      let text = '';
      while (!(text.includes('worker="1"') && text.includes('worker="2"'))) text = await scrape();
      for (let i = 0; i < 20; i++) await infer();
      expect((await metrics()).map(([worker]) => worker).sort()).toEqual(['1', '2']);

      child.kill('SIGINT');
      const finished = await done;
      expect(finished.code).toBe(0);
      expect(finished.stderr).toMatch(/serve worker \d \(pid \d+\) exited \(SIGKILL\); starting another in 0\.5 s/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('explains bad serve flags', async () => {
    const result = await runCli(['serve', 'linear@champion', '--canary', 'challenger'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--canary: expected <ref>:<percent 0–100>');
    const sticky = await runCli(['serve', 'linear@champion', '--sticky', 'header:x-user-id'], { cwd: dir });
    expect(sticky.stderr).toContain('--sticky: linear has no --canary to make sticky');
    const workers = await runCli(['serve', 'linear@champion', '--workers', '0'], { cwd: dir });
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain('--workers');
    const missing = await runCli(['serve', 'nope@champion', '--workers', '2', '--port', '0'], { cwd: dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/nope/);
  });
});
