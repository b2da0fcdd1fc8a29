import type { Kysely } from 'kysely';
import { ConflictError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { MetadataStore } from '../metadata-store.js';
import { FINAL_EXECUTION_STATES } from '../model.js';
import type {
  Artifact, ArtifactPatch, ArtifactQuery, Context, ContextQuery, Event, EventKind, EventQuery, Execution,
  ExecutionInput, ExecutionOutput, ExecutionPatch, ExecutionQuery, ExecutionState, LineageGraph, LineageQuery,
  NewArtifact, NewContext, NewEvent, NewExecution, TypeDefinition, TypeKind,
} from '../model.js';
import * as input from './inputs.js';
import { parseInput } from './inputs.js';
import {
  msOrNull, parseProperties, propertiesText, toArtifact, toContext, toEvent, toExecution, toTypeDefinition,
} from './rows.js';
import type { ArtifactRow, ContextRow, EventRow, ExecutionRow } from './rows.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { TypeCache } from './type-cache.js';
import type { PendingTypes } from './type-cache.js';

type Db = Kysely<Database>;

/** `offset` needs a `limit` in SQLite; this one means "no limit" in every dialect. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * The metadata store over any SQL engine Kysely speaks; engine differences come from `SqlDialect`.
 * Every write is one transaction; batch writes are multi-row statements sized by the dialect,
 * and id lists travel as one parameter, so each query keeps one shape whatever its size.
 *
 * @example
 *   const store = new SqlMetadataStore(db, sqliteCapabilities('metadata.db'), () => db.destroy());
 *   const [dataset] = await store.putArtifacts([{ type: 'Dataset', uri: 'file:///data.parquet' }]);
 */
export class SqlMetadataStore implements MetadataStore {
  readonly dialect: string;
  readonly #db: Db;
  readonly #sql: SqlDialect;
  readonly #close: () => Promise<void>;
  readonly #types = new TypeCache();

  constructor(db: Db, dialect: SqlDialect, close: () => Promise<void>) {
    this.#db = db;
    this.#sql = dialect;
    this.dialect = dialect.name;
    this.#close = close;
  }

  async putType(kind: TypeKind, name: string, properties: TypeDefinition['properties'] = {}): Promise<TypeDefinition> {
    parseInput(input.typeKind, kind, 'kind');
    parseInput(input.typeName, name, 'name');
    parseInput(input.typeProperties, properties, 'properties');
    return this.#write(async (trx, pending) => {
      await trx.insertInto('types').values({ kind, name, properties: '{}' })
        .onConflict((conflict) => conflict.columns(['kind', 'name']).doNothing())
        .execute();
      const row = await this.#sql.lockForUpdate(
        trx.selectFrom('types').selectAll().where('kind', '=', kind).where('name', '=', name),
      ).executeTakeFirstOrThrow();
      const merged = { ...(JSON.parse(row.properties) as TypeDefinition['properties']), ...properties };
      const text = JSON.stringify(merged);
      if (text !== row.properties) await trx.updateTable('types').set({ properties: text }).where('id', '=', row.id).execute();
      const type = toTypeDefinition({ ...row, properties: text });
      pending.types.push(type);
      return type;
    });
  }

  async listTypes(kind?: TypeKind): Promise<TypeDefinition[]> {
    if (kind !== undefined) parseInput(input.typeKind, kind, 'kind');
    let query = this.#db.selectFrom('types').selectAll().orderBy('id');
    if (kind !== undefined) query = query.where('kind', '=', kind);
    const types = (await query.execute()).map(toTypeDefinition);
    for (const type of types) this.#types.remember(type);
    return types;
  }

  async putArtifacts(artifacts: NewArtifact[]): Promise<Artifact[]> {
    const valid = parseInput(input.newArtifact.array(), artifacts, 'artifacts');
    if (valid.length === 0) return [];
    return this.#write((trx, pending) => this.#insertArtifacts(trx, valid, pending));
  }

  async updateArtifact(id: number, patch: ArtifactPatch): Promise<Artifact> {
    parseInput(input.id, id, 'id');
    const valid = parseInput(input.artifactPatch, patch, 'patch');
    return this.#write(async (trx, pending) => {
      const row = await this.#sql.lockForUpdate(trx.selectFrom('artifacts').selectAll().where('id', '=', id)).executeTakeFirst();
      if (row === undefined) throw new NotFoundError('artifact', String(id));
      const updated: ArtifactRow = {
        ...row,
        state: valid.state ?? row.state,
        properties: mergeProperties(row.properties, valid.properties),
        updated_at: Date.now(),
      };
      await trx.updateTable('artifacts')
        .set({ state: updated.state, properties: updated.properties, updated_at: updated.updated_at })
        .where('id', '=', id)
        .execute();
      return (await this.#artifactsOf(trx, [updated], pending))[0] as Artifact;
    });
  }

  async getArtifact(id: number): Promise<Artifact> {
    parseInput(input.id, id, 'id');
    const row = await this.#db.selectFrom('artifacts').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('artifact', String(id));
    return (await this.#artifactsOf(this.#db, [row]))[0] as Artifact;
  }

  async findArtifacts(query: ArtifactQuery = {}): Promise<Artifact[]> {
    const page = parseInput(input.page, query, 'query');
    const ids = query.ids === undefined ? undefined : parseInput(input.ids, query.ids, 'query.ids');
    if (query.state !== undefined) parseInput(input.artifactState, query.state, 'query.state');
    let typeId: number | undefined;
    if (query.type !== undefined) {
      typeId = (await this.#types.idsOf(this.#db, 'artifact', [query.type])).get(query.type);
      if (typeId === undefined) return [];
    }
    if (ids?.length === 0) return [];
    let q = this.#db.selectFrom('artifacts').selectAll();
    if (ids !== undefined) q = q.where(this.#sql.inIds('id', ids));
    if (typeId !== undefined) q = q.where('type_id', '=', typeId);
    if (query.state !== undefined) q = q.where('state', '=', query.state);
    if (query.digest !== undefined) q = q.where('digest', '=', query.digest);
    if (query.uri !== undefined) q = q.where('uri', '=', query.uri);
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    if (query.contextId !== undefined) {
      const contextId = query.contextId;
      q = q.where('id', 'in', (db) => db.selectFrom('attributions').select('artifact_id').where('context_id', '=', contextId));
    }
    const rows = await q.orderBy('id', page.order ?? 'desc').$call(paginate(page.limit, page.offset)).execute();
    return this.#artifactsOf(this.#db, rows);
  }

  async putExecution(execution: NewExecution): Promise<Execution> {
    const valid = parseInput(input.newExecution, execution, 'execution');
    return this.#write((trx, pending) => this.#insertExecution(trx, valid, 'new', pending));
  }

  async updateExecution(id: number, patch: ExecutionPatch): Promise<Execution> {
    parseInput(input.id, id, 'id');
    const valid = parseInput(input.executionPatch, patch, 'patch');
    return this.#write(async (trx, pending) => {
      const row = await this.#lockExecution(trx, id);
      if (valid.state !== undefined && valid.state !== row.state) assertNotFinal(row);
      const updated = await this.#patchExecution(trx, row, valid);
      return (await this.#executionsOf(trx, [updated], pending))[0] as Execution;
    });
  }

  async getExecution(id: number): Promise<Execution> {
    parseInput(input.id, id, 'id');
    const row = await this.#db.selectFrom('executions').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('execution', String(id));
    return (await this.#executionsOf(this.#db, [row]))[0] as Execution;
  }

  async findExecutions(query: ExecutionQuery = {}): Promise<Execution[]> {
    const page = parseInput(input.page, query, 'query');
    const ids = query.ids === undefined ? undefined : parseInput(input.ids, query.ids, 'query.ids');
    const states = query.states === undefined ? undefined : parseInput(input.executionState.array(), query.states, 'query.states');
    if (states?.length === 0) return [];
    let typeId: number | undefined;
    if (query.type !== undefined) {
      typeId = (await this.#types.idsOf(this.#db, 'execution', [query.type])).get(query.type);
      if (typeId === undefined) return [];
    }
    if (ids?.length === 0) return [];
    let q = this.#db.selectFrom('executions').selectAll();
    if (ids !== undefined) q = q.where(this.#sql.inIds('id', ids));
    if (typeId !== undefined) q = q.where('type_id', '=', typeId);
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    if (states !== undefined) q = q.where('state', 'in', states);
    if (query.cacheKey !== undefined) q = q.where('cache_key', '=', query.cacheKey);
    if (query.contextId !== undefined) {
      const contextId = query.contextId;
      q = q.where('id', 'in', (db) => db.selectFrom('associations').select('execution_id').where('context_id', '=', contextId));
    }
    const rows = await q.orderBy('id', page.order ?? 'desc').$call(paginate(page.limit, page.offset)).execute();
    return this.#executionsOf(this.#db, rows);
  }

  async putContext(context: NewContext): Promise<Context> {
    const valid = parseInput(input.newContext, context, 'context');
    return this.#write(async (trx, pending) => {
      const created = await this.#insertContext(trx, valid, pending);
      if (created === undefined) {
        throw new ConflictError(
          `a ${valid.type} context named ${JSON.stringify(valid.name)} already exists`,
          'use ensureContext to reuse it, or choose another name',
        );
      }
      return created;
    });
  }

  async ensureContext(context: NewContext): Promise<Context> {
    const valid = parseInput(input.newContext, context, 'context');
    const existing = await this.findContext(valid.type, valid.name);
    if (existing !== undefined) return existing;
    return this.#write(async (trx, pending) => {
      const created = await this.#insertContext(trx, valid, pending);
      if (created !== undefined) return created;
      // Created by another writer since our first look.
      const typeId = (await this.#types.idsOf(trx, 'context', [valid.type], { pending })).get(valid.type) as number;
      const row = await trx.selectFrom('contexts').selectAll()
        .where('type_id', '=', typeId).where('name', '=', valid.name)
        .executeTakeFirstOrThrow();
      return toContext(row, valid.type);
    });
  }

  async updateContext(id: number, patch: { properties: Context['properties'] }): Promise<Context> {
    parseInput(input.id, id, 'id');
    const { properties } = parseInput(input.contextPatch, patch, 'patch');
    return this.#write(async (trx, pending) => {
      const row = await this.#sql.lockForUpdate(trx.selectFrom('contexts').selectAll().where('id', '=', id)).executeTakeFirst();
      if (row === undefined) throw new NotFoundError('context', String(id));
      const updated: ContextRow = { ...row, properties: mergeProperties(row.properties, properties), updated_at: Date.now() };
      await trx.updateTable('contexts')
        .set({ properties: updated.properties, updated_at: updated.updated_at })
        .where('id', '=', id)
        .execute();
      return (await this.#contextsOf(trx, [updated], pending))[0] as Context;
    });
  }

  async getContext(id: number): Promise<Context> {
    parseInput(input.id, id, 'id');
    const row = await this.#db.selectFrom('contexts').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('context', String(id));
    return (await this.#contextsOf(this.#db, [row]))[0] as Context;
  }

  async findContext(type: string, name: string): Promise<Context | undefined> {
    parseInput(input.typeName, type, 'type');
    parseInput(input.typeName, name, 'name');
    const typeId = (await this.#types.idsOf(this.#db, 'context', [type])).get(type);
    if (typeId === undefined) return undefined;
    const row = await this.#db.selectFrom('contexts').selectAll()
      .where('type_id', '=', typeId).where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : toContext(row, type);
  }

  async findContexts(query: ContextQuery = {}): Promise<Context[]> {
    const page = parseInput(input.page, query, 'query');
    let typeId: number | undefined;
    if (query.type !== undefined) {
      typeId = (await this.#types.idsOf(this.#db, 'context', [query.type])).get(query.type);
      if (typeId === undefined) return [];
    }
    let q = this.#db.selectFrom('contexts').selectAll();
    if (typeId !== undefined) q = q.where('type_id', '=', typeId);
    if (query.parentId !== undefined) q = q.where('parent_id', '=', query.parentId);
    if (query.name !== undefined) q = q.where('name', '=', query.name);
    const rows = await q.orderBy('id', page.order ?? 'desc').$call(paginate(page.limit, page.offset)).execute();
    return this.#contextsOf(this.#db, rows);
  }

  async attribute(contextId: number, artifactIds: number[]): Promise<void> {
    parseInput(input.id, contextId, 'contextId');
    const ids = unique(parseInput(input.ids, artifactIds, 'artifactIds'));
    await this.#write(async (trx) => {
      await this.#requireIds(trx, 'contexts', 'context', [contextId]);
      await this.#requireIds(trx, 'artifacts', 'artifact', ids);
      await this.#link(trx, 'attributions', [contextId], ids);
    });
  }

  async associate(contextId: number, executionIds: number[]): Promise<void> {
    parseInput(input.id, contextId, 'contextId');
    const ids = unique(parseInput(input.ids, executionIds, 'executionIds'));
    await this.#write(async (trx) => {
      await this.#requireIds(trx, 'contexts', 'context', [contextId]);
      await this.#requireIds(trx, 'executions', 'execution', ids);
      await this.#link(trx, 'associations', [contextId], ids);
    });
  }

  async contextsOfExecution(executionId: number): Promise<Context[]> {
    parseInput(input.id, executionId, 'executionId');
    await this.#requireIds(this.#db, 'executions', 'execution', [executionId]);
    const rows = await this.#db.selectFrom('contexts').selectAll()
      .where('id', 'in', (db) => db.selectFrom('associations').select('context_id').where('execution_id', '=', executionId))
      .orderBy('id')
      .execute();
    return this.#contextsOf(this.#db, rows);
  }

  async putEvents(events: NewEvent[]): Promise<Event[]> {
    const valid = parseInput(input.newEvent.array(), events, 'events');
    if (valid.length === 0) return [];
    return this.#write(async (trx) => {
      await this.#requireIds(trx, 'executions', 'execution', unique(valid.map((e) => e.executionId)));
      await this.#requireIds(trx, 'artifacts', 'artifact', unique(valid.map((e) => e.artifactId)));
      return this.#insertEvents(trx, valid);
    });
  }

  async findEvents(query: EventQuery): Promise<Event[]> {
    const executionIds = query.executionIds === undefined ? undefined : parseInput(input.ids, query.executionIds, 'query.executionIds');
    const artifactIds = query.artifactIds === undefined ? undefined : parseInput(input.ids, query.artifactIds, 'query.artifactIds');
    const kind = query.kind === undefined ? undefined : parseInput(input.newEvent.shape.kind, query.kind, 'query.kind');
    if (executionIds?.length === 0 || artifactIds?.length === 0) return [];
    let q = this.#db.selectFrom('events').selectAll();
    if (executionIds !== undefined) q = q.where(this.#sql.inIds('execution_id', executionIds));
    if (artifactIds !== undefined) q = q.where(this.#sql.inIds('artifact_id', artifactIds));
    if (kind !== undefined) q = q.where('kind', '=', kind);
    const rows = await q.orderBy('id').execute();
    return rows.map(toEvent);
  }

  async startExecution(args: { execution: NewExecution; inputs: ExecutionInput[]; contextIds: number[] }): Promise<Execution> {
    const execution = parseInput(input.newExecution, args.execution, 'execution');
    const inputs = parseInput(input.executionInput.array(), args.inputs, 'inputs');
    const contextIds = unique(parseInput(input.ids, args.contextIds, 'contextIds'));
    return this.#write(async (trx, pending) => {
      await this.#requireIds(trx, 'artifacts', 'artifact', unique(inputs.map((i) => i.artifactId)));
      await this.#requireIds(trx, 'contexts', 'context', contextIds);
      const started = await this.#insertExecution(trx, execution, 'running', pending);
      await this.#insertEvents(trx, inputs.map((i) => ({
        executionId: started.id, artifactId: i.artifactId, kind: 'input', name: i.name, index: i.index,
      })));
      await this.#link(trx, 'associations', contextIds, [started.id]);
      return started;
    });
  }

  async finishExecution(
    executionId: number,
    args: { patch: ExecutionPatch; outputs: ExecutionOutput[] },
  ): Promise<{ execution: Execution; outputs: Artifact[] }> {
    parseInput(input.id, executionId, 'executionId');
    const patch = parseInput(input.executionPatch, args.patch, 'patch');
    const state = parseInput(input.finalExecutionState, patch.state ?? 'complete', 'patch.state');
    const outputs = parseOutputs(args.outputs);
    return this.#write(async (trx, pending) => {
      const row = await this.#lockExecution(trx, executionId);
      assertNotFinal(row);
      const created = await this.#insertArtifacts(trx, outputs.flatMap((o) => ('artifact' in o ? [o.artifact] : [])), pending);
      const existingIds = unique(outputs.flatMap((o) => ('artifactId' in o ? [o.artifactId] : [])));
      const existing = await this.#artifactsById(trx, existingIds, pending);
      const missing = existingIds.find((id) => !existing.has(id));
      if (missing !== undefined) throw new NotFoundError('artifact', String(missing));

      let next = 0;
      const artifacts = outputs.map((o) => ('artifact' in o ? (created[next++] as Artifact) : (existing.get(o.artifactId) as Artifact)));
      await this.#insertEvents(trx, outputs.map((o, i) => ({
        executionId, artifactId: (artifacts[i] as Artifact).id, kind: 'output', name: o.name, index: o.index,
      })));
      const contextIds = (await trx.selectFrom('associations').select('context_id').where('execution_id', '=', executionId).execute())
        .map((a) => a.context_id);
      await this.#link(trx, 'attributions', contextIds, unique(artifacts.map((a) => a.id)));
      const finished = await this.#patchExecution(trx, row, { ...patch, state });
      const [execution] = await this.#executionsOf(trx, [finished], pending);
      return { execution: execution as Execution, outputs: artifacts };
    });
  }

  /**
   * Walks events breadth-first, one query per hop. Upstream follows what produced an artifact and
   * what an execution consumed; downstream the reverse; `both` is the union of the two walks (it
   * does not turn around, so siblings sharing an input are not included).
   */
  async lineage(start: { artifactId: number } | { executionId: number }, query: LineageQuery): Promise<LineageGraph> {
    const { direction, depth } = parseInput(input.lineageQuery, query, 'query');
    const origin: LineageStart = 'artifactId' in start
      ? { artifactId: parseInput(input.id, start.artifactId, 'start.artifactId') }
      : { executionId: parseInput(input.id, start.executionId, 'start.executionId') };
    if ('artifactId' in origin) await this.#requireIds(this.#db, 'artifacts', 'artifact', [origin.artifactId]);
    else await this.#requireIds(this.#db, 'executions', 'execution', [origin.executionId]);
    // Each direction keeps its own visited sets, so a node one walk reached still leads the other on.
    const walks = await Promise.all(
      (direction === 'both' ? (['upstream', 'downstream'] as const) : [direction]).map((way) => this.#walk(origin, way, depth)),
    );
    const seen: Walked = { artifacts: new Set(), executions: new Set(), events: new Map() };
    for (const walk of walks) {
      for (const id of walk.artifacts) seen.artifacts.add(id);
      for (const id of walk.executions) seen.executions.add(id);
      for (const [id, event] of walk.events) seen.events.set(id, event);
    }

    const [artifacts, executions] = await Promise.all([
      this.#artifactsById(this.#db, [...seen.artifacts]),
      this.#executionsById(this.#db, [...seen.executions]),
    ]);
    return {
      artifacts: [...artifacts.values()].sort((a, b) => a.id - b.id),
      executions: [...executions.values()].sort((a, b) => a.id - b.id),
      events: [...seen.events.values()].sort((a, b) => a.id - b.id).map(toEvent),
    };
  }

  close(): Promise<void> {
    return this.#close();
  }

  async #walk(origin: LineageStart, way: 'upstream' | 'downstream', depth: number): Promise<Walked> {
    // An artifact's producer is its `output` event, its consumers its `input` events.
    const fromArtifact: EventKind = way === 'upstream' ? 'output' : 'input';
    const fromExecution: EventKind = way === 'upstream' ? 'input' : 'output';
    const seen: Walked = { artifacts: new Set(), executions: new Set(), events: new Map() };
    if ('artifactId' in origin) seen.artifacts.add(origin.artifactId);
    else seen.executions.add(origin.executionId);
    let atArtifacts = 'artifactId' in origin;
    let frontier = ['artifactId' in origin ? origin.artifactId : origin.executionId];
    for (let hop = 0; hop < depth && frontier.length > 0; hop++) {
      const rows = atArtifacts
        ? await this.#eventsOf('artifact_id', frontier, fromArtifact)
        : await this.#eventsOf('execution_id', frontier, fromExecution);
      const next: number[] = [];
      const reached = atArtifacts ? seen.executions : seen.artifacts;
      for (const row of rows) {
        seen.events.set(row.id, row);
        const id = atArtifacts ? row.execution_id : row.artifact_id;
        if (!reached.has(id)) {
          reached.add(id);
          next.push(id);
        }
      }
      frontier = next;
      atArtifacts = !atArtifacts;
    }
    return seen;
  }

  async #eventsOf(column: 'artifact_id' | 'execution_id', ids: number[], kind: EventKind): Promise<EventRow[]> {
    return this.#db.selectFrom('events').selectAll().where(this.#sql.inIds(column, ids)).where('kind', '=', kind).execute();
  }

  /** Runs `work` in a transaction; types it declared become known once it commits. */
  async #write<T>(work: (trx: Db, pending: PendingTypes) => Promise<T>): Promise<T> {
    const pending: PendingTypes = { types: [] };
    const result = await this.#db.transaction().execute((trx) => work(trx, pending));
    this.#types.commit(pending);
    return result;
  }

  async #insertArtifacts(trx: Db, artifacts: input.ValidArtifact[], pending: PendingTypes): Promise<Artifact[]> {
    if (artifacts.length === 0) return [];
    const typeIds = await this.#types.idsOf(trx, 'artifact', artifacts.map((a) => a.type), { pending });
    const now = Date.now();
    const rows = artifacts.map((a) => ({
      type_id: typeIds.get(a.type) as number,
      name: a.name ?? null,
      uri: a.uri,
      digest: a.digest ?? null,
      size_bytes: a.sizeBytes ?? null,
      state: a.state ?? 'live',
      properties: propertiesText(a.properties),
      created_at: now,
      updated_at: now,
    }));
    const ids = await this.#insertReturningIds(rows, 9, (chunk) => trx.insertInto('artifacts').values(chunk).returning('id').execute());
    return rows.map((row, i) => toArtifact({ ...row, id: ids[i] as number }, (artifacts[i] as input.ValidArtifact).type));
  }

  async #insertExecution(trx: Db, execution: input.ValidExecution, defaultState: ExecutionState, pending: PendingTypes): Promise<Execution> {
    const typeId = (await this.#types.idsOf(trx, 'execution', [execution.type], { pending })).get(execution.type) as number;
    const now = Date.now();
    const state = execution.state ?? defaultState;
    const row = {
      type_id: typeId,
      name: execution.name ?? null,
      state,
      cache_key: execution.cacheKey ?? null,
      properties: propertiesText(execution.properties),
      error: null,
      started_at: execution.startedAt?.getTime() ?? (state === 'running' ? now : null),
      ended_at: FINAL_EXECUTION_STATES.includes(state) ? now : null,
      created_at: now,
      updated_at: now,
    };
    const { id } = await trx.insertInto('executions').values(row).returning('id').executeTakeFirstOrThrow();
    return toExecution({ ...row, id }, execution.type);
  }

  async #insertContext(trx: Db, context: input.ValidContext, pending: PendingTypes): Promise<Context | undefined> {
    if (context.parentId !== undefined) await this.#requireIds(trx, 'contexts', 'context', [context.parentId]);
    const typeId = (await this.#types.idsOf(trx, 'context', [context.type], { pending })).get(context.type) as number;
    const now = Date.now();
    const row = {
      type_id: typeId,
      name: context.name,
      parent_id: context.parentId ?? null,
      properties: propertiesText(context.properties),
      created_at: now,
      updated_at: now,
    };
    const inserted = await trx.insertInto('contexts').values(row)
      .onConflict((conflict) => conflict.columns(['type_id', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted === undefined ? undefined : toContext({ ...row, id: inserted.id }, context.type);
  }

  async #insertEvents(trx: Db, events: input.ValidEvent[]): Promise<Event[]> {
    if (events.length === 0) return [];
    const now = Date.now();
    const rows = events.map((e) => ({
      execution_id: e.executionId,
      artifact_id: e.artifactId,
      kind: e.kind,
      name: e.name,
      position: e.index ?? 0,
      created_at: now,
    }));
    const ids = await this.#insertReturningIds(rows, 6, (chunk) => trx.insertInto('events').values(chunk).returning('id').execute());
    return rows.map((row, i) => toEvent({ ...row, id: ids[i] as number }));
  }

  /**
   * Inserts in statements sized by the dialect. Ids come back sorted, which is insertion order:
   * both engines number the rows of one statement in the order of its VALUES.
   */
  async #insertReturningIds<Row>(rows: Row[], columns: number, insert: (chunk: Row[]) => Promise<{ id: number }[]>): Promise<number[]> {
    const ids: number[] = [];
    for (const chunk of this.#insertChunks(rows, columns)) {
      ids.push(...(await insert(chunk)).map((r) => r.id).sort((a, b) => a - b));
    }
    return ids;
  }

  *#insertChunks<Row>(rows: Row[], columns: number): Generator<Row[]> {
    let offset = 0;
    for (const size of this.#sql.insertSizes(rows.length, Math.floor(this.#sql.maxParameters / columns))) {
      yield rows.slice(offset, offset + size);
      offset += size;
    }
  }

  /** Links every context to every id (artifacts for attributions, executions for associations); idempotent. */
  async #link(trx: Db, table: 'attributions' | 'associations', contextIds: number[], ids: number[]): Promise<void> {
    const pairs = contextIds.flatMap((contextId) => ids.map((id) => [contextId, id] as const));
    for (const chunk of this.#insertChunks(pairs, 2)) {
      const insert = table === 'attributions'
        ? trx.insertInto('attributions').values(chunk.map(([context_id, artifact_id]) => ({ context_id, artifact_id })))
        : trx.insertInto('associations').values(chunk.map(([context_id, execution_id]) => ({ context_id, execution_id })));
      await insert.onConflict((conflict) => conflict.doNothing()).execute();
    }
  }

  async #lockExecution(trx: Db, id: number): Promise<ExecutionRow> {
    const row = await this.#sql.lockForUpdate(trx.selectFrom('executions').selectAll().where('id', '=', id)).executeTakeFirst();
    if (row === undefined) throw new NotFoundError('execution', String(id));
    return row;
  }

  async #patchExecution(trx: Db, row: ExecutionRow, patch: input.ValidExecutionPatch): Promise<ExecutionRow> {
    const now = Date.now();
    const state = patch.state ?? row.state;
    const changesState = state !== row.state;
    const updated: ExecutionRow = {
      ...row,
      state,
      properties: mergeProperties(row.properties, patch.properties),
      error: patch.error === undefined ? row.error : patch.error,
      started_at: patch.startedAt === undefined
        ? row.started_at ?? (changesState && state === 'running' ? now : null)
        : msOrNull(patch.startedAt),
      ended_at: patch.endedAt === undefined
        ? row.ended_at ?? (changesState && isFinal(state) ? now : null)
        : msOrNull(patch.endedAt),
      updated_at: now,
    };
    await trx.updateTable('executions')
      .set({
        state: updated.state,
        properties: updated.properties,
        error: updated.error,
        started_at: updated.started_at,
        ended_at: updated.ended_at,
        updated_at: updated.updated_at,
      })
      .where('id', '=', row.id)
      .execute();
    return updated;
  }

  /** Throws NotFoundError naming the first id that has no row. */
  async #requireIds(db: Db, table: 'artifacts' | 'executions' | 'contexts', kind: string, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const wanted = unique(ids);
    const found = await db.selectFrom(table).select('id').where(this.#sql.inIds('id', wanted)).execute();
    if (found.length === wanted.length) return;
    const present = new Set(found.map((r) => r.id));
    throw new NotFoundError(kind, String(wanted.find((id) => !present.has(id))));
  }

  async #artifactsById(db: Db, ids: number[], pending?: PendingTypes): Promise<Map<number, Artifact>> {
    const rows = ids.length === 0 ? [] : await db.selectFrom('artifacts').selectAll().where(this.#sql.inIds('id', ids)).execute();
    return new Map((await this.#artifactsOf(db, rows, pending)).map((a) => [a.id, a]));
  }

  async #executionsById(db: Db, ids: number[]): Promise<Map<number, Execution>> {
    const rows = ids.length === 0 ? [] : await db.selectFrom('executions').selectAll().where(this.#sql.inIds('id', ids)).execute();
    return new Map((await this.#executionsOf(db, rows)).map((e) => [e.id, e]));
  }

  async #artifactsOf(db: Db, rows: ArtifactRow[], pending?: PendingTypes): Promise<Artifact[]> {
    const typeName = await this.#types.namesOf(db, rows.map((r) => r.type_id), pending);
    return rows.map((row) => toArtifact(row, typeName(row.type_id)));
  }

  async #executionsOf(db: Db, rows: ExecutionRow[], pending?: PendingTypes): Promise<Execution[]> {
    const typeName = await this.#types.namesOf(db, rows.map((r) => r.type_id), pending);
    return rows.map((row) => toExecution(row, typeName(row.type_id)));
  }

  async #contextsOf(db: Db, rows: ContextRow[], pending?: PendingTypes): Promise<Context[]> {
    const typeName = await this.#types.namesOf(db, rows.map((r) => r.type_id), pending);
    return rows.map((row) => toContext(row, typeName(row.type_id)));
  }
}

