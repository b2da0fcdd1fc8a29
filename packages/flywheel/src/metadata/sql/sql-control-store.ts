import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import { OPEN_ROLLOUT_PHASES } from '../control-store.js';
import type {
  Alert, AlertQuery, ControlStore, Firing, FiringQuery, FiringStatus, NewAlert, NewFiring, NewRollout, Rollout, RolloutPatch,
} from '../control-store.js';
import {
  alertQuery, firingPatch, firingQuery, modelName, newAlert, newFiring, newRollout, rolloutPatch, rolloutQuery, triggerName, triggerState,
} from './control-inputs.js';
import { ALL_VERSIONS, toAlert, toFiring, toRollout } from './control-rows.js';
import { id, parseInput } from './inputs.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

type Db = Kysely<Database>;

const DECIDE_HINT = 'decide the open rollout (promoted, rejected or rolled_back) before starting another';

/**
 * The control store in the metadata database. Each uniqueness the port promises is a constraint,
 * and writes that may collide insert with `on conflict do nothing … returning`: a duplicate is
 * then an empty result rather than an error, which in PostgreSQL would abort the transaction.
 * Lists are newest first by id, the order the database assigned, whatever the writers' clocks.
 * `updateFiring` leaves the stored error as it is when the patch has none.
 *
 * @example
 *   const control = new SqlControlStore(db, sqliteCapabilities('/tmp/metadata.db'));
 *   const firing = await control.fire({ trigger: 'nightly', eventKey, event: {}, runId }, { cursor: eventKey });
 */
export class SqlControlStore implements ControlStore {
  readonly #db: Db;
  readonly #sql: SqlDialect;

  constructor(db: Db, dialect: SqlDialect) {
    this.#db = db;
    this.#sql = dialect;
  }

  async triggerState(trigger: string): Promise<JsonObject | undefined> {
    parseInput(triggerName, trigger, 'trigger');
    const row = await this.#db.selectFrom('trigger_states').select('state').where('trigger_name', '=', trigger).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.state) as JsonObject);
  }

