import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import { InvalidInputError, NotFoundError, errorMessage } from '../core/errors.js';
import { localModelFile } from '../deploy/model-version-file.js';
import type { ModelVersion } from '../registry/model.js';
import type { BatchingOptions } from './micro-batcher.js';
import { ServedModel } from './served-model.js';
import type { ServingMetrics } from './serving-metrics.js';
import { routesToChallenger, type StickyKey } from './traffic-split.js';

/** A model to serve: its registered name and a version number or alias (`champion`). */
export interface ModelRef {
  name: string;
  ref: string;
}

/** Send `percent` of a model's traffic to the version under another ref. */
export interface CanarySplit {
  /** Alias (or version) of the challenger, e.g. `challenger`. */
  challenger: string;
  /** Share of requests, 0–100. */
  percent: number;
  /** Route by the hash of this key, so one user always meets the same version; random without it. */
  stickyKey?: StickyKey;
}

/** Mirror requests to another ref off the request path; callers only ever see the champion's answer. */
export interface ShadowMirror {
  challenger: string;
  /** Share of requests mirrored, 0–100; 100 by default. */
  percent: number;
}

/** How one registered model is served. */
export interface Deployment {
  name: string;
  /** The ref answering requests that name no version, e.g. `champion`. */
  ref: string;
  canary?: CanarySplit;
  shadow?: ShadowMirror;
  /** Further refs served only to requests that name their version. */
  pinned: string[];
}

/** Which side of a split answered. */
export type Arm = 'champion' | 'challenger' | 'pinned';

export interface RepositoryOptions {
  batching?: BatchingOptions;
  metrics?: ServingMetrics;
  logger?: { info(details: Record<string, unknown>, message: string): void; warn(details: Record<string, unknown>, message: string): void };
}

/** A ref being served and the version it resolves to now; aliases are swapped in place. */
class Track {
  constructor(
    readonly ref: string,
    public model: ServedModel,
  ) {}

  get isAlias(): boolean {
    return !/^\d+$/.test(this.ref);
  }
}

class ServedDeployment {
  constructor(
    /** Replaced with the challenger when a split starts or ends at runtime (see setTrafficSplit). */
    public config: Deployment,
    readonly primary: Track,
    public challenger: Track | undefined,
    readonly pinned: Track[],
  ) {}

  tracks(): Track[] {
    return [this.primary, ...(this.challenger ? [this.challenger] : []), ...this.pinned];
  }

  /** Versions a request may name, in the order of the tracks. */
  versions(): number[] {
    return [...new Set(this.tracks().map((t) => t.model.version))];
  }
}

/**
 * The model versions a server holds. Each served ref (`champion`, `3`) is a track; aliases are
 * watched through the registry and, when one moves, the new version is loaded in the background
 * and swapped in atomically (one assignment, between two requests), while the requests already
 * running on the old version finish on it before it is unloaded. Two refs on the same version
 * share one onnxruntime session.
 *
 * @example
 *   const repo = await ModelRepository.load(stack, [{ name: 'flights', ref: 'champion', pinned: [] }]);
 *   const { model } = repo.route('flights', undefined);   // the champion
 *   await repo.refresh();                                  // picks up alias moves
 */
