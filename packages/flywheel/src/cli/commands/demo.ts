import type { Command } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from '../../config/stack.js';
import { InvalidInputError } from '../../core/errors.js';
import { quoteLiteral, withDuckDb } from '../../data/duckdb.js';
import { sampleDataPath } from '../../data/sample-data.js';
import { FLIGHTS_MODEL, flightsPipeline } from '../../demo/flights-pipeline.js';
import { blessingSchema } from '../../evaluate/blessing.js';
import { compilePipeline } from '../../pipeline/ir.js';
import type { RunResult } from '../../pipeline/run-events.js';
import { runPipeline } from '../../pipeline/runner.js';
import { startPredictionServer } from '../../serving/prediction-server.js';
import { projectDir, withStack } from '../context.js';
import { EXIT_FOR_STATUS } from '../exit-codes.js';
import { cancelOnInterrupt } from '../interrupt.js';
import { progressPrinter } from '../progress.js';

const PIPELINE_FILE = fileURLToPath(new URL('../../demo/flights-pipeline.ts', import.meta.url));

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the continuous-training loop on 3M real US flights (2001): a model trained on January serves February to June as replayed traffic; monitoring, alerts, scheduled and triggered retraining, canary rollouts, an HTML report')
    .option('--traffic <share>', 'share of the flights replayed as prediction requests (0–0.2)', parseShare, 0.01)
    .option('--until <date>', 'replay up to this day of 2001 (after 2001-02-08, at most 2001-07-01)', parseUntil)
    .option('--train-sample <share>', 'share of the flights each retraining learns from (0–1)', (v) => parseShareOf(v, '--train-sample', 1), 0.5)
    .option('--report <file>', 'where the HTML report goes', 'flywheel-demo-report.html')
    .option('--once', 'instead: one pipeline run (train on --month, evaluate on the next, register, serve one request)')
    .option('--month <n>', 'with --once: month of 2001 to train on (1–5); the next month is the evaluation data', parseMonth, 1)
    .option('--days <n>', 'with --once: use only the first N days of each month (a quicker, smaller run)', parseDays)
    .option('--trainer <name>', 'with --once: gbdt (gradient-boosted trees) or logistic (logistic regression)', parseTrainer, 'gbdt' as Trainer)
    .option('-q, --quiet', "hide the steps' log lines")
    .addHelpText('after', '\nExamples:\n  flywheel demo\n  flywheel demo --traffic 0.02 --report loop.html\n  flywheel demo --once --month 2 --days 3')
    .action(async (flags: DemoFlags, command: Command) =>
      withStack(command, async (stack) => (flags.once ? runOnce(stack, flags) : runLoop(stack, flags, resolve(projectDir(command), flags.report)))),
    );
}

interface DemoFlags {
  traffic: number;
  until?: Date;
  trainSample: number;
  report: string;
  once?: boolean;
  month: number;
  days?: number;
  trainer: Trainer;
  quiet?: boolean;
}

const say = (text: string) => process.stdout.write(`${text}\n`);

async function runLoop(stack: Stack, flags: DemoFlags, reportFile: string): Promise<void> {
  const { runLoopDemo } = await import('../../demo/loop-demo.js');
  const { describeTimeline } = await import('../../demo/loop-demo-timeline.js');
  const { writeLoopDemoReport } = await import('../../demo/loop-demo-report.js');
  say('Flywheel demo: the continuous-training loop on real US flights of 2001, predicting delays over 15 minutes.');
  say(`A first model learns from January; then February to June are replayed as production traffic (${(flags.traffic * 100).toFixed(1)}% of the flights),`);
  say('their true delays arriving as labels a day later. The controller monitors weekly windows, alerts, retrains on a monthly');
  say('schedule and on alerts, judges each challenger against the champion on the newest labeled week, canaries it, and promotes');
  say(`or rolls back. Project state: ${stack.home}\n`);
  const started = performance.now();
  const result = await runLoopDemo(stack, {
    traffic: flags.traffic,
    trainSample: flags.trainSample,
    ...(flags.until ? { until: flags.until } : {}),
    onNote: (note) => say(`  ${note.at.slice(0, 10)}  ${note.text}`),
    onProgress: flags.quiet ? undefined : (line) => say(`  · ${line}`),
  });
  if (result.resumedAt === 'finished') say('This project\'s replay had already ended; its timeline and report again (a new folder replays anew):\n');
  else say(`\n${result.resumedAt ? `Resumed the replay at ${result.resumedAt.slice(0, 10)}, where an earlier run stopped. ` : ''}Replayed ${result.requests} requests and ${result.labels} labels in ${((performance.now() - started) / 1000).toFixed(0)} s.\n`);
  say(await describeTimeline(stack, result.notes));
  await writeLoopDemoReport(stack, result, reportFile);
  say(`\nReport: ${reportFile}`);
  say(`Next: \`npx flywheel status\`, \`npx flywheel monitor windows ${FLIGHTS_MODEL} --window 7d\`, \`npx flywheel lineage prediction <id>\`, \`npx flywheel serve ${FLIGHTS_MODEL}@champion\`.`);
}

