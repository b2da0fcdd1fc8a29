import type { Kysely } from 'kysely';
import type { MetadataBackend } from '../metadata-backend.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlMetadataStore } from './sql-metadata-store.js';
import { SqlModelRegistry } from './sql-model-registry.js';

/**
 * Migrates the database, then serves the metadata store and the registry over the same
 * connection. Closing either (or the backend) closes the connection once.
 */
export async function openSqlMetadataBackend(db: Kysely<Database>, dialect: SqlDialect): Promise<MetadataBackend> {
  try {
    await migrateToLatest(db as unknown as Kysely<unknown>, dialect);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= db.destroy());
  return {
    metadata: new SqlMetadataStore(db, dialect, close),
    registry: new SqlModelRegistry(db, dialect),
    close,
  };
}
