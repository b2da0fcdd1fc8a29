import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Dataset, Directory, Metrics, Model } from './artifact-types.js';
import { commandComponent, component } from './component.js';
import { compilePipeline } from './ir.js';
import { pipeline } from './pipeline.js';
import type { RunEvent } from './run-events.js';
import { runPipeline } from './runner.js';
import { openTempStack } from './test-stack.js';

const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});
async function tempStack(env: Record<string, string> = {}) {
  const temp = await openTempStack(env);
  disposers.push(temp.dispose);
  return temp;
}

/** Counts calls per component, so tests can tell a cache hit from a run. */
function counter() {
  const calls: Record<string, number> = {};
  return { calls, count: (name: string) => (calls[name] = (calls[name] ?? 0) + 1) };
}

function trainingPipeline(calls: ReturnType<typeof counter>) {
  const ingest = component({
    name: 'ingest', version: '1', params: z.object({ rows: z.number().int() }), outputs: { examples: Dataset },
    run: async ({ params, outputs, log }) => {
      calls.count('ingest');
      log.info(`writing ${params.rows} rows`);
      await writeFile(outputs.examples.path, Array.from({ length: params.rows }, (_, i) => `${i}`).join('\n'));
      outputs.examples.properties.rows = params.rows;
    },
  });
  const train = component({
    name: 'train', version: '2', inputs: { examples: Dataset }, outputs: { model: Model, report: Directory },
    run: async ({ inputs, outputs }) => {
      calls.count('train');
      const rows = (await readFile(inputs.examples.path, 'utf8')).split('\n').length;
      await writeFile(outputs.model.path, `model trained on ${rows} rows`);
      await mkdir(outputs.report.path);
      await writeFile(join(outputs.report.path, 'summary.txt'), `rows ${rows}`);
      return { rows, loss: 0.25 };
    },
  });
  const evaluate = component({
    name: 'evaluate', version: '1', inputs: { examples: Dataset, model: Model }, outputs: { metrics: Metrics },
    run: async ({ inputs, outputs }) => {
      calls.count('evaluate');
      await writeFile(outputs.metrics.path, JSON.stringify({ model: await readFile(inputs.model.path, 'utf8') }));
    },
  });
  return pipeline({ name: 'training', params: z.object({ rows: z.number().int().default(5) }) }, (p, { rows }) => {
    const data = p.step(ingest, { params: { rows } });
    const model = p.step(train, { inputs: { examples: data.outputs.examples } });
    p.step(evaluate, { inputs: { examples: data.outputs.examples, model: model.outputs.model } });
  });
}