async function runOnce(stack: Stack, flags: DemoFlags): Promise<void> {
  const params = { month: flags.month, trainer: flags.trainer, ...(flags.days === undefined ? {} : { days: flags.days }) };
  say(`Flywheel demo: predict whether a US flight is delayed by more than 15 minutes.`);
  say(`Training ${flags.trainer === 'gbdt' ? 'gradient-boosted trees' : 'a logistic regression'} on month ${flags.month} of 2001, ` +
    `evaluating on month ${flags.month + 1}${flags.days ? ` (first ${flags.days} days of each)` : ''}.`);
  say(`Project state: ${stack.home}\n`);

  const compiled = compilePipeline(flightsPipeline, params);
  const interrupt = cancelOnInterrupt(() => process.stderr.write('\ncanceling… (Ctrl-C again to exit at once)\n'));
  const result = await runPipeline(stack, compiled, {
    pipelineFile: PIPELINE_FILE,
    signal: interrupt.signal,
    onEvent: progressPrinter({ logs: !flags.quiet }),
  }).finally(() => interrupt.dispose());
  if (result.status !== 'complete') {
    process.exitCode = EXIT_FOR_STATUS[result.status];
    return;
  }
  await showEvaluation(stack, result, say);
  await showVerdict(stack, result, say);
  await showRegistry(stack, say);
  await servePrediction(stack, flags.month + 1, say);
  say(`\nNext: \`npx flywheel runs show ${result.runId}\`, \`npx flywheel models show ${FLIGHTS_MODEL}\`, ` +
    `\`npx flywheel demo --once --month ${Math.min(flags.month + 1, 5)}\`, \`npx flywheel serve ${FLIGHTS_MODEL}@champion\`.`);
}

interface EvaluationReport {
  auc: number | null;
  prAuc: number | null;
  brierScore: number | null;
  confusionMatrix?: { threshold: number; tp: number; fp: number; tn: number; fn: number };
  slices: { name: string; slices: { key: string; rowCount: number; sufficient: boolean; metrics: { auc: number | null } }[] }[];
  fairness: { slice: string; metric: string; gap: number | null; min: { key: string; value: number } | null; max: { key: string; value: number } | null }[];
}

/** The candidate's evaluation at a glance: the headline metrics, AUC by slice and the gap across origins. */
async function showEvaluation(stack: Stack, result: RunResult, say: (text: string) => void): Promise<void> {
  const metrics = result.steps.evaluate?.outputs.metrics;
  if (!metrics?.digest) return;
  const report = JSON.parse((await stack.artifacts.readBytes(metrics.digest)).toString('utf8')) as EvaluationReport;
  const fmt = (value: number | null) => (value === null ? '-' : value.toFixed(3));
  say(`
Evaluation on the next month: auc ${fmt(report.auc)}, pr auc ${fmt(report.prAuc)}, brier ${fmt(report.brierScore)}`);
  const matrix = report.confusionMatrix;
  if (matrix) say(`  at threshold ${matrix.threshold}: ${matrix.tp} true and ${matrix.fp} false alarms, ${matrix.fn} delays missed, ${matrix.tn} on-time flights right`);
  for (const slicing of report.slices) {
    const shown = slicing.slices.filter((slice) => slice.sufficient && slice.metrics.auc !== null).map((slice) => `${slice.key} ${fmt(slice.metrics.auc)}`);
    say(`  auc by ${slicing.name}: ${shown.slice(0, 6).join(', ')}${shown.length > 6 ? ', …' : ''}`);
  }
  for (const gap of report.fairness) {
    if (gap.min && gap.max) say(`  ${gap.metric} gap across ${gap.slice}: ${fmt(gap.gap)} (${gap.min.key} ${fmt(gap.min.value)} … ${gap.max.key} ${fmt(gap.max.value)})`);
  }
}

