import { Migrator } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { IncompatibleStateError } from '../../core/errors.js';
import type { SqlDialect } from './sql-dialect.js';
import { createControlSchema } from './control-migration.js';
import { createTrackingSchema } from './tracking-migration.js';

/** Kysely's own bookkeeping table, one row per applied migration. */
const MIGRATION_TABLE = 'kysely_migration';

/**
 * The schema's history. Names sort in the order they apply; a migration, once released, is never
 * edited: a change is a new entry.
 */
export function metadataMigrations(dialect: SqlDialect): Record<string, Migration> {
  return {
    '0001-initial-schema': { up: (db) => createInitialSchema(db, dialect) },
    '0002-tracking': { up: (db) => createTrackingSchema(db, dialect) },
    '0003-model-version-lineage': { up: (db) => addModelVersionLineage(db, dialect) },
    '0004-control': { up: (db) => createControlSchema(db, dialect) },
  };
}

/**
 * Brings the database to the schema this code knows, in one transaction where the engine allows
 * DDL in transactions (both SQLite and PostgreSQL do). A database already migrated by a newer
 * Flywheel is refused before anything is written.
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const migrations = metadataMigrations(dialect);
  const known = Object.keys(migrations);
  const applied = await appliedMigrations(db);
  const unknown = applied.filter((name) => !known.includes(name)).sort();
  if (unknown.length > 0) {
    throw new IncompatibleStateError(
      `metadata database ${dialect.label} was migrated by a newer Flywheel: schema version ${unknown.join(', ')} is unknown to this one (it knows up to ${known.at(-1)}); upgrade flywheel to open it`,
      'nothing in the database was changed; install the Flywheel version that wrote it, or a newer one',
    );
  }
  if (known.every((name) => applied.includes(name))) return;

  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error } = await new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE }).migrateToLatest();
  if (error !== undefined) {
    throw new IncompatibleStateError(
      `metadata database ${dialect.label} could not be migrated: ${error instanceof Error ? error.message : String(error)}`,
      'the migration was rolled back; check that the database is reachable and writable',
    );
  }
}

async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === MIGRATION_TABLE)) return [];
  const untyped = db as unknown as Kysely<Record<typeof MIGRATION_TABLE, { name: string }>>;
  const rows = await untyped.selectFrom(MIGRATION_TABLE).select('name').execute();
  return rows.map((row) => row.name);
}

async function createInitialSchema(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const int = dialect.integerType;
  const id = dialect.autoId;
  const schema = db.schema;

  await schema.createTable('types')
    .addColumn('id', int, id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('properties', 'text', (c) => c.notNull())
    .addUniqueConstraint('types_kind_name_unique', ['kind', 'name'])
    .execute();

  await schema.createTable('artifacts')
    .addColumn('id', int, id)
    .addColumn('type_id', int, (c) => c.notNull().references('types.id'))
    .addColumn('name', 'text')
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('digest', 'text')
    .addColumn('size_bytes', int)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('properties', 'text', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .execute();
  await schema.createIndex('artifacts_type_id').on('artifacts').columns(['type_id', 'id']).execute();
  await schema.createIndex('artifacts_digest').on('artifacts').column('digest').execute();
  await schema.createIndex('artifacts_uri').on('artifacts').column('uri').execute();
  await schema.createIndex('artifacts_name').on('artifacts').column('name').execute();

  await schema.createTable('executions')
    .addColumn('id', int, id)
    .addColumn('type_id', int, (c) => c.notNull().references('types.id'))
    .addColumn('name', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('cache_key', 'text')
    .addColumn('properties', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_at', int)
    .addColumn('ended_at', int)
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .execute();
  await schema.createIndex('executions_type_id').on('executions').columns(['type_id', 'id']).execute();
  await schema.createIndex('executions_cache_key').on('executions').column('cache_key').execute();

  await schema.createTable('contexts')
    .addColumn('id', int, id)
    .addColumn('type_id', int, (c) => c.notNull().references('types.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('parent_id', int, (c) => c.references('contexts.id'))
    .addColumn('properties', 'text', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .addUniqueConstraint('contexts_type_name_unique', ['type_id', 'name'])
    .execute();
  await schema.createIndex('contexts_parent_id').on('contexts').column('parent_id').execute();

  await schema.createTable('attributions')
    .addColumn('context_id', int, (c) => c.notNull().references('contexts.id'))
    .addColumn('artifact_id', int, (c) => c.notNull().references('artifacts.id'))
    .addPrimaryKeyConstraint('attributions_pk', ['context_id', 'artifact_id'])
    .execute();
  await schema.createIndex('attributions_artifact_id').on('attributions').column('artifact_id').execute();

  await schema.createTable('associations')
    .addColumn('context_id', int, (c) => c.notNull().references('contexts.id'))
    .addColumn('execution_id', int, (c) => c.notNull().references('executions.id'))
    .addPrimaryKeyConstraint('associations_pk', ['context_id', 'execution_id'])
    .execute();
  await schema.createIndex('associations_execution_id').on('associations').column('execution_id').execute();

  await schema.createTable('events')
    .addColumn('id', int, id)
    .addColumn('execution_id', int, (c) => c.notNull().references('executions.id'))
    .addColumn('artifact_id', int, (c) => c.notNull().references('artifacts.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .execute();
  // Lineage walks one hop per query through these two, filtered by kind.
  await schema.createIndex('events_artifact_kind').on('events').columns(['artifact_id', 'kind']).execute();
  await schema.createIndex('events_execution_kind').on('events').columns(['execution_id', 'kind']).execute();

  await schema.createTable('registered_models')
    .addColumn('id', int, id)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('last_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .execute();

  await schema.createTable('model_versions')
    .addColumn('id', int, id)
    .addColumn('model_id', int, (c) => c.notNull().references('registered_models.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('artifact_id', int, (c) => c.references('artifacts.id'))
    .addColumn('execution_id', int, (c) => c.references('executions.id'))
    .addColumn('signature', 'text')
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', int, (c) => c.notNull())
    .addUniqueConstraint('model_versions_model_version_unique', ['model_id', 'version'])
    .execute();

  await schema.createTable('model_aliases')
    .addColumn('model_id', int, (c) => c.notNull().references('registered_models.id'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .addPrimaryKeyConstraint('model_aliases_pk', ['model_id', 'alias'])
    .addForeignKeyConstraint('model_aliases_version_fk', ['model_id', 'version'], 'model_versions', ['model_id', 'version'])
    .execute();

  await schema.createTable('alias_moves')
    .addColumn('id', int, id)
    .addColumn('model_id', int, (c) => c.notNull().references('registered_models.id'))
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('at', int, (c) => c.notNull())
    .execute();
  await schema.createIndex('alias_moves_model_alias').on('alias_moves').columns(['model_id', 'alias', 'id']).execute();
}

/** What a model version was made from: the tracked run that trained it and its training data. */
async function addModelVersionLineage(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  // One column per statement: SQLite adds a single column per ALTER TABLE.
  await db.schema.alterTable('model_versions').addColumn('run_id', 'text').execute();
  await db.schema.alterTable('model_versions').addColumn('training_data_uri', 'text').execute();
  await db.schema.alterTable('model_versions').addColumn('training_data_digest', 'text').execute();
  await db.schema.alterTable('model_versions').addColumn('training_data_artifact_id', dialect.integerType, (c) => c.references('artifacts.id')).execute();
}
