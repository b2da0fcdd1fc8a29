import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tracker } from '../../../tracking/tracker.js';
import { runTrackingStoreContract } from '../../../tracking/tracking-store.contract.js';
import type { MetadataBackend } from '../../metadata-backend.js';
import { openPostgresMetadataBackend } from './open-postgres-metadata.js';
import { admin, testDatabase } from './test-database.js';

const TRACKING_TABLES = ['run_artifacts', 'latest_metrics', 'metrics', 'run_tags', 'params', 'runs', 'experiment_tags', 'experiments'];

const db = await testDatabase();
const { url } = db;

let migrated: Promise<void> | undefined;

/** A backend over the test database with the tracking tables emptied, so each case starts from the default experiment alone. */
async function openEmpty(): Promise<MetadataBackend> {
  migrated ??= openPostgresMetadataBackend({ url, poolSize: 1 }).then((backend) => backend.close());
  await migrated;
  await admin((client) => client.query(`truncate ${TRACKING_TABLES.join(', ')} restart identity cascade`), url);
  return openPostgresMetadataBackend({ url, poolSize: 4 });
}

describe('postgres tracking database', () => {
  beforeAll(async () => {
    await db.create();
  });
  afterAll(async () => {
    await db.drop();
  });

  runTrackingStoreContract('postgres', openEmpty);

  it('lets two processes log to one run at once without losing or duplicating points', async () => {
    const backend = await openEmpty();
    const run = await new Tracker(backend.tracking, undefined, { batchSize: 500 }).startRun({ name: 'shared' });
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-postgres-tracking-'));
    const script = join(dir, 'writer.mts');
    const opener = fileURLToPath(new URL('./open-postgres-metadata.ts', import.meta.url));
    const tracker = fileURLToPath(new URL('../../../tracking/tracker.ts', import.meta.url));
    writeFileSync(script, [
      `import { openPostgresMetadataBackend } from ${JSON.stringify(opener)};`,
      `import { Tracker } from ${JSON.stringify(tracker)};`,
      `const backend = await openPostgresMetadataBackend({ url: ${JSON.stringify(url)}, poolSize: 2 });`,
      `const run = await new Tracker(backend.tracking, undefined, { batchSize: 500 }).resumeRun(${JSON.stringify(run.id)});`,
      'for (let i = 0; i < 10000; i++) {',
      "  run.logMetric('loss', 1, { step: 100000 + i, timestamp: 2 });",
      '  if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));',
      '}',
      'await run.flush();',
      'await backend.close();',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 10_000; i++) {
      run.logMetric('loss', 0, { step: i, timestamp: 1 });
      if (i % 250 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await run.flush();
    expect(await exited, stderr).toBe(0);
    await run.end();
    const steps = (await backend.tracking.getMetricHistory(run.id, 'loss')).items.map((m) => m.step);
    expect(steps).toHaveLength(20_000);
    expect(new Set(steps).size).toBe(20_000);
    expect((await backend.tracking.getRun(run.id)).data.metrics[0]).toEqual({ key: 'loss', value: 1, step: 109_999, timestamp: 2 });
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