/** What this run decided: the blessing's reasons and whether `champion` moved. */
async function showVerdict(stack: Stack, result: RunResult, say: (text: string) => void): Promise<void> {
  const blessing = result.steps.evaluate?.outputs.blessing;
  const push = result.steps.push?.executionId;
  if (!blessing?.digest || push == null) return;
  const verdict = blessingSchema.parse(JSON.parse((await stack.artifacts.readBytes(blessing.digest)).toString('utf8')));
  const pushed = (await stack.metadata.getExecution(push)).properties.result as { version?: number; aliasMoved?: boolean } | undefined;
  say(`\nVerdict: ${verdict.blessed ? 'blessed' : 'not blessed'} — ${verdict.reasons.join('; ')}`);
  if (pushed?.version !== undefined) say(`  registered as v${pushed.version}; champion ${pushed.aliasMoved ? `moved to v${pushed.version}` : 'not moved'}`);
}

async function showRegistry(stack: Stack, say: (text: string) => void): Promise<void> {
  const champion = await stack.registry.findAlias(FLIGHTS_MODEL, 'champion');
  const versions = await stack.registry.listVersions(FLIGHTS_MODEL);
  say(`Registry: ${FLIGHTS_MODEL} has ${versions.length} version(s); champion is v${champion?.version ?? '-'}` +
    (champion ? ` (auc ${champion.metrics.auc?.toFixed(4) ?? '-'})` : ''));
}

/** Serves the champion over HTTP on a free loopback port and asks it about one real flight. */
async function servePrediction(stack: Stack, month: number, say: (text: string) => void): Promise<void> {
  const flight = await withDuckDb(async (db) => {
    const reader = await db.runAndReadAll(
      `SELECT distance::DOUBLE AS distance, hour(date)::DOUBLE AS hour, dayofweek(date)::DOUBLE AS dow, origin, destination, delay::DOUBLE AS delay ` +
        `FROM read_parquet(${quoteLiteral(sampleDataPath('flights-3m.parquet'))}) WHERE month(date) = ${month} AND hour(date) BETWEEN 16 AND 18 LIMIT 1`,
    );
    return reader.getRowObjectsJS()[0] as { distance: number; hour: number; dow: number; origin: string; destination: string; delay: number };
  });
  const server = await startPredictionServer({ stack, models: [{ name: FLIGHTS_MODEL, ref: 'champion' }] });
  try {
    const { delay, ...features } = flight;
    const body = JSON.stringify({ model: FLIGHTS_MODEL, instances: [features] });
    say(`\nServing ${FLIGHTS_MODEL}@champion at ${server.url}`);
    say(`  POST ${server.url}/predict ${body}`);
    const response = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    say(`  ${response.status} ${await response.text()}`);
    say(`  (this flight was in fact delayed ${delay} minutes)`);
  } finally {
    await server.close();
  }
}

type Trainer = 'gbdt' | 'logistic';

function parseTrainer(value: string): Trainer {
  if (value !== 'gbdt' && value !== 'logistic') throw new InvalidInputError('--trainer', `expected gbdt or logistic, got ${JSON.stringify(value)}`);
  return value;
}

function parseMonth(value: string): number {
  const month = Number(value);
  if (!Number.isInteger(month) || month < 1 || month > 5) throw new InvalidInputError('--month', `expected 1–5 (the data covers January–June 2001), got ${JSON.stringify(value)}`);
  return month;
}

function parseDays(value: string): number {
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 31) throw new InvalidInputError('--days', `expected 1–31, got ${JSON.stringify(value)}`);
  return days;
}

function parseShare(value: string): number {
  return parseShareOf(value, '--traffic', 0.2);
}

function parseShareOf(value: string, field: string, max: number): number {
  const share = Number(value);
  if (!(share > 0 && share <= max)) throw new InvalidInputError(field, `expected a share of the flights above 0 and at most ${max}, got ${JSON.stringify(value)}`);
  return share;
}

function parseUntil(value: string): Date {
  const day = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(day.getTime()) || day < new Date(Date.UTC(2001, 1, 8)) || day > new Date(Date.UTC(2001, 6, 1))) {
    throw new InvalidInputError('--until', `expected a day from 2001-02-08 to 2001-07-01 (YYYY-MM-DD), got ${JSON.stringify(value)}`);
  }
  return day;
}
