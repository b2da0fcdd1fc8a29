import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrackingStoreContract } from '../../../tracking/tracking-store.contract.js';
import { metadataMigrations } from '../migrations.js';
import { openSqliteMetadataBackend } from './open-sqlite-metadata.js';
import { ImmediateSqliteDialect, sqliteCapabilities } from './sqlite-dialect.js';

const dir = mkdtempSync(join(tmpdir(), 'flywheel-sqlite-tracking-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runTrackingStoreContract('sqlite file', () => openSqliteMetadataBackend({ path: join(dir, `tracking-${++files}.db`) }));

describe('tracking migration', () => {
  it('upgrades a database made before tracking existed, keeping its metadata', async () => {
    const path = join(dir, 'before-tracking.db');
    const db = new Kysely<unknown>({ dialect: new ImmediateSqliteDialect({ database: new Sqlite(path) }) });
    const provider = { getMigrations: async () => metadataMigrations(sqliteCapabilities(path)) };
    const { error } = await new Migrator({ db, provider, migrationTableName: 'kysely_migration' }).migrateTo('0001-initial-schema');
    expect(error).toBeUndefined();
    await db.destroy();
    const raw = new Sqlite(path);
    raw.prepare(`insert into types (kind, name, properties) values ('artifact', 'Dataset', '{}')`).run();
    raw.prepare(`insert into artifacts (type_id, uri, state, properties, created_at, updated_at) values (1, 'file:///kept', 'live', '{}', 0, 0)`).run();
    raw.close();

    const backend = await openSqliteMetadataBackend({ path });
    expect((await backend.metadata.getArtifact(1)).uri).toBe('file:///kept');
    expect((await backend.tracking.getExperiment('0')).name).toBe('Default');
    const run = await backend.tracking.createRun({ runName: 'after-upgrade' });
    expect((await backend.tracking.getRun(run.info.runId)).info.runName).toBe('after-upgrade');
    await backend.close();
  });
});
