import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import { newId } from '../core/ids.js';
import type { JsonObject } from '../core/json.js';
import type { Firing } from '../metadata/control-store.js';
import { compilePipeline } from '../pipeline/ir.js';
import { loadPipelineFile } from '../pipeline/load-pipeline-file.js';
import type { RunEvent, RunResult } from '../pipeline/run-events.js';
import { runPipeline } from '../pipeline/runner.js';
import { fillParams, FiringRunner, type FiringRunnerOptions } from './firing-runner.js';
import { compileLoopConfig, type TriggerConfig } from './loop-config.js';

const pipelineDir = fileURLToPath(new URL('../pipeline/', import.meta.url));
const imports = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { component } from ${JSON.stringify(join(pipelineDir, 'component.ts'))};
import { pipeline } from ${JSON.stringify(join(pipelineDir, 'pipeline.ts'))};
import { Metrics } from ${JSON.stringify(join(pipelineDir, 'artifact-types.ts'))};
`;

/** One step that writes `start <tag>` to a log, takes a moment, then writes `end <tag>`. */
const NOTE_PIPELINE = `${imports}
const note = component({
  name: 'note', version: '1',
  run: async ({ params }) => {
    appendFileSync(params.log, 'start ' + params.tag + '\\n');
    await sleep(250);
    appendFileSync(params.log, 'end ' + params.tag + '\\n');
  },
});
export default pipeline({ name: 'note' }, (p, { log, tag }) => void p.step(note, { params: { log, tag } }));
`;

const FAILING_PIPELINE = `${imports}
const explode = component({ name: 'explode', version: '1', run: () => { throw new Error('the source table is empty'); } });
export default pipeline({ name: 'failing' }, (p) => void p.step(explode));
`;

const BROKEN_PIPELINE = `${imports}
export default pipeline({ name: 'broken' }, () => { throw new Error('no steps today'); });
`;

/** first → second, where `second` waits for a `release` file; each step appends to `<dir>/<step>.count`. */
const STAGED_PIPELINE = `${imports}
const count = (dir, step) => appendFileSync(join(dir, step + '.count'), 'x');
const first = component({
  name: 'first', version: '1', outputs: { out: Metrics },
  run: ({ params, outputs }) => { count(params.dir, 'first'); writeFileSync(outputs.out.path, '1'); },
});
const second = component({
  name: 'second', version: '1', inputs: { data: Metrics },
  run: async ({ params, signal }) => {
    count(params.dir, 'second');
    while (!existsSync(join(params.dir, 'release'))) {
      signal.throwIfAborted();
      await sleep(20);
    }
  },
});
export default pipeline({ name: 'staged' }, (p, { dir }) => {
  const a = p.step(first, { params: { dir } });
  p.step(second, { params: { dir }, inputs: { data: a.outputs.out } });
});
`;

describe('fillParams', () => {
  const event: JsonObject = {
    kind: 'alert', time: '2001-03-05T06:07:08.000Z', rule: 'auc-drop', value: 0.61, version: null, files: ['/in/a.parquet', '/in/b.parquet'],
  };

  it('gives a string that is only a placeholder the fact with its type', () => {
    expect(fillParams({ value: '${value}', version: '${version}', files: '${files}', rule: '${rule}' }, event)).toEqual({
      value: 0.61, version: null, files: ['/in/a.parquet', '/in/b.parquet'], rule: 'auc-drop',
    });
  });

  it('writes facts into text, with the UTC day of the event’s time as ${date}', () => {
    expect(fillParams({ note: 'retrain after ${rule} (${value}) on ${date}', until: '${time}', day: '${date}' }, event)).toEqual({
      note: 'retrain after auc-drop (0.61) on 2001-03-05', until: '2001-03-05T06:07:08.000Z', day: '2001-03-05',
    });
  });

  it('leaves unknown placeholders as they are, including names every object has', () => {
    expect(fillParams({ a: '${nope}', b: 'x ${nope} ${rule}', c: '${constructor}', d: 'a ${toString}' }, event)).toEqual({
      a: '${nope}', b: 'x ${nope} auc-drop', c: '${constructor}', d: 'a ${toString}',
    });
    expect(fillParams({ day: '${date}' }, { kind: 'manual' })).toEqual({ day: '${date}' });
  });

  it('fills nested objects and arrays and keeps other values', () => {
    const params = { window: { until: '${time}', tags: ['${rule}', 'day-${date}', 3] }, sample: 0.05, dry: false, none: null };
    expect(fillParams(params, event)).toEqual({ window: { until: '2001-03-05T06:07:08.000Z', tags: ['auc-drop', 'day-2001-03-05', 3] }, sample: 0.05, dry: false, none: null });
    expect(params.window.until).toBe('${time}');
  });
});

describe('FiringRunner', () => {
  let dir: string;
  let stack: Stack;
  const runners: FiringRunner[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-firing-runner-'));
    stack = await openStack({ projectDir: dir, env: {} });
    await writeFile(join(dir, 'note.mts'), NOTE_PIPELINE);
    await writeFile(join(dir, 'failing.mts'), FAILING_PIPELINE);
    await writeFile(join(dir, 'broken.mts'), BROKEN_PIPELINE);
    await writeFile(join(dir, 'staged.mts'), STAGED_PIPELINE);
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  });

  function triggers(): TriggerConfig[] {
    const log = join(dir, 'runs.log');
    return [...compileLoopConfig({
      triggers: [
        { name: 'serial', pipeline: 'note.mts', params: { log, tag: '${tag}' }, manual: true },
        { name: 'parallel', pipeline: 'note.mts', params: { log, tag: '${tag}' }, maxConcurrent: 2, manual: true },
        { name: 'failing', pipeline: 'failing.mts', manual: true },
        { name: 'broken', pipeline: 'broken.mts', manual: true },
        { name: 'staged', pipeline: 'staged.mts', params: { dir }, manual: true },
      ],
    }, dir).triggers];
  }

  function runner(options: Partial<FiringRunnerOptions> = {}): FiringRunner {
    const made = new FiringRunner({ stack, control: stack.control, triggers: triggers(), maxConcurrentRuns: 4, ...options });
    runners.push(made);
    return made;
  }

  async function fire(trigger: string, facts: JsonObject = {}): Promise<Firing> {
    const event = { kind: 'manual', time: new Date().toISOString(), ...facts };
    return (await stack.control.fire({ trigger, eventKey: newId('manual'), event, runId: newId('run') }))!;
  }

  const firing = async (id: number) => (await stack.control.findFirings()).find((f) => f.id === id)!;
  const runLog = async () => (existsSync(join(dir, 'runs.log')) ? (await readFile(join(dir, 'runs.log'), 'utf8')).trim().split('\n') : []);

  /** Ticks like the controller does until no firing is active; the most firings seen `running` at once. */
  async function tickUntilIdle(subject: FiringRunner): Promise<number> {
    let most = 0;
    const deadline = Date.now() + 20_000;
    for (;;) {
      await subject.tick();
      const active = await stack.control.findFirings({ statuses: ['pending', 'running'] });
      most = Math.max(most, active.filter((f) => f.status === 'running').length);
      if (active.length === 0) return most;
      if (Date.now() > deadline) throw new Error('the firings did not end');
      await sleep(20);
    }
  }

  it('runs the firings of a trigger one after the other, oldest first, with the event in the parameters', async () => {
    const subject = runner();
    const first = await fire('serial', { tag: 'first' });
    const second = await fire('serial', { tag: 'second' });

    expect(await tickUntilIdle(subject)).toBe(1);
    expect(await runLog()).toEqual(['start first', 'end first', 'start second', 'end second']);
    expect((await firing(first.id)).status).toBe('complete');
    expect((await firing(second.id)).status).toBe('complete');
    const [runA, runB] = await Promise.all([first, second].map((f) => stack.metadata.findContext('pipeline_run', f.runId)));
    expect(runA!.properties).toMatchObject({ status: 'complete', params: { tag: 'first' }, trigger: { kind: 'manual', name: 'serial', firing: first.id, eventKey: first.eventKey } });
    expect(runB!.properties).toMatchObject({ status: 'complete', params: { tag: 'second' } });
    expect(Date.parse(String(runB!.properties.startedAt))).toBeGreaterThanOrEqual(Date.parse(String(runA!.properties.endedAt)));
  });

  it('runs up to maxConcurrent firings of a trigger at once, within the global limit', async () => {
    const subject = runner();
    await fire('parallel', { tag: 'a' });
    await fire('parallel', { tag: 'b' });
    await fire('parallel', { tag: 'c' });
    expect(await tickUntilIdle(subject)).toBe(2);
    expect((await runLog()).slice(0, 2).sort()).toEqual(['start a', 'start b']);

    const limited = runner({ maxConcurrentRuns: 1 });
    await fire('parallel', { tag: 'd' });
    await fire('parallel', { tag: 'e' });
    expect(await tickUntilIdle(limited)).toBe(1);
    expect((await runLog()).slice(6)).toEqual(['start d', 'end d', 'start e', 'end e']);
  });

  it('fails a firing of a trigger that is no longer configured, naming it', async () => {
    const gone = await fire('retired');
    const kept = await fire('serial', { tag: 'kept' });
    const subject = runner();
    await subject.tick();
    expect(await firing(gone.id)).toMatchObject({ status: 'failed', error: 'trigger retired is no longer configured' });
    await subject.drain();
    expect((await firing(kept.id)).status).toBe('complete');
    expect(await stack.metadata.findContext('pipeline_run', gone.runId)).toBeUndefined();
  });

  it('ends a firing whose pipeline fails, or does not compile, as failed with the error', async () => {
    const ended: [string, RunResult['status']][] = [];
    const subject = runner({ onRunEnded: async (f, result) => void ended.push([f.trigger, result.status]) });
    const failing = await fire('failing');
    const broken = await fire('broken');
    await tickUntilIdle(subject);

    expect(await firing(failing.id)).toMatchObject({ status: 'failed', error: 'step "explode" failed: the source table is empty' });
    expect((await stack.metadata.findContext('pipeline_run', failing.runId))!.properties.status).toBe('failed');
    expect(await firing(broken.id)).toMatchObject({ status: 'failed', error: 'no steps today' });
    // Only a completed run hands on what it registered.
    expect(ended).toEqual([]);
  });

  it('resumes the run of a firing a dead controller left running, keeping the steps it did', async () => {
    const left = await fire('staged');
    await stack.control.updateFiring(left.id, { status: 'running' });
    const trigger = triggers().find((t) => t.name === 'staged')!;
    const compiled = compilePipeline(await loadPipelineFile(trigger.pipelineFile), fillParams(trigger.params, left.event));
    const abort = new AbortController();
    const dying = runPipeline(stack, compiled, { runId: left.runId, pipelineFile: trigger.pipelineFile, signal: abort.signal });
    await waitFor(() => existsSync(join(dir, 'second.count')), 'the second step to start');
    abort.abort();
    expect((await dying).status).toBe('canceled');
    expect((await firing(left.id)).status).toBe('running');

    await writeFile(join(dir, 'release'), '');
    const events: RunEvent[] = [];
    const results: RunResult[] = [];
    const notes: string[] = [];
    const subject = runner({ onRunEvent: (e) => events.push(e), onRunEnded: async (_, r) => void results.push(r), onNote: (n) => notes.push(n) });
    await subject.tick();
    await subject.drain();

    expect(await firing(left.id)).toMatchObject({ status: 'complete', error: null });
    expect(results.map((r) => [r.runId, r.status, r.counts.reused, r.counts.completed])).toEqual([[left.runId, 'complete', 1, 1]]);
    expect(events[0]).toMatchObject({ type: 'run-started', runId: left.runId, resumed: true });
    expect(notes[0]).toBe(`resuming run ${left.runId} of staged (manual event)`);
    expect([await readFile(join(dir, 'first.count'), 'utf8'), await readFile(join(dir, 'second.count'), 'utf8')]).toEqual(['x', 'xx']);
    expect((await stack.metadata.findContext('pipeline_run', left.runId))!.properties.status).toBe('complete');
  });

  it('completes a firing whose run completed before the controller died, without running it again', async () => {
    await writeFile(join(dir, 'release'), '');
    const left = await fire('staged');
    await stack.control.updateFiring(left.id, { status: 'running' });
    const trigger = triggers().find((t) => t.name === 'staged')!;
    const compiled = compilePipeline(await loadPipelineFile(trigger.pipelineFile), fillParams(trigger.params, left.event));
    expect((await runPipeline(stack, compiled, { runId: left.runId, pipelineFile: trigger.pipelineFile })).status).toBe('complete');

    const results: RunResult[] = [];
    await tickUntilIdle(runner({ onRunEnded: async (_, r) => void results.push(r) }));
    expect(await firing(left.id)).toMatchObject({ status: 'complete', error: null });
    expect(results.map((r) => [r.runId, r.pipeline, r.status, r.counts])).toEqual([[left.runId, 'staged', 'complete', { steps: 2, completed: 0, cached: 0, reused: 2, failed: 0, canceled: 0, notRun: 0 }]]);
    expect(Object.entries(results[0]!.steps).map(([step, outcome]) => [step, outcome.status, Object.keys(outcome.outputs)])).toEqual([['first', 'reused', ['out']], ['second', 'reused', []]]);
    expect([await readFile(join(dir, 'first.count'), 'utf8'), await readFile(join(dir, 'second.count'), 'utf8')]).toEqual(['x', 'x']);
  });

  it('leaves the firings of a stopped runner running, for the next runner to resume', async () => {
    const left = await fire('staged');
    const first = runner();
    await first.tick();
    await waitFor(() => existsSync(join(dir, 'second.count')), 'the second step to start');
    await first.stop();
    expect((await firing(left.id)).status).toBe('running');
    expect((await stack.metadata.findContext('pipeline_run', left.runId))!.properties.status).toBe('canceled');

    await writeFile(join(dir, 'release'), '');
    await tickUntilIdle(runner());
    expect((await firing(left.id)).status).toBe('complete');
    expect(await readFile(join(dir, 'first.count'), 'utf8')).toBe('x');
  });
});

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