  async saveTriggerState(trigger: string, state: JsonObject): Promise<void> {
    parseInput(triggerName, trigger, 'trigger');
    parseInput(triggerState, state, 'state');
    await saveState(this.#db, trigger, state, Date.now());
  }

  async fire(firing: NewFiring, state?: JsonObject): Promise<Firing | undefined> {
    const valid = parseInput(newFiring, firing, 'firing');
    if (state !== undefined) parseInput(triggerState, state, 'state');
    return this.#db.transaction().execute(async (trx) => {
      const now = Date.now();
      // No conflict target: a taken run id is skipped too, rather than aborting the transaction.
      const row = await trx.insertInto('trigger_firings')
        .values({
          trigger_name: valid.trigger,
          event_key: valid.eventKey,
          event: JSON.stringify(valid.event),
          run_id: valid.runId,
          status: 'pending',
          error: null,
          created_at: now,
          updated_at: now,
        })
        .onConflict((conflict) => conflict.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) {
        const fired = await trx.selectFrom('trigger_firings').select('id')
          .where('trigger_name', '=', valid.trigger).where('event_key', '=', valid.eventKey)
          .executeTakeFirst();
        if (fired !== undefined) return undefined;
        throw await runIdTaken(trx, valid.runId);
      }
      if (state !== undefined) await saveState(trx, valid.trigger, state, now);
      return toFiring(row);
    });
  }

  async updateFiring(firingId: number, patch: { status: FiringStatus; error?: string | null }): Promise<Firing> {
    parseInput(id, firingId, 'id');
    const valid = parseInput(firingPatch, patch, 'patch');
    const row = await this.#db.updateTable('trigger_firings')
      .set({ status: valid.status, updated_at: Date.now(), ...(valid.error === undefined ? {} : { error: valid.error }) })
      .where('id', '=', firingId)
      .returningAll()
      .executeTakeFirst();
    if (row === undefined) throw new NotFoundError('firing', String(firingId));
    return toFiring(row);
  }

  async findFirings(query: FiringQuery = {}): Promise<Firing[]> {
    const valid = parseInput(firingQuery, query, 'query');
    let select = this.#db.selectFrom('trigger_firings').selectAll();
    if (valid.trigger !== undefined) select = select.where('trigger_name', '=', valid.trigger);
    if (valid.statuses !== undefined) select = select.where(this.#sql.inTexts(sql.ref('status'), valid.statuses));
    select = select.orderBy('id', 'desc');
    if (valid.limit !== undefined) select = select.limit(valid.limit);
    return (await select.execute()).map(toFiring);
  }

  async raiseAlert(alert: NewAlert): Promise<Alert | undefined> {
    const valid = parseInput(newAlert, alert, 'alert');
    const row = await this.#db.insertInto('alerts')
      .values({
        rule: valid.rule,
        model: valid.model,
        version: valid.version ?? ALL_VERSIONS,
        window_start: valid.windowStart.getTime(),
        window_end: valid.windowEnd.getTime(),
        metric: valid.metric,
        value: valid.value,
        threshold: valid.threshold,
        details: JSON.stringify(valid.details),
        created_at: Date.now(),
      })
      .onConflict((conflict) => conflict.columns(['rule', 'model', 'version', 'window_start']).doNothing())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toAlert(row);
  }

  async findAlerts(query: AlertQuery = {}): Promise<Alert[]> {
    const valid = parseInput(alertQuery, query, 'query');
    let select = this.#db.selectFrom('alerts').selectAll();
    if (valid.rule !== undefined) select = select.where('rule', '=', valid.rule);
    if (valid.model !== undefined) select = select.where('model', '=', valid.model);
    if (valid.since !== undefined) select = select.where('created_at', '>=', valid.since.getTime());
    select = select.orderBy('id', 'desc');
    if (valid.limit !== undefined) select = select.limit(valid.limit);
    return (await select.execute()).map(toAlert);
  }

  async startRollout(rollout: NewRollout): Promise<Rollout> {
    const valid = parseInput(newRollout, rollout, 'rollout');
    const now = Date.now();
    try {
      const row = await this.#db.insertInto('rollouts')
        .values({
          model: valid.model,
          challenger_version: valid.challengerVersion,
          champion_version: valid.championVersion,
          phase: valid.phase,
          run_id: valid.runId,
          reason: valid.reason,
          details: JSON.stringify(valid.details),
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRollout(row);
    } catch (error) {
      if (this.#sql.constraintViolation(error) !== 'unique') throw error;
      const open = await this.openRollout(valid.model);
      const which = open === undefined ? '' : `: rollout ${open.id} of version ${open.challengerVersion}, in phase ${JSON.stringify(open.phase)}`;
      throw new ConflictError(`model ${JSON.stringify(valid.model)} has an undecided rollout already${which}`, DECIDE_HINT);
    }
  }

  async updateRollout(rolloutId: number, patch: RolloutPatch): Promise<Rollout> {
    parseInput(id, rolloutId, 'id');
    const valid = parseInput(rolloutPatch, patch, 'patch');
    return this.#db.transaction().execute(async (trx) => {
      const current = await this.#sql.lockForUpdate(trx.selectFrom('rollouts').selectAll().where('id', '=', rolloutId)).executeTakeFirst();
      if (current === undefined) throw new NotFoundError('rollout', String(rolloutId));
      const details = valid.details === undefined
        ? current.details
        : JSON.stringify({ ...(JSON.parse(current.details) as JsonObject), ...valid.details });
      try {
        const row = await trx.updateTable('rollouts')
          .set({ phase: valid.phase ?? current.phase, reason: valid.reason ?? current.reason, details, updated_at: Date.now() })
          .where('id', '=', rolloutId)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toRollout(row);
      } catch (error) {
        // Only reopening a decided rollout can break the one-undecided-rollout index.
        if (this.#sql.constraintViolation(error) !== 'unique') throw error;
        throw new ConflictError(
          `rollout ${rolloutId} cannot move to phase ${JSON.stringify(valid.phase)}: model ${JSON.stringify(current.model)} has another undecided rollout`,
          DECIDE_HINT,
        );
      }
    });
  }

  async openRollout(model: string): Promise<Rollout | undefined> {
    parseInput(modelName, model, 'model');
    const row = await this.#db.selectFrom('rollouts').selectAll()
      .where('model', '=', model)
      .where(this.#sql.inTexts(sql.ref('phase'), OPEN_ROLLOUT_PHASES))
      .executeTakeFirst();
    return row === undefined ? undefined : toRollout(row);
  }

  async findRollouts(query: { model?: string; limit?: number } = {}): Promise<Rollout[]> {
    const valid = parseInput(rolloutQuery, query, 'query');
    let select = this.#db.selectFrom('rollouts').selectAll();
    if (valid.model !== undefined) select = select.where('model', '=', valid.model);
    select = select.orderBy('id', 'desc');
    if (valid.limit !== undefined) select = select.limit(valid.limit);
    return (await select.execute()).map(toRollout);
  }
}

async function saveState(db: Db, trigger: string, state: JsonObject, at: number): Promise<void> {
  const text = JSON.stringify(state);
  await db.insertInto('trigger_states')
    .values({ trigger_name: trigger, state: text, updated_at: at })
    .onConflict((conflict) => conflict.column('trigger_name').doUpdateSet({ state: text, updated_at: at }))
    .execute();
}

/** The error for a run id that another firing holds, naming that firing. */
async function runIdTaken(db: Db, runId: string): Promise<ConflictError> {
  const owner = await db.selectFrom('trigger_firings').select(['id', 'trigger_name']).where('run_id', '=', runId).executeTakeFirst();
  const whose = owner === undefined ? 'another firing' : `firing ${owner.id} of trigger ${JSON.stringify(owner.trigger_name)}`;
  return new ConflictError(`firing.runId ${JSON.stringify(runId)} is already the run of ${whose}`, 'give each firing a new run id');
}
