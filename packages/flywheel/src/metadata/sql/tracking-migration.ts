import type { Kysely } from 'kysely';
import type { SqlDialect } from './sql-dialect.js';

/**
 * The experiment-tracking tables (MLflow's model) beside the ML metadata: a run may point at the
 * execution it tracks. Indexes serve the searches: runs of an experiment by start time, and
 * params, tags and latest metrics by key.
 */
export async function createTrackingSchema(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const int = dialect.integerType;
  const schema = db.schema;

  await schema.createTable('experiments')
    .addColumn('experiment_id', int, dialect.autoId)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('creation_time', int, (c) => c.notNull())
    .addColumn('last_update_time', int, (c) => c.notNull())
    .execute();

  await schema.createTable('experiment_tags')
    .addColumn('experiment_id', int, (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .execute();

  await schema.createTable('runs')
    .addColumn('id', int, dialect.autoId)
    .addColumn('run_uuid', 'text', (c) => c.notNull().unique())
    .addColumn('experiment_id', int, (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', int, (c) => c.notNull())
    .addColumn('end_time', int)
    .addColumn('deleted_time', int)
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('execution_id', int, (c) => c.references('executions.id'))
    .execute();
  await schema.createIndex('runs_experiment_start').on('runs').columns(['experiment_id', 'start_time']).execute();
  await schema.createIndex('runs_execution_id').on('runs').column('execution_id').execute();

  // Values are not indexed: param and tag values may be thousands of characters, more than a
  // PostgreSQL b-tree entry holds; filters find the key's rows, then compare.
  for (const table of ['params', 'run_tags']) {
    await schema.createTable(table)
      .addColumn('run_id', int, (c) => c.notNull().references('runs.id'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_id', 'key'])
      .execute();
    await schema.createIndex(`${table}_key`).on(table).column('key').execute();
  }

  // The primary key is MLflow's: identical points are one point, so a retried batch never
  // duplicates; it also serves the history of one key in time order.
  await schema.createTable('metrics')
    .addColumn('run_id', int, (c) => c.notNull().references('runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('timestamp', int, (c) => c.notNull())
    .addColumn('step', int, (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('metrics_pk', ['run_id', 'key', 'timestamp', 'step', 'value', 'is_nan'])
    .$call(dialect.clusterByPrimaryKey)
    .execute();

  await schema.createTable('latest_metrics')
    .addColumn('run_id', int, (c) => c.notNull().references('runs.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('timestamp', int, (c) => c.notNull())
    .addColumn('step', int, (c) => c.notNull())
    .addColumn('is_nan', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_id', 'key'])
    .execute();
  await schema.createIndex('latest_metrics_key_value').on('latest_metrics').columns(['key', 'value']).execute();

  await schema.createTable('run_artifacts')
    .addColumn('run_id', int, (c) => c.notNull().references('runs.id'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size_bytes', int, (c) => c.notNull())
    .addColumn('created_at', int, (c) => c.notNull())
    .addPrimaryKeyConstraint('run_artifacts_pk', ['run_id', 'path'])
    .execute();
}
