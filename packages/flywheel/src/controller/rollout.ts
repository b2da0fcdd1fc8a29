import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import { errorMessage } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { quoteIdentifier, quoteLiteral, queryRows, toNumber, withDuckDb } from '../data/duckdb.js';
import { localModelFile } from '../deploy/model-version-file.js';
import { evaluateModel } from '../evaluate/evaluate-model.js';
import { DEFAULT_CHANGE_METRIC, METRICS, type MetricName } from '../evaluate/metric-catalog.js';
import { predictionOutput } from '../evaluate/model-task.js';
import type { ControlStore, Rollout } from '../metadata/control-store.js';
import { labelsRelation } from '../monitoring/label-store.js';
import { livePerformance } from '../monitoring/live-performance.js';
import { bucketSql, loggedInputSql, WINDOW_ORIGIN_MS, windowBounds } from '../monitoring/monitor-windows.js';
import type { ModelSignature } from '../onnx/model-signature.js';
import type { ModelVersion } from '../registry/model.js';
import { predictionLogDir, predictionLogRelation } from '../serving/prediction-log/parquet-prediction-log.js';
import type { ModelRepository } from '../serving/model-repository.js';
import type { RolloutConfig } from './loop-config.js';

const ACTOR = 'controller';
/** How far back the newest labeled window is looked for, in windows: older traffic says little of a challenger now. */
const RECENT_WINDOWS = 4;

export interface RolloutOptions {
  stack: Stack;
  control: ControlStore;
  repository: ModelRepository;
  config: RolloutConfig;
  /** The monitoring window of the model: the newest labeled one is where a challenger is judged. */
  windowMs: number;
  clock: () => number;
  onNote?: (note: string, details: JsonObject) => void;
}

/** A comparison of challenger and champion on the same labeled predictions. */
interface Comparison {
  metric: MetricName;
  challenger: number | null;
  champion: number | null;
  rows: number;
  window: { start: string; end: string };
}

/**
 * Rolls a retrained model out: the challenger is scored next to the champion on the inputs and
 * labels of the newest labeled window of live traffic; better by `minImprovement` (in the
 * metric's direction) and it is promoted — or first served to `canary.percent` of requests, then
 * promoted or rolled back on how both versions did live on the labeled canary traffic. Every step
 * is recorded in the control store before it acts, and `resume` picks an open rollout up after a
 * restart, so alias and serving always agree: the alias move is the promotion, and the server
 * follows it.
 */
export class RolloutManager {
  /** One step at a time: a run ending and a monitoring pass may both want to move the same rollout. */
  private queue: Promise<void> = Promise.resolve();
  private lastNote: string | undefined;

  constructor(private readonly options: RolloutOptions) {}

