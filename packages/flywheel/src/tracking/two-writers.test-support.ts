import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import { Tracker } from './tracker.js';

/**
 * Logs `points` metric points to one run from this process and as many from a child process at
 * once, then checks none was lost or duplicated and the latest value is the child's last point.
 * `openInChild` is the child's code opening the same database as `backend` (it defines `backend`).
 */
export async function expectTwoWritersKeepEveryPoint(options: {
  backend: MetadataBackend;
  openInChild: string[];
  dir: string;
  points: number;
  batchSize: number;
  yieldEvery: number;
}): Promise<void> {
  const { backend, points, batchSize, yieldEvery } = options;
  const run = await new Tracker(backend.tracking, undefined, { batchSize }).startRun({ name: 'shared' });
  const script = join(options.dir, 'writer.mts');
  const tracker = fileURLToPath(new URL('./tracker.ts', import.meta.url));
  writeFileSync(script, [
    `import { Tracker } from ${JSON.stringify(tracker)};`,
    ...options.openInChild,
    `const run = await new Tracker(backend.tracking, undefined, { batchSize: ${batchSize} }).resumeRun(${JSON.stringify(run.id)});`,
    `for (let i = 0; i < ${points}; i++) {`,
    "  run.logMetric('loss', 1, { step: 100000 + i, timestamp: 2 });",
    `  if (i % ${yieldEvery} === 0) await new Promise((resolve) => setImmediate(resolve));`,
    '}',
    'await run.flush();',
    'await backend.close();',
  ].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  for (let i = 0; i < points; i++) {
    run.logMetric('loss', 0, { step: i, timestamp: 1 });
    if (i % yieldEvery === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await run.flush();
  expect(await exited, stderr).toBe(0);
  await run.end();
  const steps = (await backend.tracking.getMetricHistory(run.id, 'loss')).items.map((m) => m.step);
  expect(steps).toHaveLength(2 * points);
  expect(new Set(steps).size).toBe(2 * points);
  expect((await backend.tracking.getRun(run.id)).data.metrics[0]).toEqual({ key: 'loss', value: 1, step: 100_000 + points - 1, timestamp: 2 });
}
