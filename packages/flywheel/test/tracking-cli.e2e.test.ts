import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { runCli } from './cli.js';

// Three runs logged from code, as a data scientist would; the CLI then searches and compares them.
const dir = mkdtempSync(join(tmpdir(), 'fw-tracking-cli-'));
const ids: Record<string, string> = {};

beforeAll(async () => {
  const stack = await openStack({ projectDir: dir, env: {} });
  try {
    for (const [name, depth, auc] of [['shallow', 3, 0.61], ['medium', 6, 0.66], ['deep', 9, 0.64]] as const) {
      const run = await stack.tracking.startRun({ experiment: 'flights', name, params: { depth, learningRate: 0.1 } });
      run.logMetric('auc', auc);
      for (let epoch = 0; epoch < 3; epoch++) run.logMetric('loss', 1 - auc + (2 - epoch) / 10, { step: epoch });
      await run.end();
      ids[name] = run.id;
    }
    await stack.tracking.withRun({ experiment: 'other', name: 'unrelated' }, async () => undefined);
  } finally {
    await stack.close();
  }
});

describe('flywheel runs search / compare, experiments list', () => {
  it('searches with a filter and an order, as a table and as JSON', async () => {
    const table = await runCli(['runs', 'search', '-e', 'flights', '-f', 'metrics.auc > 0.62', '-o', 'metrics.auc DESC'], { cwd: dir });
    expect(table.stderr).toBe('');
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^run\s+name\s+experiment\s+status\s+started\s+metrics\.auc\s+metrics\.loss$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[1])).toEqual(['medium', 'deep']);

    const json = await runCli(['runs', 'search', '-f', "params.depth = '3'", '--json'], { cwd: dir });
    const parsed = JSON.parse(json.stdout) as { runs: { runId: string; runName: string; params: Record<string, string>; metrics: Record<string, number> }[]; nextPageToken: null };
    expect(parsed.runs.map((r) => [r.runId, r.runName, r.params.depth, r.metrics.auc])).toEqual([[ids.shallow, 'shallow', '3', 0.61]]);
    expect(parsed.nextPageToken).toBeNull();
  });

  it('pages through results', async () => {
    const first = JSON.parse((await runCli(['runs', 'search', '-e', 'flights', '-n', '2', '-o', 'attributes.run_name', '--json'], { cwd: dir })).stdout) as { runs: { runName: string }[]; nextPageToken: string };
    expect(first.runs.map((r) => r.runName)).toEqual(['deep', 'medium']);
    const second = JSON.parse((await runCli(['runs', 'search', '-e', 'flights', '-n', '2', '-o', 'attributes.run_name', '--page-token', first.nextPageToken, '--json'], { cwd: dir })).stdout) as { runs: { runName: string }[] };
    expect(second.runs.map((r) => r.runName)).toEqual(['shallow']);
  });

  it('compares runs side by side, all rows or only those that differ', async () => {
    const all = await runCli(['runs', 'compare', ids.shallow!, ids.deep!], { cwd: dir });
    expect(all.stderr).toBe('');
    expect(all.stdout).toMatch(/params\.depth\s+3\s+9/);
    expect(all.stdout).toMatch(/params\.learningRate\s+0\.1\s+0\.1/);
    expect(all.stdout).toMatch(/metrics\.auc\s+0\.61\s+0\.64/);
    const diff = await runCli(['runs', 'compare', ids.shallow!, ids.deep!, '--diff'], { cwd: dir });
    expect(diff.stdout).not.toContain('learningRate');
    const json = JSON.parse((await runCli(['runs', 'compare', ids.shallow!, ids.medium!, '--json'], { cwd: dir })).stdout) as { params: Record<string, string[]>; metrics: Record<string, number[]> };
    expect(json.params.depth).toEqual(['3', '6']);
    expect(json.metrics.auc).toEqual([0.61, 0.66]);
  });

  it("prints a metric's history, and says which metrics a run has when asked for another", async () => {
    const history = JSON.parse((await runCli(['runs', 'history', ids.medium!, 'loss', '--json'], { cwd: dir })).stdout) as { step: number; value: number }[];
    expect(history.map((p) => [p.step, Number(p.value.toFixed(2))])).toEqual([[0, 0.54], [1, 0.44], [2, 0.34]]);
    const table = await runCli(['runs', 'history', ids.medium!, 'loss'], { cwd: dir });
    expect(table.stdout).toMatch(/^step\s+loss\s+time\n0\s+0\.54/);
    const none = await runCli(['runs', 'history', ids.medium!, 'f1'], { cwd: dir });
    expect(none.stdout).toContain('has no metric "f1" (its metrics: auc, loss)');
  });

  it('lists experiments', async () => {
    const json = JSON.parse((await runCli(['experiments', 'list', '--json'], { cwd: dir })).stdout) as { name: string }[];
    expect(json.map((e) => e.name).sort()).toEqual(['Default', 'flights', 'other']);
  });

  it('names the culprit of bad input and exits 2', async () => {
    const syntax = await runCli(['runs', 'search', '-f', 'metrics.auc >> 1'], { cwd: dir });
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toMatch(/^error: .*metrics\.auc >> 1/);
    const unknown = await runCli(['runs', 'search', '-e', 'nope'], { cwd: dir });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('nope');
    expect(unknown.stderr).toContain('flights');
    const missing = await runCli(['runs', 'compare', '0123456789abcdef0123456789abcdef'], { cwd: dir });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Run with id=0123456789abcdef0123456789abcdef not found');
  });
});
