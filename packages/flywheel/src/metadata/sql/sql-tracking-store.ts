import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import type { Kysely, SqlBool } from 'kysely';
import {
  InvalidParameterValueError, InvalidStateError, ResourceAlreadyExistsError, ResourceDoesNotExistError,
} from '../../tracking/errors.js';
import { EXPERIMENT_SEARCH, RUN_SEARCH, parseFilter, parseOrderBy } from '../../tracking/filter-parser.js';
import {
  DEFAULT_EXPERIMENT_ID, DEFAULT_EXPERIMENT_NAME, LIMITS, RUN_STATUSES, TAG_RUN_NAME,
} from '../../tracking/model.js';
import type {
  Experiment, FileInfo, LogBatch, Metric, MetricHistoryQuery, NewExperiment, NewRun, Param, ResultPage, Run,
  RunArtifact, RunData, RunInfo, RunPatch, SearchExperimentsQuery, SearchRunsQuery, Tag, TrackingRunStatus, ViewType,
} from '../../tracking/model.js';
import { checkMaxResults, pageToken, readPageToken } from '../../tracking/page-token.js';
import { randomRunName } from '../../tracking/run-names.js';
import type { TrackingStore } from '../../tracking/tracking-store.js';
import {
  checkLength, checkText, normpath, parseExperimentId, pyRepr, validateBatch, validateExperimentName, validateKey,
  validateParams, validateRunId, validateTag,
} from '../../tracking/validation.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import {
  appendToUri, byKey, stagesOf, storedMetricValue, toExperiment, toMetric, toRunInfo,
} from './tracking-rows.js';
import type { ExperimentRow, MetricRow, RunRow } from './tracking-rows.js';
import { experimentSearchQuery, runSearchQuery } from './tracking-search.js';

type Db = Kysely<Database>;

/**
 * Where artifact locations point when none is given: MLflow's proxied-artifacts scheme. The bytes
 * live content-addressed in the stack's artifact store; the tree under a run's artifact URI is the
 * path → digest table, which an MLflow-compatible server serves under these URIs.
 */
const DEFAULT_ARTIFACT_ROOT = 'mlflow-artifacts:/';
const VIEW_TYPES: readonly ViewType[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];
const DIGEST = /^[0-9a-f]{64}$/;
const NEW_RUN_ID = /^[0-9a-f]{32}$/;

/** A new run, checked, with its defaults filled in: what #insertRun writes. */
interface PreparedRun {
  experimentId: string;
  runId: string | undefined;
  runName: string;
  userId: string;
  status: TrackingRunStatus;
  startTime: number;
  endTime: number | null;
  executionId: number | null;
  /** Sorted by key, the run name tag included. */
  tags: Tag[];
  /** Sorted by key. */
  params: Param[];
}

/** Checks a new run as MLflow's CreateRun does (plus the chosen id, params and final state) before any query. */
function prepareRun(run: NewRun): PreparedRun {
  if (typeof run !== 'object' || run === null) throw new InvalidParameterValueError('a run must be an object', { field: 'run' });
  const startTime = run.startTime ?? Date.now();
  if (!Number.isSafeInteger(startTime) || startTime < 0) {
    throw new InvalidParameterValueError(`Invalid value ${String(startTime)} for parameter 'start_time' supplied: it must be epoch milliseconds`, { field: 'start_time' });
  }
  const userId = run.userId ?? '';
  checkText('User id', userId, 'user_id');
  const tags = lastValuePerKey(validTags(run.tags));
  const nameTag = tags.get(TAG_RUN_NAME);
  if (run.runName !== undefined) {
    checkText('Run name', run.runName, 'run_name');
    checkLength('Tag value', LIMITS.tagValueLength, run.runName, 'run_name');
  }
  if (run.runName && nameTag !== undefined && run.runName !== nameTag) {
    throw new InvalidParameterValueError(
      `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${run.runName}', mlflow.runName='${nameTag}').`,
      { field: 'run_name' },
    );
  }
  const runName = run.runName || nameTag || randomRunName();
  tags.set(TAG_RUN_NAME, runName);
  const executionId = run.executionId ?? null;
  if (executionId !== null && (!Number.isSafeInteger(executionId) || executionId < 1)) {
    throw new InvalidParameterValueError(`Invalid execution id ${String(executionId)}: it must be a positive integer`, { field: 'execution_id' });
  }
  if (run.runId !== undefined && !NEW_RUN_ID.test(run.runId)) {
    throw new InvalidParameterValueError(`Invalid run ID: ${pyRepr(run.runId)}: a new run's id is 32 lowercase hex digits`, { field: 'run_id' });
  }
  const params = run.params ?? [];
  if (!Array.isArray(params)) throw new InvalidParameterValueError('params must be an array', { field: 'params' });
  validateParams(params);
  return {
    experimentId: run.experimentId ?? DEFAULT_EXPERIMENT_ID,
    runId: run.runId,
    runName,
    userId,
    ...finalState(run, startTime),
    startTime,
    executionId,
    tags: [...tags].map(([key, value]) => ({ key, value })).sort(byKey),
    params: params.map((param) => ({ key: param.key, value: param.value })).sort(byKey),
  };
}

