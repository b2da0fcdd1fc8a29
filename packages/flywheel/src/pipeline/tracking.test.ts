import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { File, Metrics } from './artifact-types.js';
import { commandComponent, component } from './component.js';
import { compilePipeline } from './ir.js';
import { pipeline } from './pipeline.js';
import { resumeRun, runPipeline } from './runner.js';
import { openTempStack } from './test-stack.js';

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});

const fit = component({
  name: 'fit', version: '1', params: z.object({ epochs: z.number().int(), optimizer: z.object({ lr: z.number() }) }), outputs: { model: File },
  run: async ({ params, outputs, tracking }) => {
    for (let epoch = 0; epoch < params.epochs; epoch++) tracking.logMetric('loss', 1 / (epoch + 1), { step: epoch });
    await tracking.setTag('optimizer', 'sgd');
    await writeFile(outputs.model.path, 'weights');
  },
});

// A command in any language logs through the NDJSON file named by FLYWHEEL_TRACKING_FILE.
const score = commandComponent({
  name: 'score', version: '1', inputs: { model: File }, outputs: { metrics: Metrics },
  command: ['sh', '-c', `printf '{"metric":"auc","value":0.81}\\n{"param":"threshold","value":"0.5"}\\n' >> "$FLYWHEEL_TRACKING_FILE"; echo '{}' > '{{outputs.metrics}}'`],
});

const training = pipeline({ name: 'tracked', params: z.object({ epochs: z.number().int().default(3) }) }, (p, { epochs }) => {
  const model = p.step(fit, { params: { epochs, optimizer: { lr: 0.1 } } });
  p.step(score, { inputs: { model: model.outputs.model } });
});

