import type { Stack } from '../config/stack.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from '../data/duckdb.js';
import type { Context } from '../metadata/model.js';
import type { AliasMove, ModelVersion } from '../registry/model.js';
import { predictionLogDir, predictionLogRelation } from '../serving/prediction-log/parquet-prediction-log.js';

/** One answer recorded under a prediction id: the served one, and a shadow's when mirrored. */
export interface LoggedAnswer {
  model: string;
  version: number;
  arm: string;
  endpoint: string;
  timestamp: Date;
  rows: number;
}

/** The pipeline run that produced a model version. */
export interface RunLineage {
  runId: string;
  pipeline: string | null;
  status: string | null;
  /** Hash of the compiled pipeline (its IR): the pipeline's version. */
  pipelineVersion: string | null;
  pipelineFile: string | null;
  params: JsonValue;
  /** The git commit of the pipeline's code, when it was in a git work tree. */
  codeVersion: { commit: string; dirty: boolean } | null;
  /** Why the run started: the trigger and its event; null for a run started by hand. */
  trigger: JsonObject | null;
  startedAt: string | null;
}

/** Where one model version came from. */
export interface VersionLineage {
  version: ModelVersion;
  /** Alias moves that pointed an alias at this version: how it came to answer. */
  aliasMoves: AliasMove[];
  run: RunLineage | null;
  /** The training step's execution, when a pipeline produced the version. */
  execution: { id: number; type: string; name: string | null } | null;
}

export interface PredictionLineage {
  predictionId: string;
  answers: LoggedAnswer[];
  versions: VersionLineage[];
}

/**
 * A prediction traced back: the answers logged under its id → the model version that gave each →
 * the pipeline run and training step that produced it, the training data, the pipeline version
 * (IR hash) and code version (git commit) → the trigger and event that started the run; plus the
 * alias moves that put the version in front of traffic.
 *
 * @example
 *   const lineage = await predictionLineage(stack, '0c6f…');
 *   lineage.versions[0]?.run?.trigger; // { kind: 'drift', name: 'inputs', event: … }
 */
export async function predictionLineage(stack: Pick<Stack, 'home' | 'registry' | 'metadata'>, predictionId: string): Promise<PredictionLineage> {
  if (!/^[A-Za-z0-9._:-]{1,200}$/.test(predictionId)) throw new InvalidInputError('prediction-id', `${JSON.stringify(predictionId)} is not a prediction id`);
  const answers = await loggedAnswers(stack.home, predictionId);
  if (answers.length === 0) {
    throw new NotFoundError('prediction', predictionId, 'the id is returned with each answer (`prediction_id`, header x-prediction-id); the log holds it once its batch is written, within seconds');
  }
  const versions: VersionLineage[] = [];
  for (const { model, version } of answers) {
    if (versions.some((v) => v.version.modelName === model && v.version.version === version)) continue;
    versions.push(await versionLineage(stack, model, version));
  }
  return { predictionId, answers, versions };
}

async function loggedAnswers(home: string, predictionId: string): Promise<LoggedAnswer[]> {
  const log = await predictionLogRelation(predictionLogDir(home));
  if (log === undefined) return [];
  const rows = await withDuckDb((db) =>
    queryRows(db, `SELECT model, version, arm, endpoint, epoch_ms(min("timestamp")) AS ms, count(*) AS rows FROM ${log} WHERE prediction_id = ${quoteLiteral(predictionId)} GROUP BY ALL ORDER BY ms, arm`),
  );
  return rows.map((r) => ({
    model: String(r.model), version: toNumber(r.version) as number, arm: String(r.arm), endpoint: String(r.endpoint),
    timestamp: new Date(toNumber(r.ms) as number), rows: toNumber(r.rows) as number,
  }));
}

/** Where a registered model version came from (see predictionLineage). */
export async function versionLineage(stack: Pick<Stack, 'registry' | 'metadata'>, model: string, number: number): Promise<VersionLineage> {
  const version = await stack.registry.getVersion(model, number);
  const aliasMoves = (await stack.registry.aliasHistory(model)).filter((move) => move.toVersion === number);
  if (version.executionId === null) return { version, aliasMoves, run: null, execution: null };
  const execution = await stack.metadata.getExecution(version.executionId);
  const contexts = await stack.metadata.contextsOfExecution(execution.id);
  const runContext = contexts.find((c) => c.type === 'pipeline_run');
  return {
    version,
    aliasMoves,
    execution: { id: execution.id, type: execution.type, name: execution.name },
    run: runContext ? await runLineage(stack, runContext) : null,
  };
}

async function runLineage(stack: Pick<Stack, 'metadata'>, context: Context): Promise<RunLineage> {
  const p = context.properties;
  const pipeline = context.parentId === null ? null : (await stack.metadata.getContext(context.parentId)).name;
  const code = p.codeVersion as { commit?: unknown; dirty?: unknown } | null | undefined;
  return {
    runId: context.name,
    pipeline,
    status: typeof p.status === 'string' ? p.status : null,
    pipelineVersion: typeof p.irHash === 'string' ? p.irHash : null,
    pipelineFile: typeof p.pipelineFile === 'string' ? p.pipelineFile : null,
    params: p.params ?? null,
    codeVersion: code && typeof code.commit === 'string' ? { commit: code.commit, dirty: code.dirty === true } : null,
    trigger: p.trigger && typeof p.trigger === 'object' && !Array.isArray(p.trigger) ? (p.trigger as JsonObject) : null,
    startedAt: typeof p.startedAt === 'string' ? p.startedAt : null,
  };
}
