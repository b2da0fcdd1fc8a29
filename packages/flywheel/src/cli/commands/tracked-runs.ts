import type { Command } from 'commander';
import { NotFoundError } from '../../core/errors.js';
import type { Stack } from '../../config/stack.js';
import type { Experiment, Run } from '../../tracking/model.js';
import { withStack } from '../context.js';
import { collect, integer } from '../options.js';
import { formatTime, printJson, printTable } from '../output.js';

/** Metric columns `runs search` shows when none are named. */
const DEFAULT_METRIC_COLUMNS = 6;

interface SearchFlags {
  experiment: string[];
  filter?: string;
  orderBy: string[];
  maxResults: number;
  pageToken?: string;
  column: string[];
  json?: boolean;
}

/**
 * Tracked runs (MLflow's model): `runs search` with the filter language, `runs compare` as a
 * table of params and metrics, and `experiments list`. Every pipeline run and step is a tracked
 * run, so a pipeline run id works wherever a run id is asked for.
 */
export function registerTrackedRunCommands(program: Command, runs: Command): void {
  runs
    .command('search')
    .description('search tracked runs (pipeline runs, their steps, and runs logged from code) with a filter, newest first')
    .option('-e, --experiment <name>', 'search this experiment (repeatable); all active experiments by default', collect, [])
    .option('-f, --filter <expr>', `e.g. "metrics.auc > 0.8 and params.depth = '6'" or "tags.\`flywheel.step\` = 'train'"`)
    .option('-o, --order-by <clause>', 'e.g. "metrics.auc DESC" (repeatable); start time, newest first, by default', collect, [])
    .option('-n, --max-results <n>', 'runs per page', integer('--max-results', 1, 50_000), 50)
    .option('--page-token <token>', 'the next page, as printed after a full page')
    .option('-c, --column <key>', 'show this column, e.g. metrics.auc or params.l2 (repeatable)', collect, [])
    .option('--json', 'print JSON: { runs, nextPageToken }')
    .addHelpText('after', `
Filter language (MLflow's): metrics.<key>, params.<key>, tags.<key> and attributes (status,
run_name, start_time, end_time, run_id) compared with = != < <= > >= LIKE ILIKE IN, joined by
"and". Keys with dots or spaces go in backticks: metrics.\`val auc\`.

Examples:
  flywheel runs search -e flights -f "metrics.auc > 0.65" -o "metrics.auc DESC"
  flywheel runs search -f "tags.\\\`flywheel.step\\\` = 'train'" -c params.l2 --json`)
    .action(async (flags: SearchFlags, command: Command) =>
      withStack(command, async (stack) => {
        const experiments = await selectExperiments(stack, flags.experiment);
        const page = await stack.tracking.store.searchRuns({
          experimentIds: experiments.map((e) => e.experimentId),
          filter: flags.filter,
          orderBy: flags.orderBy.length > 0 ? flags.orderBy : undefined,
          maxResults: flags.maxResults,
          pageToken: flags.pageToken,
        });
        if (flags.json) return printJson({ runs: page.items.map(runJson), nextPageToken: page.nextPageToken ?? null });
        if (page.items.length === 0) return void process.stdout.write('no runs match\n');
        const names = new Map(experiments.map((e) => [e.experimentId, e.name]));
        const columns = flags.column.length > 0 ? flags.column : defaultColumns(page.items);
        printTable(
          ['run', 'name', 'experiment', 'status', 'started', ...columns],
          page.items.map((run) => [
            run.info.runId,
            run.info.runName,
            names.get(run.info.experimentId) ?? run.info.experimentId,
            run.info.status,
            formatTime(new Date(run.info.startTime)),
            ...columns.map((column) => cell(run, column)),
          ]),
        );
        if (page.nextPageToken) process.stdout.write(`\nmore: --page-token ${page.nextPageToken}\n`);
      }),
    );

  runs
    .command('compare <run-id...>')
    .description('compare tracked runs side by side: params and latest metrics (a pipeline run id stands for its run)')
    .option('--diff', 'only rows whose values differ')
    .option('--json', 'print JSON: { runs, params, metrics } with one value per run (null when absent)')
    .addHelpText('after', `
Examples:
  flywheel runs compare 3f2a… 9c41… --diff
  flywheel runs compare run-lz3k9q2a-7f3c9e1b run-lz3kb0c1-1d2e3f4a`)
    .action(async (ids: string[], flags: { diff?: boolean; json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const compared = await Promise.all(ids.map((id) => findRun(stack, id)));
        const table = comparison(compared);
        if (flags.json) return printJson({ runs: compared.map((run) => ({ runId: run.info.runId, name: run.info.runName, status: run.info.status })), ...table });
        const rows = [
          ...Object.entries(table.params).map(([key, values]) => [`params.${key}`, values] as const),
          ...Object.entries(table.metrics).map(([key, values]) => [`metrics.${key}`, values] as const),
        ].filter(([, values]) => !flags.diff || new Set(values.map(String)).size > 1);
        printTable(
          ['', ...compared.map((run) => `${run.info.runName} (${run.info.runId.slice(0, 8)})`)],
          rows.map(([key, values]) => [key, ...values.map((value) => (typeof value === 'number' ? formatNumber(value) : value))]),
        );
      }),
    );

  runs
    .command('history <run-id> <metric>')
    .description("a metric's every point of a tracked run (e.g. a training loss by epoch), in order")
    .option('--json', 'print JSON: [{ step, value, timestamp }]')
    .addHelpText('after', `
Examples:
  flywheel runs history 3f2a9c0e… loss
  flywheel runs history run-lz3k9q2a-7f3c9e1b auc --json   # a pipeline run id stands for its run`)
    .action(async (id: string, metric: string, flags: { json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const run = await findRun(stack, id);
        const points = [];
        let pageToken: string | undefined;
        do {
          const page = await stack.tracking.store.getMetricHistory(run.info.runId, metric, { maxResults: 10_000, pageToken });
          points.push(...page.items);
          pageToken = page.nextPageToken;
        } while (pageToken !== undefined);
        if (flags.json) return printJson(points.map(({ step, value, timestamp }) => ({ step, value, timestamp })));
        if (points.length === 0) {
          const logged = run.data.metrics.map((m) => m.key).join(', ') || 'none';
          return void process.stdout.write(`run ${run.info.runId} has no metric ${JSON.stringify(metric)} (its metrics: ${logged})\n`);
        }
        printTable(['step', metric, 'time'], points.map((p) => [p.step, formatNumber(p.value), formatTime(new Date(p.timestamp))]));
      }),
    );

  program
    .command('experiments')
    .description('tracking experiments: one per pipeline, plus those runs are logged to from code')
    .command('list')
    .description('list active experiments, newest first')
    .option('--json', 'print JSON')
    .action(async (flags: { json?: boolean }, command: Command) =>
      withStack(command, async (stack) => {
        const experiments = await allExperiments(stack);
        if (flags.json) return printJson(experiments.map((e) => ({ experimentId: e.experimentId, name: e.name, creationTime: e.creationTime })));
        printTable(['id', 'name', 'created'], experiments.map((e) => [e.experimentId, e.name, formatTime(new Date(e.creationTime))]));
      }),
    );
}

