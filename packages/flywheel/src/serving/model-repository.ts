import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { localModelFile } from '../deploy/model-version-file.js';
import { ServedModel } from './served-model.js';

/** A model to serve: its registered name and a version number or alias (`champion`). */
export interface ModelRef {
  name: string;
  ref: string;
}

/**
 * The model versions a server holds, one onnxruntime session per version. Refs are resolved
 * through the registry once, at load; the first ref listed for a name is that name's default
 * version.
 *
 * @example
 *   const repo = await ModelRepository.load(stack, [{ name: 'flights', ref: 'champion' }]);
 *   const model = repo.get('flights');        // the champion
 *   const v2 = repo.get('flights', 2);        // only if version 2 was loaded too
 */
export class ModelRepository {
  private constructor(
    private readonly models: Map<string, ServedModel[]>,
    private readonly scratchDir: string,
  ) {}

  static async load(stack: Pick<Stack, 'registry' | 'artifacts'>, refs: readonly ModelRef[]): Promise<ModelRepository> {
    if (refs.length === 0) throw new InvalidInputError('models', 'no models to serve');
    const scratchDir = await mkdtemp(join(tmpdir(), 'flywheel-serving-'));
    const models = new Map<string, ServedModel[]>();
    const repository = new ModelRepository(models, scratchDir);
    try {
      for (const [i, { name, ref }] of refs.entries()) {
        if (!name) throw new InvalidInputError(`models[${i}].name`, 'must not be empty');
        const registered = await stack.registry.resolve(name, ref);
        const loaded = models.get(name) ?? [];
        if (loaded.some((m) => m.version === registered.version)) continue;
        const path = await localModelFile(stack.artifacts, registered, scratchDir);
        loaded.push(await ServedModel.open(registered, path));
        models.set(name, loaded);
      }
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }

  /** Names of the served models. */
  names(): string[] {
    return [...this.models.keys()];
  }

  /** Loaded versions of a model, its default first. */
  versions(name: string): readonly ServedModel[] {
    const versions = this.models.get(name);
    if (!versions) throw new NotFoundError('model', name, `served models: ${this.names().join(', ')}`);
    return versions;
  }

  /** A model's default version, or the given one. NotFoundError when it is not served. */
  get(name: string, version?: number): ServedModel {
    const versions = this.versions(name);
    if (version === undefined) return versions[0] as ServedModel;
    const found = versions.find((m) => m.version === version);
    if (!found) throw new NotFoundError('model version', `${name}@${version}`, `served versions of ${name}: ${versions.map((m) => m.version).join(', ')}`);
    return found;
  }

  async close(): Promise<void> {
    const all = [...this.models.values()].flat();
    this.models.clear();
    await Promise.allSettled(all.map((m) => m.close()));
    await rm(this.scratchDir, { recursive: true, force: true });
  }
}