describe('every executed step is a tracked run', () => {
  it('records the pipeline run and each step as runs of the pipeline experiment, linked to their executions', async () => {
    const temp = await openTempStack();
    disposers.push(temp.dispose);
    const { stack } = temp;
    const result = await runPipeline(stack, compilePipeline(training, { epochs: 3 }), { runId: 'run-tracked' });
    expect(result.status).toBe('complete');

    const experiment = await stack.tracking.store.getExperimentByName('tracked');
    const { items: runs } = await stack.tracking.store.searchRuns({ experimentIds: [experiment!.experimentId], orderBy: ['attributes.start_time ASC'] });
    const byName = new Map(runs.map((r) => [r.info.runName, r]));
    const parent = byName.get('run-tracked')!;
    expect(parent.info.status).toBe('FINISHED');
    expect(parent.data.params).toEqual(expect.arrayContaining([{ key: 'epochs', value: '3' }]));

    const fitRun = byName.get('fit')!;
    expect(fitRun.info).toMatchObject({ status: 'FINISHED', executionId: result.steps.fit!.executionId });
    expect(fitRun.data.tags).toEqual(expect.arrayContaining([
      { key: 'mlflow.parentRunId', value: parent.info.runId },
      { key: 'flywheel.run', value: 'run-tracked' },
      { key: 'flywheel.step', value: 'fit' },
      { key: 'optimizer', value: 'sgd' },
    ]));
    expect(fitRun.data.params).toEqual(expect.arrayContaining([{ key: 'epochs', value: '3' }, { key: 'optimizer.lr', value: '0.1' }]));
    const history = await stack.tracking.store.getMetricHistory(fitRun.info.runId, 'loss');
    expect(history.items.map((m) => [m.step, m.value])).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);

    const scoreRun = byName.get('score')!;
    expect(scoreRun.data.metrics).toEqual([expect.objectContaining({ key: 'auc', value: 0.81 })]);
    expect(scoreRun.data.params).toEqual([{ key: 'threshold', value: '0.5' }]);
  });

  it('shows a long step as RUNNING while it runs and logs the numbers it returns as metrics', async () => {
    const temp = await openTempStack();
    disposers.push(temp.dispose);
    const { stack } = temp;
    const seen: string[] = [];
    const slow = component({
      name: 'slow', version: '1', cacheable: false,
      run: async ({ tracking }) => {
        // Waits for the runner to write the deferred run, however long that takes on a busy machine.
        for (;;) {
          const found = await stack.tracking.store.getRun(tracking.id).catch(() => undefined);
          if (found) {
            seen.push(found.info.status);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return { auc: 0.7, rows: 12, note: 'text is not a metric' };
      },
    });
    const definition = pipeline('slow-pipeline', (p) => {
      p.step(slow);
    });
    const result = await runPipeline(stack, compilePipeline(definition), { runId: 'run-slow' });
    expect(result.status).toBe('complete');
    expect(seen).toEqual(['RUNNING']);
    const experiment = await stack.tracking.store.getExperimentByName('slow-pipeline');
    const { items } = await stack.tracking.store.searchRuns({ experimentIds: [experiment!.experimentId], filter: "attributes.run_name = 'slow'" });
    expect(items[0]!.info.status).toBe('FINISHED');
    expect(items[0]!.data.metrics.map((m) => [m.key, m.value]).sort()).toEqual([['auc', 0.7], ['rows', 12]]);
  });

  it('tracks each attempt of a retried step as a run of its own and skips returned keys that are not metric names', async () => {
    const temp = await openTempStack();
    disposers.push(temp.dispose);
    const { stack } = temp;
    let attempts = 0;
    const flaky = component({
      name: 'retried', version: '1', cacheable: false,
      run: async ({ tracking }) => {
        attempts++;
        await tracking.logParam('attempt', attempts);
        if (attempts === 1) throw new Error('transient');
        return { auc: 0.7, 'precision@10': 0.3 };
      },
    });
    const definition = pipeline('retry-pipeline', (p) => {
      p.step(flaky).retry(1, { backoffMs: 1 });
    });
    const result = await runPipeline(stack, compilePipeline(definition), { runId: 'run-retry' });
    expect(result.status).toBe('complete');
    const experiment = await stack.tracking.store.getExperimentByName('retry-pipeline');
    const { items } = await stack.tracking.store.searchRuns({ experimentIds: [experiment!.experimentId], filter: "attributes.run_name = 'retried'", orderBy: ['attributes.start_time ASC'] });
    expect(items.map((r) => [r.info.status, r.data.params.find((p) => p.key === 'attempt')?.value])).toEqual([['FAILED', '1'], ['FINISHED', '2']]);
    expect(items[1]!.data.metrics.map((m) => m.key)).toEqual(['auc']);
    expect(items.every((r) => r.info.executionId === result.steps.retried!.executionId)).toBe(true);
  });

  it('marks the run of a failing step FAILED and a resumed run continues the same parent run', async () => {
    const temp = await openTempStack();
    disposers.push(temp.dispose);
    const { stack } = temp;
    let fail = true;
    const flaky = component({
      name: 'flaky', version: '1', outputs: { out: File },
      run: async ({ outputs }) => {
        if (fail) throw new Error('disk full');
        await writeFile(outputs.out.path, 'ok');
      },
    });
    const definition = pipeline('flaky-pipeline', (p) => {
      p.step(flaky);
    });
    const compiled = compilePipeline(definition);
    const failed = await runPipeline(stack, compiled, { runId: 'run-flaky', pipelineFile: undefined });
    expect(failed.status).toBe('failed');
    const experiment = await stack.tracking.store.getExperimentByName('flaky-pipeline');
    const search = async () => (await stack.tracking.store.searchRuns({ experimentIds: [experiment!.experimentId], orderBy: ['attributes.start_time ASC'] })).items;
    expect((await search()).map((r) => [r.info.runName, r.info.status])).toEqual([['run-flaky', 'FAILED'], ['flaky', 'FAILED']]);

    fail = false;
    // resumeRun recompiles from the pipeline file; here the compiled pipeline is handed back directly.
    const context = await stack.metadata.findContext('pipeline_run', 'run-flaky');
    await stack.metadata.updateContext(context!.id, { properties: { pipelineFile: '/in-memory/pipeline.ts' } });
    const resumed = await resumeRun(stack, 'run-flaky', { load: async () => compiled });
    expect(resumed.status).toBe('complete');
    const runs = await search();
    expect(runs.map((r) => [r.info.runName, r.info.status])).toEqual([['run-flaky', 'FINISHED'], ['flaky', 'FAILED'], ['flaky', 'FINISHED']]);
  });
});
