import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { NotFoundError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { ModelRegistry } from '../../registry/model-registry.js';
import type { AliasMove, ModelVersion, NewModelVersion, RegisteredModel } from '../../registry/model.js';
import { id, jsonObject, parseInput } from './inputs.js';
import type { AliasMoveTable, Database, ModelVersionTable, RegisteredModelTable } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

type Db = Kysely<Database>;

const modelName = z.string().regex(
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  'must be 1 to 128 letters, digits, "-", "_" or ".", starting with a letter or digit',
);
const aliasName = z.string()
  .regex(/^[a-z0-9_-]{1,64}$/, 'must be 1 to 64 lowercase letters, digits, "-" or "_"')
  .refine((alias) => !/^\d+$/.test(alias), 'must not be only digits (those name versions)');
const versionNumber = z.number().int().positive('must be a version number: 1, 2, 3…');
const why = z.object({
  actor: z.string().min(1, 'must say who moves the alias'),
  reason: z.string().min(1, 'must say why the alias moves'),
});
const newModelVersion = z.object({
  uri: z.string().min(1, 'must not be empty'),
  digest: z.string().min(1, 'must not be empty'),
  artifactId: id.optional(),
  executionId: id.optional(),
  signature: jsonObject.optional(),
  metrics: z.record(z.string(), z.number().refine(Number.isFinite, 'must be a finite number')).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  description: z.string().optional(),
  runId: z.string().regex(/^[0-9a-f]{32}$/, 'must be a tracked run id (32 hex digits)').optional(),
  trainingData: z.strictObject({ uri: z.string().min(1, 'must not be empty'), digest: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 hex digest'), artifactId: id.optional() }).optional(),
});

/**
 * The model registry in the metadata database. Version numbers come from a per-model counter
 * incremented by an UPDATE, which holds the model's row lock until commit, so concurrent
 * registrations (many workers, many processes) get consecutive numbers without retries.
 *
 * @example
 *   const registry = new SqlModelRegistry(db, postgresCapabilities('postgres://db/flywheel'));
 *   const v = await registry.createVersion('flights', { uri, digest });
 */
export class SqlModelRegistry implements ModelRegistry {
  readonly #db: Db;
  readonly #sql: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#sql = dialect;
  }

  async ensureModel(name: string, options: { description?: string } = {}): Promise<RegisteredModel> {
    parseInput(modelName, name, 'model name');
    const description = parseInput(z.string().optional(), options.description, 'description');
    const now = Date.now();
    await this.#db.insertInto('registered_models')
      .values({ name, description: description ?? null, tags: '{}', last_version: 0, created_at: now, updated_at: now })
      .onConflict((conflict) => conflict.column('name').doNothing())
      .execute();
    return this.getModel(name);
  }

  async getModel(name: string): Promise<RegisteredModel> {
    parseInput(modelName, name, 'model name');
    return toModel(await this.#model(this.#db, name));
  }

  async listModels(): Promise<RegisteredModel[]> {
    const rows = await this.#db.selectFrom('registered_models').selectAll().orderBy('name').execute();
    return rows.map(toModel);
  }

  async createVersion(name: string, version: NewModelVersion): Promise<ModelVersion> {
    parseInput(modelName, name, 'model name');
    const valid = parseInput(newModelVersion, version, 'version');
    return this.#db.transaction().execute(async (trx) => {
      const now = Date.now();
      await trx.insertInto('registered_models')
        .values({ name, description: null, tags: '{}', last_version: 0, created_at: now, updated_at: now })
        .onConflict((conflict) => conflict.column('name').doNothing())
        .execute();
      const model = await trx.updateTable('registered_models')
        .set((eb) => ({ last_version: eb('last_version', '+', 1), updated_at: now }))
        .where('name', '=', name)
        .returning(['id', 'last_version'])
        .executeTakeFirstOrThrow();
      if (valid.artifactId !== undefined) await requireRow(trx, 'artifacts', 'artifact', valid.artifactId);
      if (valid.executionId !== undefined) await requireRow(trx, 'executions', 'execution', valid.executionId);
      if (valid.trainingData?.artifactId !== undefined) await requireRow(trx, 'artifacts', 'artifact', valid.trainingData.artifactId);
      const row = {
        model_id: model.id,
        version: model.last_version,
        uri: valid.uri,
        digest: valid.digest,
        artifact_id: valid.artifactId ?? null,
        execution_id: valid.executionId ?? null,
        signature: valid.signature === undefined ? null : JSON.stringify(valid.signature),
        metrics: JSON.stringify(valid.metrics ?? {}),
        tags: JSON.stringify(valid.tags ?? {}),
        description: valid.description ?? null,
        created_at: now,
        run_id: valid.runId ?? null,
        training_data_uri: valid.trainingData?.uri ?? null,
        training_data_digest: valid.trainingData?.digest ?? null,
        training_data_artifact_id: valid.trainingData?.artifactId ?? null,
      };
      const { id: versionId } = await trx.insertInto('model_versions').values(row).returning('id').executeTakeFirstOrThrow();
      return toVersion(name, { ...row, id: versionId });
    });
  }

  async getVersion(name: string, version: number): Promise<ModelVersion> {
    parseInput(modelName, name, 'model name');
    parseInput(versionNumber, version, 'version');
    const row = await this.#db.selectFrom('model_versions')
      .innerJoin('registered_models', 'registered_models.id', 'model_versions.model_id')
      .selectAll('model_versions')
      .where('registered_models.name', '=', name)
      .where('model_versions.version', '=', version)
      .executeTakeFirst();
    if (row !== undefined) return toVersion(name, row);
    await this.#model(this.#db, name);
    throw new NotFoundError('model version', `${name}@${version}`, showHint(name));
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    parseInput(modelName, name, 'model name');
    const model = await this.#model(this.#db, name);
    const rows = await this.#db.selectFrom('model_versions').selectAll().where('model_id', '=', model.id).orderBy('version').execute();
    return rows.map((row) => toVersion(name, row));
  }

  async setAlias(name: string, alias: string, version: number, reason: { actor: string; reason: string }): Promise<AliasMove> {
    parseInput(modelName, name, 'model name');
    parseInput(aliasName, alias, 'alias');
    parseInput(versionNumber, version, 'version');
    const { actor, reason: because } = parseInput(why, reason, 'why');
    return this.#db.transaction().execute(async (trx) => {
      const model = await this.#lockModel(trx, name);
      const target = await trx.selectFrom('model_versions').select('id')
        .where('model_id', '=', model.id).where('version', '=', version)
        .executeTakeFirst();
      if (target === undefined) throw new NotFoundError('model version', `${name}@${version}`, showHint(name));
      const current = await trx.selectFrom('model_aliases').select('version')
        .where('model_id', '=', model.id).where('alias', '=', alias)
        .executeTakeFirst();
      const at = Date.now();
      await trx.insertInto('model_aliases')
        .values({ model_id: model.id, alias, version, updated_at: at })
        .onConflict((conflict) => conflict.columns(['model_id', 'alias']).doUpdateSet({ version, updated_at: at }))
        .execute();
      return this.#recordMove(trx, name, model.id, {
        alias, from_version: current?.version ?? null, to_version: version, actor, reason: because, at,
      });
    });
  }

  async deleteAlias(name: string, alias: string, reason: { actor: string; reason: string }): Promise<AliasMove> {
    parseInput(modelName, name, 'model name');
    parseInput(aliasName, alias, 'alias');
    const { actor, reason: because } = parseInput(why, reason, 'why');
    return this.#db.transaction().execute(async (trx) => {
      const model = await this.#lockModel(trx, name);
      const current = await trx.selectFrom('model_aliases').select('version')
        .where('model_id', '=', model.id).where('alias', '=', alias)
        .executeTakeFirst();
      if (current === undefined) throw new NotFoundError('model alias', `${name}@${alias}`, showHint(name));
      await trx.deleteFrom('model_aliases').where('model_id', '=', model.id).where('alias', '=', alias).execute();
      return this.#recordMove(trx, name, model.id, {
        alias, from_version: current.version, to_version: null, actor, reason: because, at: Date.now(),
      });
    });
  }

  async aliases(name: string): Promise<Record<string, number>> {
    parseInput(modelName, name, 'model name');
    const model = await this.#model(this.#db, name);
    const rows = await this.#db.selectFrom('model_aliases').select(['alias', 'version'])
      .where('model_id', '=', model.id).orderBy('alias')
      .execute();
    return Object.fromEntries(rows.map((row) => [row.alias, row.version]));
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    parseInput(modelName, name, 'model name');
    if (alias !== undefined) parseInput(aliasName, alias, 'alias');
    const model = await this.#model(this.#db, name);
    let query = this.#db.selectFrom('alias_moves').selectAll().where('model_id', '=', model.id);
    if (alias !== undefined) query = query.where('alias', '=', alias);
    const rows = await query.orderBy('id').execute();
    return rows.map((row) => toMove(name, row));
  }

  async resolve(name: string, versionOrAlias: string): Promise<ModelVersion> {
    parseInput(modelName, name, 'model name');
    if (/^\d+$/.test(versionOrAlias)) return this.getVersion(name, Number(versionOrAlias));
    parseInput(aliasName, versionOrAlias, 'version or alias');
    const found = await this.findAlias(name, versionOrAlias);
    if (found !== undefined) return found;
    await this.#model(this.#db, name);
    throw new NotFoundError('model alias', `${name}@${versionOrAlias}`, showHint(name));
  }

  async findAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    parseInput(modelName, name, 'model name');
    parseInput(aliasName, alias, 'alias');
    const row = await this.#db.selectFrom('model_aliases')
      .innerJoin('registered_models', 'registered_models.id', 'model_aliases.model_id')
      .innerJoin('model_versions', (join) => join
        .onRef('model_versions.model_id', '=', 'model_aliases.model_id')
        .onRef('model_versions.version', '=', 'model_aliases.version'))
      .selectAll('model_versions')
      .where('registered_models.name', '=', name)
      .where('model_aliases.alias', '=', alias)
      .executeTakeFirst();
    return row === undefined ? undefined : toVersion(name, row);
  }

  async #model(db: Db, name: string): Promise<Selectable<RegisteredModelTable>> {
    const row = await db.selectFrom('registered_models').selectAll().where('name', '=', name).executeTakeFirst();
    if (row === undefined) throw modelNotFound(name);
    return row;
  }

  /** Serialises alias moves of one model, so the recorded `from` is the version really replaced. */
  async #lockModel(trx: Db, name: string): Promise<{ id: number }> {
    const row = await this.#sql.lockForUpdate(trx.selectFrom('registered_models').select('id').where('name', '=', name)).executeTakeFirst();
    if (row === undefined) throw modelNotFound(name);
    return row;
  }

  async #recordMove(trx: Db, name: string, modelId: number, move: Omit<Selectable<AliasMoveTable>, 'id' | 'model_id'>): Promise<AliasMove> {
    const row = { ...move, model_id: modelId };
    const { id: moveId } = await trx.insertInto('alias_moves').values(row).returning('id').executeTakeFirstOrThrow();
    return toMove(name, { ...row, id: moveId });
  }
}

