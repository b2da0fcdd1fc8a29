import type { Kysely } from 'kysely';
import type { MetadataBackend } from '../metadata-backend.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import { SqlControlStore } from './sql-control-store.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlModelRegistry } from './sql-model-registry.js';
import { SqlTrackingStore } from './sql-tracking-store.js';

/**
 * Migrates the database (and creates the default experiment when absent), then serves the
 * metadata store, the registry, experiment tracking and the control store over the same
 * connection. Closing the metadata store or the backend closes the connection once.
 */
export async function openSqlMetadataBackend(db: Kysely<Database>, dialect: SqlDialect): Promise<MetadataBackend> {
  const tracking = new SqlTrackingStore(db, dialect);
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>, dialect);
    await tracking.ensureDefaultExperiment();
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= db.destroy());
  return {
    metadata: new SqlMetadataStore(db, dialect, close),
    registry: new SqlModelRegistry(db, dialect),
    tracking,
    control: new SqlControlStore(db, dialect),
    close,
  };
}
