import { CompiledQuery, SqliteAdapter, SqliteDialect, SqliteDriver, sql } from 'kysely';
import type {
  DatabaseConnection, DialectAdapter, Driver, SqliteDatabase, SqliteDialectConfig, SqliteStatement,
} from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqlDialect } from '../sql-dialect.js';

/** better-sqlite3's error codes (SQLite extended result codes) of broken constraints. */
const SQLITE_CONSTRAINTS: Record<string, 'unique' | 'foreign-key'> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign-key',
};

/** SQLite's capabilities: one writer at a time, so row locks are never needed. */
export function sqliteCapabilities(label: string): SqlDialect {
  return {
    name: 'sqlite',
    label,
    inIds: (column, ids) => sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(ids)}))`,
    // SQLITE_MAX_VARIABLE_NUMBER of the SQLite bundled with better-sqlite3.
    maxParameters: 32_766,
    insertSizes: powerOfTwoSizes,
    integerType: 'integer',
    // An `integer primary key` is the rowid itself: assigned by SQLite, no separate index.
    autoId: (column) => column.primaryKey(),
    lockForUpdate: (query) => query,
    inTexts: (value, texts) => sql<boolean>`${value} in (select value from json_each(${JSON.stringify(texts)}))`,
    like: (value, pattern, ignoreCase) => ignoreCase
      ? sql<boolean>`lower(${value}) like lower(${pattern})`
      : sql<boolean>`${value} glob ${likeToGlob(pattern)}`,
    binaryText: (value) => value,
    clusterByPrimaryKey: (table) => table.modifyEnd(sql`without rowid`),
    constraintViolation: (error) => SQLITE_CONSTRAINTS[(error as { code?: string } | null)?.code ?? ''],
  };
}

/**
 * A LIKE pattern as the equivalent GLOB, SQLite's case-sensitive matcher: `%` → `*`, `_` → `?`,
 * and GLOB's own wildcards made literal by a one-character class.
 */
function likeToGlob(pattern: string): string {
  return pattern.replace(/[%_*?[]/g, (c) => ({ '%': '*', _: '?', '*': '[*]', '?': '[?]', '[': '[[]' })[c] as string);
}

/** Largest multi-row insert, in rows: big enough to amortise a statement, small enough to keep prepared. */
const MAX_INSERT_ROWS = 512;

/**
 * Splits a batch into full statements of a fixed size and a remainder in powers of two
 * (1000 rows → 512 + 256 + 128 + 64 + 32 + 8). Any batch size then reuses a dozen prepared
 * statement shapes per table instead of preparing a new one per size.
 */
export function powerOfTwoSizes(rows: number, limit: number): number[] {
  let full = 1;
  while (full * 2 <= Math.min(MAX_INSERT_ROWS, limit)) full *= 2;
  const sizes: number[] = [];
  let left = rows;
  for (; left >= full; left -= full) sizes.push(full);
  for (let size = full / 2; size >= 1; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/**
 * Kysely's SQLite dialect with two changes. Transactions start with `begin immediate`, so a
 * transaction that reads before it writes cannot fail half-way when another process (a CLI next
 * to a server) holds the file: it waits for the lock up front, within busy_timeout. And DDL runs in
 * transactions, which SQLite supports, so a migration applies whole or not at all.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/**
 * Kysely's SQLite driver prepares every statement it runs, and SQLite compiling SQL to bytecode
 * costs more than running a small write; prepared statements are therefore kept by their text
 * (Kysely produces the same text for the same query shape), least recently used dropped first.
 */
export function withStatementCache(database: BetterSqlite3.Database, capacity = 128): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
      const cached = statements.get(sql);
      if (cached !== undefined) {
        // Re-inserting keeps the Map's order least-recently-used first.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql) as unknown as SqliteStatement;
      statements.set(sql, statement);
      if (statements.size > capacity) {
        const oldest = statements.keys().next().value;
        if (oldest !== undefined) statements.delete(oldest);
      }
      return statement;
    },
  };
}