/** RUNNING with no end, or a run recorded after it ended: a final status and an end no earlier than its start. */
function finalState(run: NewRun, startTime: number): { status: TrackingRunStatus; endTime: number | null } {
  const status = run.status ?? 'RUNNING';
  if (!RUN_STATUSES.includes(status)) {
    throw new InvalidParameterValueError(`Invalid value ${pyRepr(status)} for parameter 'status' supplied: use one of ${RUN_STATUSES.join(', ')}`, { field: 'status' });
  }
  const endTime = run.endTime ?? null;
  if (endTime !== null && (!Number.isSafeInteger(endTime) || endTime < startTime)) {
    throw new InvalidParameterValueError(`Invalid value ${String(endTime)} for parameter 'end_time' supplied: it must be epoch milliseconds, not before start_time`, { field: 'end_time' });
  }
  return { status, endTime };
}

/**
 * Experiment tracking over the metadata database, for every engine Kysely speaks. Each write is
 * one transaction; concurrent writers to one run are safe: params and metric points are inserted
 * with ON CONFLICT, and the latest value per metric key is an upsert that only moves forward in
 * (step, timestamp, value) order, so neither lost nor duplicated points nor a stale latest value
 * can result.
 *
 * @example
 *   const store = new SqlTrackingStore(db, sqliteCapabilities('metadata.db'));
 *   await store.ensureDefaultExperiment();
 *   const run = await store.createRun({ runName: 'baseline' });
 */