type LineageStart = { artifactId: number } | { executionId: number };

interface Walked {
  artifacts: Set<number>;
  executions: Set<number>;
  events: Map<number, EventRow>;
}

function paginate(limit: number | undefined, offset: number | undefined) {
  return <Q extends { limit(n: number): Q; offset(n: number): Q }>(q: Q): Q => {
    if (limit === undefined && offset === undefined) return q;
    const limited = q.limit(limit ?? NO_LIMIT);
    return offset === undefined ? limited : limited.offset(offset);
  };
}

function parseOutputs(outputs: unknown): input.ValidOutput[] {
  if (!Array.isArray(outputs)) throw new InvalidInputError('outputs', 'must be an array');
  return outputs.map((output: unknown, i) =>
    typeof output === 'object' && output !== null && 'artifact' in output
      ? parseInput(input.newOutput, output, `outputs[${i}]`)
      : parseInput(input.existingOutput, output, `outputs[${i}]`));
}

function mergeProperties(stored: string, patch: JsonObject | undefined): string {
  return patch === undefined ? stored : JSON.stringify({ ...parseProperties(stored), ...patch });
}

function isFinal(state: string): boolean {
  return FINAL_EXECUTION_STATES.includes(state as ExecutionState);
}

function assertNotFinal(row: ExecutionRow): void {
  if (isFinal(row.state)) {
    throw new ConflictError(
      `execution ${row.id} is already ${row.state}; a finished execution does not change state`,
      'start a new execution to run the step again',
    );
  }
}

function unique(ids: number[]): number[] {
  return [...new Set(ids)];
}
