import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import type { ModelRegistry } from './model-registry.js';
import { rejection } from '../core/test-support.js';

const WHY = { actor: 'alice', reason: 'auc improved' };

/**
 * The behaviour every ModelRegistry must have. `open` returns a backend over an empty database
 * each time it is called.
 *
 * @example
 *   runModelRegistryContract('sqlite', () => openSqliteMetadataBackend({ path: tempFile() }));
 */
export function runModelRegistryContract(label: string, open: () => Promise<MetadataBackend>): void {
  describe(`ModelRegistry contract: ${label}`, () => {
    let backend: MetadataBackend;
    let registry: ModelRegistry;

    beforeEach(async () => {
      backend = await open();
      registry = backend.registry;
    });
    afterEach(async () => {
      await backend.close();
    });

    async function versions(name: string, count: number): Promise<void> {
      for (let i = 1; i <= count; i++) await registry.createVersion(name, { uri: `file:///${name}/${i}.onnx`, digest: `d${i}` });
    }

    describe('models', () => {
      it('ensures a model once and lists models by name', async () => {
        const created = await registry.ensureModel('flights', { description: 'delay > 15 min' });
        expect(created).toMatchObject({ name: 'flights', description: 'delay > 15 min', tags: {} });
        expect(created.createdAt).toBeInstanceOf(Date);
        const again = await registry.ensureModel('flights');
        expect(again).toEqual(created);
        await registry.ensureModel('churn');
        expect((await registry.listModels()).map((m) => m.name)).toEqual(['churn', 'flights']);
        expect(await registry.getModel('flights')).toEqual(created);
      });

      it('throws NotFoundError naming a missing model and pointing at the CLI', async () => {
        const error = await rejection(registry.getModel('nope'));
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain('nope');
        expect((error as NotFoundError).hint).toContain('flywheel models');
        expect(await rejection(registry.listVersions('nope'))).toBeInstanceOf(NotFoundError);
        expect(await rejection(registry.aliases('nope'))).toBeInstanceOf(NotFoundError);
        expect(await rejection(registry.aliasHistory('nope'))).toBeInstanceOf(NotFoundError);
      });

      it('validates model names, naming the field', async () => {
        for (const bad of ['', 'has space', 'slash/name', '.hidden', 'x'.repeat(129)]) {
          const error = await rejection(registry.ensureModel(bad));
          expect(error).toBeInstanceOf(InvalidInputError);
          expect((error as InvalidInputError).field).toBe('model name');
        }
        for (const good of ['flights', 'Flights-2.v1', 'a_b']) await registry.ensureModel(good);
      });
    });

    describe('versions', () => {
      it('numbers versions 1, 2, 3 per model, creating the model on first use', async () => {
        const first = await registry.createVersion('flights', {
          uri: 'file:///m1.onnx', digest: 'd1', metrics: { auc: 0.64 }, tags: { data: 'jan' },
          signature: { inputs: [{ name: 'distance', type: 'float' }] }, description: 'first',
        });
        expect(first).toMatchObject({
          modelName: 'flights', version: 1, uri: 'file:///m1.onnx', digest: 'd1', artifactId: null, executionId: null,
          metrics: { auc: 0.64 }, tags: { data: 'jan' }, signature: { inputs: [{ name: 'distance', type: 'float' }] }, description: 'first',
        });
        const second = await registry.createVersion('flights', { uri: 'file:///m2.onnx', digest: 'd2' });
        expect(second).toMatchObject({ version: 2, metrics: {}, tags: {}, signature: null, description: null });
        const other = await registry.createVersion('churn', { uri: 'file:///c1.onnx', digest: 'c1' });
        expect(other.version).toBe(1);
        expect(await registry.getVersion('flights', 1)).toEqual(first);
        expect(await registry.listVersions('flights')).toEqual([first, second]);
        expect((await registry.getModel('flights')).name).toBe('flights');
      });

      it('links a version to its metadata artifact and execution', async () => {
        const [model] = await backend.metadata.putArtifacts([{ type: 'Model', uri: 'file:///m.onnx' }]);
        const train = await backend.metadata.putExecution({ type: 'train@1' });
        const version = await registry.createVersion('flights', { uri: 'file:///m.onnx', digest: 'd', artifactId: model?.id, executionId: train.id });
        expect(version).toMatchObject({ artifactId: model?.id, executionId: train.id });
        expect(await rejection(registry.createVersion('flights', { uri: 'u', digest: 'd', artifactId: 987_654 }))).toBeInstanceOf(NotFoundError);
        expect((await registry.listVersions('flights')).map((v) => v.version)).toEqual([1]);
      });

      it('records the run that trained a version and its training data', async () => {
        const [data] = await backend.metadata.putArtifacts([{ type: 'Dataset', uri: 'file:///jan.parquet' }]);
        const digest = 'a'.repeat(64);
        const runId = '0123456789abcdef0123456789abcdef';
        const version = await registry.createVersion('flights', { uri: 'u', digest: 'd', runId, trainingData: { uri: 'file:///jan.parquet', digest, artifactId: data?.id } });
        expect(version).toMatchObject({ runId, trainingData: { uri: 'file:///jan.parquet', digest, artifactId: data?.id } });
        expect(await registry.getVersion('flights', version.version)).toEqual(version);
        const bare = await registry.createVersion('flights', { uri: 'u2', digest: 'd2', trainingData: { uri: 'file:///x.csv', digest } });
        expect(bare).toMatchObject({ runId: null, trainingData: { uri: 'file:///x.csv', digest, artifactId: null } });
        expect((await registry.createVersion('flights', { uri: 'u3', digest: 'd3' })).trainingData).toBeNull();
        const badRun = await rejection(registry.createVersion('flights', { uri: 'u', digest: 'd', runId: 'run-1' }));
        expect((badRun as InvalidInputError).field).toBe('version.runId');
        const badDigest = await rejection(registry.createVersion('flights', { uri: 'u', digest: 'd', trainingData: { uri: 'x', digest: 'nope' } }));
        expect((badDigest as InvalidInputError).field).toBe('version.trainingData.digest');
        expect(await rejection(registry.createVersion('flights', { uri: 'u', digest: 'd', trainingData: { uri: 'x', digest, artifactId: 987_654 } }))).toBeInstanceOf(NotFoundError);
      });

      it('rejects a bad version naming the field', async () => {
        const uri = await rejection(registry.createVersion('flights', { uri: '', digest: 'd' }));
        expect((uri as InvalidInputError).field).toBe('version.uri');
        const metric = await rejection(registry.createVersion('flights', { uri: 'u', digest: 'd', metrics: { auc: Number.NaN } }));
        expect((metric as InvalidInputError).field).toBe('version.metrics.auc');
      });

      it('throws NotFoundError naming a missing version and pointing at `flywheel models show`', async () => {
        await versions('flights', 2);
        const error = await rejection(registry.getVersion('flights', 7));
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain('flights@7');
        expect((error as NotFoundError).hint).toContain('flywheel models show flights');
        const model = await rejection(registry.getVersion('nope', 1));
        expect((model as NotFoundError).message).toContain('nope');
      });

      it('hands out distinct consecutive numbers to concurrent registrations', async () => {
        const created = await Promise.all(Array.from({ length: 10 }, (_, i) =>
          registry.createVersion('flights', { uri: `file:///m${i}.onnx`, digest: `d${i}` })));
        expect(created.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        const listed = await registry.listVersions('flights');
        expect(listed.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (const version of created) expect(listed.find((v) => v.version === version.version)?.uri).toBe(version.uri);
      });
    });

    describe('aliases', () => {
      it('points an alias, moves it and records every move', async () => {
        await versions('flights', 3);
        const created = await registry.setAlias('flights', 'champion', 1, { actor: 'pipeline', reason: 'first blessed model' });
        expect(created).toMatchObject({ modelName: 'flights', alias: 'champion', fromVersion: null, toVersion: 1, actor: 'pipeline' });
        expect(created.at).toBeInstanceOf(Date);
        const moved = await registry.setAlias('flights', 'champion', 3, WHY);
        expect(moved).toMatchObject({ fromVersion: 1, toVersion: 3, actor: 'alice', reason: 'auc improved' });
        await registry.setAlias('flights', 'challenger', 2, WHY);
        expect(await registry.aliases('flights')).toEqual({ challenger: 2, champion: 3 });
        expect(await registry.aliasHistory('flights', 'champion')).toEqual([created, moved]);
        expect((await registry.aliasHistory('flights')).map((m) => m.alias)).toEqual(['champion', 'champion', 'challenger']);
      });

      it('resolves a version number or an alias', async () => {
        await versions('flights', 3);
        await registry.setAlias('flights', 'champion', 2, WHY);
        expect((await registry.resolve('flights', '3')).version).toBe(3);
        expect((await registry.resolve('flights', 'champion')).version).toBe(2);
        expect((await registry.findAlias('flights', 'champion'))?.uri).toBe('file:///flights/2.onnx');
        expect(await registry.findAlias('flights', 'staging')).toBeUndefined();
        expect(await registry.findAlias('nope', 'champion')).toBeUndefined();
        const alias = await rejection(registry.resolve('flights', 'staging'));
        expect(alias).toBeInstanceOf(NotFoundError);
        expect((alias as NotFoundError).message).toContain('flights@staging');
        expect((alias as NotFoundError).hint).toContain('flywheel models show flights');
        const version = await rejection(registry.resolve('flights', '7'));
        expect((version as NotFoundError).message).toContain('flights@7');
        expect(await rejection(registry.resolve('nope', 'champion'))).toBeInstanceOf(NotFoundError);
      });

      it('deletes an alias and records it', async () => {
        await versions('flights', 2);
        await registry.setAlias('flights', 'champion', 2, WHY);
        const deleted = await registry.deleteAlias('flights', 'champion', { actor: 'bob', reason: 'rollback' });
        expect(deleted).toMatchObject({ fromVersion: 2, toVersion: null, actor: 'bob', reason: 'rollback' });
        expect(await registry.aliases('flights')).toEqual({});
        expect(await registry.findAlias('flights', 'champion')).toBeUndefined();
        expect((await registry.aliasHistory('flights', 'champion')).map((m) => m.toVersion)).toEqual([2, null]);
        const again = await rejection(registry.deleteAlias('flights', 'champion', WHY));
        expect(again).toBeInstanceOf(NotFoundError);
        expect((again as NotFoundError).message).toContain('flights@champion');
      });

      it('refuses to point at a missing version and records nothing', async () => {
        await versions('flights', 1);
        const error = await rejection(registry.setAlias('flights', 'champion', 5, WHY));
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain('flights@5');
        expect(await registry.aliasHistory('flights')).toEqual([]);
        expect(await rejection(registry.setAlias('nope', 'champion', 1, WHY))).toBeInstanceOf(NotFoundError);
      });

      it('validates alias names and the reason, naming the field', async () => {
        await versions('flights', 1);
        for (const bad of ['Champion', '123', 'a b', '', 'x'.repeat(65)]) {
          const error = await rejection(registry.setAlias('flights', bad, 1, WHY));
          expect(error).toBeInstanceOf(InvalidInputError);
          expect((error as InvalidInputError).field).toBe('alias');
        }
        await registry.setAlias('flights', 'canary-2_b', 1, WHY);
        const actor = await rejection(registry.setAlias('flights', 'champion', 1, { actor: '', reason: 'r' }));
        expect((actor as InvalidInputError).field).toBe('why.actor');
        const resolve = await rejection(registry.resolve('flights', 'Bad Alias'));
        expect(resolve).toBeInstanceOf(InvalidInputError);
      });

      it('records a consistent chain of moves under concurrency', async () => {
        await versions('flights', 5);
        await Promise.all([1, 2, 3, 4, 5].map((v) => registry.setAlias('flights', 'champion', v, { actor: `w${v}`, reason: 'race' })));
        const history = await registry.aliasHistory('flights', 'champion');
        expect(history).toHaveLength(5);
        expect(history[0]?.fromVersion).toBeNull();
        for (let i = 1; i < history.length; i++) expect(history[i]?.fromVersion).toBe(history[i - 1]?.toVersion);
        expect((await registry.aliases('flights')).champion).toBe(history.at(-1)?.toVersion);
      });
    });
  });
}