export class SqlTrackingStore implements TrackingStore {
  readonly #db: Db;
  readonly #sql: SqlDialect;
  /** SQL text of the metric insert, per row count (see #insertMetrics). */
  readonly #metricInserts = new Map<number, string>();

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#sql = dialect;
  }

  /** Creates experiment 0, `Default`, when it is absent, as MLflow does when its store starts. */
  async ensureDefaultExperiment(): Promise<void> {
    const id = Number(DEFAULT_EXPERIMENT_ID);
    const found = await this.#db.selectFrom('experiments').select('experiment_id').where('experiment_id', '=', id).executeTakeFirst();
    if (found !== undefined) return;
    const now = Date.now();
    await this.#db.insertInto('experiments')
      .values({
        experiment_id: id,
        name: DEFAULT_EXPERIMENT_NAME,
        artifact_location: appendToUri(DEFAULT_ARTIFACT_ROOT, DEFAULT_EXPERIMENT_ID),
        lifecycle_stage: 'active',
        creation_time: now,
        last_update_time: now,
      })
      .onConflict((conflict) => conflict.doNothing())
      .execute();
  }

  async createExperiment(experiment: NewExperiment): Promise<Experiment> {
    if (typeof experiment !== 'object' || experiment === null) {
      throw new InvalidParameterValueError('an experiment must be an object with a name', { field: 'experiment' });
    }
    const { name, artifactLocation } = experiment;
    validateExperimentName(name);
    if (artifactLocation !== undefined) {
      checkText('Artifact location', artifactLocation, 'artifact_location');
      if (artifactLocation.startsWith('runs:')) {
        throw new InvalidParameterValueError(`Artifact location cannot be a runs:/ URI. Given: '${artifactLocation}'`, { field: 'artifact_location' });
      }
    }
    const tags = experimentTags(experiment.tags);
    return this.#db.transaction().execute(async (trx) => {
      const now = Date.now();
      const inserted = await trx.insertInto('experiments')
        .values({ name, artifact_location: artifactLocation ?? '', lifecycle_stage: 'active', creation_time: now, last_update_time: now })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .returning('experiment_id')
        .executeTakeFirst();
      if (inserted === undefined) {
        throw new ResourceAlreadyExistsError(`Experiment(name=${name}) already exists.`, 'choose another name, or restore the deleted experiment of that name');
      }
      const id = inserted.experiment_id;
      const location = artifactLocation === undefined || artifactLocation === ''
        ? appendToUri(DEFAULT_ARTIFACT_ROOT, String(id))
        : artifactLocation;
      await trx.updateTable('experiments').set({ artifact_location: location }).where('experiment_id', '=', id).execute();
      if (tags.length > 0) await trx.insertInto('experiment_tags').values(tags.map((tag) => ({ experiment_id: id, ...tag }))).execute();
      return toExperiment(
        { experiment_id: id, name, artifact_location: location, lifecycle_stage: 'active', creation_time: now, last_update_time: now },
        [...tags].sort(byKey),
      );
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const row = await this.#experiment(this.#db, experimentId, 'ALL');
    return (await this.#withTags([row]))[0] as Experiment;
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    checkText('Experiment name', name, 'experiment_name');
    const row = await this.#db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : (await this.#withTags([row]))[0];
  }

  async searchExperiments(query: SearchExperimentsQuery = {}): Promise<ResultPage<Experiment>> {
    const view = viewType(query.viewType, 'view_type');
    const maxResults = checkMaxResults(query.maxResults);
    const filter = parseFilter(query.filter, EXPERIMENT_SEARCH);
    const orderBy = parseOrderBy(query.orderBy, EXPERIMENT_SEARCH);
    const fingerprint = { search: 'experiments', filter: query.filter ?? '', orderBy: query.orderBy ?? [], view };
    const offset = readPageToken(query.pageToken, fingerprint);
    const { rows: found } = await experimentSearchQuery(this.#sql, {
      stages: stagesOf(view), filter, orderBy, limit: maxResults + 1, offset,
    }).execute(this.#db);
    const ids = found.slice(0, maxResults).map((row) => Number(row.experiment_id));
    const rows = ids.length === 0 ? [] : await this.#db.selectFrom('experiments').selectAll().where(this.#sql.inIds('experiment_id', ids)).execute();
    const byId = new Map(rows.map((row) => [row.experiment_id, row]));
    const items = await this.#withTags(ids.map((id) => byId.get(id) as ExperimentRow));
    return found.length > maxResults ? { items, nextPageToken: pageToken(offset + maxResults, fingerprint) } : { items };
  }

  async renameExperiment(experimentId: string, name: string): Promise<void> {
    validateExperimentName(name);
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#experiment(trx, experimentId, 'ALL');
      if (row.lifecycle_stage !== 'active') throw new InvalidStateError('Cannot rename a non-active experiment.', 'restore it first');
      const taken = await trx.selectFrom('experiments').select('experiment_id')
        .where('name', '=', name).where('experiment_id', '!=', row.experiment_id)
        .executeTakeFirst();
      if (taken !== undefined) throw new ResourceAlreadyExistsError(`Experiment(name=${name}) already exists.`);
      await trx.updateTable('experiments').set({ name, last_update_time: Date.now() }).where('experiment_id', '=', row.experiment_id).execute();
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'ACTIVE_ONLY', 'deleted');
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.#setExperimentStage(experimentId, 'DELETED_ONLY', 'active');
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    const [valid] = experimentTags([tag]) as [Tag];
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#activeExperiment(trx, experimentId);
      await trx.insertInto('experiment_tags').values({ experiment_id: row.experiment_id, ...valid })
        .onConflict((conflict) => conflict.columns(['experiment_id', 'key']).doUpdateSet({ value: valid.value }))
        .execute();
    });
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateKey('tag', key, 'key');
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#activeExperiment(trx, experimentId);
      const deleted = await trx.deleteFrom('experiment_tags')
        .where('experiment_id', '=', row.experiment_id).where('key', '=', key)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) {
        throw new ResourceDoesNotExistError(`No tag with name: ${key} in experiment with id ${experimentId}`);
      }
    });
  }

  async createRun(run: NewRun = {}): Promise<Run> {
    const [created] = await this.#createRuns([prepareRun(run)]);
    return created as Run;
  }

  async createRuns(runs: readonly NewRun[]): Promise<void> {
    if (!Array.isArray(runs)) throw new InvalidParameterValueError('runs must be an array', { field: 'runs' });
    const prepared = runs.map(prepareRun);
    if (prepared.length > 0) await this.#createRuns(prepared);
  }

  /** Inserts the runs, their tags and params with a few multi-row statements in one transaction. */
  #createRuns(runs: readonly PreparedRun[]): Promise<Run[]> {
    return this.#db.transaction().execute(async (trx) => {
      const experiments = new Map<string, ExperimentRow>();
      for (const run of runs) {
        if (!experiments.has(run.experimentId)) experiments.set(run.experimentId, await this.#activeExperiment(trx, run.experimentId));
      }
      const rows = runs.map((run) => {
        const experiment = experiments.get(run.experimentId) as ExperimentRow;
        const runId = run.runId ?? randomUUID().replaceAll('-', '');
        return {
          run_uuid: runId,
          experiment_id: experiment.experiment_id,
          name: run.runName,
          user_id: run.userId,
          status: run.status,
          start_time: run.startTime,
          end_time: run.endTime,
          deleted_time: null,
          lifecycle_stage: 'active',
          artifact_uri: appendToUri(experiment.artifact_location, runId, 'artifacts'),
          execution_id: run.executionId,
        };
      });
      const ids = new Map<string, number>();
      for (const chunk of this.#chunks(rows, 11)) {
        // The keys check the executions exist and the ids are new, without queries of their own.
        const inserted = await trx.insertInto('runs').values(chunk).returning(['id', 'run_uuid']).execute().catch((error: unknown) => {
          const broken = this.#sql.constraintViolation(error);
          if (broken === 'foreign-key') throw new ResourceDoesNotExistError(`No execution with id=${chunk.map((r) => r.execution_id).filter((id) => id !== null).join(' or id=')} exists`);
          if (broken === 'unique') throw new ResourceAlreadyExistsError(`Run with id=${chunk.map((r) => r.run_uuid).join(' or id=')} already exists`);
          throw error;
        });
        for (const { id, run_uuid } of inserted) ids.set(run_uuid, id);
      }
      const keyOf = (i: number) => ids.get((rows[i] as (typeof rows)[number]).run_uuid) as number;
      const tags = runs.flatMap((run, i) => run.tags.map((tag) => ({ run_id: keyOf(i), ...tag })));
      for (const chunk of this.#chunks(tags, 3)) await trx.insertInto('run_tags').values(chunk).execute();
      // New runs have no params yet and validateParams refused duplicate keys: plain inserts.
      const params = runs.flatMap((run, i) => run.params.map((param) => ({ run_id: keyOf(i), ...param })));
      for (const chunk of this.#chunks(params, 3)) await trx.insertInto('params').values(chunk).execute();
      return runs.map((run, i) => ({
        info: toRunInfo({ ...(rows[i] as (typeof rows)[number]), id: keyOf(i) }),
        data: { metrics: [], params: run.params, tags: run.tags },
      }));
    });
  }

  async runOfExecution(executionId: number): Promise<RunInfo | undefined> {
    if (!Number.isSafeInteger(executionId) || executionId < 1) {
      throw new InvalidParameterValueError(`Invalid execution id ${String(executionId)}: it must be a positive integer`, { field: 'execution_id' });
    }
    const row = await this.#db.selectFrom('runs').selectAll().where('execution_id', '=', executionId)
      .orderBy('start_time', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? undefined : toRunInfo(row);
  }

  async getRun(runId: string): Promise<Run> {
    const row = await this.#run(this.#db, runId);
    return (await this.#withData([row]))[0] as Run;
  }

  async updateRun(runId: string, patch: RunPatch): Promise<RunInfo> {
    if (typeof patch !== 'object' || patch === null) throw new InvalidParameterValueError('a run patch must be an object', { field: 'patch' });
    const { status, endTime, runName } = patch;
    if (status !== undefined && !RUN_STATUSES.includes(status)) {
      throw new InvalidParameterValueError(`Invalid value ${pyRepr(status)} for parameter 'status' supplied: use one of ${RUN_STATUSES.join(', ')}`, { field: 'status' });
    }
    if (endTime !== undefined && (!Number.isSafeInteger(endTime) || endTime < 0)) {
      throw new InvalidParameterValueError(`Invalid value ${String(endTime)} for parameter 'end_time' supplied: it must be epoch milliseconds`, { field: 'end_time' });
    }
    if (runName !== undefined) {
      checkText('Run name', runName, 'run_name');
      checkLength('Tag value', LIMITS.tagValueLength, runName, 'run_name');
    }
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#activeRun(trx, runId);
      const updated: RunRow = {
        ...row,
        status: status ?? row.status,
        end_time: endTime ?? row.end_time,
        name: runName || row.name,
      };
      await trx.updateTable('runs').set({ status: updated.status, end_time: updated.end_time, name: updated.name }).where('id', '=', row.id).execute();
      if (runName) await this.#upsertTags(trx, row.id, [{ key: TAG_RUN_NAME, value: runName }]);
      return toRunInfo(updated);
    });
  }

  async deleteRun(runId: string): Promise<void> {
    const row = await this.#run(this.#db, runId);
    await this.#db.updateTable('runs').set({ lifecycle_stage: 'deleted', deleted_time: Date.now() }).where('id', '=', row.id).execute();
  }

  async restoreRun(runId: string): Promise<void> {
    const row = await this.#run(this.#db, runId);
    await this.#db.updateTable('runs').set({ lifecycle_stage: 'active', deleted_time: null }).where('id', '=', row.id).execute();
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    const { metrics, params, tags } = validateBatch(batch);
    await this.#db.transaction().execute(async (trx) => {
      const run = await this.#activeRun(trx, runId);
      if (params.length > 0) await this.#logParams(trx, run, params);
      if (metrics.length > 0) await this.#logMetrics(trx, run.id, metrics);
      if (tags.length > 0) {
        const latest = [...lastValuePerKey(tags)].map(([key, value]) => ({ key, value }));
        await this.#upsertTags(trx, run.id, latest);
        const name = latest.find((tag) => tag.key === TAG_RUN_NAME);
        if (name !== undefined) await trx.updateTable('runs').set({ name: name.value }).where('id', '=', run.id).execute();
      }
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateKey('tag', key, 'key');
    await this.#db.transaction().execute(async (trx) => {
      const run = await this.#activeRun(trx, runId);
      const deleted = await trx.deleteFrom('run_tags').where('run_id', '=', run.id).where('key', '=', key).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw new ResourceDoesNotExistError(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async getMetricHistory(runId: string, key: string, query: MetricHistoryQuery = {}): Promise<ResultPage<Metric>> {
    validateKey('metric', key, 'metric_key');
    const maxResults = query.maxResults === undefined ? undefined : checkMaxResults(query.maxResults);
    const run = await this.#run(this.#db, runId);
    const fingerprint = { history: runId, key };
    const offset = readPageToken(query.pageToken, fingerprint);
    let select = this.#db.selectFrom('metrics').select(['key', 'value', 'timestamp', 'step', 'is_nan'])
      .where('run_id', '=', run.id).where('key', '=', key)
      .orderBy('timestamp').orderBy('step').orderBy('value');
    if (maxResults !== undefined) select = select.limit(maxResults + 1).offset(offset);
    else if (offset > 0) select = select.limit(Number.MAX_SAFE_INTEGER).offset(offset);
    const rows = await select.execute();
    const items = rows.slice(0, maxResults ?? rows.length).map(toMetric);
    return maxResults !== undefined && rows.length > maxResults
      ? { items, nextPageToken: pageToken(offset + maxResults, fingerprint) }
      : { items };
  }

  async searchRuns(query: SearchRunsQuery): Promise<ResultPage<Run>> {
    if (typeof query !== 'object' || query === null || !Array.isArray(query.experimentIds)) {
      throw new InvalidParameterValueError('searchRuns needs experimentIds: a list of experiment ids', { field: 'experiment_ids' });
    }
    const experimentIds = query.experimentIds.map((id, i) => parseExperimentId(id, `experiment_ids[${i}]`));
    const view = viewType(query.runViewType, 'run_view_type');
    const maxResults = checkMaxResults(query.maxResults);
    const filter = parseFilter(query.filter, RUN_SEARCH);
    const orderBy = parseOrderBy(query.orderBy, RUN_SEARCH);
    const fingerprint = { search: 'runs', experimentIds, filter: query.filter ?? '', orderBy: query.orderBy ?? [], view };
    const offset = readPageToken(query.pageToken, fingerprint);
    if (experimentIds.length === 0) return { items: [] };
    const { rows: found } = await runSearchQuery(this.#sql, {
      experimentIds, stages: stagesOf(view), filter, orderBy, limit: maxResults + 1, offset,
    }).execute(this.#db);
    const ids = found.slice(0, maxResults).map((row) => Number(row.id));
    const rows = ids.length === 0 ? [] : await this.#db.selectFrom('runs').selectAll().where(this.#sql.inIds('id', ids)).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    const items = await this.#withData(ids.map((id) => byId.get(id) as RunRow));
    return found.length > maxResults ? { items, nextPageToken: pageToken(offset + maxResults, fingerprint) } : { items };
  }

  async logArtifacts(runId: string, artifacts: RunArtifact[]): Promise<void> {
    if (!Array.isArray(artifacts)) throw new InvalidParameterValueError('artifacts must be an array', { field: 'artifacts' });
    artifacts.forEach((artifact, i) => validateArtifact(artifact, `artifacts[${i}]`));
    const latest = new Map(artifacts.map((artifact) => [artifact.path, artifact]));
    await this.#db.transaction().execute(async (trx) => {
      const run = await this.#activeRun(trx, runId);
      const existing = await trx.selectFrom('run_artifacts').select('path').where('run_id', '=', run.id).execute();
      const paths = new Set([...existing.map((row) => row.path), ...latest.keys()]);
      for (const path of latest.keys()) {
        const clash = [...paths].find((other) => other.startsWith(`${path}/`) || path.startsWith(`${other}/`));
        if (clash !== undefined) {
          throw new InvalidParameterValueError(
            `Artifact path '${path}' clashes with '${clash}': a path is either a file or a directory of the run's artifacts`,
            { field: 'artifacts' },
          );
        }
      }
      const now = Date.now();
      const rows = [...latest.values()].sort((a, b) => (a.path < b.path ? -1 : 1))
        .map((artifact) => ({ run_id: run.id, path: artifact.path, digest: artifact.digest, size_bytes: artifact.sizeBytes, created_at: now }));
      for (const chunk of this.#chunks(rows, 5)) {
        await trx.insertInto('run_artifacts').values(chunk)
          .onConflict((conflict) => conflict.columns(['run_id', 'path']).doUpdateSet((eb) => ({
            digest: eb.ref('excluded.digest'), size_bytes: eb.ref('excluded.size_bytes'), created_at: eb.ref('excluded.created_at'),
          })))
          .execute();
      }
    });
  }

  async listArtifacts(runId: string, path = ''): Promise<FileInfo[]> {
    if (path !== '') validateArtifactPath(path, 'path');
    const run = await this.#run(this.#db, runId);
    const rows = await this.#db.selectFrom('run_artifacts').select(['path', 'size_bytes']).where('run_id', '=', run.id).execute();
    const prefix = path === '' ? '' : `${path}/`;
    const entries = new Map<string, FileInfo>();
    for (const row of rows) {
      if (!row.path.startsWith(prefix)) continue;
      const [first, ...deeper] = row.path.slice(prefix.length).split('/');
      const entryPath = prefix + (first as string);
      entries.set(entryPath, deeper.length > 0
        ? { path: entryPath, isDir: true, fileSize: null }
        : { path: entryPath, isDir: false, fileSize: row.size_bytes });
    }
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async getArtifact(runId: string, path: string): Promise<RunArtifact> {
    validateArtifactPath(path, 'path');
    const run = await this.#run(this.#db, runId);
    const row = await this.#db.selectFrom('run_artifacts').select(['path', 'digest', 'size_bytes'])
      .where('run_id', '=', run.id).where('path', '=', path)
      .executeTakeFirst();
    if (row === undefined) throw new ResourceDoesNotExistError(`No artifact at path '${path}' in run with id ${runId}`);
    return { path: row.path, digest: row.digest, sizeBytes: row.size_bytes };
  }

  async #logParams(trx: Db, run: RunRow, params: Param[]): Promise<void> {
    const rows = [...params].sort(byKey).map((param) => ({ run_id: run.id, key: param.key, value: param.value }));
    for (const chunk of this.#chunks(rows, 3)) {
      await trx.insertInto('params').values(chunk).onConflict((conflict) => conflict.columns(['run_id', 'key']).doNothing()).execute();
    }
    const stored = await trx.selectFrom('params').select(['key', 'value'])
      .where('run_id', '=', run.id).where(this.#sql.inTexts(sqlRef('key'), params.map((param) => param.key)))
      .execute();
    const values = new Map(stored.map((row) => [row.key, row.value]));
    const changed = params.filter((param) => values.get(param.key) !== param.value);
    if (changed.length > 0) {
      const described = changed.map((param) => `{'key': ${pyRepr(param.key)}, 'old_value': ${pyRepr(values.get(param.key))}, 'new_value': ${pyRepr(param.value)}}`);
      throw new InvalidParameterValueError(
        `Changing param values is not allowed. Params were already logged='[${described.join(', ')}]' for run ID='${run.run_uuid}'.`,
        { field: 'params', hint: 'params are immutable; log the changed value under another key, or in a new run' },
      );
    }
  }

  async #logMetrics(trx: Db, runKey: number, metrics: Metric[]): Promise<void> {
    const columns = METRIC_COLUMNS.length;
    const parameters = new Array<unknown>(metrics.length * columns);
    const latest = new Map<string, MetricRow>();
    for (let i = 0, p = 0; i < metrics.length; i++) {
      const { key, value, timestamp, step } = metrics[i] as Metric;
      const stored = storedMetricValue(value);
      const isNan = Number.isNaN(value) ? 1 : 0;
      parameters[p++] = runKey;
      parameters[p++] = key;
      parameters[p++] = stored;
      parameters[p++] = timestamp;
      parameters[p++] = step;
      parameters[p++] = isNan;
      const current = latest.get(key);
      if (current === undefined || isLater(step, timestamp, stored, current)) {
        latest.set(key, { run_id: runKey, key, value: stored, timestamp, step, is_nan: isNan });
      }
    }
    let offset = 0;
    for (const size of this.#sql.insertSizes(metrics.length, Math.floor(this.#sql.maxParameters / columns))) {
      await trx.executeQuery(CompiledQuery.raw(this.#metricInsert(size), parameters.slice(offset * columns, (offset + size) * columns)));
      offset += size;
    }
    // MLflow's rule: the latest point has the highest step, then timestamp, then value. The
    // upsert only replaces a row that is earlier in that order, so concurrent batches converge.
    const latestRows = [...latest.values()].sort(byKey);
    for (const chunk of this.#chunks(latestRows, 6)) {
      await trx.insertInto('latest_metrics').values(chunk)
        .onConflict((conflict) => conflict.columns(['run_id', 'key'])
          .doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            timestamp: eb.ref('excluded.timestamp'),
            step: eb.ref('excluded.step'),
            is_nan: eb.ref('excluded.is_nan'),
          }))
          .where(sqlLater))
        .execute();
    }
  }

  /**
   * Metric points are the one write that comes by the million. Building and compiling a
   * 512-row insert costs more than running it, so Kysely compiles each statement size once and
   * the text is run again with new parameters: the same SQL, in the dialect Kysely writes.
   */
  #metricInsert(rows: number): string {
    let text = this.#metricInserts.get(rows);
    if (text === undefined) {
      const blank = Object.fromEntries(METRIC_COLUMNS.map((column) => [column, 0])) as unknown as MetricRow;
      text = this.#db.insertInto('metrics').values(new Array<MetricRow>(rows).fill(blank))
        .onConflict((conflict) => conflict.doNothing())
        .compile().sql;
      this.#metricInserts.set(rows, text);
    }
    return text;
  }

  async #upsertTags(trx: Db, runKey: number, tags: Tag[]): Promise<void> {
    const rows = [...tags].sort(byKey).map((tag) => ({ run_id: runKey, key: tag.key, value: tag.value }));
    for (const chunk of this.#chunks(rows, 3)) {
      await trx.insertInto('run_tags').values(chunk)
        .onConflict((conflict) => conflict.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
        .execute();
    }
  }

  /** Splits rows into statements the dialect's parameter limit allows, in its preferred sizes. */
  *#chunks<Row>(rows: Row[], columns: number): Generator<Row[]> {
    let offset = 0;
    for (const size of this.#sql.insertSizes(rows.length, Math.floor(this.#sql.maxParameters / columns))) {
      yield rows.slice(offset, offset + size);
      offset += size;
    }
  }

  async #setExperimentStage(experimentId: string, from: ViewType, to: 'active' | 'deleted'): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await this.#experiment(trx, experimentId, from);
      const now = Date.now();
      await trx.updateTable('experiments').set({ lifecycle_stage: to, last_update_time: now }).where('experiment_id', '=', row.experiment_id).execute();
      await trx.updateTable('runs')
        .set({ lifecycle_stage: to, deleted_time: to === 'deleted' ? now : null })
        .where('experiment_id', '=', row.experiment_id)
        .execute();
    });
  }

  async #experiment(db: Db, experimentId: string, view: ViewType): Promise<ExperimentRow> {
    const id = parseExperimentId(experimentId);
    const row = await db.selectFrom('experiments').selectAll()
      .where('experiment_id', '=', id).where(this.#sql.inTexts(sqlRef('lifecycle_stage'), stagesOf(view)))
      .executeTakeFirst();
    if (row === undefined) throw new ResourceDoesNotExistError(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  async #activeExperiment(db: Db, experimentId: string): Promise<ExperimentRow> {
    const row = await this.#experiment(db, experimentId, 'ALL');
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidParameterValueError(
        `The experiment ${experimentId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
        { field: 'experiment_id', hint: 'restore the experiment first' },
      );
    }
    return row;
  }

  async #run(db: Db, runId: string): Promise<RunRow> {
    validateRunId(runId);
    const row = await db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst();
    if (row === undefined) throw new ResourceDoesNotExistError(`Run with id=${runId} not found`);
    return row;
  }

  async #activeRun(db: Db, runId: string): Promise<RunRow> {
    const row = await this.#run(db, runId);
    if (row.lifecycle_stage !== 'active') {
      throw new InvalidParameterValueError(
        `The run ${runId} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`,
        { field: 'run_id', hint: 'restore the run first' },
      );
    }
    return row;
  }

  async #withTags(rows: ExperimentRow[]): Promise<Experiment[]> {
    if (rows.length === 0) return [];
    const tags = await this.#db.selectFrom('experiment_tags').select(['experiment_id', 'key', 'value'])
      .where(this.#sql.inIds('experiment_id', rows.map((row) => row.experiment_id)))
      .execute();
    const byExperiment = groupBy(tags, (tag) => tag.experiment_id);
    return rows.map((row) => toExperiment(row, (byExperiment.get(row.experiment_id) ?? []).map(({ key, value }) => ({ key, value })).sort(byKey)));
  }

  async #withData(rows: RunRow[]): Promise<Run[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const [metrics, params, tags] = await Promise.all([
      this.#db.selectFrom('latest_metrics').select(['run_id', 'key', 'value', 'timestamp', 'step', 'is_nan']).where(this.#sql.inIds('run_id', ids)).execute(),
      this.#db.selectFrom('params').select(['run_id', 'key', 'value']).where(this.#sql.inIds('run_id', ids)).execute(),
      this.#db.selectFrom('run_tags').select(['run_id', 'key', 'value']).where(this.#sql.inIds('run_id', ids)).execute(),
    ]);
    const metricsOf = groupBy(metrics, (row) => row.run_id);
    const paramsOf = groupBy(params, (row) => row.run_id);
    const tagsOf = groupBy(tags, (row) => row.run_id);
    const entries = (list: { key: string; value: string }[] | undefined): Tag[] =>
      (list ?? []).map(({ key, value }) => ({ key, value })).sort(byKey);
    return rows.map((row) => {
      const data: RunData = {
        metrics: (metricsOf.get(row.id) ?? []).map(toMetric).sort(byKey),
        params: entries(paramsOf.get(row.id)),
        tags: entries(tagsOf.get(row.id)),
      };
      return { info: toRunInfo(row), data };
    });
  }
}

const sqlRef = sql.ref;

/** The metric columns in the order #metricInsert's statements bind them, row after row. */
const METRIC_COLUMNS = ['run_id', 'key', 'value', 'timestamp', 'step', 'is_nan'] as const satisfies readonly (keyof MetricRow)[];

/** MLflow's "later" order of metric points, for the latest-metric upsert. */
const sqlLater = sql<SqlBool>`(excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)`;

function isLater(step: number, timestamp: number, value: number, than: MetricRow): boolean {
  if (step !== than.step) return step > than.step;
  if (timestamp !== than.timestamp) return timestamp > than.timestamp;
  return value > than.value;
}

function viewType(value: ViewType | undefined, field: string): ViewType {
  if (value === undefined) return 'ACTIVE_ONLY';
  if (!VIEW_TYPES.includes(value)) {
    throw new InvalidParameterValueError(`Invalid value ${pyRepr(value)} for parameter '${field}' supplied: use one of ${VIEW_TYPES.join(', ')}`, { field });
  }
  return value;
}

function validTags(tags: Tag[] | undefined, valueLimit?: number): Tag[] {
  if (tags === undefined) return [];
  if (!Array.isArray(tags)) throw new InvalidParameterValueError('tags must be an array of { key, value }', { field: 'tags' });
  tags.forEach((tag, i) => validateTag(tag, `tags[${i}]`, valueLimit));
  return tags;
}

/** Experiment tags: run-tag rules with MLflow's lower value limit; the last value of a key wins. */
function experimentTags(tags: Tag[] | undefined): Tag[] {
  const valid = validTags(tags, LIMITS.experimentTagValueLength);
  return [...lastValuePerKey(valid)].map(([key, value]) => ({ key, value }));
}

function lastValuePerKey(tags: Tag[]): Map<string, string> {
  return new Map(tags.map((tag) => [tag.key, tag.value]));
}

function validateArtifact(artifact: RunArtifact, field: string): void {
  if (typeof artifact !== 'object' || artifact === null) {
    throw new InvalidParameterValueError('an artifact must be an object with path, digest and sizeBytes', { field });
  }
  validateArtifactPath(artifact.path, `${field}.path`);
  if (typeof artifact.digest !== 'string' || !DIGEST.test(artifact.digest)) {
    throw new InvalidParameterValueError(`Invalid digest ${pyRepr(artifact.digest)}: expected 64 lowercase hex digits (sha256)`, { field: `${field}.digest` });
  }
  if (!Number.isSafeInteger(artifact.sizeBytes) || artifact.sizeBytes < 0) {
    throw new InvalidParameterValueError(`Invalid size ${String(artifact.sizeBytes)}: expected a byte count`, { field: `${field}.sizeBytes` });
  }
}

/** A relative POSIX path that names one place: no `..`, no `.`, no empty segment, no leading slash. */
function validateArtifactPath(path: unknown, field: string): asserts path is string {
  checkText('Artifact path', path, field);
  const normalized = normpath(path);
  if (path === '' || normalized !== path || path.startsWith('/') || normalized === '.' || normalized.startsWith('..') || path.includes('\\')) {
    throw new InvalidParameterValueError(
      `Invalid artifact path ${pyRepr(path)}: expected a relative path with "/" separators and no ".", ".." or empty segments`,
      { field },
    );
  }
}

function groupBy<T, K>(items: T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
