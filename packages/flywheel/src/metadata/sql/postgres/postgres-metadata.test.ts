import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncompatibleStateError } from '../../../core/errors.js';
import { runModelRegistryContract } from '../../../registry/model-registry.contract.js';
import { runControlStoreContract } from '../../control-store.contract.js';
import { runMetadataStoreContract } from '../../metadata-store.contract.js';
import type { MetadataBackend } from '../../metadata-backend.js';
import { openPostgresMetadataBackend, redactPassword } from './open-postgres-metadata.js';
import { admin, testDatabase } from './test-database.js';
import { postgresMetadataFlavor, postgresMetadataOptions } from './postgres-flavor.js';

const DATA_TABLES = [
  'alias_moves', 'model_aliases', 'model_versions', 'registered_models',
  'events', 'attributions', 'associations', 'contexts', 'executions', 'artifacts', 'types',
  'trigger_states', 'trigger_firings', 'alerts', 'rollouts',
];

const db = await testDatabase();
const { url } = db;
const database = db.name;

/** A backend over the test database, emptied first, so each case starts from nothing. */
async function openEmpty(): Promise<MetadataBackend> {
  const backend = await openPostgresMetadataBackend({ url, poolSize: 4 });
  await admin((client) => client.query(`truncate ${DATA_TABLES.join(', ')} restart identity cascade`), url);
  return backend;
}

describe('postgres metadata database', () => {
  beforeAll(async () => {
    await db.create();
  });
  afterAll(async () => {
    await db.drop();
  });

  runMetadataStoreContract('postgres', openEmpty);
  runModelRegistryContract('postgres', openEmpty);
  runControlStoreContract('postgres', openEmpty);

  it('refuses a database migrated by a newer Flywheel and changes nothing', async () => {
    const backend = await openEmpty();
    const [artifact] = await backend.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///d' }]);
    await backend.close();
    const snapshot = (): Promise<unknown> => admin(async (client) => ({
      tables: (await client.query(`select table_name from information_schema.tables where table_schema = 'public' order by 1`)).rows,
      migrations: (await client.query('select name from kysely_migration order by name')).rows,
      artifacts: (await client.query('select id, uri from artifacts order by id')).rows,
    }), url);
    await admin((client) => client.query(`insert into kysely_migration (name, timestamp) values ('0999-from-the-future', $1)`, [new Date().toISOString()]), url);
    const before = await snapshot();

    const error = await openPostgresMetadataBackend({ url }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleStateError);
    const { message } = error as IncompatibleStateError;
    expect(message).toContain(database);
    expect(message).toContain('0999-from-the-future');
    expect(message).toContain('upgrade flywheel');
    expect(await snapshot()).toEqual(before);
    expect((before as { artifacts: { uri: string }[] }).artifacts.map((a) => a.uri)).toEqual([artifact?.uri]);
    await admin((client) => client.query(`delete from kysely_migration where name = '0999-from-the-future'`), url);
  });

  it('keeps its data across reopening and returns times and ids as numbers', async () => {
    const first = await openEmpty();
    const [artifact] = await first.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///d', sizeBytes: 2 ** 40 }]);
    await first.close();
    const second = await openPostgresMetadataBackend({ url });
    const read = await second.metadata.getArtifact(artifact?.id ?? 0);
    expect(read).toEqual(artifact);
    expect(typeof read.id).toBe('number');
    expect(read.sizeBytes).toBe(2 ** 40);
    await second.close();
  });

  it('opens through the flavor', async () => {
    const options = postgresMetadataOptions.parse({ flavor: 'postgres', ...postgresMetadataFlavor.fromUri(url) });
    const backend = await postgresMetadataFlavor.create(options, { projectDir: '/', home: '/' });
    expect(backend.metadata.dialect).toBe('postgres');
    await backend.close();
  });
});

describe('postgres metadata flavor', () => {
  it('reads postgres: and postgresql: uris and defaults the pool size', () => {
    expect(postgresMetadataFlavor.schemes).toEqual(['postgres', 'postgresql']);
    expect(postgresMetadataFlavor.fromUri('postgresql://u@h/db')).toEqual({ url: 'postgresql://u@h/db' });
    expect(postgresMetadataOptions.parse({ flavor: 'postgres', url: 'postgres://u@h/db' }))
      .toEqual({ flavor: 'postgres', url: 'postgres://u@h/db', poolSize: 10 });
    expect(postgresMetadataOptions.safeParse({ flavor: 'postgres', url: 'mysql://h/db' }).success).toBe(false);
    expect(postgresMetadataOptions.safeParse({ flavor: 'postgres', url: 'postgres://h/db', poolSize: 0 }).success).toBe(false);
  });

  it('keeps passwords out of messages', () => {
    expect(redactPassword('postgres://u:secret@h:5432/db')).toBe('postgres://u:***@h:5432/db');
    expect(redactPassword('postgres://u@h/db')).toBe('postgres://u@h/db');
  });
});
