import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NotFoundError } from '../core/errors.js';
import { commandComponent, component } from './component.js';
import { PipelineChangedError, RunNotResumableError } from './errors.js';
import { compilePipeline } from './ir.js';
import { loadPipelineFile } from './load-pipeline-file.js';
import { pipeline } from './pipeline.js';
import type { RunEvent } from './run-events.js';
import { resumeRun, runPipeline } from './runner.js';
import { openTempStack } from './test-stack.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const disposers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const dispose of disposers.splice(0)) await dispose();
});
async function tempStack() {
  const temp = await openTempStack();
  disposers.push(temp.dispose);
  return temp;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function invocations(dir: string, step: string): Promise<number> {
  return existsSync(join(dir, `${step}.count`)) ? (await readFile(join(dir, `${step}.count`), 'utf8')).length : 0;
}

/**
 * first → second → third, where `second` waits for a `release` file, so a test can stop the run
 * while it is inside the second step. Each step appends a character to `<dir>/<step>.count`.
 */
const STAGED_PIPELINE = (imports: { component: string; pipeline: string; artifactTypes: string }) => `
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { component } from ${JSON.stringify(imports.component)};
import { pipeline } from ${JSON.stringify(imports.pipeline)};
import { Metrics } from ${JSON.stringify(imports.artifactTypes)};

const count = (dir, step) => appendFileSync(join(dir, step + '.count'), 'x');
const first = component({
  name: 'first', version: '1', outputs: { out: Metrics },
  run: ({ params, outputs }) => { count(params.dir, 'first'); writeFileSync(outputs.out.path, '1'); },
});
const second = component({
  name: 'second', version: '1', inputs: { data: Metrics }, outputs: { out: Metrics },
  run: async ({ params, outputs, signal }) => {
    count(params.dir, 'second');
    while (!existsSync(join(params.dir, 'release'))) {
      signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    writeFileSync(outputs.out.path, '2');
  },
});
const third = component({
  name: 'third', version: '1', inputs: { data: Metrics },
  run: ({ params }) => { count(params.dir, 'third'); },
});

export default pipeline({ name: 'staged' }, (p, { dir }) => {
  const a = p.step(first, { params: { dir } });
  const b = p.step(second, { params: { dir }, inputs: { data: a.outputs.out } });
  p.step(third, { params: { dir }, inputs: { data: b.outputs.out } });
});
`;

async function writeStagedPipeline(dir: string): Promise<string> {
  const file = join(dir, 'staged.mts');
  await writeFile(file, STAGED_PIPELINE({
    component: join(here, 'component.ts'), pipeline: join(here, 'pipeline.ts'), artifactTypes: join(here, 'artifact-types.ts'),
  }));
  return file;
}

const load = async (file: string, params: Record<string, unknown>) => compilePipeline(await loadPipelineFile(file), params);

describe('cancellation and resume', () => {
  it('cancels mid-step consistently, then resumes without rerunning completed steps', async () => {
    const { stack, dir } = await tempStack();
    const file = await writeStagedPipeline(dir);
    const compiled = await load(file, { dir });
    const controller = new AbortController();
    const events: RunEvent[] = [];
    const running = runPipeline(stack, compiled, { pipelineFile: file, signal: controller.signal, onEvent: (e) => events.push(e) });
    await waitFor(async () => (await invocations(dir, 'second')) === 1, 'the second step to start');
    controller.abort();
    const canceled = await running;

    expect(canceled.status).toBe('canceled');
    expect(canceled.error).toBe(`run ${canceled.runId} was canceled`);
    expect(canceled.counts).toMatchObject({ completed: 1, canceled: 1, notRun: 1 });
    expect(events.find((e) => e.type === 'step-canceled')).toMatchObject({ step: 'second' });
    const runContext = await stack.metadata.findContext('pipeline_run', canceled.runId);
    expect(runContext!.properties.status).toBe('canceled');
    expect(await stack.metadata.getExecution(canceled.steps.second!.executionId!)).toMatchObject({ state: 'canceled', error: 'canceled' });
    expect(await stack.metadata.getExecution(canceled.steps.first!.executionId!)).toMatchObject({ state: 'complete' });
    const firstOutput = canceled.steps.first!.outputs.out!;
    expect(await stack.artifacts.has(firstOutput.digest!)).toBe(true);

    await writeFile(join(dir, 'release'), '');
    const resumedEvents: RunEvent[] = [];
    const resumed = await resumeRun(stack, canceled.runId, { load, onEvent: (e) => resumedEvents.push(e) });
    expect(resumed.status).toBe('complete');
    expect(resumed.runId).toBe(canceled.runId);
    expect(resumed.counts).toMatchObject({ reused: 1, completed: 2 });
    expect(resumed.steps.first!.executionId).toBe(canceled.steps.first!.executionId);
    expect(resumedEvents[0]).toMatchObject({ type: 'run-started', resumed: true });
    expect(resumedEvents[1]).toMatchObject({ type: 'step-cached', step: 'first', resumed: true });
    expect([await invocations(dir, 'first'), await invocations(dir, 'second'), await invocations(dir, 'third')]).toEqual([1, 2, 1]);
    expect((await stack.metadata.findContext('pipeline_run', canceled.runId))!.properties.status).toBe('complete');

    await expect(resumeRun(stack, canceled.runId, { load })).rejects.toThrow(RunNotResumableError);
    await expect(resumeRun(stack, canceled.runId, { load })).rejects.toThrow(`run ${canceled.runId} cannot be resumed: it completed`);
  });

  it('kills a running command by its process group on cancel', async () => {
    const { stack, dir } = await tempStack();
    const pidFile = join(dir, 'sleep.pid');
    const hang = commandComponent({ name: 'hang', version: '1', command: ['sh', '-c', `sleep 60 & echo $! > ${pidFile}; wait`] });
    const controller = new AbortController();
    const running = runPipeline(stack, compilePipeline(pipeline({ name: 'hang' }, (p) => void p.step(hang))), { signal: controller.signal });
    await waitFor(async () => existsSync(pidFile) && (await readFile(pidFile, 'utf8')).trim() !== '', 'the command to start');
    controller.abort();
    const result = await running;
    expect(result.status).toBe('canceled');
    expect(await stack.metadata.getExecution(result.steps.hang!.executionId!)).toMatchObject({ state: 'canceled' });
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await waitFor(() => gone(pid), 'the sleep to be killed', 5_000);
  });

  it('refuses a pipeline that changed, an unknown run and a run not started from a file', async () => {
    const { stack, dir } = await tempStack();
    const failing = component({ name: 'failing', version: '1', params: z.object({ n: z.number() }), run: () => { throw new Error('no'); } });
    const definition = (n: number) => pipeline({ name: 'changing' }, (p) => void p.step(failing, { params: { n } }));
    const failed = await runPipeline(stack, compilePipeline(definition(1)), { pipelineFile: join(dir, 'changing.ts') });
    expect(failed.status).toBe('failed');

    const error = await resumeRun(stack, failed.runId, { load: async () => compilePipeline(definition(2)) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineChangedError);
    expect((error as Error).message).toMatch(new RegExp(`^the pipeline changed since run ${failed.runId}`));
    expect((error as PipelineChangedError).hint).toMatch(/start a new run/);

    await expect(resumeRun(stack, 'run-nope', { load })).rejects.toThrow(NotFoundError);
    const inline = await runPipeline(stack, compilePipeline(definition(3)));
    await expect(resumeRun(stack, inline.runId, { load })).rejects.toThrow('it was not started from a pipeline file');
  });

  it('resumes a run whose process was killed with SIGKILL, marking its running step interrupted', async () => {
    const { stack, dir } = await tempStack();
    const file = await writeStagedPipeline(dir);
    const runId = 'run-killed-1';
    const script = join(dir, 'run-child.mts');
    await writeFile(script, `
      import { openStack } from ${JSON.stringify(join(here, '../config/open-stack.ts'))};
      import { compilePipeline } from ${JSON.stringify(join(here, 'ir.ts'))};
      import { loadPipelineFile } from ${JSON.stringify(join(here, 'load-pipeline-file.ts'))};
      import { runPipeline } from ${JSON.stringify(join(here, 'runner.ts'))};
      const [projectDir, file, runId, dir] = process.argv.slice(2);
      const stack = await openStack({ projectDir, env: {} });
      await runPipeline(stack, compilePipeline(await loadPipelineFile(file), { dir }), { pipelineFile: file, runId });
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir, file, runId, dir], { cwd: here, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));
    await waitFor(async () => (await invocations(dir, 'second')) === 1 || child.exitCode !== null, 'the child to reach the second step');
    expect(stderr).toBe('');
    // A step running longer than a moment has its tracked run written as RUNNING.
    await waitFor(async () => {
      const context = await stack.metadata.findContext('pipeline_run', runId);
      const second = context && (await stack.metadata.findExecutions({ contextId: context.id })).find((e) => e.name === 'second');
      return second !== undefined && (await stack.tracking.store.runOfExecution(second.id)) !== undefined;
    }, "the second step's tracked run to be written");
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const runContext = await stack.metadata.findContext('pipeline_run', runId);
    expect(runContext!.properties.status).toBe('running');
    const before = await stack.metadata.findExecutions({ contextId: runContext!.id, order: 'asc' });
    expect(before.map((e) => [e.name, e.state])).toEqual([['first', 'complete'], ['second', 'running']]);

    await appendFile(join(dir, 'release'), '');
    const resumed = await resumeRun(stack, runId, { load });
    expect(resumed.status).toBe('complete');
    expect(resumed.counts).toMatchObject({ reused: 1, completed: 2 });
    expect([await invocations(dir, 'first'), await invocations(dir, 'second'), await invocations(dir, 'third')]).toEqual([1, 2, 1]);
    expect(await stack.metadata.getExecution(before[1]!.id)).toMatchObject({ state: 'failed', error: 'interrupted' });
    expect((await stack.tracking.store.runOfExecution(before[1]!.id))?.status).toBe('KILLED');
    const after = await stack.metadata.findExecutions({ contextId: runContext!.id, order: 'asc' });
    expect(after.map((e) => [e.name, e.state])).toEqual([['first', 'complete'], ['second', 'failed'], ['second', 'complete'], ['third', 'complete']]);
    expect((await stack.metadata.findContext('pipeline_run', runId))!.properties.status).toBe('complete');
  });
});

/** Exited, or a zombie nobody has reaped yet. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  return /^\d+ \(.*\) Z/.test(existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '');
}
