// Orchestration overhead of the pipeline runner: no-op function steps on SQLite + local artifacts,
// so the wall time of a run is all bookkeeping. Every case runs in a fresh process, so the first
// ("cold") figure includes JIT warm-up the way a `flywheel run` does.
//   npm run bench -- pipeline                 all cases, markdown table rows
//   npm run bench -- pipeline --case chain:1000
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { openStack } from '../packages/flywheel/src/config/open-stack.js';
import type { Stack } from '../packages/flywheel/src/config/stack.js';
import { component } from '../packages/flywheel/src/pipeline/component.js';
import { compilePipeline } from '../packages/flywheel/src/pipeline/ir.js';
import { pipeline } from '../packages/flywheel/src/pipeline/pipeline.js';
import type { StepHandle } from '../packages/flywheel/src/pipeline/pipeline.js';
import { runPipeline } from '../packages/flywheel/src/pipeline/runner.js';

type Shape = 'chain' | 'fan-out' | 'metadata';
type Figures = Record<string, number>;

const CASES: [Shape, number][] = [['chain', 1_000], ['fan-out', 1_000], ['metadata', 1_000], ['chain', 10_000], ['fan-out', 10_000], ['metadata', 10_000]];

// A distinct parameter per step keeps cache keys distinct, so a fresh run executes every step;
// `offset` makes a second pipeline of the same shape miss the cache too.
const noop = component({ name: 'noop', version: '1', params: z.object({ i: z.number().int() }), run: () => undefined });

function build(shape: 'chain' | 'fan-out', n: number, offset: number) {
  return pipeline({ name: `${shape}-${n}` }, (p) => {
    if (shape === 'chain') {
      let previous: StepHandle | undefined;
      for (let i = 0; i < n; i++) {
        const step = p.step(noop, { params: { i: offset + i } });
        if (previous) step.after(previous);
        previous = step;
      }
    } else {
      const root = p.step(noop, { name: 'root', params: { i: offset - 1 } });
      for (let i = 0; i < n - 1; i++) p.step(noop, { params: { i: offset + i } }).after(root);
    }
  });
}

async function time(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

async function pipelineCase(stack: Stack, shape: 'chain' | 'fan-out', n: number): Promise<Figures> {
  let compiled = compilePipeline(build(shape, 0, 0), {});
  const compileMs = await time(async () => {
    compiled = compilePipeline(build(shape, n, 0), {});
  });
  const check = (result: Awaited<ReturnType<typeof runPipeline>>, field: 'completed' | 'cached') => {
    if (result.status !== 'complete' || result.counts[field] !== n) throw new Error(`${shape} ${n}: ${result.status} ${JSON.stringify(result.counts)} ${result.error ?? ''}`);
  };
  const coldMs = await time(async () => check(await runPipeline(stack, compiled), 'completed'));
  const second = compilePipeline(build(shape, n, n + 1), {});
  const warmMs = await time(async () => check(await runPipeline(stack, second), 'completed'));
  const cachedMs = await time(async () => check(await runPipeline(stack, compiled), 'cached'));
  return { compileMs, coldMs, warmMs, cachedMs };
}

/** The metadata calls the runner makes for one executed no-op step, without the runner. */
async function metadataCase(stack: Stack, n: number): Promise<Figures> {
  const fn = async () => undefined;
  const bareMs = await time(async () => {
    for (let i = 0; i < n; i++) await fn();
  });
  const pipelineContext = await stack.metadata.ensureContext({ type: 'pipeline', name: 'baseline' });
  const round = async (label: string) => {
    const runContext = await stack.metadata.putContext({ type: 'pipeline_run', name: label, parentId: pipelineContext.id });
    for (let i = 0; i < n; i++) {
      const cacheKey = `${label}-${i}`;
      await stack.metadata.findExecutions({ cacheKey, states: ['complete', 'cached'], order: 'desc', limit: 5 });
      const execution = await stack.metadata.startExecution({
        execution: { type: 'noop@1', name: `noop-${i}`, cacheKey, startedAt: new Date(), properties: { runId: label } },
        inputs: [],
        contextIds: [pipelineContext.id, runContext.id],
      });
      await stack.metadata.finishExecution(execution.id, {
        patch: { state: 'complete', properties: { runId: label, attempts: 1, durationMs: 0 }, error: null, endedAt: new Date() },
        outputs: [],
      });
    }
  };
  const coldMs = await time(() => round('cold'));
  const warmMs = await time(() => round('warm'));
  return { bareMs, coldMs, warmMs };
}

async function runCase(shape: Shape, n: number): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'flywheel-bench-'));
  const stack = await openStack({ projectDir: dir, env: {} });
  try {
    return shape === 'metadata' ? await metadataCase(stack, n) : await pipelineCase(stack, shape, n);
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const caseArg = process.argv.indexOf('--case');
if (caseArg > 0) {
  const [shape, n] = process.argv[caseArg + 1]!.split(':') as [Shape, string];
  console.log(JSON.stringify(await runCase(shape, Number(n))));
} else {
  const date = new Date().toISOString().slice(0, 10);
  const rows: string[] = [];
  const row = (command: string, figure: string, target = '') => {
    rows.push(`| ${date} | ${availableParallelism()} | ${process.version} | ${command} | ${figure} | ${target} |`);
  };
  const perStep = (ms: number, n: number) => `${ms.toFixed(0)} ms (${((ms * 1000) / n).toFixed(0)} µs/step)`;
  for (const [shape, n] of CASES) {
    const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', `${shape}:${n}`], { encoding: 'utf8' });
    const f = JSON.parse(output.trim().split('\n').at(-1)!) as Figures;
    const label = `\`npm run bench -- pipeline\`: ${n} no-op steps`;
    if (shape === 'metadata') {
      row(`${label}, baseline: bare \`await fn()\``, `${f.bareMs!.toFixed(1)} ms`);
      row(`${label}, baseline: the runner's metadata calls alone, fresh process`, perStep(f.coldMs!, n));
      row(`${label}, baseline: the runner's metadata calls alone, warm`, perStep(f.warmMs!, n));
    } else {
      row(`${label}, ${shape}: compile`, `${f.compileMs!.toFixed(0)} ms`);
      row(`${label}, ${shape}: run in a fresh process (= orchestration overhead)`, perStep(f.coldMs!, n), n === 1_000 ? '< 1000 ms' : 'completes');
      row(`${label}, ${shape}: run, warm process`, perStep(f.warmMs!, n));
      row(`${label}, ${shape}: re-run, all cached`, perStep(f.cachedMs!, n));
    }
  }
  console.log('| date | nproc | node | command | figure | target |');
  console.log('|---|---|---|---|---|---|');
  for (const line of rows) console.log(line);
}
