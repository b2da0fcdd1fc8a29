import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { MetadataBackend } from '../../metadata-backend.js';
import type { Database } from '../schema.js';
import { openSqlMetadataBackend } from '../sql-metadata-backend.js';
import { postgresCapabilities } from './postgres-dialect.js';

export interface PostgresMetadataConnection {
  /** `postgres://user:password@host:5432/database`. */
  url: string;
  /** Most connections held open at once; 10 by default. */
  poolSize?: number;
}

const INT8_OID = 20;

/**
 * Ids and epoch-millisecond times are `bigint` columns, which pg returns as strings by default;
 * they stay far below 2^53, so numbers are exact. Set per pool, not globally, to leave other pg
 * users in the process alone.
 */
const numericInt8: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * Connects to a PostgreSQL metadata database and migrates it.
 *
 * @example
 *   const backend = await openPostgresMetadataBackend({ url: 'postgres://flywheel@db/flywheel' });
 */
export async function openPostgresMetadataBackend(connection: PostgresMetadataConnection): Promise<MetadataBackend> {
  const pool = new pg.Pool({ connectionString: connection.url, max: connection.poolSize ?? 10, types: numericInt8 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return openSqlMetadataBackend(db, postgresCapabilities(redactPassword(connection.url)));
}

/** The url as it may appear in messages and logs. */
export function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
