import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { linearRegressorModel } from '../src/serving/test-support.js';
import { runCli, startCli, waitFor } from './cli.js';

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
    const { child, done } = startCli(['serve', 'linear@champion', '--port', '0', '--watch-interval', '50'], { cwd: dir });
    let out = '';
    let url = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    });
    await waitFor('the server to listen', () => url !== '');
    expect(out).toContain('serving linear@champion (v1)');
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

  it('explains bad serve flags', async () => {
    const result = await runCli(['serve', 'linear@champion', '--canary', 'challenger'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--canary: expected <ref>:<percent 0–100>');
    const sticky = await runCli(['serve', 'linear@champion', '--sticky', 'header:x-user-id'], { cwd: dir });
    expect(sticky.stderr).toContain('--sticky: linear has no --canary to make sticky');
  });
});
