import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely } from 'kysely';
import type { FlavorContext } from '../../../config/flavor.js';
import type { MetadataBackend } from '../../metadata-backend.js';
import type { Database } from '../schema.js';
import { openSqlMetadataBackend } from '../sql-metadata-backend.js';
import { ImmediateSqliteDialect, sqliteCapabilities, withStatementCache } from './sqlite-dialect.js';
import { SQLITE_MEMORY_PATH } from './sqlite-flavor.js';

export interface SqliteMetadataConnection {
  /** Absolute file path, or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's lock before failing; 5000 by default. */
  busyTimeoutMs?: number;
}

/** The configured path made absolute: relative to the project, `<home>/metadata.db` when absent. */
export function resolveSqlitePath(path: string | undefined, context: FlavorContext): string {
  if (path === SQLITE_MEMORY_PATH) return path;
  if (path === undefined) return join(context.home, 'metadata.db');
  return isAbsolute(path) ? path : resolve(context.projectDir, path);
}

/**
 * Opens (creating when absent) a SQLite metadata database and migrates it.
 *
 * @example
 *   const backend = await openSqliteMetadataBackend({ path: '/tmp/metadata.db' });
 */
export async function openSqliteMetadataBackend(connection: SqliteMetadataConnection): Promise<MetadataBackend> {
  const { path } = connection;
  if (path !== SQLITE_MEMORY_PATH) mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path, { timeout: connection.busyTimeoutMs ?? 5000 });
  try {
    if (path !== SQLITE_MEMORY_PATH) {
      // WAL lets readers in other processes (a server next to a CLI) proceed during a write.
      database.pragma('journal_mode = WAL');
    }
    // With WAL, NORMAL loses at most the last transactions on power loss, never consistency.
    database.pragma('synchronous = NORMAL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }) });
  return openSqlMetadataBackend(db, sqliteCapabilities(path));
}
