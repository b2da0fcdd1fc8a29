import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import {
  FilterSyntaxError, InvalidParameterValueError, InvalidStateError, ResourceAlreadyExistsError, ResourceDoesNotExistError,
} from './errors.js';
import type { Metric, Run, SearchRunsQuery } from './model.js';
import type { TrackingStore } from './tracking-store.js';
import { rejection as rejectionOf } from '../core/test-support.js';

/** What the store throws: an error with its stable code, and the field at fault for bad input. */
type StoreError = Error & { code: string; field?: string };
const rejection = (promise: Promise<unknown>) => rejectionOf<StoreError>(promise);

/**
 * The behaviour every TrackingStore must have, MLflow's semantics, limits and messages included.
 * `open` returns a backend over an empty database (with its default experiment) each time.
 *
 * @example
 *   runTrackingStoreContract('sqlite', () => openSqliteMetadataBackend({ path: tempFile() }));
 */
export function runTrackingStoreContract(label: string, open: () => Promise<MetadataBackend>): void {
  describe(`TrackingStore contract: ${label}`, () => {
    let backend: MetadataBackend;
    let store: TrackingStore;

    beforeEach(async () => {
      backend = await open();
      store = backend.tracking;
    });
    afterEach(async () => {
      await backend.close();
    });

    async function expectInvalid(promise: Promise<unknown>, message: string): Promise<void> {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(InvalidParameterValueError);
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toBe(message);
    }

    const point = (key: string, value: number, step = 0, timestamp = 1_000): Metric => ({ key, value, step, timestamp });

    async function newRun(name = 'run', experimentId = '0'): Promise<string> {
      return (await store.createRun({ experimentId, runName: name })).info.runId;
    }

    describe('experiments', () => {
      it('has MLflow’s default experiment: id 0, named Default', async () => {
        const experiment = await store.getExperiment('0');
        expect(experiment).toMatchObject({
          experimentId: '0', name: 'Default', artifactLocation: 'mlflow-artifacts:/0', lifecycleStage: 'active', tags: [],
        });
        expect(await store.getExperimentByName('Default')).toEqual(experiment);
      });

      it('creates experiments with increasing ids, default artifact locations and sorted tags', async () => {
        const before = Date.now();
        const first = await store.createExperiment({ name: 'flights', tags: [{ key: 'team', value: 'risk' }, { key: 'area', value: 'ops' }] });
        const second = await store.createExperiment({ name: 'weather', artifactLocation: 's3://bucket/weather' });
        expect(first).toMatchObject({
          experimentId: '1', name: 'flights', artifactLocation: 'mlflow-artifacts:/1', lifecycleStage: 'active',
          tags: [{ key: 'area', value: 'ops' }, { key: 'team', value: 'risk' }],
        });
        expect(first.creationTime).toBeGreaterThanOrEqual(before);
        expect(first.lastUpdateTime).toBe(first.creationTime);
        expect(second).toMatchObject({ experimentId: '2', artifactLocation: 's3://bucket/weather', tags: [] });
        expect(await store.getExperiment('1')).toEqual(first);
        expect(await store.getExperimentByName('weather')).toEqual(second);
        expect(await store.getExperimentByName('nope')).toBeUndefined();
      });

      it('refuses a name in use, even by a deleted experiment, with RESOURCE_ALREADY_EXISTS', async () => {
        const { experimentId } = await store.createExperiment({ name: 'flights' });
        const taken = await rejection(store.createExperiment({ name: 'flights' }));
        expect(taken).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(taken.code).toBe('RESOURCE_ALREADY_EXISTS');
        expect(taken.message).toBe('Experiment(name=flights) already exists.');
        await store.deleteExperiment(experimentId);
        expect(await rejection(store.createExperiment({ name: 'flights' }))).toBeInstanceOf(ResourceAlreadyExistsError);
      });

      it('validates names, ids, artifact locations and tags with MLflow’s messages', async () => {
        await expectInvalid(store.createExperiment({ name: '' }), "Invalid experiment name: ''");
        await expectInvalid(store.createExperiment({ name: 'x'.repeat(501) }), 'Experiment name exceeds the maximum length of 500 characters');
        expect((await store.createExperiment({ name: 'é'.repeat(500) })).name).toHaveLength(500);
        await expectInvalid(
          store.createExperiment({ name: 'r', artifactLocation: 'runs:/abc/model' }),
          "Artifact location cannot be a runs:/ URI. Given: 'runs:/abc/model'",
        );
        await expectInvalid(
          store.createExperiment({ name: 't', tags: [{ key: 't', value: 'v'.repeat(5001) }] }),
          `Tag value '${'v'.repeat(250)}' had length 5001, which exceeded length limit of 5000`,
        );
        await expectInvalid(store.getExperiment('abc'), "Invalid experiment ID: 'abc'");
        const missing = await rejection(store.getExperiment('42'));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
        expect(missing.code).toBe('RESOURCE_DOES_NOT_EXIST');
        expect(missing.message).toBe('No Experiment with id=42 exists');
      });

      it('renames active experiments only', async () => {
        const { experimentId } = await store.createExperiment({ name: 'a' });
        await store.createExperiment({ name: 'b' });
        await store.renameExperiment(experimentId, 'c');
        const renamed = await store.getExperiment(experimentId);
        expect(renamed.name).toBe('c');
        expect(renamed.lastUpdateTime).toBeGreaterThanOrEqual(renamed.creationTime);
        expect(await rejection(store.renameExperiment(experimentId, 'b'))).toBeInstanceOf(ResourceAlreadyExistsError);
        await store.deleteExperiment(experimentId);
        const deleted = await rejection(store.renameExperiment(experimentId, 'd'));
        expect(deleted).toBeInstanceOf(InvalidStateError);
        expect(deleted.code).toBe('INVALID_STATE');
        expect(deleted.message).toBe('Cannot rename a non-active experiment.');
      });

      it('deletes and restores an experiment together with its runs', async () => {
        const { experimentId } = await store.createExperiment({ name: 'flights' });
        const runId = await newRun('r', experimentId);
        await store.deleteExperiment(experimentId);
        expect((await store.getExperiment(experimentId)).lifecycleStage).toBe('deleted');
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('deleted');
        expect(await rejection(store.deleteExperiment(experimentId))).toBeInstanceOf(ResourceDoesNotExistError);
        await expectInvalid(
          store.createRun({ experimentId }),
          `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
        );
        await store.restoreExperiment(experimentId);
        expect((await store.getExperiment(experimentId)).lifecycleStage).toBe('active');
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('active');
        expect(await rejection(store.restoreExperiment(experimentId))).toBeInstanceOf(ResourceDoesNotExistError);
      });

      it('sets, overwrites and deletes experiment tags', async () => {
        const { experimentId } = await store.createExperiment({ name: 'flights' });
        await store.setExperimentTag(experimentId, { key: 'team', value: 'risk' });
        await store.setExperimentTag(experimentId, { key: 'team', value: 'ops' });
        await store.setExperimentTag(experimentId, { key: 'note', value: 'n' });
        expect((await store.getExperiment(experimentId)).tags).toEqual([{ key: 'note', value: 'n' }, { key: 'team', value: 'ops' }]);
        await store.deleteExperimentTag(experimentId, 'note');
        expect((await store.getExperiment(experimentId)).tags).toEqual([{ key: 'team', value: 'ops' }]);
        const missing = await rejection(store.deleteExperimentTag(experimentId, 'note'));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
        expect(missing.message).toBe(`No tag with name: note in experiment with id ${experimentId}`);
        await store.deleteExperiment(experimentId);
        await expectInvalid(
          store.setExperimentTag(experimentId, { key: 'a', value: 'b' }),
          `The experiment ${experimentId} must be in the 'active' state. Current state is deleted.`,
        );
      });

      it('searches experiments by name, time and tags, in MLflow’s default order, page by page', async () => {
        const names = ['flights-jan', 'flights-feb', 'weather', 'Flights-mar'];
        for (const name of names) {
          // Creation times must differ for the default order (newest first) to be the creation order.
          await new Promise((resolve) => setTimeout(resolve, 3));
          const { experimentId } = await store.createExperiment({ name, tags: [{ key: 'team', value: name.startsWith('w') ? 'ops' : 'risk' }] });
          if (name === 'weather') await store.deleteExperiment(experimentId);
        }
        const search = async (query: Parameters<TrackingStore['searchExperiments']>[0]): Promise<string[]> =>
          (await store.searchExperiments(query)).items.map((e) => e.name);
        expect(await search({})).toEqual(['Flights-mar', 'flights-feb', 'flights-jan', 'Default']);
        expect(await search({ viewType: 'DELETED_ONLY' })).toEqual(['weather']);
        expect(await search({ viewType: 'ALL' })).toHaveLength(5);
        expect(await search({ filter: "name LIKE 'flights%'" })).toEqual(['flights-feb', 'flights-jan']);
        expect(await search({ filter: "name ILIKE 'flights%'" })).toEqual(['Flights-mar', 'flights-feb', 'flights-jan']);
        expect(await search({ filter: "name != 'Default' and tags.team = 'risk'", orderBy: ['name'] })).toEqual(['Flights-mar', 'flights-feb', 'flights-jan']);
        expect(await search({ filter: 'attributes.creation_time > 0', orderBy: ['experiment_id DESC'] })).toEqual(['Flights-mar', 'flights-feb', 'flights-jan', 'Default']);
        const first = await store.searchExperiments({ maxResults: 3 });
        expect(first.items).toHaveLength(3);
        const rest = await store.searchExperiments({ maxResults: 3, pageToken: first.nextPageToken });
        expect(rest.items.map((e) => e.name)).toEqual(['Default']);
        expect(rest.nextPageToken).toBeUndefined();
        const error = await rejection(store.searchExperiments({ filter: 'metrics.auc > 1' }));
        expect(error).toBeInstanceOf(FilterSyntaxError);
        expect(error.message).toContain("Invalid entity type 'metrics'. Valid values are ['tag', 'attribute']");
      });
    });

    describe('runs', () => {
      it('creates a RUNNING run with a uuid hex id, artifact uri, name tag and data', async () => {
        const { experimentId, artifactLocation } = await store.createExperiment({ name: 'flights' });
        const run = await store.createRun({
          experimentId, runName: 'baseline', startTime: 1234, userId: 'ann', tags: [{ key: 'team', value: 'risk' }],
        });
        expect(run.info).toEqual({
          runId: expect.stringMatching(/^[0-9a-f]{32}$/),
          runName: 'baseline',
          experimentId,
          userId: 'ann',
          status: 'RUNNING',
          startTime: 1234,
          endTime: null,
          lifecycleStage: 'active',
          artifactUri: `${artifactLocation}/${run.info.runId}/artifacts`,
          executionId: null,
        });
        expect(run.data).toEqual({ metrics: [], params: [], tags: [{ key: 'mlflow.runName', value: 'baseline' }, { key: 'team', value: 'risk' }] });
        expect(await store.getRun(run.info.runId)).toEqual(run);
      });

      it('names unnamed runs like MLflow, takes the name from the mlflow.runName tag, and refuses two names', async () => {
        const generated = await store.createRun();
        expect(generated.info.experimentId).toBe('0');
        expect(generated.info.runName).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
        expect(generated.data.tags).toEqual([{ key: 'mlflow.runName', value: generated.info.runName }]);
        const tagged = await store.createRun({ tags: [{ key: 'mlflow.runName', value: 'from-tag' }] });
        expect(tagged.info.runName).toBe('from-tag');
        await expectInvalid(
          store.createRun({ runName: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
          "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='a', mlflow.runName='b').",
        );
      });

      it('records a run that already ended, with a chosen id and its params, in one call', async () => {
        const runId = 'abcdef0123456789abcdef0123456789';
        const run = await store.createRun({
          runId, runName: 'step', startTime: 10, endTime: 25, status: 'FINISHED', params: [{ key: 'b', value: '2' }, { key: 'a', value: '1' }],
        });
        expect(run.info).toMatchObject({ runId, status: 'FINISHED', startTime: 10, endTime: 25 });
        expect(run.data.params).toEqual([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
        expect(await store.getRun(runId)).toEqual(run);
        expect(await rejection(store.createRun({ runId }))).toBeInstanceOf(ResourceAlreadyExistsError);
        await expectInvalid(store.createRun({ runId: 'ABC' }), "Invalid run ID: 'ABC': a new run's id is 32 lowercase hex digits");
        await expectInvalid(
          store.createRun({ startTime: 10, endTime: 5, status: 'FINISHED' }),
          "Invalid value 5 for parameter 'end_time' supplied: it must be epoch milliseconds, not before start_time",
        );
        await expectInvalid(
          store.createRun({ params: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] }),
          "Duplicate parameter keys have been submitted: ['a']. Please ensure the request contains only one param value per param key.",
        );
        await expectInvalid(store.createRun({ status: 'DONE' as 'FINISHED' }), "Invalid value 'DONE' for parameter 'status' supplied: use one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED");
      });

      it('creates several runs in one transaction, all or none', async () => {
        const { experimentId } = await store.createExperiment({ name: 'batch' });
        const ids = ['a', 'b', 'c'].map((c) => c.repeat(32));
        await store.createRuns(ids.map((runId, i) => ({ runId, experimentId, runName: `r${i}`, status: 'FINISHED', startTime: 1, endTime: 2, params: [{ key: 'i', value: String(i) }] })));
        const { items } = await store.searchRuns({ experimentIds: [experimentId], orderBy: ['attributes.run_name'] });
        expect(items.map((r) => [r.info.runId, r.info.status, r.data.params[0]?.value])).toEqual([[ids[0], 'FINISHED', '0'], [ids[1], 'FINISHED', '1'], [ids[2], 'FINISHED', '2']]);
        const refused = await rejection(store.createRuns([{ runId: 'd'.repeat(32), experimentId }, { runId: ids[0], experimentId }]));
        expect(refused).toBeInstanceOf(ResourceAlreadyExistsError);
        expect(await rejection(store.getRun('d'.repeat(32)))).toBeInstanceOf(ResourceDoesNotExistError);
        await store.createRuns([]);
      });

      it('links a run to the ML-metadata execution it tracks', async () => {
        const execution = await backend.metadata.putExecution({ type: 'train@1', name: 'train' });
        const run = await store.createRun({ executionId: execution.id });
        expect((await store.getRun(run.info.runId)).info.executionId).toBe(execution.id);
        const missing = await rejection(store.createRun({ executionId: execution.id + 100 }));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
        expect(await store.runOfExecution(execution.id)).toEqual(run.info);
        const retry = await store.createRun({ executionId: execution.id, startTime: run.info.startTime + 1 });
        expect((await store.runOfExecution(execution.id))?.runId).toBe(retry.info.runId);
        expect(await store.runOfExecution(execution.id + 100)).toBeUndefined();
        await expectInvalid(store.runOfExecution(0), 'Invalid execution id 0: it must be a positive integer');
      });

      it('reports missing and malformed run ids', async () => {
        const missing = await rejection(store.getRun('0123456789abcdef0123456789abcdef'));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
        expect(missing.message).toBe('Run with id=0123456789abcdef0123456789abcdef not found');
        await expectInvalid(store.getRun('not a run id'), "Invalid run ID: 'not a run id'");
        await expectInvalid(store.logBatch('../x', {}), "Invalid run ID: '../x'");
      });

      it('updates status, end time and name (keeping the name tag in step)', async () => {
        const runId = await newRun('before');
        const info = await store.updateRun(runId, { status: 'FINISHED', endTime: 99, runName: 'after' });
        expect(info).toMatchObject({ status: 'FINISHED', endTime: 99, runName: 'after' });
        const run = await store.getRun(runId);
        expect(run.info).toEqual(info);
        expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'after' }]);
        expect((await store.updateRun(runId, { status: 'FAILED' })).endTime).toBe(99);
        await expectInvalid(
          store.updateRun(runId, { status: 'DONE' as 'FINISHED' }),
          "Invalid value 'DONE' for parameter 'status' supplied: use one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED",
        );
      });

      it('deletes and restores runs; a deleted run can be read but not written', async () => {
        const runId = await newRun();
        await store.deleteRun(runId);
        expect((await store.getRun(runId)).info.lifecycleStage).toBe('deleted');
        const message = `The run ${runId} must be in the 'active' state. Current state is deleted.`;
        await expectInvalid(store.logBatch(runId, { metrics: [point('m', 1)] }), message);
        await expectInvalid(store.updateRun(runId, { status: 'FINISHED' }), message);
        await expectInvalid(store.deleteTag(runId, 'mlflow.runName'), message);
        await store.restoreRun(runId);
        await store.logBatch(runId, { metrics: [point('m', 1)] });
        expect((await store.getRun(runId)).data.metrics).toEqual([point('m', 1)]);
        expect(await rejection(store.deleteRun('0123456789abcdef0123456789abcdef'))).toBeInstanceOf(ResourceDoesNotExistError);
      });
    });

    describe('logBatch', () => {
      it('keeps params immutable: the same value again is fine, another value is MLflow’s error', async () => {
        const runId = await newRun();
        await store.logBatch(runId, { params: [{ key: 'depth', value: '6' }, { key: 'lr', value: '0.1' }] });
        await store.logBatch(runId, { params: [{ key: 'depth', value: '6' }] });
        await expectInvalid(
          store.logBatch(runId, { params: [{ key: 'lr', value: '0.1' }, { key: 'depth', value: '7' }] }),
          `Changing param values is not allowed. Params were already logged='[{'key': 'depth', 'old_value': '6', 'new_value': '7'}]' for run ID='${runId}'.`,
        );
        expect((await store.getRun(runId)).data.params).toEqual([{ key: 'depth', value: '6' }, { key: 'lr', value: '0.1' }]);
      });

      it('stores a batch whole or not at all', async () => {
        const runId = await newRun();
        await store.logBatch(runId, { params: [{ key: 'depth', value: '6' }] });
        await rejection(store.logBatch(runId, {
          metrics: [point('loss', 0.5)], params: [{ key: 'depth', value: '7' }], tags: [{ key: 'team', value: 'risk' }],
        }));
        const { data } = await store.getRun(runId);
        expect(data.metrics).toEqual([]);
        expect(data.tags.map((t) => t.key)).toEqual(['mlflow.runName']);
        expect((await store.getMetricHistory(runId, 'loss')).items).toEqual([]);
      });

      it('refuses duplicate param keys in one batch', async () => {
        const runId = await newRun();
        await expectInvalid(
          store.logBatch(runId, { params: [{ key: 'a', value: '1' }, { key: 'a', value: '1' }] }),
          "Duplicate parameter keys have been submitted: ['a']. Please ensure the request contains only one param value per param key.",
        );
      });

      it('enforces MLflow’s batch limits', async () => {
        const runId = await newRun();
        const metrics = (n: number): Metric[] => Array.from({ length: n }, (_, i) => point('m', i, i));
        const entries = (n: number): { key: string; value: string }[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
        await expectInvalid(
          store.logBatch(runId, { metrics: metrics(1001) }),
          'A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.',
        );
        await expectInvalid(
          store.logBatch(runId, { params: entries(101) }),
          'A batch logging request can contain at most 100 params. Got 101 params. Please split up params across multiple requests and try again.',
        );
        await expectInvalid(
          store.logBatch(runId, { tags: entries(101) }),
          'A batch logging request can contain at most 100 tags. Got 101 tags. Please split up tags across multiple requests and try again.',
        );
        await expectInvalid(
          store.logBatch(runId, { metrics: metrics(1000), params: entries(1) }),
          'A batch logging request can contain at most 1000 metrics, params, and tags. Got 1001 metrics, params, and tags. Please split up metrics, params, and tags across multiple requests and try again.',
        );
        await store.logBatch(runId, { metrics: metrics(1000) });
        await store.logBatch(runId, { params: entries(100), tags: entries(100) });
        expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(1000);
      });

      it('enforces MLflow’s length limits, counting characters, with its messages', async () => {
        const runId = await newRun();
        await store.logBatch(runId, { params: [{ key: 'p', value: '€'.repeat(6000) }], tags: [{ key: 't', value: 'v'.repeat(8000) }] });
        await store.logBatch(runId, { params: [{ key: 'k'.repeat(250), value: '1' }] });
        const megabyte = 'x'.repeat(1024 * 1024);
        await expectInvalid(
          store.logBatch(runId, { params: [{ key: 'big', value: megabyte }] }),
          `Param value '${'x'.repeat(250)}' had length 1048576, which exceeded length limit of 6000`,
        );
        await expectInvalid(
          store.logBatch(runId, { params: [{ key: 'p2', value: 'y'.repeat(6001) }] }),
          `Param value '${'y'.repeat(250)}' had length 6001, which exceeded length limit of 6000`,
        );
        await expectInvalid(
          store.logBatch(runId, { tags: [{ key: 't', value: 'v'.repeat(8001) }] }),
          `Tag value '${'v'.repeat(250)}' had length 8001, which exceeded length limit of 8000`,
        );
        await expectInvalid(
          store.logBatch(runId, { params: [{ key: 'k'.repeat(251), value: '1' }] }),
          `Param key '${'k'.repeat(250)}' had length 251, which exceeded length limit of 250`,
        );
        await expectInvalid(
          store.logBatch(runId, { metrics: [point('m'.repeat(251), 1)] }),
          `Metric name '${'m'.repeat(250)}' had length 251, which exceeded length limit of 250`,
        );
      });

      it('refuses keys MLflow refuses and text that is not UTF-8', async () => {
        const runId = await newRun();
        const bad = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
        await expectInvalid(store.logBatch(runId, { metrics: [point('a,b', 1)] }), `Invalid metric name: 'a,b'. ${bad}`);
        await expectInvalid(store.logBatch(runId, { params: [{ key: 'a=b', value: '1' }] }), `Invalid parameter name: 'a=b'. ${bad}`);
        await expectInvalid(store.logBatch(runId, { tags: [{ key: 'a\nb', value: '1' }] }), `Invalid tag name: 'a\\nb'. ${bad}`);
        await expectInvalid(store.logBatch(runId, { metrics: [point('bad\uD800', 1)] }), `Invalid metric name: 'bad\uD800'. ${bad}`);
        const resolves = 'Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to';
        await expectInvalid(store.logBatch(runId, { metrics: [point('../up', 1)] }), `Invalid metric name: '../up'. ${resolves} '../up'`);
        await expectInvalid(store.logBatch(runId, { metrics: [point('a//b', 1)] }), `Invalid metric name: 'a//b'. ${resolves} 'a/b'`);
        await expectInvalid(store.logBatch(runId, { params: [{ key: '', value: '1' }] }), `Invalid parameter name: ''. ${resolves} '.'`);
        await expectInvalid(store.logBatch(runId, { params: [{ key: '/abs', value: '1' }] }), `Invalid parameter name: '/abs'. ${resolves} '/abs'`);
        await expectInvalid(store.logBatch(runId, { params: [{ key: 'p', value: 'half \uDC00' }] }), 'Param value is not valid UTF-8 text: it contains an unpaired surrogate');
        await expectInvalid(store.logBatch(runId, { tags: [{ key: 't', value: 'nul \u0000' }] }), 'Tag value contains a NUL character, which cannot be stored');
        const error = await rejection(store.logBatch(runId, { metrics: [point('ok', 1), point('a,b', 1)] }));
        expect(error.field).toBe('metrics[1].key');
        await store.logBatch(runId, {
          metrics: [point('val loss/epoch:1', 1), point('größe_ü.1', 2), point('日本語', 3)],
          params: [{ key: 'emoji', value: '🚀 ünïcödé' }],
        });
        const { data } = await store.getRun(runId);
        expect(data.metrics.map((m) => m.key).sort()).toEqual(['größe_ü.1', 'val loss/epoch:1', '日本語'].sort());
        expect(data.params).toEqual([{ key: 'emoji', value: '🚀 ünïcödé' }]);
      });

      it('checks metric values, timestamps and steps with MLflow’s messages', async () => {
        const runId = await newRun();
        await expectInvalid(
          store.logBatch(runId, { metrics: [{ key: 'm', value: '1' as unknown as number, timestamp: 5, step: 0 }] }),
          "Got invalid value '1' for metric 'm' (timestamp=5). Please specify value as a valid double (64-bit floating point)",
        );
        await expectInvalid(
          store.logBatch(runId, { metrics: [{ key: 'm', value: 1, timestamp: -1, step: 0 }] }),
          "Got invalid timestamp -1 for metric 'm' (value=1). Timestamp must be a nonnegative long (64-bit integer) ",
        );
        await expectInvalid(
          store.logBatch(runId, { metrics: [{ key: 'm', value: 1, timestamp: 5, step: 1.5 }] }),
          "Got invalid step 1.5 for metric 'm' (value=1). Step must be a valid long (64-bit integer).",
        );
      });

      it('stores NaN and ±Infinity as MLflow does', async () => {
        const runId = await newRun();
        await store.logBatch(runId, {
          metrics: [point('nan', NaN), point('inf', Infinity), point('ninf', -Infinity), point('neg', -0.5, -3)],
        });
        const { data } = await store.getRun(runId);
        expect(data.metrics).toEqual([
          point('inf', 1.7976931348623157e308),
          point('nan', NaN),
          point('neg', -0.5, -3),
          point('ninf', -1.7976931348623157e308),
        ]);
        expect((await store.getMetricHistory(runId, 'nan')).items[0]?.value).toBeNaN();
      });

      it('keeps each metric as an append-only series ordered by timestamp, step and value', async () => {
        const runId = await newRun();
        await store.logBatch(runId, { metrics: [point('loss', 0.3, 2, 300), point('loss', 0.5, 1, 100), point('loss', 0.4, 1, 200)] });
        await store.logBatch(runId, { metrics: [point('loss', 0.2, 3, 100), point('other', 9)] });
        const history = await store.getMetricHistory(runId, 'loss');
        expect(history.items).toEqual([point('loss', 0.5, 1, 100), point('loss', 0.2, 3, 100), point('loss', 0.4, 1, 200), point('loss', 0.3, 2, 300)]);
        expect(history.nextPageToken).toBeUndefined();
        const first = await store.getMetricHistory(runId, 'loss', { maxResults: 3 });
        expect(first.items).toEqual(history.items.slice(0, 3));
        const rest = await store.getMetricHistory(runId, 'loss', { maxResults: 3, pageToken: first.nextPageToken });
        expect(rest).toEqual({ items: history.items.slice(3) });
        expect((await store.getMetricHistory(runId, 'absent')).items).toEqual([]);
        expect(await rejection(store.getMetricHistory('0123456789abcdef0123456789abcdef', 'loss'))).toBeInstanceOf(ResourceDoesNotExistError);
      });

      it('stores an identical point once, and distinct points with the same step all', async () => {
        const runId = await newRun();
        await store.logBatch(runId, { metrics: [point('m', 1, 0, 10), point('m', 1, 0, 10)] });
        await store.logBatch(runId, { metrics: [point('m', 1, 0, 10), point('m', 2, 0, 10), point('m', 1, 0, 11)] });
        expect((await store.getMetricHistory(runId, 'm')).items).toEqual([point('m', 1, 0, 10), point('m', 2, 0, 10), point('m', 1, 0, 11)]);
      });

      it('keeps the latest point per key by step, then timestamp, then value, whatever the logging order', async () => {
        const runId = await newRun();
        const latest = async (): Promise<Metric | undefined> => (await store.getRun(runId)).data.metrics.find((m) => m.key === 'auc');
        await store.logBatch(runId, { metrics: [point('auc', 0.5, 5, 100)] });
        await store.logBatch(runId, { metrics: [point('auc', 0.9, 4, 999)] });
        expect(await latest()).toEqual(point('auc', 0.5, 5, 100));
        await store.logBatch(runId, { metrics: [point('auc', 0.4, 5, 101), point('auc', 0.1, 5, 50)] });
        expect(await latest()).toEqual(point('auc', 0.4, 5, 101));
        await store.logBatch(runId, { metrics: [point('auc', 0.45, 5, 101)] });
        expect(await latest()).toEqual(point('auc', 0.45, 5, 101));
        await store.logBatch(runId, { metrics: [point('auc', NaN, 6, 0)] });
        expect((await latest())?.value).toBeNaN();
      });

      it('sets tags last-write-wins, deletes them, and treats mlflow.runName as the run name', async () => {
        const runId = await newRun('first');
        await store.logBatch(runId, { tags: [{ key: 'team', value: 'a' }, { key: 'team', value: 'b' }] });
        await store.logBatch(runId, { tags: [{ key: 'note', value: 'n' }] });
        await store.logBatch(runId, { tags: [{ key: 'note', value: 'm' }, { key: 'mlflow.runName', value: 'second' }] });
        const run = await store.getRun(runId);
        expect(run.info.runName).toBe('second');
        expect(run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'second' }, { key: 'note', value: 'm' }, { key: 'team', value: 'b' }]);
        await store.deleteTag(runId, 'note');
        expect((await store.getRun(runId)).data.tags.map((t) => t.key)).toEqual(['mlflow.runName', 'team']);
        const missing = await rejection(store.deleteTag(runId, 'note'));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
        expect(missing.message).toBe(`No tag with name: note in run with id ${runId}`);
      });

      it('accepts an empty batch for an active run only', async () => {
        const runId = await newRun();
        await store.logBatch(runId, {});
        expect(await rejection(store.logBatch('0123456789abcdef0123456789abcdef', {}))).toBeInstanceOf(ResourceDoesNotExistError);
      });
    });

    describe('concurrent writers', () => {
      it('neither loses nor duplicates points written by many async writers to one run', async () => {
        const runId = await newRun();
        const writers = 8;
        const batches = 5;
        await Promise.all(Array.from({ length: writers }, async (_, w) => {
          for (let b = 0; b < batches; b++) {
            const metrics = Array.from({ length: 100 }, (_, i) => point('loss', w + i / 1000, b * 100 + i, 1_000 + w));
            await store.logBatch(runId, { metrics, tags: [{ key: `writer${w}`, value: String(b) }] });
          }
        }));
        const history = (await store.getMetricHistory(runId, 'loss')).items;
        expect(history).toHaveLength(writers * batches * 100);
        expect(new Set(history.map((m) => `${m.step}/${m.timestamp}/${m.value}`)).size).toBe(history.length);
        expect((await store.getRun(runId)).data.metrics).toEqual([point('loss', 7 + 99 / 1000, 499, 1_007)]);
      });

      it('stores a batch retried concurrently once', async () => {
        const runId = await newRun();
        const metrics = Array.from({ length: 500 }, (_, i) => point('m', i, i));
        await Promise.all(Array.from({ length: 4 }, () => store.logBatch(runId, { metrics, params: [{ key: 'p', value: '1' }] })));
        expect((await store.getMetricHistory(runId, 'm')).items).toHaveLength(500);
      });

      it('lets exactly one of several writers racing with different values for a param win', async () => {
        const runId = await newRun();
        const results = await Promise.allSettled(['1', '2', '3', '4'].map((value) => store.logBatch(runId, { params: [{ key: 'seed', value }] })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const winner = (await store.getRun(runId)).data.params[0]?.value;
        for (const result of results) {
          if (result.status === 'rejected') expect((result.reason as Error).message).toContain(`'old_value': '${winner}'`);
        }
      });
    });

    describe('searchRuns', () => {
      let experimentId: string;
      const ids: Record<string, string> = {};

      beforeEach(async () => {
        ({ experimentId } = await store.createExperiment({ name: 'search' }));
        const fixture: {
          name: string; start: number; status: 'FINISHED' | 'FAILED' | 'RUNNING' | 'KILLED'; end?: number; user?: string;
          params?: Record<string, string>; metrics?: Metric[]; tags?: Record<string, string>;
        }[] = [
          { name: 'a1', start: 1000, status: 'FINISHED', end: 2000, params: { depth: '6', model: 'gbdt' }, metrics: [point('auc', 0.9), point('val loss', 0.3)], tags: { team: 'risk', 'data set': 'jan' } },
          { name: 'a2', start: 2000, status: 'FINISHED', end: 3000, params: { depth: '6', model: 'GBDT-large' }, metrics: [point('auc', 0.8), point('val loss', 0.6)], tags: { team: 'x', 'data set': 'feb' } },
          { name: 'b1', start: 3000, status: 'FAILED', end: 4000, params: { depth: '3', model: 'linear' }, metrics: [point('auc', 0.7)], tags: { team: 'risk' } },
          { name: 'b2', start: 4000, status: 'RUNNING', params: { model: 'gbd%' }, metrics: [point('auc', NaN), point('val loss', 0.1)] },
          { name: 'c1', start: 5000, status: 'FINISHED', end: 6000, params: { depth: '8', model: '[x]y' }, tags: { team: 'ops' } },
          { name: 'c2', start: 6000, status: 'KILLED', end: 7000, user: 'ann', params: { depth: '6' }, metrics: [point('auc', 0.95, 0), point('auc', 0.85, 1)], tags: { team: 'risk' } },
        ];
        for (const run of fixture) {
          const created = await store.createRun({ experimentId, runName: run.name, startTime: run.start, userId: run.user ?? 'bob' });
          const runId = created.info.runId;
          ids[run.name] = runId;
          await store.logBatch(runId, {
            params: Object.entries(run.params ?? {}).map(([key, value]) => ({ key, value })),
            metrics: run.metrics ?? [],
            tags: Object.entries(run.tags ?? {}).map(([key, value]) => ({ key, value })),
          });
          if (run.status !== 'RUNNING') await store.updateRun(runId, { status: run.status, endTime: run.end });
        }
        await store.logBatch(ids.c2 as string, { tags: [{ key: 'mlflow.parentRunId', value: ids.a1 as string }] });
      });

      async function names(query: Partial<SearchRunsQuery>): Promise<string[]> {
        return (await store.searchRuns({ experimentIds: [experimentId], ...query })).items.map((run) => run.info.runName);
      }

      const filters: [string, string[]][] = [
        ['', ['c2', 'c1', 'b2', 'b1', 'a2', 'a1']],
        ['metrics.auc > 0.8', ['c2', 'a1']],
        ['metrics.auc >= 0.8', ['c2', 'a2', 'a1']],
        ['metrics.auc = 0.8', ['a2']],
        ['metrics.auc != 0.8', ['c2', 'b1', 'a1']],
        ['metrics.auc < 0.8', ['b1']],
        ['metrics.auc <= 0.8', ['b1', 'a2']],
        ['metrics.auc > 0.9', []],
        ['metrics.auc > -1e9', ['c2', 'b1', 'a2', 'a1']],
        ['metric.auc > .75', ['c2', 'a2', 'a1']],
        ["params.depth = '6'", ['c2', 'a2', 'a1']],
        ["params.depth != '6'", ['c1', 'b1']],
        ["params.depth IN ('3', '8')", ['c1', 'b1']],
        ["params.depth NOT IN ('6')", ['c1', 'b1']],
        ["params.model LIKE 'gb%'", ['b2', 'a1']],
        ["params.model LIKE 'GB%'", ['a2']],
        ["param.model ILIKE 'gb%'", ['b2', 'a2', 'a1']],
        ["params.model LIKE 'gbd_'", ['b2', 'a1']],
        ["params.model LIKE '[x]%'", ['c1']],
        ["params.model = 'gbd%'", ['b2']],
        ["tags.team = 'risk'", ['c2', 'b1', 'a1']],
        ["tags.team != 'x'", ['c2', 'c1', 'b1', 'a1']],
        ["tags.`data set` = 'jan'", ['a1']],
        ['metrics.`val loss` < 0.5', ['b2', 'a1']],
        ['metrics."val loss" < 0.5', ['b2', 'a1']],
        ["tags.mlflow.runName = 'a1'", ['a1']],
        ["attributes.status = 'FINISHED'", ['c1', 'a2', 'a1']],
        ["status IN ('FAILED', 'KILLED')", ['c2', 'b1']],
        ["attributes.status != 'RUNNING'", ['c2', 'c1', 'b1', 'a2', 'a1']],
        ["run_name LIKE 'a%'", ['a2', 'a1']],
        ["attributes.run_name = 'b1'", ['b1']],
        ["`Run name` = 'c1'", ['c1']],
        ["run.run_name ILIKE 'C%'", ['c2', 'c1']],
        ['attributes.start_time >= 4000', ['c2', 'c1', 'b2']],
        ['created < 2000', ['a1']],
        ['attributes.start_time > 1500.5', ['c2', 'c1', 'b2', 'b1', 'a2']],
        ['attributes.end_time > 5000', ['c2', 'c1']],
        ["attr.user_id = 'ann'", ['c2']],
        ["metrics.auc > 0.8 and params.depth = '6' and tags.team != 'x' and attributes.status = 'FINISHED'", ['a1']],
        ['metrics.auc > 0.75 AND params.depth = "6"', ['c2', 'a2', 'a1']],
        ["params.depth = '6' and params.depth = '8'", []],
      ];
      for (const [filter, expected] of filters) {
        it(`filters ${filter === '' ? 'nothing' : filter}`, async () => {
          expect(await names({ filter })).toEqual(expected);
        });
      }

      it('filters by run id and by the parent run tag', async () => {
        expect(await names({ filter: `attributes.run_id = '${ids.a1}'` })).toEqual(['a1']);
        expect(await names({ filter: `run_id IN ('${ids.a1}', '${ids.b1}')` })).toEqual(['b1', 'a1']);
        expect(await names({ filter: `tags.mlflow.parentRunId = '${ids.a1}'` })).toEqual(['c2']);
      });

      const orders: [string[], string[]][] = [
        [['metrics.auc DESC'], ['a1', 'c2', 'a2', 'b1', 'b2', 'c1']],
        [['metrics.auc ASC'], ['b1', 'a2', 'c2', 'a1', 'b2', 'c1']],
        [['params.depth', 'metrics.auc DESC'], ['b1', 'a1', 'c2', 'a2', 'c1', 'b2']],
        [['tags.team DESC'], ['a2', 'c2', 'b1', 'a1', 'c1', 'b2']],
        [['attributes.start_time ASC'], ['a1', 'a2', 'b1', 'b2', 'c1', 'c2']],
        [['attributes.end_time DESC'], ['c2', 'c1', 'b1', 'a2', 'a1', 'b2']],
        [['attributes.run_name desc'], ['c2', 'c1', 'b2', 'b1', 'a2', 'a1']],
        [['metrics.`val loss`'], ['b2', 'a1', 'a2', 'c2', 'c1', 'b1']],
      ];
      for (const [orderBy, expected] of orders) {
        it(`orders by ${orderBy.join(', ')}`, async () => {
          expect(await names({ orderBy })).toEqual(expected);
        });
      }

      it('breaks ties by start time (newest first) and then by run id', async () => {
        const tied = await Promise.all([1, 2, 3].map(() => store.createRun({ experimentId, startTime: 9000 })));
        const runIds = (await store.searchRuns({ experimentIds: [experimentId], filter: 'attributes.start_time = 9000' })).items.map((r) => r.info.runId);
        expect(runIds).toEqual(tied.map((r) => r.info.runId).sort());
      });

      it('pages through a total order with opaque tokens', async () => {
        for (const orderBy of [['metrics.auc DESC'], ['tags.team'], []]) {
          const all = await names({ orderBy });
          for (const maxResults of [1, 2, 4, 6]) {
            const seen: string[] = [];
            let pageToken: string | undefined;
            do {
              const page = await store.searchRuns({ experimentIds: [experimentId], orderBy, maxResults, pageToken });
              expect(page.items.length).toBeLessThanOrEqual(maxResults);
              seen.push(...page.items.map((run) => run.info.runName));
              pageToken = page.nextPageToken;
            } while (pageToken !== undefined);
            expect(seen).toEqual(all);
          }
        }
      });

      it('refuses bad page tokens and result sizes with MLflow’s messages', async () => {
        const page = await store.searchRuns({ experimentIds: [experimentId], maxResults: 2 });
        await expectInvalid(
          store.searchRuns({ experimentIds: [experimentId], maxResults: 2, filter: "status = 'FINISHED'", pageToken: page.nextPageToken }),
          'Invalid page token: it was issued for a different search (filter, order, ids or view changed)',
        );
        await expectInvalid(store.searchRuns({ experimentIds: [experimentId], pageToken: '%%%' }), 'Invalid page token, could not base64-decode');
        await expectInvalid(
          store.searchRuns({ experimentIds: [experimentId], maxResults: 0 }),
          "Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer",
        );
        await expectInvalid(
          store.searchRuns({ experimentIds: [experimentId], maxResults: 50_001 }),
          "Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000",
        );
        expect(await names({ maxResults: 50_000 })).toHaveLength(6);
      });

      it('returns runs with their data, honours the view type and searches several experiments', async () => {
        const [run] = (await store.searchRuns({ experimentIds: [experimentId], filter: "attributes.run_name = 'c2'" })).items as [Run];
        expect(run.data.metrics).toEqual([point('auc', 0.85, 1)]);
        expect(run.data.params).toEqual([{ key: 'depth', value: '6' }]);
        expect(run.data.tags.map((t) => t.key)).toEqual(['mlflow.parentRunId', 'mlflow.runName', 'team']);
        await store.deleteRun(ids.a1 as string);
        expect(await names({})).not.toContain('a1');
        expect(await names({ runViewType: 'DELETED_ONLY' })).toEqual(['a1']);
        expect(await names({ runViewType: 'ALL' })).toHaveLength(6);
        await newRun('in-default');
        expect((await store.searchRuns({ experimentIds: [experimentId, '0'], filter: "run_name LIKE 'in-%'" })).items).toHaveLength(1);
        expect((await store.searchRuns({ experimentIds: [] })).items).toEqual([]);
      });

      const invalid: [string, string, number, string][] = [
        ["metrics.auc > 'x'", "Expected numeric value type for metric. Found 'x'", 15, "'x'"],
        ["params.depth > '6'", "Invalid comparator '>' for parameter: use one of =, !=, LIKE, ILIKE, IN, NOT IN", 14, '>'],
        ['metrics.auc ~ 1', 'unexpected character "~"', 13, '~'],
        ["metrics.auc > 1 or params.x = '1'", 'OR is not supported', 17, 'or'],
        ["foo.bar = '1'", "Invalid entity type 'foo'. Valid values are ['metric', 'parameter', 'tag', 'attribute']", 1, 'foo.bar'],
        ["attributes.nope = 'x'", "Invalid attribute key 'nope' specified. Valid keys are [", 1, 'attributes.nope'],
        ['params.depth = 6', "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 6", 16, '6'],
        ['metrics.auc >', 'Expected numeric value type for metric. Found nothing', 14, ''],
        ["params.x = 'unterminated", 'the quote opened here is never closed', 12, "'unterminated"],
        ['metrics.auc > 1 and', 'expected a key such as metrics.auc', 20, ''],
        ['(metrics.auc > 1)', 'parentheses only enclose IN lists', 1, '('],
        ["params.x IN 'a'", 'expected a parenthesised list of quoted strings', 13, "'a'"],
        ["params.x IN ('a' 'b')", 'expected "," or ")" in the IN list', 18, "'b'"],
        ['metrics.auc == 1', '"==" is not a comparator; use =', 13, '=='],
        ['metrics. = 1', 'a key must follow "."', 9, ' '],
        ["datasets.name = 'x'", "Invalid entity type 'datasets' (dataset filters are not supported)", 1, 'datasets.name'],
        ["status NOT LIKE 'x'", 'expected IN after NOT', 12, 'LIKE'],
        ["status = 'x' 'y'", 'expected AND or the end of the filter', 14, "'y'"],
        ["attributes.start_time = '5'", "Expected numeric value type for numeric attribute start_time. Found '5'", 25, "'5'"],
        ["attributes.start_time LIKE '5'", "Invalid comparator 'LIKE' for numeric attribute start_time", 23, 'LIKE'],
        ["metrics.auc IN ('1')", "Invalid comparator 'IN' for metric", 13, 'IN'],
        ['metrics.auc > 1x', 'a number must not run into letters', 15, '1x'],
      ];
      for (const [filter, message, position, token] of invalid) {
        it(`refuses the filter ${filter}`, async () => {
          const error = await rejection(store.searchRuns({ experimentIds: [experimentId], filter }));
          expect(error).toBeInstanceOf(FilterSyntaxError);
          expect(error.code).toBe('INVALID_PARAMETER_VALUE');
          expect(error.message).toContain(message);
          expect(error.message).toContain(`at position ${position}`);
          expect((error as FilterSyntaxError).position).toBe(position);
          expect((error as FilterSyntaxError).token).toBe(token);
        });
      }

      it('refuses bad order_by clauses', async () => {
        const sideways = await rejection(store.searchRuns({ experimentIds: [experimentId], orderBy: ['metrics.auc sideways'] }));
        expect(sideways).toBeInstanceOf(FilterSyntaxError);
        expect(sideways.message).toContain('expected ASC, DESC or the end of the clause after the key');
        const twice = await rejection(store.searchRuns({ experimentIds: [experimentId], orderBy: ['metrics.auc', 'metric.auc DESC'] }));
        expect(twice.message).toContain('`order_by` contains duplicate fields');
        const unknown = await rejection(store.searchRuns({ experimentIds: [experimentId], orderBy: ['attributes.lifecycle_stage'] }));
        expect(unknown.message).toContain("Invalid attribute key 'lifecycle_stage' specified");
        await expectInvalid(store.searchRuns({ experimentIds: ['x1'] }), "Invalid experiment ID: 'x1'");
      });
    });

    describe('artifacts', () => {
      const digest = (c: string): string => c.repeat(64);

      it('records files under paths, lists a tree level by level and resolves a path to its digest', async () => {
        const runId = await newRun();
        await store.logArtifacts(runId, [
          { path: 'model.onnx', digest: digest('a'), sizeBytes: 10 },
          { path: 'plots/roc.png', digest: digest('b'), sizeBytes: 20 },
          { path: 'plots/deep/pr.png', digest: digest('c'), sizeBytes: 30 },
        ]);
        expect(await store.listArtifacts(runId)).toEqual([
          { path: 'model.onnx', isDir: false, fileSize: 10 },
          { path: 'plots', isDir: true, fileSize: null },
        ]);
        expect(await store.listArtifacts(runId, 'plots')).toEqual([
          { path: 'plots/deep', isDir: true, fileSize: null },
          { path: 'plots/roc.png', isDir: false, fileSize: 20 },
        ]);
        expect(await store.listArtifacts(runId, 'model.onnx')).toEqual([]);
        expect(await store.getArtifact(runId, 'plots/deep/pr.png')).toEqual({ path: 'plots/deep/pr.png', digest: digest('c'), sizeBytes: 30 });
        await store.logArtifacts(runId, [{ path: 'model.onnx', digest: digest('d'), sizeBytes: 11 }]);
        expect((await store.getArtifact(runId, 'model.onnx')).digest).toBe(digest('d'));
        const missing = await rejection(store.getArtifact(runId, 'nope.txt'));
        expect(missing).toBeInstanceOf(ResourceDoesNotExistError);
      });

      it('refuses bad paths, digests, file/folder clashes and deleted runs', async () => {
        const runId = await newRun();
        await store.logArtifacts(runId, [{ path: 'plots/roc.png', digest: digest('a'), sizeBytes: 1 }]);
        for (const path of ['../x', '/abs', 'a//b', 'a/./b', '', 'back\\slash']) {
          expect(await rejection(store.logArtifacts(runId, [{ path, digest: digest('a'), sizeBytes: 1 }]))).toBeInstanceOf(InvalidParameterValueError);
        }
        await expectInvalid(store.logArtifacts(runId, [{ path: 'x', digest: 'abc', sizeBytes: 1 }]), "Invalid digest 'abc': expected 64 lowercase hex digits (sha256)");
        await expectInvalid(
          store.logArtifacts(runId, [{ path: 'plots', digest: digest('a'), sizeBytes: 1 }]),
          "Artifact path 'plots' clashes with 'plots/roc.png': a path is either a file or a directory of the run's artifacts",
        );
        await expect(store.logArtifacts(runId, [{ path: 'plots/roc.png/x', digest: digest('a'), sizeBytes: 1 }])).rejects.toThrow('clashes');
        await store.deleteRun(runId);
        await expect(store.logArtifacts(runId, [{ path: 'y', digest: digest('a'), sizeBytes: 1 }])).rejects.toThrow("must be in the 'active' state");
        expect(await store.listArtifacts(runId)).toHaveLength(1);
      });
    });
  });
}
