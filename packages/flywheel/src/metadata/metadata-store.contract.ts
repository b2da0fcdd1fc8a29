import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import type { MetadataBackend } from './metadata-backend.js';
import type { MetadataStore } from './metadata-store.js';
import type { Artifact, Execution, LineageGraph } from './model.js';
import { rejection } from '../core/test-support.js';

/**
 * The behaviour every MetadataStore must have. `open` returns a backend over an empty database
 * each time it is called.
 *
 * @example
 *   runMetadataStoreContract('sqlite', () => openSqliteMetadataBackend({ path: tempFile() }));
 */
export function runMetadataStoreContract(label: string, open: () => Promise<MetadataBackend>): void {
  describe(`MetadataStore contract: ${label}`, () => {
    let backend: MetadataBackend;
    let store: MetadataStore;

    beforeEach(async () => {
      backend = await open();
      store = backend.metadata;
    });
    afterEach(async () => {
      await backend.close();
    });

    async function artifact(uri: string, type = 'Dataset'): Promise<Artifact> {
      const [stored] = await store.putArtifacts([{ type, uri }]);
      return stored as Artifact;
    }

    describe('types', () => {
      it('declares a type once and merges its properties', async () => {
        const first = await store.putType('artifact', 'Dataset', { rows: 'number' });
        const again = await store.putType('artifact', 'Dataset', { split: 'string' });
        expect(again.id).toBe(first.id);
        expect(again).toEqual({ id: first.id, kind: 'artifact', name: 'Dataset', properties: { rows: 'number', split: 'string' } });
        expect(await store.listTypes('artifact')).toEqual([again]);
      });

      it('keeps kinds apart and lists them by kind', async () => {
        const artifactType = await store.putType('artifact', 'thing');
        const executionType = await store.putType('execution', 'thing');
        const contextType = await store.putType('context', 'thing');
        expect(new Set([artifactType.id, executionType.id, contextType.id]).size).toBe(3);
        expect((await store.listTypes()).map((t) => t.kind)).toEqual(['artifact', 'execution', 'context']);
        expect((await store.listTypes('execution')).map((t) => t.id)).toEqual([executionType.id]);
      });

      it('rejects an unknown kind and an empty name', async () => {
        const kind = await rejection(store.putType('widget' as 'artifact', 'x'));
        expect(kind).toBeInstanceOf(InvalidInputError);
        expect((kind as InvalidInputError).field).toBe('kind');
        expect(await rejection(store.putType('artifact', ''))).toBeInstanceOf(InvalidInputError);
      });
    });

    describe('artifacts', () => {
      it('stores a batch in order, with defaults, creating unknown types', async () => {
        const before = Date.now();
        const stored = await store.putArtifacts([
          { type: 'Dataset', uri: 'file:///a', digest: 'aa', sizeBytes: 10, name: 'examples', properties: { rows: 3 } },
          { type: 'Model', uri: 'file:///b', state: 'pending' },
        ]);
        expect(stored).toHaveLength(2);
        const [a, b] = stored as [Artifact, Artifact];
        expect(a).toMatchObject({
          type: 'Dataset', uri: 'file:///a', digest: 'aa', sizeBytes: 10, name: 'examples', state: 'live', properties: { rows: 3 },
        });
        expect(b).toMatchObject({ type: 'Model', uri: 'file:///b', digest: null, sizeBytes: null, name: null, state: 'pending', properties: {} });
        expect(b.id).toBeGreaterThan(a.id);
        expect(a.createdAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(a.updatedAt).toEqual(a.createdAt);
        expect(await store.getArtifact(a.id)).toEqual(a);
        expect(await store.getArtifact(b.id)).toEqual(b);
        expect((await store.listTypes('artifact')).map((t) => t.name).sort()).toEqual(['Dataset', 'Model']);
      });

      it('returns an empty list for an empty batch', async () => {
        expect(await store.putArtifacts([])).toEqual([]);
      });

      it('keeps the order of a batch larger than one statement', async () => {
        const count = 12_000;
        const stored = await store.putArtifacts(Array.from({ length: count }, (_, i) => ({ type: i % 2 ? 'A' : 'B', uri: `u${i}` })));
        expect(stored.map((a) => a.uri)).toEqual(Array.from({ length: count }, (_, i) => `u${i}`));
        expect(new Set(stored.map((a) => a.id)).size).toBe(count);
        const sample = await store.getArtifact((stored[9_999] as Artifact).id);
        expect(sample).toMatchObject({ uri: 'u9999', type: 'A' });
      });

      it('rejects a batch with a bad field, naming it, and stores none of it', async () => {
        const error = await rejection(store.putArtifacts([
          { type: 'Dataset', uri: 'file:///ok' },
          { type: 'Dataset', uri: 'file:///bad', state: 'gone' as 'live' },
        ]));
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).field).toBe('artifacts[1].state');
        expect(await store.findArtifacts()).toEqual([]);
        const empty = await rejection(store.putArtifacts([{ type: 'Dataset', uri: '' }]));
        expect((empty as InvalidInputError).field).toBe('artifacts[0].uri');
      });

      it('throws NotFoundError for an unknown id', async () => {
        const error = await rejection(store.getArtifact(987_654));
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain('987654');
      });

      it('updates state and merges properties, keeping keys set to null', async () => {
        const [stored] = await store.putArtifacts([{ type: 'Dataset', uri: 'u', state: 'pending', properties: { a: 1, b: 2 } }]);
        const updated = await store.updateArtifact((stored as Artifact).id, { state: 'live', properties: { b: null, c: [1, 2] } });
        expect(updated).toMatchObject({ state: 'live', properties: { a: 1, b: null, c: [1, 2] } });
        expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(updated.createdAt.getTime());
        expect(await store.getArtifact(updated.id)).toEqual(updated);
        expect(await rejection(store.updateArtifact(987_654, { state: 'live' }))).toBeInstanceOf(NotFoundError);
      });

      it('finds by type, state, digest, uri, name, ids and context', async () => {
        const stored = await store.putArtifacts([
          { type: 'Dataset', uri: 'u1', digest: 'd1', name: 'train' },
          { type: 'Dataset', uri: 'u2', digest: 'd2', state: 'deleted' },
          { type: 'Model', uri: 'u3', digest: 'd1', name: 'train' },
        ]);
        const [a, b, c] = stored.map((s) => s.id) as [number, number, number];
        const ids = async (query: Parameters<MetadataStore['findArtifacts']>[0]): Promise<number[]> =>
          (await store.findArtifacts(query)).map((x) => x.id);
        expect(await ids({})).toEqual([c, b, a]);
        expect(await ids({ type: 'Dataset' })).toEqual([b, a]);
        expect(await ids({ type: 'Unknown' })).toEqual([]);
        expect(await ids({ state: 'deleted' })).toEqual([b]);
        expect(await ids({ digest: 'd1' })).toEqual([c, a]);
        expect(await ids({ uri: 'u2' })).toEqual([b]);
        expect(await ids({ name: 'train', type: 'Model' })).toEqual([c]);
        expect(await ids({ ids: [a, c, 987_654] })).toEqual([c, a]);
        expect(await ids({ ids: [] })).toEqual([]);
        const context = await store.putContext({ type: 'experiment', name: 'e' });
        await store.attribute(context.id, [a, b]);
        expect(await ids({ contextId: context.id, order: 'asc' })).toEqual([a, b]);
      });

      it('pages newest first, or oldest first with asc', async () => {
        const stored = await store.putArtifacts(Array.from({ length: 10 }, (_, i) => ({ type: 'Dataset', uri: `u${i}` })));
        const all = stored.map((s) => s.id);
        const page = async (query: Parameters<MetadataStore['findArtifacts']>[0]): Promise<number[]> =>
          (await store.findArtifacts(query)).map((x) => x.id);
        expect(await page({ limit: 3 })).toEqual(all.slice(7).reverse());
        expect(await page({ limit: 3, offset: 3 })).toEqual(all.slice(4, 7).reverse());
        expect(await page({ limit: 4, order: 'asc' })).toEqual(all.slice(0, 4));
        expect(await page({ offset: 8, order: 'asc' })).toEqual(all.slice(8));
        expect(await page({ limit: 0 })).toEqual([]);
        const negative = await rejection(store.findArtifacts({ limit: -1 }));
        expect((negative as InvalidInputError).field).toBe('query.limit');
      });

      it('applies order and paging to an id list longer than the parameter limit', async () => {
        const stored = await store.putArtifacts(Array.from({ length: 70_000 }, (_, i) => ({ type: 'Dataset', uri: `u${i}` })));
        const ids = stored.map((s) => s.id);
        const found = await store.findArtifacts({ ids, limit: 5, offset: 2, order: 'asc' });
        expect(found.map((a) => a.id)).toEqual(ids.slice(2, 7));
      });
    });

    describe('executions', () => {
      it('stores an execution with defaults and reads it back', async () => {
        const execution = await store.putExecution({ type: 'train@2', name: 'train', cacheKey: 'k1', properties: { lr: 0.1 } });
        expect(execution).toMatchObject({
          type: 'train@2', name: 'train', state: 'new', cacheKey: 'k1', properties: { lr: 0.1 }, error: null, startedAt: null, endedAt: null,
        });
        expect(await store.getExecution(execution.id)).toEqual(execution);
        expect(await rejection(store.getExecution(987_654))).toBeInstanceOf(NotFoundError);
      });

      it('stamps start and end times when the state moves', async () => {
        const execution = await store.putExecution({ type: 'train@2' });
        const running = await store.updateExecution(execution.id, { state: 'running' });
        expect(running.startedAt).toBeInstanceOf(Date);
        expect(running.endedAt).toBeNull();
        const failed = await store.updateExecution(execution.id, { state: 'failed', error: 'out of memory', properties: { attempt: 1 } });
        expect(failed).toMatchObject({ state: 'failed', error: 'out of memory', properties: { attempt: 1 } });
        expect(failed.endedAt).toBeInstanceOf(Date);
        expect(failed.startedAt).toEqual(running.startedAt);
        expect(await store.getExecution(execution.id)).toEqual(failed);
      });

      it('takes explicit times and keeps a final state final', async () => {
        const startedAt = new Date('2024-01-01T00:00:00Z');
        const execution = await store.putExecution({ type: 'train@2', state: 'running', startedAt });
        expect(execution.startedAt).toEqual(startedAt);
        const endedAt = new Date('2024-01-01T01:00:00Z');
        const done = await store.updateExecution(execution.id, { state: 'complete', endedAt });
        expect(done.endedAt).toEqual(endedAt);
        expect(await rejection(store.updateExecution(execution.id, { state: 'running' }))).toBeInstanceOf(ConflictError);
        const annotated = await store.updateExecution(execution.id, { properties: { note: 'kept' } });
        expect(annotated).toMatchObject({ state: 'complete', properties: { note: 'kept' } });
        expect(await rejection(store.updateExecution(987_654, { state: 'running' }))).toBeInstanceOf(NotFoundError);
        const bad = await rejection(store.updateExecution(execution.id, { state: 'paused' as 'running' }));
        expect((bad as InvalidInputError).field).toBe('patch.state');
      });

      it('finds by type, name, states, cache key, ids and context', async () => {
        const a = await store.putExecution({ type: 'train@1', name: 'train', cacheKey: 'k1' });
        const b = await store.putExecution({ type: 'train@1', name: 'train', cacheKey: 'k2', state: 'complete' });
        const c = await store.putExecution({ type: 'eval@1', name: 'eval', cacheKey: 'k1', state: 'cached' });
        const ids = async (query: Parameters<MetadataStore['findExecutions']>[0]): Promise<number[]> =>
          (await store.findExecutions(query)).map((x) => x.id);
        expect(await ids({})).toEqual([c.id, b.id, a.id]);
        expect(await ids({ type: 'train@1', order: 'asc' })).toEqual([a.id, b.id]);
        expect(await ids({ type: 'nope@1' })).toEqual([]);
        expect(await ids({ name: 'eval' })).toEqual([c.id]);
        expect(await ids({ states: ['complete', 'cached'] })).toEqual([c.id, b.id]);
        expect(await ids({ states: [] })).toEqual([]);
        expect(await ids({ cacheKey: 'k1' })).toEqual([c.id, a.id]);
        expect(await ids({ cacheKey: 'k1', states: ['cached'] })).toEqual([c.id]);
        expect(await ids({ ids: [a.id, c.id] })).toEqual([c.id, a.id]);
        expect(await ids({ limit: 1, offset: 1 })).toEqual([b.id]);
        const run = await store.putContext({ type: 'pipeline_run', name: 'r' });
        await store.associate(run.id, [b.id]);
        expect(await ids({ contextId: run.id })).toEqual([b.id]);
      });
    });

    describe('contexts', () => {
      it('creates a context and refuses a second of the same type and name', async () => {
        const pipeline = await store.putContext({ type: 'pipeline', name: 'flights', properties: { owner: 'ml' } });
        expect(pipeline).toMatchObject({ type: 'pipeline', name: 'flights', parentId: null, properties: { owner: 'ml' } });
        expect(await store.getContext(pipeline.id)).toEqual(pipeline);
        const duplicate = await rejection(store.putContext({ type: 'pipeline', name: 'flights' }));
        expect(duplicate).toBeInstanceOf(ConflictError);
        expect((duplicate as Error).message).toContain('flights');
        const sameNameOtherType = await store.putContext({ type: 'experiment', name: 'flights' });
        expect(sameNameOtherType.id).not.toBe(pipeline.id);
      });

      it('ensures a context: returns the existing one or creates it', async () => {
        const created = await store.ensureContext({ type: 'pipeline_run', name: 'run-1' });
        const again = await store.ensureContext({ type: 'pipeline_run', name: 'run-1', properties: { ignored: true } });
        expect(again).toEqual(created);
        const concurrent = await Promise.all(Array.from({ length: 5 }, () => store.ensureContext({ type: 'pipeline_run', name: 'run-2' })));
        expect(new Set(concurrent.map((c) => c.id)).size).toBe(1);
      });

      it('links a child to its parent and finds by type, parent and name', async () => {
        const pipeline = await store.putContext({ type: 'pipeline', name: 'flights' });
        const run1 = await store.putContext({ type: 'pipeline_run', name: 'r1', parentId: pipeline.id });
        const run2 = await store.putContext({ type: 'pipeline_run', name: 'r2', parentId: pipeline.id });
        await store.putContext({ type: 'pipeline_run', name: 'r3' });
        expect(run1.parentId).toBe(pipeline.id);
        expect((await store.findContexts({ parentId: pipeline.id })).map((c) => c.id)).toEqual([run2.id, run1.id]);
        expect((await store.findContexts({ type: 'pipeline_run', order: 'asc', limit: 2 })).map((c) => c.id)).toEqual([run1.id, run2.id]);
        expect((await store.findContexts({ name: 'r2' })).map((c) => c.id)).toEqual([run2.id]);
        expect(await store.findContexts({ type: 'unknown' })).toEqual([]);
        expect(await store.findContext('pipeline_run', 'r1')).toEqual(run1);
        expect(await store.findContext('pipeline_run', 'nope')).toBeUndefined();
        expect(await store.findContext('nope', 'r1')).toBeUndefined();
        expect(await rejection(store.putContext({ type: 'pipeline_run', name: 'orphan', parentId: 987_654 }))).toBeInstanceOf(NotFoundError);
      });

      it('merges properties on update', async () => {
        const context = await store.putContext({ type: 'experiment', name: 'e', properties: { a: 1 } });
        const updated = await store.updateContext(context.id, { properties: { b: 'two' } });
        expect(updated.properties).toEqual({ a: 1, b: 'two' });
        expect(await store.getContext(context.id)).toEqual(updated);
        expect(await rejection(store.updateContext(987_654, { properties: {} }))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.getContext(987_654))).toBeInstanceOf(NotFoundError);
      });

      it('attributes and associates idempotently, and lists an execution’s contexts', async () => {
        const [a, b] = await store.putArtifacts([{ type: 'Dataset', uri: 'a' }, { type: 'Dataset', uri: 'b' }]) as [Artifact, Artifact];
        const execution = await store.putExecution({ type: 'ingest@1' });
        const run = await store.putContext({ type: 'pipeline_run', name: 'r' });
        const experiment = await store.putContext({ type: 'experiment', name: 'x' });
        await store.attribute(run.id, [a.id, b.id]);
        await store.attribute(run.id, [a.id, a.id]);
        await store.associate(run.id, [execution.id]);
        await store.associate(experiment.id, [execution.id]);
        await store.associate(run.id, [execution.id]);
        expect((await store.findArtifacts({ contextId: run.id })).map((x) => x.id)).toEqual([b.id, a.id]);
        expect((await store.contextsOfExecution(execution.id)).map((c) => c.id)).toEqual([run.id, experiment.id]);
        expect(await rejection(store.attribute(987_654, [a.id]))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.attribute(run.id, [987_654]))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.associate(run.id, [987_654]))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.contextsOfExecution(987_654))).toBeInstanceOf(NotFoundError);
      });
    });

    describe('events', () => {
      it('records events and finds them by execution, artifact and kind', async () => {
        const [data, model] = await store.putArtifacts([{ type: 'Dataset', uri: 'd' }, { type: 'Model', uri: 'm' }]) as [Artifact, Artifact];
        const train = await store.putExecution({ type: 'train@1' });
        const other = await store.putExecution({ type: 'train@1' });
        const events = await store.putEvents([
          { executionId: train.id, artifactId: data.id, kind: 'input', name: 'examples' },
          { executionId: train.id, artifactId: model.id, kind: 'output', name: 'model', index: 2 },
          { executionId: other.id, artifactId: data.id, kind: 'input', name: 'examples' },
        ]);
        expect(events[1]).toMatchObject({ executionId: train.id, artifactId: model.id, kind: 'output', name: 'model', index: 2 });
        expect(events[0]?.index).toBe(0);
        expect(await store.findEvents({ executionIds: [train.id] })).toEqual(events.slice(0, 2));
        expect(await store.findEvents({ artifactIds: [data.id] })).toEqual([events[0], events[2]]);
        expect(await store.findEvents({ artifactIds: [data.id], executionIds: [other.id] })).toEqual([events[2]]);
        expect(await store.findEvents({ executionIds: [train.id], kind: 'output' })).toEqual([events[1]]);
        expect(await store.findEvents({ executionIds: [] })).toEqual([]);
      });

      it('refuses events that point at nothing, storing none of the batch', async () => {
        const data = await artifact('d');
        const execution = await store.putExecution({ type: 'x@1' });
        const missing = await rejection(store.putEvents([
          { executionId: execution.id, artifactId: data.id, kind: 'input', name: 'a' },
          { executionId: execution.id, artifactId: 987_654, kind: 'input', name: 'b' },
        ]));
        expect(missing).toBeInstanceOf(NotFoundError);
        expect((missing as NotFoundError).message).toContain('987654');
        expect(await store.findEvents({ executionIds: [execution.id] })).toEqual([]);
        const kind = await rejection(store.putEvents([{ executionId: execution.id, artifactId: data.id, kind: 'side' as 'input', name: 'a' }]));
        expect((kind as InvalidInputError).field).toBe('events[0].kind');
      });
    });

    describe('startExecution and finishExecution', () => {
      it('starts: execution running, inputs recorded, contexts associated', async () => {
        const data = await artifact('d');
        const run = await store.putContext({ type: 'pipeline_run', name: 'r' });
        const started = await store.startExecution({
          execution: { type: 'train@1', name: 'train', cacheKey: 'ck' },
          inputs: [{ name: 'examples', artifactId: data.id }, { name: 'examples', artifactId: data.id, index: 1 }],
          contextIds: [run.id],
        });
        expect(started).toMatchObject({ type: 'train@1', name: 'train', state: 'running', cacheKey: 'ck' });
        expect(started.startedAt).toBeInstanceOf(Date);
        const events = await store.findEvents({ executionIds: [started.id] });
        expect(events.map((e) => [e.kind, e.artifactId, e.index])).toEqual([['input', data.id, 0], ['input', data.id, 1]]);
        expect((await store.contextsOfExecution(started.id)).map((c) => c.id)).toEqual([run.id]);
        expect(await store.getExecution(started.id)).toEqual(started);
      });

      it('starts nothing when an input or context is missing', async () => {
        const data = await artifact('d');
        const noInput = await rejection(store.startExecution({
          execution: { type: 'train@1' }, inputs: [{ name: 'examples', artifactId: 987_654 }], contextIds: [],
        }));
        expect(noInput).toBeInstanceOf(NotFoundError);
        const noContext = await rejection(store.startExecution({
          execution: { type: 'train@1' }, inputs: [{ name: 'examples', artifactId: data.id }], contextIds: [987_654],
        }));
        expect(noContext).toBeInstanceOf(NotFoundError);
        expect(await store.findExecutions()).toEqual([]);
        expect(await store.findEvents({ artifactIds: [data.id] })).toEqual([]);
      });

      it('finishes: new and existing outputs, events, attributions, final state', async () => {
        const data = await artifact('d');
        const reused = await artifact('stats', 'Statistics');
        const run = await store.putContext({ type: 'pipeline_run', name: 'r' });
        const pipeline = await store.putContext({ type: 'pipeline', name: 'p' });
        const started = await store.startExecution({
          execution: { type: 'train@1' }, inputs: [{ name: 'examples', artifactId: data.id }], contextIds: [run.id, pipeline.id],
        });
        const { execution, outputs } = await store.finishExecution(started.id, {
          patch: { properties: { seconds: 3 } },
          outputs: [
            { name: 'model', artifact: { type: 'Model', uri: 'file:///m', digest: 'dm', state: 'live' } },
            { name: 'statistics', artifactId: reused.id },
            { name: 'metrics', index: 1, artifact: { type: 'Metrics', uri: 'file:///x' } },
          ],
        });
        expect(execution).toMatchObject({ id: started.id, state: 'complete', properties: { seconds: 3 } });
        expect(execution.endedAt).toBeInstanceOf(Date);
        expect(outputs.map((o) => o.uri)).toEqual(['file:///m', 'stats', 'file:///x']);
        expect(outputs[0]).toEqual(await store.getArtifact((outputs[0] as Artifact).id));
        expect(outputs[1]).toEqual(reused);
        const events = await store.findEvents({ executionIds: [started.id], kind: 'output' });
        expect(events.map((e) => [e.name, e.artifactId, e.index])).toEqual([
          ['model', outputs[0]?.id, 0], ['statistics', reused.id, 0], ['metrics', outputs[2]?.id, 1],
        ]);
        for (const context of [run, pipeline]) {
          expect((await store.findArtifacts({ contextId: context.id, order: 'asc' })).map((a) => a.id).sort((x, y) => x - y))
            .toEqual(outputs.map((o) => o.id).sort((x, y) => x - y));
        }
        expect(await store.getExecution(started.id)).toEqual(execution);
      });

      it('leaves nothing half-written when an output fails', async () => {
        const data = await artifact('d');
        const run = await store.putContext({ type: 'pipeline_run', name: 'r' });
        const started = await store.startExecution({
          execution: { type: 'train@1' }, inputs: [{ name: 'examples', artifactId: data.id }], contextIds: [run.id],
        });
        const failure = await rejection(store.finishExecution(started.id, {
          patch: { state: 'complete' },
          outputs: [
            { name: 'model', artifact: { type: 'BrandNewType', uri: 'file:///m' } },
            { name: 'statistics', artifactId: 987_654 },
          ],
        }));
        expect(failure).toBeInstanceOf(NotFoundError);
        expect(await store.getExecution(started.id)).toEqual(started);
        expect((await store.findArtifacts()).map((a) => a.id)).toEqual([data.id]);
        expect(await store.findEvents({ executionIds: [started.id], kind: 'output' })).toEqual([]);
        expect(await store.findArtifacts({ contextId: run.id })).toEqual([]);
        expect((await store.listTypes('artifact')).map((t) => t.name)).toEqual(['Dataset']);

        const retried = await store.finishExecution(started.id, {
          patch: {}, outputs: [{ name: 'model', artifact: { type: 'BrandNewType', uri: 'file:///m' } }],
        });
        expect(retried.outputs[0]).toMatchObject({ type: 'BrandNewType' });
        expect(await store.getArtifact((retried.outputs[0] as Artifact).id)).toEqual(retried.outputs[0]);
      });

      it('rejects a bad output naming its field, a non-final state and a second finish', async () => {
        const started = await store.startExecution({ execution: { type: 'x@1' }, inputs: [], contextIds: [] });
        const bad = await rejection(store.finishExecution(started.id, {
          patch: {}, outputs: [{ name: 'a', artifact: { type: 'T', uri: 'u' } }, { name: 'b', artifact: { type: 'T', uri: '' } }],
        }));
        expect((bad as InvalidInputError).field).toBe('outputs[1].artifact.uri');
        const running = await rejection(store.finishExecution(started.id, { patch: { state: 'running' }, outputs: [] }));
        expect((running as InvalidInputError).field).toBe('patch.state');
        const failed = await store.finishExecution(started.id, { patch: { state: 'failed', error: 'boom' }, outputs: [] });
        expect(failed.execution).toMatchObject({ state: 'failed', error: 'boom' });
        expect(await rejection(store.finishExecution(started.id, { patch: {}, outputs: [] }))).toBeInstanceOf(ConflictError);
        expect(await rejection(store.finishExecution(987_654, { patch: {}, outputs: [] }))).toBeInstanceOf(NotFoundError);
      });
    });

    describe('lineage', () => {
      // raw → ingest → examples → train → model → evaluate → blessing
      //                   │         └→ log (a sibling output of train)
      //                   └→ statistics-gen → statistics
      interface Graph {
        raw: Artifact; examples: Artifact; model: Artifact; log: Artifact; statistics: Artifact; blessing: Artifact;
        ingest: Execution; train: Execution; stats: Execution; evaluate: Execution;
      }

      async function step(type: string, inputs: Artifact[], outputs: string[]): Promise<{ execution: Execution; outputs: Artifact[] }> {
        const started = await store.startExecution({
          execution: { type }, inputs: inputs.map((a) => ({ name: 'in', artifactId: a.id })), contextIds: [],
        });
        return store.finishExecution(started.id, {
          patch: {}, outputs: outputs.map((uri) => ({ name: 'out', artifact: { type: 'Thing', uri } })),
        });
      }

      async function graph(): Promise<Graph> {
        const raw = await artifact('raw');
        const ingest = await step('ingest@1', [raw], ['examples']);
        const examples = ingest.outputs[0] as Artifact;
        const train = await step('train@1', [examples], ['model', 'log']);
        const stats = await step('stats@1', [examples], ['statistics']);
        const evaluate = await step('evaluate@1', [train.outputs[0] as Artifact], ['blessing']);
        return {
          raw, examples, model: train.outputs[0] as Artifact, log: train.outputs[1] as Artifact,
          statistics: stats.outputs[0] as Artifact, blessing: evaluate.outputs[0] as Artifact,
          ingest: ingest.execution, train: train.execution, stats: stats.execution, evaluate: evaluate.execution,
        };
      }

      function names(lineage: LineageGraph): { artifacts: string[]; executions: string[]; events: number } {
        return {
          artifacts: lineage.artifacts.map((a) => a.uri).sort(),
          executions: lineage.executions.map((e) => e.type).sort(),
          events: lineage.events.length,
        };
      }

      it('walks upstream hop by hop', async () => {
        const g = await graph();
        expect(names(await store.lineage({ artifactId: g.model.id }, { direction: 'upstream', depth: 0 })))
          .toEqual({ artifacts: ['model'], executions: [], events: 0 });
        expect(names(await store.lineage({ artifactId: g.model.id }, { direction: 'upstream', depth: 1 })))
          .toEqual({ artifacts: ['model'], executions: ['train@1'], events: 1 });
        expect(names(await store.lineage({ artifactId: g.model.id }, { direction: 'upstream', depth: 2 })))
          .toEqual({ artifacts: ['examples', 'model'], executions: ['train@1'], events: 2 });
        const full = await store.lineage({ artifactId: g.model.id }, { direction: 'upstream', depth: 10 });
        expect(names(full)).toEqual({ artifacts: ['examples', 'model', 'raw'], executions: ['ingest@1', 'train@1'], events: 4 });
        expect(full.artifacts.find((a) => a.id === g.raw.id)).toEqual(g.raw);
        expect(full.executions.find((e) => e.id === g.train.id)).toEqual(g.train);
        for (const event of full.events) {
          expect(full.artifacts.some((a) => a.id === event.artifactId)).toBe(true);
          expect(full.executions.some((e) => e.id === event.executionId)).toBe(true);
        }
      });

      it('walks downstream from an artifact and from an execution', async () => {
        const g = await graph();
        expect(names(await store.lineage({ artifactId: g.examples.id }, { direction: 'downstream', depth: 2 })))
          .toEqual({ artifacts: ['examples', 'log', 'model', 'statistics'], executions: ['stats@1', 'train@1'], events: 5 });
        expect(names(await store.lineage({ artifactId: g.examples.id }, { direction: 'downstream', depth: 4 })))
          .toEqual({
            artifacts: ['blessing', 'examples', 'log', 'model', 'statistics'],
            executions: ['evaluate@1', 'stats@1', 'train@1'],
            events: 7,
          });
        expect(names(await store.lineage({ executionId: g.train.id }, { direction: 'downstream', depth: 1 })))
          .toEqual({ artifacts: ['log', 'model'], executions: ['train@1'], events: 2 });
        expect(names(await store.lineage({ executionId: g.train.id }, { direction: 'upstream', depth: 1 })))
          .toEqual({ artifacts: ['examples'], executions: ['train@1'], events: 1 });
      });

      it('walks both ways without turning to siblings', async () => {
        const g = await graph();
        const both = names(await store.lineage({ artifactId: g.model.id }, { direction: 'both', depth: 2 }));
        expect(both).toEqual({ artifacts: ['blessing', 'examples', 'model'], executions: ['evaluate@1', 'train@1'], events: 4 });
        expect(both.artifacts).not.toContain('log');
      });

      it('follows a long chain only as deep as asked', async () => {
        let last = await artifact('a0');
        const chain: Artifact[] = [last];
        for (let i = 1; i <= 12; i++) {
          last = (await step(`s${i}@1`, [last], [`a${i}`])).outputs[0] as Artifact;
          chain.push(last);
        }
        const upstream = await store.lineage({ artifactId: last.id }, { direction: 'upstream', depth: 10 });
        expect(upstream.executions).toHaveLength(5);
        expect(upstream.artifacts.map((a) => a.uri)).toEqual(['a7', 'a8', 'a9', 'a10', 'a11', 'a12']);
        expect(upstream.events).toHaveLength(10);
        const downstream = await store.lineage({ artifactId: (chain[0] as Artifact).id }, { direction: 'downstream', depth: 3 });
        expect(downstream.artifacts.map((a) => a.uri)).toEqual(['a0', 'a1']);
        expect(downstream.executions.map((e) => e.type)).toEqual(['s1@1', 's2@1']);
      });

      it('throws NotFoundError for a missing start and rejects a bad depth', async () => {
        expect(await rejection(store.lineage({ artifactId: 987_654 }, { direction: 'both', depth: 2 }))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.lineage({ executionId: 987_654 }, { direction: 'both', depth: 2 }))).toBeInstanceOf(NotFoundError);
        const data = await artifact('d');
        const depth = await rejection(store.lineage({ artifactId: data.id }, { direction: 'both', depth: -1 }));
        expect((depth as InvalidInputError).field).toBe('query.depth');
      });
    });
  });
}
