import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { SqlDialect } from './sql-dialect.js';

/**
 * The continuous-training loop's tables. Its guarantees are constraints, so they hold across
 * processes and restarts: one firing per trigger and event (and per run id), one alert per rule,
 * model, version and window start, one undecided rollout per model (a partial unique index,
 * which SQLite and PostgreSQL both have).
 */
export async function createControlSchema(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const int = dialect.integerType;
  const schema = db.schema;

  await schema.createTable('trigger_states')
    .addColumn('trigger_name', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .execute();

  await schema.createTable('trigger_firings')
    .addColumn('id', int, dialect.autoId)
    .addColumn('trigger_name', 'text', (c) => c.notNull())
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .addUniqueConstraint('trigger_firings_event_unique', ['trigger_name', 'event_key'])
    .addUniqueConstraint('trigger_firings_run_id_unique', ['run_id'])
    .execute();
  // A trigger's active firings (its concurrency) and every trigger's, both newest first.
  await schema.createIndex('trigger_firings_trigger_status').on('trigger_firings').columns(['trigger_name', 'status', 'id']).execute();
  await schema.createIndex('trigger_firings_status').on('trigger_firings').columns(['status', 'id']).execute();

  // `version` 0 is "all versions": with NULL, neither engine would see two such alerts as duplicates.
  await schema.createTable('alerts')
    .addColumn('id', int, dialect.autoId)
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('window_start', int, (c) => c.notNull())
    .addColumn('window_end', int, (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('threshold', 'double precision', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addUniqueConstraint('alerts_window_unique', ['rule', 'model', 'version', 'window_start'])
    .execute();
  await schema.createIndex('alerts_created_at').on('alerts').column('created_at').execute();
  await schema.createIndex('alerts_model_created_at').on('alerts').columns(['model', 'created_at']).execute();

  await schema.createTable('rollouts')
    .addColumn('id', int, dialect.autoId)
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('challenger_version', 'integer', (c) => c.notNull())
    .addColumn('champion_version', 'integer')
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addColumn('updated_at', int, (c) => c.notNull())
    .execute();
  // The phases are spelled out, not taken from ROLLOUT_PHASES: a released migration must not change with the code.
  await schema.createIndex('rollouts_one_open').on('rollouts').column('model').unique()
    .where(sql.ref('phase'), 'in', ['evaluating', 'canary'])
    .execute();
  await schema.createIndex('rollouts_model').on('rollouts').columns(['model', 'id']).execute();
}
