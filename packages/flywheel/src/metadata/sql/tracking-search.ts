import { sql } from 'kysely';
import type { Expression, RawBuilder, SqlBool } from 'kysely';
import type { Comparison, OrderBy } from '../../tracking/filter-parser.js';
import type { LifecycleStage } from '../../tracking/model.js';
import type { SqlDialect } from './sql-dialect.js';

/**
 * Compiles parsed searches to SQL. Every value is a bound parameter; the only text spliced in
 * is comparators from the parser's closed set and aliases generated here.
 */

const RUN_COLUMNS: Readonly<Record<string, string>> = {
  run_id: 'run_uuid',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
};

const DATA_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'run_tags' } as const;

/**
 * Run search: one statement selecting the page (plus one row, to know whether more follow).
 *
 * Shaped for the planner: a filter on run data is a correlated EXISTS, so only candidate runs are
 * probed and a search walking runs in order stops at the page's end. A key that is ordered by is
 * joined; when a filter already requires the key to be present (every comparison does), the join
 * is inner and that filter moves onto it, so `metrics.auc > 0.9 order by metrics.auc desc` reads
 * the (key, value) index backwards and stops after one page instead of sorting every match.
 */
export function runSearchQuery(dialect: SqlDialect, search: {
  experimentIds: number[];
  stages: LifecycleStage[];
  filter: Comparison[];
  orderBy: OrderBy[];
  limit: number;
  offset: number;
}): RawBuilder<{ id: number }> {
  const [experimentId] = search.experimentIds;
  const [stage] = search.stages;
  const conditions: Expression<SqlBool>[] = [
    // One value compares with `=`, which lets an index deliver runs in start-time order.
    search.experimentIds.length === 1 ? sql<SqlBool>`runs.experiment_id = ${experimentId}` : dialect.inIds('runs.experiment_id', search.experimentIds),
    search.stages.length === 1 ? sql<SqlBool>`runs.lifecycle_stage = ${stage}` : dialect.inTexts(sql.ref('runs.lifecycle_stage'), search.stages),
  ];
  const joins: RawBuilder<unknown>[] = [];
  const joined = new Map<string, string>();
  const order: RawBuilder<unknown>[] = [];
  search.orderBy.forEach((clause, i) => {
    const direction = sql.raw(clause.ascending ? 'asc' : 'desc');
    if (clause.entity === 'attribute') {
      const column = sql.ref(`runs.${RUN_COLUMNS[clause.key] as string}`);
      if (clause.key === 'end_time') order.push(sql`case when ${column} is null then 1 else 0 end`);
      const isText = clause.key !== 'start_time' && clause.key !== 'end_time';
      order.push(sql`${isText ? dialect.binaryText(column) : column} ${direction}`);
      return;
    }
    const alias = `o${i}`;
    const value = sql.ref(`${alias}.value`);
    const on = sql`${sql.ref(`${alias}.run_id`)} = runs.id and ${sql.ref(`${alias}.key`)} = ${clause.key}`;
    const table = sql.table(DATA_TABLES[clause.entity]);
    if (search.filter.some((comparison) => comparison.entity === clause.entity && comparison.key === clause.key)) {
      joins.push(sql`join ${table} as ${sql.table(alias)} on ${on}`);
      joined.set(`${clause.entity}:${clause.key}`, alias);
      order.push(sql`${clause.entity === 'metric' ? value : dialect.binaryText(value)} ${direction}`);
      return;
    }
    // A left join keeps runs without the key; MLflow sorts them last whatever the direction, and
    // NaN metrics just before them.
    joins.push(sql`left join ${table} as ${sql.table(alias)} on ${on}`);
    if (clause.entity === 'metric') {
      order.push(sql`case when ${sql.ref(`${alias}.is_nan`)} = 1 then 1 when ${value} is null then 2 else 0 end`);
      order.push(sql`${value} ${direction}`);
    } else {
      order.push(sql`case when ${value} is null then 1 else 0 end`);
      order.push(sql`${dialect.binaryText(value)} ${direction}`);
    }
  });
  for (const comparison of search.filter) conditions.push(runCondition(dialect, comparison, joined.get(`${comparison.entity}:${comparison.key}`)));
  if (!search.orderBy.some((clause) => clause.entity === 'attribute' && clause.key === 'start_time')) {
    order.push(sql`runs.start_time desc`);
  }
  order.push(sql`${dialect.binaryText(sql.ref('runs.run_uuid'))} asc`);
  return sql<{ id: number }>`select runs.id from runs ${sql.join(joins, sql` `)} where ${sql.join(conditions, sql` and `)} order by ${sql.join(order)} limit ${search.limit} offset ${search.offset}`;
}

