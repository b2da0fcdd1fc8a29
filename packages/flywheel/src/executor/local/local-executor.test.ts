import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Stack } from '../../config/stack.js';
import { Dataset, Metrics } from '../../pipeline/artifact-types.js';
import { commandComponent, component } from '../../pipeline/component.js';
import type { AnyComponent, InputArtifact, OutputArtifact } from '../../pipeline/component.js';
import { openTempStack } from '../../pipeline/test-stack.js';
import { CommandFailedError, CommandNotFoundError, InvalidPlaceholderError } from '../errors.js';
import type { StepTask } from '../executor.js';
import { LocalExecutor } from './local-executor.js';
import { localExecutorFlavor } from './local-flavor.js';

let temp: Awaited<ReturnType<typeof openTempStack>>;
let stack: Stack;
let taskCount = 0;
beforeAll(async () => {
  temp = await openTempStack();
  stack = temp.stack;
});
afterAll(async () => temp.dispose());

interface Logged { info: string[]; warn: string[] }

async function task(component: AnyComponent, options: { params?: StepTask['params']; inputs?: Record<string, InputArtifact> } = {}): Promise<{ task: StepTask; logged: Logged }> {
  const dir = join(temp.dir, `task-${++taskCount}`);
  const outputs: Record<string, OutputArtifact> = {};
  for (const [name, type] of Object.entries(component.outputs)) {
    await mkdir(join(dir, 'outputs', name), { recursive: true });
    outputs[name] = { type: type.name, path: join(dir, 'outputs', name, type.fileName), properties: {} };
  }
  const logged: Logged = { info: [], warn: [] };
  return {
    logged,
    task: {
      runId: 'run-test', step: component.name, executionId: 1, component,
      params: options.params ?? {}, inputs: options.inputs ?? {}, outputs,
      workDir: join(dir, 'work'), attempt: 1, baseDir: temp.dir,
      log: { info: (m) => logged.info.push(m), warn: (m) => logged.warn.push(m) },
      stack,
      tracking: await stack.tracking.startRun({ name: `task-${taskCount}` }),
      trackingFile: join(dir, 'work', 'tracking.ndjson'),
    },
  };
}

async function inputFile(name: string, content: string): Promise<InputArtifact> {
  const path = join(temp.dir, name);
  await writeFile(path, content);
  return { id: 1, type: 'Dataset', path, uri: `file://${path}`, digest: 'd'.repeat(64), properties: {} };
}

