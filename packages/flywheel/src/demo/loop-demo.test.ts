import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { predictionLogDir, readPredictionLog } from '../serving/prediction-log/parquet-prediction-log.js';
import { FLIGHTS_MODEL } from './flights-pipeline.js';
import { runLoopDemo, type LoopDemoResult } from './loop-demo.js';
import { writeLoopDemoReport } from './loop-demo-report.js';
import { describeTimeline } from './loop-demo-timeline.js';

/** Five weeks of the replay (February to early March 2001), small samples: the loop end to end. */
describe('the loop demo', () => {
  let dir: string;
  let stack: Stack;
  let result: LoopDemoResult;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-loop-demo-'));
    stack = await openStack({ projectDir: dir, env: {} });
    result = await runLoopDemo(stack, { traffic: 0.01, trainSample: 0.1, from: new Date(Date.UTC(2001, 1, 1)), until: new Date(Date.UTC(2001, 2, 8)) });
  }, 240_000);

  afterAll(async () => {
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replays the traffic through the controller and labels every answer a day later', async () => {
    expect(result.requests).toBeGreaterThan(4000);
    expect(result.labels).toBe(result.requests);
    const logged = await readPredictionLog({ dir: predictionLogDir(stack.home), model: FLIGHTS_MODEL });
    expect(logged.filter((r) => r.arm !== 'shadow')).toHaveLength(result.requests);
    expect(Math.min(...logged.map((r) => r.timestamp.getTime()))).toBeGreaterThanOrEqual(Date.UTC(2001, 1, 1));
    expect(Math.max(...logged.map((r) => r.timestamp.getTime()))).toBeLessThan(Date.UTC(2001, 2, 8));
  });

  it('retrains on the monthly schedule and records why each run started', async () => {
    const firings = await stack.control.findFirings();
    const scheduled = firings.filter((f) => f.trigger === 'monthly');
    expect(scheduled.map((f) => f.event.time)).toEqual(['2001-03-01T00:00:00.000Z']);
    for (const firing of firings) {
      expect(firing.status).toBe('complete');
      const run = await stack.metadata.findContext('pipeline_run', firing.runId);
      expect(run?.properties.trigger).toMatchObject({ name: firing.trigger, eventKey: firing.eventKey });
    }
    // Every version a run registered went through a rollout.
    const rollouts = await stack.control.findRollouts();
    expect(rollouts.length).toBe(firings.length);
    expect((await stack.registry.listVersions(FLIGHTS_MODEL)).length).toBe(firings.length + 1);
  });

  it('tells the story and writes the report', async () => {
    const timeline = await describeTimeline(stack, result.notes);
    expect(timeline).toContain('Timeline (replay time)');
    expect(timeline).toMatch(/2001-03-01 {2}trigger monthly fired \(schedule 2001-03-01T00:00:00.000Z\)/);
    expect(timeline).toMatch(/Outcome: \d+ retraining runs/);
    expect(timeline).toMatch(/Champion: flights-delay v\d+/);
    const file = join(dir, 'report.html');
    await writeLoopDemoReport(stack, result, file);
    const html = await readFile(file, 'utf8');
    for (const section of ['Live performance', 'Input drift per feature over time', 'Timeline', 'Champion lineage']) expect(html).toContain(section);
    expect(html).toContain('2001-03-01');
  });
});
