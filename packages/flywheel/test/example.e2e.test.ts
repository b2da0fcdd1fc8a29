import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { runCli, startCli } from './cli.js';

const EXAMPLE = fileURLToPath(new URL('../examples/word-count/pipeline.ts', import.meta.url));

describe('the word-count example of docs/pipelines.md', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-example-'));

  it('runs a function and a Python command component, records properties, then comes from the cache', async () => {
    const first = await runCli(['run', EXAMPLE, '--param', 'text=to be or not to be'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('count-words │ 6 words, 4 distinct');
    expect(first.stdout).toContain('complete in');

    const second = await runCli(['run', EXAMPLE, '--param', 'text=to be or not to be', '--quiet'], { cwd: dir });
    expect(second.stdout).toContain('2 cached');

    // The pipeline run is a tracked run; its executed steps are its child runs.
    const runId = /run (run-[a-z0-9-]+)/.exec(first.stdout)![1]!;
    const shown = await runCli(['runs', 'show', runId], { cwd: dir });
    const trackedRunId = /tracked run ([0-9a-f]{32})/.exec(shown.stdout)![1]!;
    const children = await runCli(['runs', 'search', '-f', `tags.\`mlflow.parentRunId\` = '${trackedRunId}'`, '-o', 'attributes.run_name', '--json'], { cwd: dir });
    expect((JSON.parse(children.stdout) as { runs: { runName: string; status: string }[] }).runs.map((r) => [r.runName, r.status])).toEqual([
      ['count-words', 'FINISHED'], ['write-text', 'FINISHED'],
    ]);

    // A reader that stops early is not an error.
    const { child, done } = startCli(['runs', 'show', runId], { cwd: dir });
    child.stdout!.once('data', () => child.stdout!.destroy());
    const cut = await done;
    expect(cut.code).toBe(0);
    expect(cut.stderr).toBe('');

    const stack = await openStack({ projectDir: dir, env: {} });
    let countsId: number;
    try {
      const [counts] = await stack.metadata.findArtifacts({ type: 'Metrics' });
      expect(counts!.properties).toEqual({ words: 6, distinct: 4 });
      expect(JSON.parse((await stack.artifacts.readBytes(counts!.digest!)).toString())).toEqual({ to: 2, be: 2, or: 1, not: 1 });
      countsId = counts!.id;
    } finally {
      await stack.close();
    }
    const lineage = await runCli(['lineage', String(countsId), '--json'], { cwd: dir });
    const graph = JSON.parse(lineage.stdout) as { executions: { name: string; state: string }[]; artifacts: { type: string }[] };
    // The cached re-run's executions produced the same artifacts, so they are part of the lineage too.
    expect(graph.executions.map((e) => `${e.name}:${e.state}`).sort()).toEqual(['count-words:cached', 'count-words:complete', 'write-text:cached', 'write-text:complete']);
    expect(graph.artifacts.map((a) => a.type).sort()).toEqual(['File', 'Metrics']);
  });
});
