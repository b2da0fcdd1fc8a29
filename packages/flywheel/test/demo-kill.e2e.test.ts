import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { FLIGHTS_MODEL } from '../src/demo/flights-pipeline.js';
import { labelsRelation } from '../src/monitoring/label-store.js';
import { predictionLogDir, readPredictionLog } from '../src/serving/prediction-log/parquet-prediction-log.js';
import { runCli, startCli, type CliResult } from './cli.js';

const ARGS = ['demo', '--until', '2001-03-11', '--traffic', '0.005', '--train-sample', '0.1', '--quiet'];

/**
 * `flywheel demo` (the controller with its replay) killed with SIGKILL at random moments and started
 * again until it finishes: the monthly schedule fired exactly once for March, no trigger fired twice
 * for one event, every run completed, every decided rollout agrees with the alias history, the
 * champion serving at the end is the champion alias, and the prediction log and labels read back.
 */
describe('the demo under kill -9', () => {
  it('resumes after every kill and ends with nothing lost, doubled or half-promoted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-demo-kill-'));
    let finished: CliResult | undefined;
    let kills = 0;
    for (let attempt = 0; attempt < 12 && !finished; attempt++) {
      const { child, done } = startCli(ARGS, { cwd: dir });
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      // Kill while it works: after the first champion is set (the replay has started), at a random moment.
      const killer = (async () => {
        const deadline = Date.now() + 60_000;
        while (!out.includes('2001-0') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 2500));
        if (kills < 4 && child.exitCode === null) {
          child.kill('SIGKILL');
          kills++;
        }
      })();
      const result = await done;
      await killer;
      if (result.code === 0) finished = result;
      else expect(result.signal).toBe('SIGKILL');
    }
    expect(kills).toBeGreaterThan(0);
    expect(finished?.stdout).toContain('Timeline (replay time)');
    expect(finished?.stdout).toMatch(/Resumed the replay at 2001-0\d-\d\d/);

    const stack = await openStack({ projectDir: dir, env: {} });
    try {
      const firings = await stack.control.findFirings({ limit: 1000 });
      expect(firings.filter((f) => f.trigger === 'monthly').map((f) => f.event.time)).toEqual(['2001-03-01T00:00:00.000Z']);
      expect(new Set(firings.map((f) => f.eventKey)).size).toBe(firings.length);
      expect(firings.every((f) => f.status === 'complete')).toBe(true);

      const moves = await stack.registry.aliasHistory(FLIGHTS_MODEL, 'champion');
      const rollouts = await stack.control.findRollouts({ model: FLIGHTS_MODEL, limit: 1000 });
      for (const rollout of rollouts) {
        const promotedByAlias = moves.some((m) => m.toVersion === rollout.challengerVersion && m.actor === 'controller');
        expect(promotedByAlias).toBe(rollout.phase === 'promoted');
      }
      // What answered last as champion is the champion alias (or the one before it, when the last
      // promotion came at the final tick, after the last request).
      const champion = (await stack.registry.aliases(FLIGHTS_MODEL)).champion;
      const records = await readPredictionLog({ dir: predictionLogDir(stack.home), model: FLIGHTS_MODEL });
      const answered = records.filter((r) => r.arm === 'champion');
      expect([champion, moves.at(-1)?.fromVersion]).toContain(answered.at(-1)?.version);
      expect(records.length).toBeGreaterThan(1000);
      expect(await labelsRelation(stack.home)).toBeDefined();

      // The project as the demo leaves it, through the monitoring commands.
      const windows = await runCli(['monitor', 'windows', FLIGHTS_MODEL, '--window', '7d'], { cwd: dir });
      expect(windows.code).toBe(0);
      expect(windows.stdout).toMatch(/2001-02-05T00:00Z {2}v1 +\d+ +\d+ +auc 0\.\d{3} acc 0\.\d{3}/);
      const report = await runCli(['monitor', 'report', FLIGHTS_MODEL, '--out', 'report.html'], { cwd: dir });
      expect(report.stdout).toMatch(/report of flights-delay: \d+ window\(s\) × version\(s\); written to .*report\.html/);
      const lineage = await runCli(['lineage', 'prediction', answered.at(-1)!.predictionId], { cwd: dir });
      expect(lineage.stdout).toMatch(/pipeline {2}flights-retrain run run-\S+ \(complete/);
      const status = await runCli(['status'], { cwd: dir });
      expect(status.stdout).toMatch(new RegExp(`flights-delay: .*champion → v${champion}`));
    } finally {
      await stack.close();
    }
  }, 600_000);
});
