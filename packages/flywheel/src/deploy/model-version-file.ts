import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { NotFoundError } from '../core/errors.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { ModelVersion } from '../registry/model.js';

/**
 * A local path to a registered version's model file: the store's own file when it has one,
 * otherwise a copy fetched into `scratchDir`.
 *
 * @example
 *   const path = await localModelFile(stack.artifacts, await stack.registry.resolve('flights', 'champion'), workDir);
 */
export async function localModelFile(
  artifacts: ArtifactStore,
  version: Pick<ModelVersion, 'modelName' | 'version' | 'digest'>,
  scratchDir: string,
): Promise<string> {
  const inPlace = await artifacts.localPath(version.digest);
  if (inPlace) return inPlace;
  const destination = join(scratchDir, `${version.modelName}-v${version.version}-${version.digest.slice(0, 12)}.onnx`);
  await artifacts.fetchFile(version.digest, destination);
  return destination;
}

/** The version an alias points at, or undefined when the alias or the whole model does not exist. */
export async function findAliasedVersion(registry: ModelRegistry, model: string, alias: string): Promise<ModelVersion | undefined> {
  try {
    return await registry.findAlias(model, alias);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}