/** A filter on run data, on the joined row of that key when there is one. */
function runCondition(dialect: SqlDialect, comparison: Comparison, alias: string | undefined): Expression<SqlBool> {
  const { entity, key } = comparison;
  if (entity === 'attribute') return compare(dialect, sql.ref(`runs.${RUN_COLUMNS[key] as string}`), comparison);
  const row = alias ?? 'd';
  // NaN never compares true, as in IEEE arithmetic (MLflow's SQL store would compare its stored 0).
  const test = entity === 'metric'
    ? sql<SqlBool>`${sql.ref(`${row}.is_nan`)} = 0 and ${compare(dialect, sql.ref(`${row}.value`), comparison)}`
    : compare(dialect, sql.ref(`${row}.value`), comparison);
  if (alias !== undefined) return test;
  return sql<SqlBool>`exists (select 1 from ${sql.table(DATA_TABLES[entity])} as d where d.run_id = runs.id and d.key = ${key} and ${test})`;
}

const EXPERIMENT_COLUMNS: Readonly<Record<string, string>> = {
  name: 'name',
  creation_time: 'creation_time',
  last_update_time: 'last_update_time',
  experiment_id: 'experiment_id',
};

/** Experiment search, with MLflow's default order (newest first) and experiment id as the tie-breaker. */
export function experimentSearchQuery(dialect: SqlDialect, search: {
  stages: LifecycleStage[];
  filter: Comparison[];
  orderBy: OrderBy[];
  limit: number;
  offset: number;
}): RawBuilder<{ experiment_id: number }> {
  const conditions: Expression<SqlBool>[] = [
    dialect.inTexts(sql.ref('experiments.lifecycle_stage'), search.stages),
    ...search.filter.map((comparison) => comparison.entity === 'attribute'
      ? compare(dialect, sql.ref(`experiments.${EXPERIMENT_COLUMNS[comparison.key] as string}`), comparison)
      : sql<SqlBool>`experiments.experiment_id in (select experiment_id from experiment_tags where key = ${comparison.key} and ${compare(dialect, sql.ref('value'), comparison)})`),
  ];
  const orderBy = search.orderBy.length > 0
    ? search.orderBy
    : [{ entity: 'attribute', key: 'creation_time', ascending: false }, { entity: 'attribute', key: 'experiment_id', ascending: true }] satisfies OrderBy[];
  const order = orderBy.map((clause) => {
    const column = sql.ref(`experiments.${EXPERIMENT_COLUMNS[clause.key] as string}`);
    return sql`${clause.key === 'name' ? dialect.binaryText(column) : column} ${sql.raw(clause.ascending ? 'asc' : 'desc')}`;
  });
  if (!orderBy.some((clause) => clause.key === 'experiment_id')) order.push(sql`experiments.experiment_id desc`);
  return sql<{ experiment_id: number }>`select experiments.experiment_id from experiments where ${sql.join(conditions, sql` and `)} order by ${sql.join(order)} limit ${search.limit} offset ${search.offset}`;
}

function compare(dialect: SqlDialect, column: Expression<unknown>, { comparator, value }: Comparison): Expression<SqlBool> {
  switch (comparator) {
    case 'LIKE':
    case 'ILIKE':
      return dialect.like(column, value as string, comparator === 'ILIKE');
    case 'IN':
      return dialect.inTexts(column, value as string[]);
    case 'NOT IN':
      return sql<SqlBool>`not (${dialect.inTexts(column, value as string[])})`;
    default:
      // A number travels as a double: PostgreSQL would refuse `1.5` as a bigint time otherwise.
      return typeof value === 'number'
        ? sql<SqlBool>`${column} ${sql.raw(comparator)} cast(${value} as double precision)`
        : sql<SqlBool>`${column} ${sql.raw(comparator)} ${value}`;
  }
}