async function requireRow(trx: Db, table: 'artifacts' | 'executions', kind: string, rowId: number): Promise<void> {
  const row = await trx.selectFrom(table).select('id').where('id', '=', rowId).executeTakeFirst();
  if (row === undefined) throw new NotFoundError(kind, String(rowId));
}

function showHint(name: string): string {
  return `see its versions and aliases with \`flywheel models show ${name}\``;
}

function modelNotFound(name: string): NotFoundError {
  return new NotFoundError('registered model', name, 'list registered models with `flywheel models list`');
}

function toModel(row: Selectable<RegisteredModelTable>): RegisteredModel {
  return {
    name: row.name,
    description: row.description,
    tags: JSON.parse(row.tags) as Record<string, string>,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toVersion(name: string, row: Selectable<ModelVersionTable>): ModelVersion {
  return {
    modelName: name,
    version: row.version,
    uri: row.uri,
    digest: row.digest,
    artifactId: row.artifact_id,
    executionId: row.execution_id,
    signature: row.signature === null ? null : (JSON.parse(row.signature) as JsonObject),
    metrics: JSON.parse(row.metrics) as Record<string, number>,
    tags: JSON.parse(row.tags) as Record<string, string>,
    description: row.description,
    createdAt: new Date(row.created_at),
    runId: row.run_id,
    trainingData: row.training_data_uri === null || row.training_data_digest === null
      ? null
      : { uri: row.training_data_uri, digest: row.training_data_digest, artifactId: row.training_data_artifact_id },
  };
}

function toMove(name: string, row: Selectable<AliasMoveTable>): AliasMove {
  return {
    modelName: name,
    alias: row.alias,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    actor: row.actor,
    reason: row.reason,
    at: new Date(row.at),
  };
}
