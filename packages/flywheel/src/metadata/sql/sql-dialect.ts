import type {
  ColumnDataType, ColumnDefinitionBuilder, CreateTableBuilder, Expression, SelectQueryBuilder, SqlBool,
} from 'kysely';

/**
 * What the SQL store needs to know about a database engine. Everything else is written once in
 * Kysely's common SQL; a new engine is a new value of this interface, not new branches.
 */
export interface SqlDialect {
  /** `sqlite`, `postgres`: reported as MetadataStore.dialect. */
  readonly name: string;
  /** Human name of the database in messages, e.g. the file path or `postgres://host/db`. */
  readonly label: string;
  /**
   * `column in (ids)` with the ids bound as one parameter, so a statement has one shape (and one
   * prepared form) whatever the number of ids, and no list outgrows the parameter limit.
   */
  inIds(column: string, ids: readonly number[]): Expression<SqlBool>;
  /** Most bound parameters one statement may carry. */
  readonly maxParameters: number;
  /**
   * Rows per statement when inserting `rows` rows, at most `limit` per statement (what the
   * parameter limit allows).
   */
  insertSizes(rows: number, limit: number): number[];
  /** Column type of ids, foreign keys and epoch-millisecond times. */
  readonly integerType: ColumnDataType;
  /** Makes an id column the auto-assigned primary key. */
  autoId(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /**
   * Locks the rows a read-modify-write transaction reads. Engines that take the write lock at
   * transaction start (SQLite `begin immediate`) need nothing; PostgreSQL needs `for update`.
   */
  lockForUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** `value in (texts)` with the texts bound as one parameter, like `inIds`. */
  inTexts(value: Expression<unknown>, texts: readonly string[]): Expression<SqlBool>;
  /**
   * SQL LIKE with the same meaning everywhere: `%` and `_` are the only wildcards (no escape
   * character), case-sensitive unless `ignoreCase` (ILIKE). SQLite's own LIKE ignores ASCII case
   * and PostgreSQL's treats backslash as an escape, so neither is used as is.
   */
  like(value: Expression<unknown>, pattern: string, ignoreCase: boolean): Expression<SqlBool>;
  /** Text that sorts by code point, as SQLite sorts; PostgreSQL would otherwise follow the database locale. */
  binaryText(value: Expression<unknown>): Expression<unknown>;
  /** The constraint a failed statement broke: a unique key or a foreign key; undefined for other errors. */
  constraintViolation(error: unknown): 'unique' | 'foreign-key' | undefined;
  /** Stores a table in its primary key's order where the engine can (SQLite `without rowid`), saving one index per row. */
  clusterByPrimaryKey<TB extends string, C extends string>(table: CreateTableBuilder<TB, C>): CreateTableBuilder<TB, C>;
}
