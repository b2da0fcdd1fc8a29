import { sql } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/** PostgreSQL's capabilities: concurrent writers, so read-modify-write transactions lock rows. */
/** PostgreSQL's SQLSTATE codes of broken constraints. */
const POSTGRES_CONSTRAINTS: Record<string, 'unique' | 'foreign-key'> = { '23505': 'unique', '23503': 'foreign-key' };

export function postgresCapabilities(label: string): SqlDialect {
  return {
    name: 'postgres',
    label,
    inIds: (column, ids) => sql<boolean>`${sql.ref(column)} = any(${ids}::bigint[])`,
    maxParameters: 65_535,
    // Each statement is a round trip; PostgreSQL parses every one anyway, so fewer is better.
    insertSizes: (rows, limit) => Array.from({ length: Math.ceil(rows / limit) }, (_, i) => Math.min(limit, rows - i * limit)),
    integerType: 'bigint',
    autoId: (column) => column.primaryKey().generatedByDefaultAsIdentity(),
    lockForUpdate: (query) => query.forUpdate(),
    inTexts: (value, texts) => sql<boolean>`${value} = any(${texts}::text[])`,
    like: (value, pattern, ignoreCase) => ignoreCase
      ? sql<boolean>`${value} ilike ${pattern} escape ''`
      : sql<boolean>`${value} like ${pattern} escape ''`,
    binaryText: (value) => sql`${value} collate "C"`,
    clusterByPrimaryKey: (table) => table,
    constraintViolation: (error) => POSTGRES_CONSTRAINTS[(error as { code?: string } | null)?.code ?? ''],
  };
}
