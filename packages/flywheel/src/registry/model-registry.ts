import type { AliasMove, ModelVersion, NewModelVersion, RegisteredModel } from './model.js';

/**
 * The model registry port: registered models, their numbered versions and movable aliases
 * (`champion`, `challenger`, any name), with an audit trail of every alias move.
 *
 * @example
 *   const v = await registry.createVersion('flights', { uri, digest, metrics: { auc: 0.64 } });
 *   await registry.setAlias('flights', 'champion', v.version, { actor: 'pipeline', reason: 'auc improved' });
 *   const champion = await registry.resolve('flights', 'champion');
 */
export interface ModelRegistry {
  /** Creates the model when absent; returns it either way. */
  ensureModel(name: string, options?: { description?: string }): Promise<RegisteredModel>;
  getModel(name: string): Promise<RegisteredModel>;
  listModels(): Promise<RegisteredModel[]>;

  /** Registers the next version of a model (creating the model when absent). */
  createVersion(modelName: string, version: NewModelVersion): Promise<ModelVersion>;
  getVersion(modelName: string, version: number): Promise<ModelVersion>;
  listVersions(modelName: string): Promise<ModelVersion[]>;

  /** Points an alias at a version and records the move. */
  setAlias(modelName: string, alias: string, version: number, why: { actor: string; reason: string }): Promise<AliasMove>;
  deleteAlias(modelName: string, alias: string, why: { actor: string; reason: string }): Promise<AliasMove>;
  /** Aliases of a model and the versions they point at. */
  aliases(modelName: string): Promise<Record<string, number>>;
  aliasHistory(modelName: string, alias?: string): Promise<AliasMove[]>;

  /** `7`, `champion` → the version; NotFoundError naming what is missing. */
  resolve(modelName: string, versionOrAlias: string): Promise<ModelVersion>;
  /** Like resolve, but undefined when the alias is not set. */
  findAlias(modelName: string, alias: string): Promise<ModelVersion | undefined>;
}
