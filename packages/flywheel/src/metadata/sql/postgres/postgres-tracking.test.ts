import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { runTrackingStoreContract } from '../../../tracking/tracking-store.contract.js';
import { expectTwoWritersKeepEveryPoint } from '../../../tracking/two-writers.test-support.js';
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
    const dir = mkdtempSync(join(tmpdir(), 'flywheel-postgres-tracking-'));
    const opener = fileURLToPath(new URL('./open-postgres-metadata.ts', import.meta.url));
    await expectTwoWritersKeepEveryPoint({
      backend,
      openInChild: [
        `import { openPostgresMetadataBackend } from ${JSON.stringify(opener)};`,
        `const backend = await openPostgresMetadataBackend({ url: ${JSON.stringify(url)}, poolSize: 2 });`,
      ],
      dir,
      points: 10_000,
      batchSize: 500,
      yieldEvery: 250,
    });
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