  private serialized(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get model(): string {
    return this.options.config.model;
  }

  /** After a run: a version it registered for this model (and not already the champion) starts a rollout. */
  afterRun(runId: string): Promise<void> {
    return this.serialized(() => this.startFromRun(runId));
  }

  /** Continues an undecided rollout (at start, and on every monitoring pass for a canary). */
  resume(): Promise<void> {
    return this.serialized(() => this.continueOpen());
  }

  private async startFromRun(runId: string): Promise<void> {
    const { stack, control } = this.options;
    const versions = (await stack.registry.listVersions(this.model)).filter((v) => v.tags.run === runId);
    const candidate = versions.at(-1);
    if (!candidate) return;
    const champion = await stack.registry.findAlias(this.model, 'champion');
    if (champion?.version === candidate.version) return;
    // Handed on again after a restart: its rollout exists already.
    if ((await control.findRollouts({ model: this.model, limit: 1000 })).some((r) => r.challengerVersion === candidate.version)) return;
    // The newest version takes the slot: it learned from fresher data than the one still undecided.
    const open = await control.openRollout(this.model);
    if (open && open.challengerVersion > candidate.version) {
      this.note(`${this.model} v${candidate.version} is older than v${open.challengerVersion}, whose rollout is undecided; not rolled out`, { version: candidate.version });
      return;
    }
    if (open) {
      if (open.phase === 'canary') await this.options.repository.setTrafficSplit(this.model, undefined);
      await control.updateRollout(open.id, { phase: 'rejected', reason: `superseded by v${candidate.version}` });
      this.note(`${this.model} v${open.challengerVersion} superseded by v${candidate.version} before a decision`, { version: open.challengerVersion });
    }
    const rollout = await control.startRollout({
      model: this.model, challengerVersion: candidate.version, championVersion: champion?.version ?? null, phase: 'evaluating', runId,
      reason: 'registered by a triggered run', details: {},
    });
    await this.evaluate(rollout);
  }

  private async continueOpen(): Promise<void> {
    const rollout = await this.options.control.openRollout(this.model);
    if (!rollout) return;
    // Promoted, then stopped before the rollout was marked: the alias says what happened.
    const champion = await this.options.stack.registry.findAlias(this.model, 'champion');
    if (champion?.version === rollout.challengerVersion) {
      if (this.options.repository.deployment(this.model).canary) await this.options.repository.setTrafficSplit(this.model, undefined);
      await this.options.control.updateRollout(rollout.id, { phase: 'promoted' });
      return;
    }
    if (rollout.phase === 'evaluating') return this.evaluate(rollout);
    return this.watchCanary(rollout);
  }

  private async evaluate(rollout: Rollout): Promise<void> {
    const { stack, control, config } = this.options;
    const challenger = await stack.registry.getVersion(this.model, rollout.challengerVersion);
    const champion = await stack.registry.findAlias(this.model, 'champion');
    if (!champion) return this.promote(rollout, 'no champion yet', {});
    let comparison: Comparison | undefined;
    try {
      comparison = await this.compareOnNewestWindow(challenger, champion);
    } catch (error) {
      await control.updateRollout(rollout.id, { phase: 'rejected', reason: `could not be evaluated: ${errorMessage(error)}` });
      this.note(`${this.model} v${challenger.version} rejected: could not be evaluated: ${errorMessage(error)}`, { version: challenger.version });
      return;
    }
    if (!comparison) {
      this.note(`${this.model} v${challenger.version}: no window with ${config.minLabeled} labeled predictions yet; evaluation waits`, { version: challenger.version });
      return;
    }
    const details = { evaluation: { ...comparison } } as unknown as JsonObject;
    const verdict = judge(comparison, config.minImprovement);
    if (!verdict.better) {
      await control.updateRollout(rollout.id, { phase: 'rejected', reason: verdict.reason, details });
      this.note(`${this.model} v${challenger.version} rejected: ${verdict.reason}`, { version: challenger.version });
      return;
    }
    if (!config.canary) return this.promote(rollout, verdict.reason, details);
    await control.updateRollout(rollout.id, { phase: 'canary', reason: verdict.reason, details: { ...details, canaryStart: new Date(this.options.clock()).toISOString() } });
    await this.options.repository.setTrafficSplit(this.model, { canary: { challenger: String(challenger.version), percent: config.canary.percent } });
    this.note(`${this.model} v${challenger.version} in canary at ${config.canary.percent}%: ${verdict.reason}`, { version: challenger.version });
  }

  private async watchCanary(rollout: Rollout): Promise<void> {
    const { stack, config, repository } = this.options;
    const canary = config.canary;
    const champion = await stack.registry.findAlias(this.model, 'champion');
    const start = typeof rollout.details.canaryStart === 'string' ? new Date(rollout.details.canaryStart) : new Date(rollout.updatedAt);
    const split = repository.deployment(this.model).canary;
    if (!split || split.challenger !== String(rollout.challengerVersion)) {
      await repository.setTrafficSplit(this.model, { canary: { challenger: String(rollout.challengerVersion), percent: canary?.percent ?? 10 } });
    }
    if (!canary || !champion) return this.promote(rollout, rollout.reason, {});
    const metric = await this.metricOf(champion);
    const now = this.options.clock();
    // One window from the windows' origin to now holds the whole canary: both versions side by side on the traffic each got.
    const windows = await livePerformance({ home: stack.home, registry: stack.registry, model: this.model, windowMs: now - WINDOW_ORIGIN_MS + 1, since: start });
    const challengerLive = windows.find((w) => w.version === rollout.challengerVersion);
    const championLive = windows.find((w) => w.version === champion.version);
    if (challengerLive && championLive && challengerLive.labeled >= canary.minLabeled && championLive.labeled >= canary.minLabeled) {
      const a = challengerLive.metrics[metric] ?? null;
      const b = championLive.metrics[metric] ?? null;
      const details = { canary: { metric, challenger: a, champion: b, challengerLabeled: challengerLive.labeled, championLabeled: championLive.labeled } } as JsonObject;
      const worseBy = a === null || b === null ? Number.POSITIVE_INFINITY : METRICS[metric].better === 'higher' ? b - a : a - b;
      if (worseBy <= canary.tolerance) return this.promote(rollout, `live ${metric} ${fmt(a)} vs champion ${fmt(b)} on canary traffic`, details);
      return this.rollBack(rollout, `live ${metric} ${fmt(a)} vs champion ${fmt(b)} on canary traffic: worse by more than ${canary.tolerance}`, details);
    }
    if (now - start.getTime() > canary.timeout) return this.rollBack(rollout, 'canary timed out before enough labeled predictions arrived', {});
  }

  private async promote(rollout: Rollout, reason: string, details: JsonObject): Promise<void> {
    const { stack, control, repository } = this.options;
    const previous = await stack.registry.findAlias(this.model, 'champion');
    await stack.registry.setAlias(this.model, 'champion', rollout.challengerVersion, { actor: ACTOR, reason: `rollout ${rollout.id}: ${reason}` });
    await repository.refresh();
    const serving = repository.servedRefs().find((r) => r.name === this.model && r.ref === repository.deployment(this.model).ref);
    if (serving?.version !== rollout.challengerVersion && previous) {
      // The server could not load it: the alias goes back, so that alias and serving agree.
      await stack.registry.setAlias(this.model, 'champion', previous.version, { actor: ACTOR, reason: `rollout ${rollout.id}: v${rollout.challengerVersion} could not be served` });
      return this.rollBack(rollout, `v${rollout.challengerVersion} could not be loaded for serving`, details);
    }
    if (repository.deployment(this.model).canary) await repository.setTrafficSplit(this.model, undefined);
    await control.updateRollout(rollout.id, { phase: 'promoted', reason, details });
    this.note(`${this.model} v${rollout.challengerVersion} promoted to champion: ${reason}`, { version: rollout.challengerVersion });
  }

  private async rollBack(rollout: Rollout, reason: string, details: JsonObject): Promise<void> {
    const { control, repository } = this.options;
    await repository.setTrafficSplit(this.model, undefined);
    await control.updateRollout(rollout.id, { phase: 'rolled_back', reason, details });
    this.note(`${this.model} v${rollout.challengerVersion} rolled back: ${reason}`, { version: rollout.challengerVersion });
  }

  private async metricOf(version: ModelVersion): Promise<MetricName> {
    const configured = this.options.config.metric;
    if (configured) return configured;
    return DEFAULT_CHANGE_METRIC[predictionOutput(version.signature as unknown as ModelSignature).task];
  }

  /**
   * Scores both versions on the newest window whose champion predictions have enough labels:
   * the logged inputs and the labels written to a Parquet file, then the evaluator on each model.
   */
  private async compareOnNewestWindow(challenger: ModelVersion, champion: ModelVersion): Promise<Comparison | undefined> {
    const { stack, config, windowMs } = this.options;
    const log = await predictionLogRelation(predictionLogDir(stack.home), this.model);
    const labels = await labelsRelation(stack.home);
    if (!log || !labels) return undefined;
    const signature = champion.signature as unknown as ModelSignature;
    const scratch = await mkdtemp(join(tmpdir(), 'flywheel-rollout-'));
    try {
      const dataset = join(scratch, 'window.parquet');
      const window = await withDuckDb(async (db) => {
        const labeled = `SELECT p.*, l.label AS ${quoteIdentifier('__label')}, ${bucketSql(windowMs)} AS bucket FROM ${log} p JOIN ${labels} l ON l.prediction_id = p.prediction_id AND l."row" = p."row"
          WHERE p.model = ${quoteLiteral(this.model)} AND p.version = ${champion.version} AND p.arm <> 'shadow'
            AND p."timestamp" >= epoch_ms(${this.options.clock() - RECENT_WINDOWS * windowMs})`;
        await db.run(`CREATE TEMP TABLE labeled AS ${labeled}`);
        const [newest] = await queryRows(db, `SELECT bucket, count(*) AS n FROM labeled GROUP BY bucket HAVING count(*) >= ${config.minLabeled} ORDER BY bucket DESC LIMIT 1`);
        if (!newest) return undefined;
        const columns = signature.inputs.map((spec) => `${loggedInputSql(spec)} AS ${quoteIdentifier(spec.name)}`);
        await db.run(`COPY (SELECT ${columns.join(', ')}, ${quoteIdentifier('__label')} AS label FROM labeled WHERE bucket = ${toNumber(newest.bucket)}) TO ${quoteLiteral(dataset)} (FORMAT parquet)`);
        return { bucket: toNumber(newest.bucket) as number, rows: toNumber(newest.n) as number };
      });
      if (!window) return undefined;
      const metric = await this.metricOf(champion);
      const score = async (version: ModelVersion) => {
        const evaluation = await evaluateModel(await localModelFile(stack.artifacts, version, scratch), dataset, 'label');
        const value = (evaluation.metrics as unknown as Record<string, number>)[metric];
        return value === undefined || !Number.isFinite(value) ? null : value;
      };
      const bounds = windowBounds(window.bucket, windowMs);
      return { metric, challenger: await score(challenger), champion: await score(champion), rows: window.rows, window: { start: bounds.start.toISOString(), end: bounds.end.toISOString() } };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  private note(text: string, details: JsonObject): void {
    // A rollout that waits says so once, not on every pass.
    if (text === this.lastNote) return;
    this.lastNote = text;
    this.options.onNote?.(text, { model: this.model, ...details });
  }
}

function judge(c: Comparison, minImprovement: number): { better: boolean; reason: string } {
  const on = `${c.metric} on the newest labeled window (${c.window.start.slice(0, 10)}, ${c.rows} rows)`;
  if (c.challenger === null) return { better: false, reason: `the challenger's ${c.metric} is undefined there` };
  if (c.champion === null) return { better: true, reason: `${on}: ${fmt(c.challenger)}, the champion's is undefined` };
  const gain = METRICS[c.metric].better === 'higher' ? c.challenger - c.champion : c.champion - c.challenger;
  const better = gain >= minImprovement && gain > 0;
  return { better, reason: `${on}: challenger ${fmt(c.challenger)}, champion ${fmt(c.champion)}` };
}

function fmt(value: number | null): string {
  return value === null ? '-' : value.toFixed(4);
}
