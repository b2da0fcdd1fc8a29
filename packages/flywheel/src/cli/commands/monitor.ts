import type { Command } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import type { LabelIngestResult, LabelRejectionReason } from '../../monitoring/label-store.js';
import { withStack } from '../context.js';
import { printJson } from '../output.js';
import { withProgress } from '../progress.js';
import { registerMonitorReportCommand } from './monitor-report.js';
import { registerMonitorWindowsCommand } from './monitor-windows.js';

/**
 * `flywheel monitor …`: watch served models in production. Each subcommand registers itself on
 * the group; the monitoring module loads only when one of them runs, so `flywheel --help` stays fast.
 */
export function registerMonitorCommand(program: Command): void {
  const monitor = program.command('monitor').description('live model monitoring: delayed labels, windowed performance and drift');
  registerLabels(monitor);
  registerMonitorWindowsCommand(monitor);
  registerMonitorReportCommand(monitor);
}

interface LabelsFlags {
  idColumn: string;
  labelColumn: string;
  rowColumn: string;
  json?: boolean;
}

const FLAGS: Record<string, string> = { idColumn: '--id-column', labelColumn: '--label-column', rowColumn: '--row-column' };

/** ingestLabels names its options in errors; the person at the terminal typed flags. */
function naming(error: unknown): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  const flag = FLAGS[error.field];
  if (flag === undefined) return error;
  return new InvalidInputError(flag, error.message.slice(error.field.length + 2), error.hint && `${error.hint} with ${flag}`);
}

const REASONS: Record<LabelRejectionReason, string> = { unknown: 'unknown prediction id', duplicate: 'duplicate', invalid: 'invalid' };

function registerLabels(monitor: Command): void {
  monitor
    .command('labels')
    .description('add delayed labels (ground truth) for logged predictions, matched by prediction id and row; '
      + 'invalid, unknown and duplicate labels are counted and left out')
    .argument('<file>', 'labels: CSV, Parquet, JSON or NDJSON with a prediction id, a label (a number, true/false) and optionally a row per line')
    .option('--id-column <name>', 'the column with the prediction id', 'prediction_id')
    .option('--label-column <name>', 'the column with the label', 'label')
    .option('--row-column <name>', 'the column with the row within the request; without it, every label is for row 0', 'row')
    .option('--json', 'print the result as JSON (fields: accepted, rejected, segment, examples)')
    .action(async (file: string, flags: LabelsFlags, command: Command) =>
      withStack(command, async (stack) => {
        const { ingestLabels } = await import('../../monitoring/label-store.js');
        const result = await withProgress(`ingesting labels from ${file}`, () =>
          ingestLabels({ home: stack.home, file, idColumn: flags.idColumn, labelColumn: flags.labelColumn, rowColumn: flags.rowColumn }),
        ).catch((error: unknown) => {
          throw naming(error);
        });
        if (flags.json) printJson({ ...result, segment: result.segment ?? null });
        else printLabels(result);
      }),
    );
}

function printLabels(result: LabelIngestResult): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  const rejected = Object.values(result.rejected).reduce((a, b) => a + b, 0);
  const reasons = (Object.keys(REASONS) as LabelRejectionReason[]).filter((reason) => result.rejected[reason] > 0)
    .map((reason) => `${REASONS[reason]} ${result.rejected[reason]}`);
  out(`accepted ${result.accepted} label${result.accepted === 1 ? '' : 's'}; rejected ${rejected}${reasons.length > 0 ? ` (${reasons.join(', ')})` : ''}`);
  if (result.segment !== undefined) out(`stored in ${result.segment}`);
  if (result.examples.length === 0) return;
  out('first rejected:');
  for (const example of result.examples) {
    const where = `${example.predictionId === null ? '(no prediction id)' : example.predictionId}${example.row === null ? '' : ` row ${example.row}`}`;
    out(`  ${where} — ${REASONS[example.reason]}: ${example.detail}`);
  }
}