/** A killed process nobody has reaped yet is a zombie: it counts as gone. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

describe('localExecutorFlavor', () => {
  it('validates its options and creates an executor with that concurrency', async () => {
    expect(localExecutorFlavor.options.parse({ flavor: 'local' })).toEqual({ flavor: 'local' });
    expect(() => localExecutorFlavor.options.parse({ flavor: 'local', concurrency: 0 })).toThrow();
    expect(() => localExecutorFlavor.options.parse({ flavor: 'local', concurrency: 1.5 })).toThrow();
    expect(localExecutorFlavor.schemes).toEqual([]);
    const executor = await localExecutorFlavor.create({ flavor: 'local', concurrency: 3 }, { projectDir: temp.dir, home: temp.dir });
    expect(executor.concurrency).toBe(3);
    expect((await localExecutorFlavor.create({ flavor: 'local' }, { projectDir: temp.dir, home: temp.dir })).concurrency).toBeGreaterThanOrEqual(1);
  });
});

describe('LocalExecutor: function components', () => {
  const executor = new LocalExecutor({ concurrency: 2 });

  it('runs in-process with parsed params, outputs and a work folder made on first use', async () => {
    const seen: unknown[] = [];
    const fn = component({
      name: 'fn', version: '1', params: z.object({ n: z.number(), label: z.string().default('x') }), outputs: { report: Metrics },
      run: async ({ params, outputs, workDir, run, log }) => {
        seen.push(params, run, existsSync(workDir));
        log.info('hello');
        await writeFile(outputs.report.path, '{}');
        outputs.report.properties.n = params.n;
        return { doubled: params.n * 2 };
      },
    });
    const { task: t, logged } = await task(fn, { params: { n: 2 } });
    expect(await executor.execute(t, new AbortController().signal)).toEqual({ doubled: 4 });
    expect(seen).toEqual([{ n: 2, label: 'x' }, { id: 'run-test', step: 'fn', executionId: 1 }, true]);
    expect(logged.info).toEqual(['hello']);
    expect(t.outputs.report!.properties).toEqual({ n: 2 });
  });

  it('rejects with the abort reason at once, even when the component ignores its signal', async () => {
    const stubborn = component({ name: 'stubborn', version: '1', run: () => new Promise<void>((resolve) => setTimeout(resolve, 2_000)) });
    const { task: t } = await task(stubborn);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(executor.execute(t, controller.signal)).rejects.toThrow('stop');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('LocalExecutor: command components', () => {
  const executor = new LocalExecutor({ concurrency: 2, killGraceMs: 300 });
  afterAll(async () => executor.close());

  it('substitutes placeholders, hands over FLYWHEEL_STEP and logs stdout and stderr', async () => {
    const copy = commandComponent({
      name: 'copy', version: '1', inputs: { data: Dataset }, outputs: { copy: Dataset, stats: Metrics },
      command: ['sh', '-c', 'cp "$1" "$2" && echo "rows=$3 all=$4" && echo careful >&2', 'sh', '{{inputs.data}}', '{{ outputs.copy }}', '{{params.rows}}', '{{params}}'],
    });
    const spec = commandComponent({
      name: 'spec', version: '1', outputs: { stats: Metrics },
      command: ['node', '-e', `
        const fs = require('node:fs');
        const spec = JSON.parse(fs.readFileSync(process.env.FLYWHEEL_STEP, 'utf8'));
        fs.writeFileSync(spec.outputs.stats.path, JSON.stringify({ step: spec.step, params: spec.params, cwd: process.cwd() }));
        fs.writeFileSync(spec.outputs.stats.propertiesPath, JSON.stringify({ rows: 3 }));
      `],
    });
    const { task: t, logged } = await task(copy, { params: { rows: 3 }, inputs: { data: await inputFile('in.csv', 'a,b\n1,2\n') } });
    await executor.execute(t, new AbortController().signal);
    expect(await readFile(t.outputs.copy!.path, 'utf8')).toBe('a,b\n1,2\n');
    expect(logged.info).toEqual(['rows=3 all={"rows":3}']);
    expect(logged.warn).toEqual(['careful']);

    const { task: s } = await task(spec, { params: { k: 'v' } });
    await executor.execute(s, new AbortController().signal);
    expect(JSON.parse(await readFile(s.outputs.stats!.path, 'utf8'))).toEqual({ step: 'spec', params: { k: 'v' }, cwd: temp.dir });
    expect(s.outputs.stats!.properties).toEqual({ rows: 3 });
  });

  it('runs in the component folder resolved against the pipeline folder', async () => {
    await mkdir(join(temp.dir, 'scripts'), { recursive: true });
    const where = commandComponent({ name: 'where', version: '1', outputs: { out: Metrics }, cwd: 'scripts', command: ['sh', '-c', 'pwd > "$1"', 'sh', '{{outputs.out}}'] });
    const { task: t } = await task(where);
    await executor.execute(t, new AbortController().signal);
    expect((await readFile(t.outputs.out!.path, 'utf8')).trim()).toBe(join(temp.dir, 'scripts'));
  });

  it('fails with the exit code and the tail of stderr', async () => {
    const failing = commandComponent({ name: 'failing', version: '1', command: ['sh', '-c', 'echo one >&2; echo two >&2; exit 3'] });
    const { task: t } = await task(failing);
    const error = await executor.execute(t, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error).toMatchObject({ exitCode: 3, stderrTail: ['one', 'two'] });
    expect((error as Error).message).toBe('command `sh -c echo one >&2; echo two >&2; exit 3` exited with code 3\n  | one\n  | two');
  });

  it('names an executable that does not exist', async () => {
    const missing = commandComponent({ name: 'missing', version: '1', command: ['no-such-program-xyz', '--help'] });
    const { task: t } = await task(missing);
    await expect(executor.execute(t, new AbortController().signal)).rejects.toThrow(CommandNotFoundError);
    await expect(executor.execute(t, new AbortController().signal)).rejects.toThrow('executable "no-such-program-xyz" was not found');
  });

  it('rejects a placeholder that names nothing', async () => {
    const typo = commandComponent({ name: 'typo', version: '1', inputs: { data: Dataset }, command: ['cat', '{{inputs.dta}}'] });
    const { task: t } = await task(typo, { inputs: { data: await inputFile('typo.csv', '') } });
    await expect(executor.execute(t, new AbortController().signal)).rejects.toThrow(InvalidPlaceholderError);
    await expect(executor.execute(t, new AbortController().signal)).rejects.toThrow('step "typo": placeholder {{inputs.dta}} names no wired input (data)');
  });

  it('kills the whole process group on abort, then SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = join(temp.dir, 'grandchild.pid');
    const tree = commandComponent({
      name: 'tree', version: '1',
      command: ['sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`],
    });
    const { task: t } = await task(tree);
    const controller = new AbortController();
    const running = executor.execute(t, controller.signal);
    while (!existsSync(pidFile) || (await readFile(pidFile, 'utf8')).trim() === '') await new Promise((r) => setTimeout(r, 10));
    const grandchild = Number((await readFile(pidFile, 'utf8')).trim());
    expect(alive(grandchild)).toBe(true);
    controller.abort(new Error('canceled'));
    await expect(running).rejects.toThrow('canceled');
    expect(alive(grandchild)).toBe(false);

    const deaf = commandComponent({ name: 'deaf', version: '1', command: ['node', '-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"] });
    const { task: d, logged } = await task(deaf);
    const stop = new AbortController();
    const started = Date.now();
    const deafRun = executor.execute(d, stop.signal);
    while (logged.info.length === 0) await new Promise((r) => setTimeout(r, 10));
    stop.abort(new Error('canceled'));
    await expect(deafRun).rejects.toThrow('canceled');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