describe('runPipeline', () => {
  it('runs the steps, stores the outputs and records the lineage', async () => {
    const { stack } = await tempStack();
    const calls = counter();
    const events: RunEvent[] = [];
    const compiled = compilePipeline(trainingPipeline(calls), { rows: 5 });
    const result = await runPipeline(stack, compiled, { onEvent: (e) => events.push(e) });

    expect(result).toMatchObject({ status: 'complete', pipeline: 'training', error: undefined });
    expect(result.counts).toEqual({ steps: 3, completed: 3, cached: 0, reused: 0, failed: 0, canceled: 0, notRun: 0 });
    expect(calls.calls).toEqual({ ingest: 1, train: 1, evaluate: 1 });

    const pipelineContext = await stack.metadata.findContext('pipeline', 'training');
    const run = await stack.metadata.findContext('pipeline_run', result.runId);
    expect(result.runId).toMatch(/^run-/);
    expect(run!.parentId).toBe(pipelineContext!.id);
    expect(run!.properties).toMatchObject({ status: 'complete', irHash: compiled.hash, ir: compiled.ir, params: { rows: 5 }, pipelineFile: null, error: null });
    expect(Date.parse(run!.properties.startedAt as string)).toBeLessThanOrEqual(Date.parse(run!.properties.endedAt as string));

    const executions = await stack.metadata.findExecutions({ contextId: run!.id, order: 'asc' });
    expect(executions.map((e) => [e.type, e.name, e.state])).toEqual([
      ['ingest@1', 'ingest', 'complete'], ['train@2', 'train', 'complete'], ['evaluate@1', 'evaluate', 'complete'],
    ]);
    const train = executions[1]!;
    expect(train.cacheKey).toMatch(/^[0-9a-f]{64}$/);
    expect(train.properties).toMatchObject({ attempts: 1, result: { rows: 5, loss: 0.25 }, runId: result.runId });

    const { examples } = result.steps.ingest!.outputs;
    const { model, report } = result.steps.train!.outputs;
    expect(examples).toMatchObject({ type: 'Dataset', state: 'live', properties: { rows: 5 }, sizeBytes: 9 });
    expect((await stack.artifacts.readBytes(examples!.digest!)).toString()).toBe('0\n1\n2\n3\n4');
    expect((await stack.artifacts.readBytes(model!.digest!)).toString()).toBe('model trained on 5 rows');
    expect(report!.type).toBe('Directory');
    expect(examples!.uri).toBe((await stack.artifacts.putBytes('0\n1\n2\n3\n4')).uri);

    const trainEvents = await stack.metadata.findEvents({ executionIds: [train.id] });
    expect(trainEvents.map((e) => [e.kind, e.name, e.artifactId]).sort()).toEqual(
      [['input', 'examples', examples!.id], ['output', 'model', model!.id], ['output', 'report', report!.id]].sort(),
    );
    const attributed = await stack.metadata.findArtifacts({ contextId: run!.id });
    expect(attributed.map((a) => a.id).sort()).toEqual([examples!.id, model!.id, report!.id, result.steps.evaluate!.outputs.metrics!.id].sort());
    const lineage = await stack.metadata.lineage({ artifactId: result.steps.evaluate!.outputs.metrics!.id }, { direction: 'upstream', depth: 10 });
    expect(lineage.executions.map((e) => e.name).sort()).toEqual(['evaluate', 'ingest', 'train']);

    const ingestExecution = executions[0]!;
    const log = (await stack.artifacts.readBytes(ingestExecution.properties.logDigest as string)).toString();
    expect(log).toMatch(/^\S+ info writing 5 rows\n$/);

    expect(events.map((e) => e.type)).toEqual([
      'run-started',
      'step-started', 'step-log', 'step-completed',
      'step-started', 'step-completed',
      'step-started', 'step-completed',
      'run-finished',
    ]);
    expect(events[2]).toEqual({ type: 'step-log', runId: result.runId, step: 'ingest', level: 'info', message: 'writing 5 rows' });
  });

  it('takes unchanged steps from the cache on a re-run, without invoking them', async () => {
    const { stack } = await tempStack();
    const calls = counter();
    const compiled = compilePipeline(trainingPipeline(calls), { rows: 5 });
    const first = await runPipeline(stack, compiled);
    const events: RunEvent[] = [];
    const second = await runPipeline(stack, compiled, { onEvent: (e) => events.push(e) });

    expect(second.status).toBe('complete');
    expect(second.counts).toMatchObject({ completed: 0, cached: 3 });
    expect(calls.calls).toEqual({ ingest: 1, train: 1, evaluate: 1 });
    expect(second.steps.train!.outputs.model!.id).toBe(first.steps.train!.outputs.model!.id);
    const cached = await stack.metadata.getExecution(second.steps.train!.executionId!);
    expect(cached).toMatchObject({ state: 'cached', name: 'train', properties: { cachedFrom: first.steps.train!.executionId } });
    const cachedEvents = await stack.metadata.findEvents({ executionIds: [cached.id], kind: 'output' });
    expect(cachedEvents.map((e) => e.artifactId).sort()).toEqual([first.steps.train!.outputs.model!.id, first.steps.train!.outputs.report!.id].sort());
    const run = await stack.metadata.findContext('pipeline_run', second.runId);
    expect((await stack.metadata.findArtifacts({ contextId: run!.id })).length).toBe(4);
    expect(events.filter((e) => e.type === 'step-cached').map((e) => e.type === 'step-cached' && e.resumed)).toEqual([false, false, false]);

    // New params change ingest's key; train and evaluate see new input digests, so all run again.
    await runPipeline(stack, compilePipeline(trainingPipeline(calls), { rows: 6 }));
    expect(calls.calls).toEqual({ ingest: 2, train: 2, evaluate: 2 });
  });

  it('misses the cache when an output blob is gone, and honours cache(false)', async () => {
    const { stack } = await tempStack();
    const calls = counter();
    const compiled = compilePipeline(trainingPipeline(calls), { rows: 5 });
    const first = await runPipeline(stack, compiled);
    await stack.artifacts.delete(first.steps.train!.outputs.model!.digest!);

    const second = await runPipeline(stack, compiled);
    expect(second.status).toBe('complete');
    // Only train lost an output; it writes the same bytes again, so evaluate's inputs are unchanged.
    expect(calls.calls).toEqual({ ingest: 1, train: 2, evaluate: 1 });
    expect(second.steps.train!.status).toBe('completed');
    expect(await stack.artifacts.has(first.steps.train!.outputs.model!.digest!)).toBe(true);

    const always = component({ name: 'always', version: '1', run: () => void calls.count('always') });
    const uncached = compilePipeline(pipeline({ name: 'uncached' }, (p) => void p.step(always).cache(false)));
    await runPipeline(stack, uncached);
    await runPipeline(stack, uncached);
    expect(calls.calls.always).toBe(2);
  });

  it('retries with exponential backoff, then succeeds', async () => {
    const { stack } = await tempStack();
    const attempts: number[] = [];
    const flaky = component({
      name: 'flaky', version: '1', outputs: { out: Metrics },
      run: async ({ attempt, outputs }) => {
        attempts.push(Date.now());
        await writeFile(outputs.out.path, `attempt ${attempt}`);
        if (attempt < 3) throw new Error(`flake ${attempt}`);
      },
    });
    const events: RunEvent[] = [];
    const compiled = compilePipeline(pipeline({ name: 'flaky' }, (p) => void p.step(flaky).retry(3, { backoffMs: 60, maxBackoffMs: 100 })));
    const result = await runPipeline(stack, compiled, { onEvent: (e) => events.push(e) });

    expect(result.status).toBe('complete');
    expect(events.filter((e) => e.type === 'step-retrying')).toEqual([
      { type: 'step-retrying', runId: result.runId, step: 'flaky', attempt: 2, delayMs: 60, error: 'flake 1' },
      { type: 'step-retrying', runId: result.runId, step: 'flaky', attempt: 3, delayMs: 100, error: 'flake 2' },
    ]);
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(55);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(95);
    const execution = await stack.metadata.getExecution(result.steps.flaky!.executionId!);
    expect(execution).toMatchObject({ state: 'complete', properties: { attempts: 3 } });
    expect((await stack.artifacts.readBytes(result.steps.flaky!.outputs.out!.digest!)).toString()).toBe('attempt 3');
    const log = (await stack.artifacts.readBytes(execution.properties.logDigest as string)).toString();
    expect(log).toContain('attempt 1 failed: flake 1; retrying in 60 ms');
  });

  it('fails a step that runs past its timeout, aborting its signal', async () => {
    const { stack } = await tempStack();
    let aborted = false;
    const slow = component({
      name: 'slow', version: '1',
      run: ({ signal }) => new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => {
          aborted = true;
          reject(signal.reason as Error);
        });
      }),
    });
    const result = await runPipeline(stack, compilePipeline(pipeline({ name: 'slow' }, (p) => void p.step(slow).timeout(100))));
    expect(aborted).toBe(true);
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/^step "slow" timed out after 100 ms/);
    const execution = await stack.metadata.getExecution(result.steps.slow!.executionId!);
    expect(execution.state).toBe('failed');
    expect(execution.error).toMatch(/^step "slow" timed out after 100 ms/);
  });

  it('stops at a failure: nothing downstream starts, running steps finish, the run fails naming the step', async () => {
    const { stack } = await tempStack();
    const calls = counter();
    const ok = component({ name: 'ok', version: '1', outputs: { out: Metrics }, run: async ({ outputs }) => void (await writeFile(outputs.out.path, 'ok')) });
    const boom = component({ name: 'boom', version: '1', inputs: { data: Metrics }, run: () => { throw new Error('disk full'); } });
    const slowSibling = component({ name: 'sibling', version: '1', run: async () => { await sleep(150); calls.count('sibling'); } });
    const after = component({ name: 'after', version: '1', run: () => void calls.count('after') });
    const events: RunEvent[] = [];
    const compiled = compilePipeline(pipeline({ name: 'failing' }, (p) => {
      const first = p.step(ok);
      const failing = p.step(boom, { inputs: { data: first.outputs.out } });
      p.step(slowSibling).after(first);
      p.step(after).after(failing);
    }));
    const result = await runPipeline(stack, compiled, { onEvent: (e) => events.push(e) });

    expect(result.status).toBe('failed');
    expect(result.error).toBe('step "boom" failed: disk full');
    expect(calls.calls).toEqual({ sibling: 1 });
    expect(result.counts).toMatchObject({ completed: 2, failed: 1, notRun: 1 });
    expect(result.steps.after).toEqual({ status: 'not-run', executionId: null, outputs: {}, attempts: 0 });
    expect(await stack.metadata.getExecution(result.steps.boom!.executionId!)).toMatchObject({ state: 'failed', error: 'disk full' });
    const run = await stack.metadata.findContext('pipeline_run', result.runId);
    expect(run!.properties).toMatchObject({ status: 'failed', error: 'step "boom" failed: disk full' });
    expect(events.find((e) => e.type === 'step-failed')).toMatchObject({ step: 'boom', attempts: 1, error: 'disk full' });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', status: 'failed', counts: result.counts });
  });

  it('runs command components: outputs written by a child process, a non-zero exit fails the step', async () => {
    const { stack, dir } = await tempStack();
    const write = commandComponent({
      name: 'write', version: '1', outputs: { out: Metrics }, params: z.object({ value: z.number() }),
      command: ['node', '-e', 'require("node:fs").writeFileSync(process.argv[1], JSON.stringify({ value: Number(process.argv[2]) })); console.log("wrote")', '{{outputs.out}}', '{{params.value}}'],
    });
    const exit3 = commandComponent({ name: 'exit3', version: '1', inputs: { data: Metrics }, command: ['sh', '-c', 'echo "bad input" >&2; exit 3'] });
    const compiled = compilePipeline(pipeline({ name: 'commands' }, (p) => {
      const written = p.step(write, { params: { value: 42 } });
      p.step(exit3, { inputs: { data: written.outputs.out } });
    }));
    const result = await runPipeline(stack, compiled, { pipelineFile: join(dir, 'pipeline.ts') });
    expect(JSON.parse((await stack.artifacts.readBytes(result.steps.write!.outputs.out!.digest!)).toString())).toEqual({ value: 42 });
    const writeExecution = await stack.metadata.getExecution(result.steps.write!.executionId!);
    expect((await stack.artifacts.readBytes(writeExecution.properties.logDigest as string)).toString()).toMatch(/ info wrote\n$/);
    expect(result.status).toBe('failed');
    expect(result.error).toBe('step "exit3" failed: command `sh -c echo "bad input" >&2; exit 3` exited with code 3\n  | bad input');
  });

  it('runs independent steps in parallel up to the executor concurrency', async () => {
    const { stack } = await tempStack({ FLYWHEEL_EXECUTOR__CONCURRENCY: '3' });
    expect(stack.executor.concurrency).toBe(3);
    let running = 0;
    let maxRunning = 0;
    const work = component({
      name: 'work', version: '1', params: z.object({ i: z.number() }),
      run: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await sleep(40);
        running--;
      },
    });
    const compiled = compilePipeline(pipeline({ name: 'parallel' }, (p) => {
      for (let i = 0; i < 9; i++) p.step(work, { params: { i } });
    }));
    const result = await runPipeline(stack, compiled);
    expect(result.counts.completed).toBe(9);
    expect(maxRunning).toBe(3);
  });

  it('hands directory outputs to downstream steps as folders', async () => {
    const { stack } = await tempStack();
    const make = component({
      name: 'make', version: '1', outputs: { tree: Directory },
      run: async ({ outputs }) => {
        await mkdir(join(outputs.tree.path, 'nested'), { recursive: true });
        await writeFile(join(outputs.tree.path, 'nested', 'a.txt'), 'A');
      },
    });
    let seen = '';
    const read = component({
      name: 'read', version: '1', inputs: { tree: Directory },
      run: async ({ inputs }) => {
        seen = await readFile(join(inputs.tree.path, 'nested', 'a.txt'), 'utf8');
      },
    });
    const result = await runPipeline(stack, compilePipeline(pipeline({ name: 'dirs' }, (p) => {
      p.step(read, { inputs: { tree: p.step(make).outputs.tree } });
    })));
    expect(result.status).toBe('complete');
    expect(seen).toBe('A');
  });

  it('rejects a run id that is not path-safe', async () => {
    const { stack } = await tempStack();
    const noop = component({ name: 'noop', version: '1', run: () => undefined });
    const compiled = compilePipeline(pipeline({ name: 'ids' }, (p) => void p.step(noop)));
    await expect(runPipeline(stack, compiled, { runId: '../escape' })).rejects.toThrow('runId: "../escape" must be letters');
  });

  it('runs a 1,000-step pipeline', async () => {
    const { stack } = await tempStack();
    const noop = component({ name: 'noop', version: '1', params: z.object({ i: z.number() }), run: () => undefined });
    const compiled = compilePipeline(pipeline({ name: 'wide' }, (p) => {
      const root = p.step(noop, { name: 'root', params: { i: -1 } });
      for (let i = 0; i < 999; i++) p.step(noop, { params: { i } }).after(root);
    }));
    const result = await runPipeline(stack, compiled);
    expect(result.counts.completed).toBe(1_000);
  });
});
