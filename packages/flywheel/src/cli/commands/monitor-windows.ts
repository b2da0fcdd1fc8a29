import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { InvalidInputError } from '../../core/errors.js';
import type { ModelMonitoring } from '../../monitoring/monitor-model.js';
import type { DriftWindow } from '../../monitoring/window-drift.js';
import { withStack } from '../context.js';
import { positiveInteger } from '../options.js';
import { printJson } from '../output.js';

interface WindowsFlags {
  window: number;
  since?: Date;
  until?: Date;
  threshold?: number;
  minRows?: number;
  json?: boolean;
}

/** `flywheel monitor windows <model>`: live performance and drift, window by window. */
export function registerMonitorWindowsCommand(monitor: Command): void {
  monitor
    .command('windows <model>')
    .description('live performance (from delayed labels), input drift against the training data and prediction drift, per window and model version')
    .option('--window <duration>', 'window length: 30m, 6h, 1d, 1w …', (v) => parseDuration(v, '--window'), 86_400_000)
    .option('--since <time>', 'first window from this time (ISO 8601)', (v) => parseTime(v, '--since'))
    .option('--until <time>', 'up to this time (ISO 8601)', (v) => parseTime(v, '--until'))
    .option('--threshold <p>', 'a classifier predicts positive above this probability (default 0.5)', parseProbability)
    .option('--min-rows <n>', 'windows with fewer predictions get no drift test (default 100)', positiveInteger)
    .option('--json', 'print everything as JSON, drift reports included')
    .addHelpText('after', '\nExample:\n  flywheel monitor windows flights-delay --window 1d --since 2001-02-01')
    .action(async (model: string, flags: WindowsFlags, command: Command) =>
      withStack(command, async (stack) => {
        const { monitorModel } = await import('../../monitoring/monitor-model.js');
        const report = await monitorModel(stack, {
          model,
          windowMs: flags.window,
          ...(flags.since ? { since: flags.since } : {}),
          ...(flags.until ? { until: flags.until } : {}),
          ...(flags.threshold === undefined ? {} : { threshold: flags.threshold }),
          ...(flags.minRows === undefined ? {} : { minRows: flags.minRows }),
        });
        if (flags.json) return printJson(report);
        process.stdout.write(describeMonitoring(report));
      }),
    );
}

/** The windows as a table: one line per window and version. */
export function describeMonitoring(report: ModelMonitoring): string {
  if (report.performance.length === 0) return `no predictions of ${report.model} in the log for this range\n`;
  const driftOf = (list: ModelMonitoring['inputDrift'], version: number, start: number) =>
    list.find((d) => d.version === version)?.windows.find((w) => w.start.getTime() === start);
  const lines = [['window start', 'version', 'predictions', 'labeled', 'performance', 'input drift', 'prediction drift']];
  for (const w of report.performance) {
    const start = w.start.getTime();
    const metrics = w.problem ?? (w.task === 'regression' ? `rmse ${fmt(w.metrics.rmse)} mae ${fmt(w.metrics.mae)}` : w.labeled > 0 ? `auc ${fmt(w.metrics.auc)} acc ${fmt(w.metrics.accuracy)}` : '-');
    lines.push([
      w.start.toISOString().replace(':00.000Z', 'Z'), `v${w.version}`, String(w.predictions), String(w.labeled), metrics,
      describeDrift(driftOf(report.inputDrift, w.version, start)), describeDrift(driftOf(report.outputDrift, w.version, start)),
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const problems = [...report.inputDrift, ...report.outputDrift].filter((d) => d.problem).map((d) => `v${d.version}: ${d.problem}`);
  return `${lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')}\n${[...new Set(problems)].map((p) => `note: ${p}\n`).join('')}`;
}

function describeDrift(window: DriftWindow | undefined): string {
  if (!window) return '-';
  if (window.reference) return 'reference';
  if (!window.report) return 'too few rows';
  const { drifted, compared } = window.report.summary;
  const names = window.report.features.filter((f) => f.status === 'drifted').map((f) => f.name);
  return `${drifted}/${compared}${names.length > 0 ? ` (${names.join(', ')})` : ''}`;
}

function fmt(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : value.toFixed(3);
}

export function parseTime(value: string, field: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(field, `expected a time such as 2001-02-01 or 2001-02-01T06:00:00Z, got ${JSON.stringify(value)}`);
  return date;
}

function parseProbability(value: string): number {
  const p = Number(value);
  if (!(p > 0 && p < 1)) throw new InvalidInputError('--threshold', `expected a probability between 0 and 1, got ${JSON.stringify(value)}`);
  return p;
}
