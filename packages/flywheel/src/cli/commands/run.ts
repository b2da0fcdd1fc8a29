import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { Stack } from '../../config/stack.js';
import { compilePipeline } from '../../pipeline/ir.js';
import { loadPipelineFile } from '../../pipeline/load-pipeline-file.js';
import type { RunResult } from '../../pipeline/run-events.js';
import { resumeRun, runPipeline } from '../../pipeline/runner.js';
import { withStack } from '../context.js';
import { registerTrackedRunCommands } from './tracked-runs.js';
import { cancelOnInterrupt } from '../interrupt.js';
import { collect, integer, parseParams } from '../options.js';
import { formatDuration, formatTime, printJson, printTable } from '../output.js';
import { progressPrinter } from '../progress.js';
import { EXIT_FOR_STATUS } from '../exit-codes.js';

interface RunFlags {
  param: string[];
  json?: boolean;
  quiet?: boolean;
}

export function registerRunCommands(program: Command): void {
  program
    .command('run <pipeline-file>')
    .description('run a pipeline file (.ts/.js whose default export is a pipeline), showing progress as it goes')
    .option('--param <key=value>', 'a pipeline parameter; repeat for more (values are JSON when they parse, else strings)', collect, [])
    .option('--json', 'print the run result as JSON at the end instead of progress')
    .option('-q, --quiet', "hide the steps' log lines")
    .addHelpText('after', '\nCtrl-C cancels the run cleanly; `flywheel resume <run-id>` continues it without redoing finished steps.')
    .action(async (file: string, flags: RunFlags, command: Command) =>
      withStack(command, async (stack) => {
        const params = parseParams(flags.param);
        const compiled = compilePipeline(await loadPipelineFile(file), params);
        const result = await runInteractive(flags, (signal, onEvent) => runPipeline(stack, compiled, { pipelineFile: file, signal, onEvent }));
        process.exitCode = EXIT_FOR_STATUS[result.status];
      }),
    );

  program
    .command('resume <run-id>')
    .description('continue a failed, canceled or killed run: finished steps are kept, the rest run')
    .option('--json', 'print the run result as JSON at the end instead of progress')
    .option('-q, --quiet', "hide the steps' log lines")
    .action(async (runId: string, flags: RunFlags, command: Command) =>
      withStack(command, async (stack) => {
        const result = await runInteractive(flags, (signal, onEvent) =>
          resumeRun(stack, runId, { signal, onEvent, load: async (file, params) => compilePipeline(await loadPipelineFile(file), params) }),
        );
        process.exitCode = EXIT_FOR_STATUS[result.status];
      }),
    );

  const runs = program.command('runs').description('pipeline runs (list, show, logs) and tracked runs (search, compare)');
  registerTrackedRunCommands(program, runs);
  runs
    .command('list')
    .description('list recent runs, newest first')
    .option('--pipeline <name>', 'only runs of this pipeline')
    .option('--limit <n>', 'how many', integer('--limit', 1, 100_000), 20)
    .option('--json', 'print JSON')
    .action(async (flags: { pipeline?: string; limit: number; json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const list = await listRuns(stack, flags);
        if (flags.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write('no runs yet (start one with `flywheel run <pipeline-file>`)\n');
        printTable(
          ['run', 'pipeline', 'status', 'started', 'duration'],
          list.map((r) => [r.runId, r.pipeline, r.status, formatTime(r.startedAt), r.durationMs === null ? '-' : formatDuration(r.durationMs)]),
        );
      }),
    );

  runs
    .command('show <run-id>')
    .description('show a run: its steps, their states, timings, outputs and errors')
    .option('--json', 'print JSON')
    .action(async (runId: string, flags: { json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const detail = await showRun(stack, runId);
        if (flags.json) return printJson(detail);
        const { run, steps } = detail;
        process.stdout.write(`${run.runId}  pipeline ${run.pipeline}  ${run.status}  started ${formatTime(run.startedAt)}` +
          `${run.durationMs === null ? '' : `  took ${formatDuration(run.durationMs)}`}\n`);
        if (run.pipelineFile) process.stdout.write(`file ${run.pipelineFile}  params ${JSON.stringify(run.params)}\n`);
        if (run.trackedRunId) process.stdout.write(`tracked run ${run.trackedRunId} (its steps are child runs: flywheel runs search -f "tags.\`mlflow.parentRunId\` = '${run.trackedRunId}'")\n`);
        if (run.error) process.stdout.write(`error: ${run.error}\n`);
        process.stdout.write('\n');
        printTable(
          ['step', 'state', 'execution', 'duration', 'outputs'],
          steps.map((s) => [
            s.step,
            s.state,
            s.executionId,
            s.durationMs === null ? '-' : formatDuration(s.durationMs),
            s.outputs.map((o) => `${o.name}=${o.type}#${o.artifactId} ${o.digest?.slice(0, 10) ?? ''}`).join(', ') || '-',
          ]),
        );
        for (const s of steps.filter((x) => x.error)) process.stdout.write(`\n${s.step}: ${s.error}\n`);
      }),
    );

  runs
    .command('logs <run-id> <step>')
    .description("print a step's stored log")
    .action(async (runId: string, step: string, _flags: unknown, command: Command) =>
      withStack(command, async (stack) => {
        const { steps } = await showRun(stack, runId);
        const found = steps.filter((s) => s.step === step).at(-1);
        if (!found) throw new NotFoundError('step', step, `steps of ${runId}: ${steps.map((s) => s.step).join(', ')}`);
        if (!found.logDigest) return void process.stdout.write(`(step ${step} logged nothing)\n`);
        process.stdout.write(await stack.artifacts.readBytes(found.logDigest));
      }),
    );
}

async function runInteractive(
  flags: RunFlags,
  start: (signal: AbortSignal, onEvent: ReturnType<typeof progressPrinter> | undefined) => Promise<RunResult>,
): Promise<RunResult> {
  const interrupt = cancelOnInterrupt(() => process.stderr.write('\ncanceling… (Ctrl-C again to exit at once)\n'));
  try {
    const result = await start(interrupt.signal, flags.json ? undefined : progressPrinter({ logs: !flags.quiet }));
    if (flags.json) printJson(result);
    return result;
  } finally {
    interrupt.dispose();
  }
}

export interface RunSummary {
  runId: string;
  pipeline: string;
  status: string;
  startedAt: Date | null;
  durationMs: number | null;
  pipelineFile: string | null;
  params: JsonValue;
  error: string | null;
  /** The tracked run recording it (steps are its child runs), for `flywheel runs compare`. */
  trackedRunId: string | null;
}

async function listRuns(stack: Stack, flags: { pipeline?: string; limit: number }): Promise<RunSummary[]> {
  let parentId: number | undefined;
  if (flags.pipeline) {
    const pipeline = await stack.metadata.findContext('pipeline', flags.pipeline);
    if (!pipeline) throw new NotFoundError('pipeline', flags.pipeline, 'list runs of every pipeline with `flywheel runs list`');
    parentId = pipeline.id;
  }
  const contexts = await stack.metadata.findContexts({ type: 'pipeline_run', parentId, limit: flags.limit, order: 'desc' });
  const pipelines = new Map<number, string>();
  return Promise.all(contexts.map(async (context) => {
    let pipeline = context.parentId === null ? '-' : pipelines.get(context.parentId);
    if (pipeline === undefined && context.parentId !== null) {
      pipeline = (await stack.metadata.getContext(context.parentId)).name;
      pipelines.set(context.parentId, pipeline);
    }
    return summarize(context.name, pipeline ?? '-', context.properties);
  }));
}

function summarize(runId: string, pipeline: string, p: JsonObject): RunSummary {
  const startedAt = typeof p.startedAt === 'string' ? new Date(p.startedAt) : null;
  const endedAt = typeof p.endedAt === 'string' ? new Date(p.endedAt) : null;
  return {
    runId,
    pipeline,
    status: String(p.status ?? 'unknown'),
    startedAt,
    durationMs: startedAt && endedAt ? endedAt.getTime() - startedAt.getTime() : null,
    pipelineFile: typeof p.pipelineFile === 'string' ? p.pipelineFile : null,
    params: p.params ?? {},
    error: typeof p.error === 'string' ? p.error : null,
    trackedRunId: typeof p.trackedRunId === 'string' ? p.trackedRunId : null,
  };
}

async function showRun(stack: Stack, runId: string) {
  const context = await stack.metadata.findContext('pipeline_run', runId);
  if (!context) throw new NotFoundError('run', runId, 'list runs with `flywheel runs list`');
  const pipeline = context.parentId === null ? '-' : (await stack.metadata.getContext(context.parentId)).name;
  const executions = await stack.metadata.findExecutions({ contextId: context.id, order: 'asc' });
  const events = executions.length === 0 ? [] : await stack.metadata.findEvents({ executionIds: executions.map((e) => e.id), kind: 'output' });
  const artifacts = new Map(
    (events.length === 0 ? [] : await stack.metadata.findArtifacts({ ids: [...new Set(events.map((e) => e.artifactId))] })).map((a) => [a.id, a]),
  );
  const steps = executions.map((e) => ({
    step: e.name ?? e.type,
    component: e.type,
    executionId: e.id,
    state: e.state,
    startedAt: e.startedAt,
    durationMs: e.startedAt && e.endedAt ? e.endedAt.getTime() - e.startedAt.getTime() : null,
    error: e.error,
    logDigest: typeof e.properties.logDigest === 'string' ? e.properties.logDigest : null,
    result: e.properties.result ?? null,
    outputs: events
      .filter((ev) => ev.executionId === e.id)
      .map((ev) => ({ name: ev.name, artifactId: ev.artifactId, type: artifacts.get(ev.artifactId)?.type ?? '?', digest: artifacts.get(ev.artifactId)?.digest ?? null, uri: artifacts.get(ev.artifactId)?.uri ?? null })),
  }));
  return { run: summarize(runId, pipeline, context.properties), steps };
}