export class ModelRepository {
  private readonly deployments = new Map<string, ServedDeployment>();
  private readonly loaded = new Map<string, { model: Promise<ServedModel>; users: number }>();
  private refreshing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly stack: Pick<Stack, 'registry' | 'artifacts'>,
    private readonly scratchDir: string,
    private readonly options: RepositoryOptions,
  ) {}

  static async load(stack: Pick<Stack, 'registry' | 'artifacts'>, deployments: readonly (Deployment | ModelRef)[], options: RepositoryOptions = {}): Promise<ModelRepository> {
    const merged = mergeDeployments(deployments);
    const repository = new ModelRepository(stack, await mkdtemp(join(tmpdir(), 'flywheel-serving-')), options);
    try {
      for (const deployment of merged) {
        const track = async (ref: string) => new Track(ref, await repository.acquire(await stack.registry.resolve(deployment.name, ref)));
        const primary = await track(deployment.ref);
        const challengerRef = deployment.canary?.challenger ?? deployment.shadow?.challenger;
        const challenger = challengerRef === undefined ? undefined : await track(challengerRef);
        const pinned: Track[] = [];
        for (const ref of deployment.pinned) pinned.push(await track(ref));
        repository.deployments.set(deployment.name, new ServedDeployment(deployment, primary, challenger, pinned));
      }
    } catch (error) {
      await repository.close();
      throw error;
    }
    repository.publishVersions();
    return repository;
  }

  /** Names of the served models. */
  names(): string[] {
    return [...this.deployments.keys()];
  }

  deployment(name: string): Deployment {
    return this.served(name).config;
  }

  /** Versions of a model that requests may name, the default's first. */
  versions(name: string): number[] {
    return this.served(name).versions();
  }

  /**
   * The model answering a request: the given version, or (none given) the champion — or the
   * challenger, for the canary's share of requests, chosen by `stickyKey` when it is set.
   */
  route(name: string, version: number | undefined, stickyKey?: () => string | undefined): { model: ServedModel; arm: Arm } {
    const deployment = this.served(name);
    if (version !== undefined) {
      const track = deployment.tracks().find((t) => t.model.version === version);
      if (!track) throw new NotFoundError('model version', `${name}@${version}`, `served versions of ${name}: ${deployment.versions().join(', ')}`);
      return { model: track.model, arm: track === deployment.primary ? 'champion' : track === deployment.challenger ? 'challenger' : 'pinned' };
    }
    const canary = deployment.config.canary;
    if (canary && deployment.challenger && routesToChallenger(canary.percent, canary.stickyKey ? stickyKey?.() : undefined)) {
      return { model: deployment.challenger.model, arm: 'challenger' };
    }
    return { model: deployment.primary.model, arm: 'champion' };
  }

  /** The version mirrored in shadow for this request, if the model has a shadow and the draw says so. */
  shadowFor(name: string): ServedModel | undefined {
    const deployment = this.served(name);
    const shadow = deployment.config.shadow;
    if (!shadow || !deployment.challenger || Math.random() * 100 >= shadow.percent) return undefined;
    return deployment.challenger.model;
  }

  /**
   * Starts, changes or ends a canary or shadow of a served model while it serves (the
   * controller's rollout). The challenger's version is loaded first; then the split and the
   * challenger change together, between two requests. The previous challenger is unloaded once its
   * requests are answered.
   *
   * @example
   *   await repo.setTrafficSplit('flights', { canary: { challenger: 'challenger', percent: 10 } });
   *   await repo.setTrafficSplit('flights', undefined); // the champion answers everything again
   */
  async setTrafficSplit(name: string, split: { canary: CanarySplit } | { shadow: ShadowMirror } | undefined): Promise<void> {
    const deployment = this.served(name);
    const ref = split === undefined ? undefined : 'canary' in split ? split.canary.challenger : split.shadow.challenger;
    if (ref === deployment.config.ref) throw new InvalidInputError('challenger', `the challenger is ${ref} itself`);
    const next = ref === undefined ? undefined : new Track(ref, await this.acquire(await this.stack.registry.resolve(name, ref)));
    const previous = deployment.challenger;
    deployment.config = { name, ref: deployment.config.ref, pinned: deployment.config.pinned, ...split };
    deployment.challenger = next;
    if (previous) this.release(previous.model);
    this.publishVersions();
  }

  /** The version each served ref points at now. */
  servedRefs(): { name: string; ref: string; version: number }[] {
    return [...this.deployments.values()].flatMap((d) => d.tracks().map((t) => ({ name: d.config.name, ref: t.ref, version: t.model.version })));
  }

  /**
   * Looks up every served alias in the registry and swaps in the versions that moved. A version
   * that fails to load is logged and counted; the previous one keeps serving. Concurrent calls
   * share one pass.
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshAll().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshAll(): Promise<void> {
    for (const deployment of this.deployments.values()) {
      for (const track of deployment.tracks()) {
        if (!track.isAlias || this.closed) continue;
        const name = deployment.config.name;
        try {
          const target = await this.stack.registry.findAlias(name, track.ref);
          if (!target) {
            this.options.logger?.warn({ model: name, ref: track.ref, version: track.model.version }, 'alias no longer set; serving the version it last pointed at');
            continue;
          }
          if (target.version === track.model.version || this.closed) continue;
          const next = await this.acquire(target);
          if (this.closed) {
            this.release(next);
            continue;
          }
          const previous = track.model;
          track.model = next;
          this.release(previous);
          this.options.metrics?.swaps.labels(name, track.ref).inc();
          this.options.logger?.info({ model: name, ref: track.ref, from: previous.version, to: next.version }, 'alias moved: now serving the new version');
          this.publishVersions();
        } catch (error) {
          this.options.metrics?.swapFailures.labels(name, track.ref).inc();
          this.options.logger?.warn({ model: name, ref: track.ref, err: errorMessage(error) }, 'could not load the version the alias points at; still serving the previous one');
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.refreshing;
    const all = [...this.loaded.values()];
    this.deployments.clear();
    this.loaded.clear();
    await Promise.allSettled(all.map(async (entry) => (await entry.model).close()));
    await rm(this.scratchDir, { recursive: true, force: true });
  }

  private served(name: string): ServedDeployment {
    const deployment = this.deployments.get(name);
    if (!deployment) throw new NotFoundError('model', name, `served models: ${this.names().join(', ')}`);
    return deployment;
  }

  private acquire(version: ModelVersion): Promise<ServedModel> {
    const key = `${version.modelName}@${version.version}`;
    const entry = this.loaded.get(key);
    if (entry) {
      entry.users++;
      return entry.model;
    }
    const metrics = this.options.metrics;
    const batchSize = metrics?.batchSize.labels(version.modelName, String(version.version));
    const batchRequests = metrics?.batchRequests.labels(version.modelName, String(version.version));
    const model = (async () => {
      const path = await localModelFile(this.stack.artifacts, version, this.scratchDir);
      return ServedModel.open(version, path, {
        batching: this.options.batching,
        onBatch: batchSize && batchRequests ? (rows, requests) => (batchSize.observe(rows), batchRequests.observe(requests)) : undefined,
      });
    })();
    const created = { model, users: 1 };
    this.loaded.set(key, created);
    model.catch(() => {
      if (this.loaded.get(key) === created) this.loaded.delete(key);
    });
    return model;
  }

  private release(model: ServedModel): void {
    const key = `${model.name}@${model.version}`;
    const entry = this.loaded.get(key);
    if (!entry || --entry.users > 0) return;
    this.loaded.delete(key);
    void model.retire();
  }

  private publishVersions(): void {
    const gauge = this.options.metrics?.servedVersion;
    if (!gauge) return;
    gauge.reset();
    for (const { name, ref, version } of this.servedRefs()) gauge.labels(name, ref, String(version)).set(1);
  }
}

/**
 * Groups refs by model: the first ref of a name answers by default; later refs of the same name
 * are pinned (served when asked for by version), unless the name's deployment already says more.
 */
function mergeDeployments(list: readonly (Deployment | ModelRef)[]): Deployment[] {
  if (list.length === 0) throw new InvalidInputError('models', 'no models to serve');
  const byName = new Map<string, Deployment>();
  list.forEach((item, i) => {
    if (!item.name) throw new InvalidInputError(`models[${i}].name`, 'must not be empty');
    if (!item.ref) throw new InvalidInputError(`models[${i}].ref`, 'must not be empty');
    const existing = byName.get(item.name);
    if (!existing) {
      byName.set(item.name, { pinned: [], ...item, ...('pinned' in item ? { pinned: [...item.pinned] } : {}) });
      return;
    }
    if ('canary' in item || 'shadow' in item) throw new InvalidInputError(`models[${i}]`, `${item.name} is listed twice with a canary or shadow; configure it once`);
    if (existing.ref !== item.ref && !existing.pinned.includes(item.ref)) existing.pinned.push(item.ref);
  });
  return [...byName.values()];
}