async function allExperiments(stack: Stack): Promise<Experiment[]> {
  const experiments: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await stack.tracking.store.searchExperiments({ maxResults: 1000, pageToken });
    experiments.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return experiments;
}

async function selectExperiments(stack: Stack, names: readonly string[]): Promise<Experiment[]> {
  const experiments = await allExperiments(stack);
  if (names.length === 0) return experiments;
  return names.map((name) => {
    const found = experiments.find((e) => e.name === name);
    if (!found) throw new NotFoundError('experiment', name, `experiments: ${experiments.map((e) => e.name).join(', ') || 'none yet'}`);
    return found;
  });
}

/** A tracked run by its id, or the run of a pipeline run by the pipeline run's id. */
async function findRun(stack: Stack, id: string): Promise<Run> {
  const context = await stack.metadata.findContext('pipeline_run', id);
  const tracked = context?.properties.trackedRunId;
  return stack.tracking.store.getRun(typeof tracked === 'string' ? tracked : id);
}

type Values = (string | number | null)[];

/** Every param and latest metric of the runs, keyed, one value per run in order (null when absent). */
export function comparison(runs: readonly Run[]): { params: Record<string, Values>; metrics: Record<string, Values> } {
  const params: Record<string, Values> = {};
  const metrics: Record<string, Values> = {};
  runs.forEach((run, i) => {
    for (const { key, value } of run.data.params) (params[key] ??= new Array<null>(runs.length).fill(null))[i] = value;
    for (const { key, value } of run.data.metrics) (metrics[key] ??= new Array<null>(runs.length).fill(null))[i] = value;
  });
  return { params: sortKeys(params), metrics: sortKeys(metrics) };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function defaultColumns(runs: readonly Run[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const metric of run.data.metrics) keys.add(`metrics.${metric.key}`);
  return [...keys].sort().slice(0, DEFAULT_METRIC_COLUMNS);
}

function cell(run: Run, column: string): string | undefined {
  const dot = column.indexOf('.');
  const [kind, key] = dot < 0 ? ['metrics', column] : [column.slice(0, dot), column.slice(dot + 1)];
  if (kind === 'metrics' || kind === 'metric') {
    const value = run.data.metrics.find((m) => m.key === key)?.value;
    return value === undefined ? undefined : formatNumber(value);
  }
  if (kind === 'params' || kind === 'param') return run.data.params.find((p) => p.key === key)?.value;
  if (kind === 'tags' || kind === 'tag') return run.data.tags.find((t) => t.key === key)?.value;
  return undefined;
}

/** Six significant digits, without trailing zeros: 0.61, 120000, 3.14159e-7. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function runJson(run: Run): object {
  return {
    ...run.info,
    params: Object.fromEntries(run.data.params.map((p) => [p.key, p.value])),
    metrics: Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value])),
    tags: Object.fromEntries(run.data.tags.map((t) => [t.key, t.value])),
  };
}
