import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { DriftReport } from '../../data/drift/drift-format.js';
import type { DriftFailOn } from '../../data/drift/drift-component.js';
import type { DriftKind, DriftOptions } from '../../data/drift/options.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printTable } from '../output.js';
import { withProgress } from '../progress.js';
import { positiveInteger } from '../options.js';

interface DriftFlags {
  reference: string;
  current: string;
  kind?: DriftKind;
  options?: string;
  failOn: DriftFailOn;
  out?: string;
  json?: boolean;
  report?: string;
}

async function readOptions(path: string): Promise<DriftOptions> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new NotFoundError('options file', path);
    throw error;
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError('--options', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  // The fields are checked by detectDrift, which names the bad one.
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidInputError('--options', `${path} must hold a JSON object`);
  return value as DriftOptions;
}

function round(value: number | null): string {
  if (value === null) return '-';
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential(2) : String(Number(value.toPrecision(3)));
}

function printDrift(report: DriftReport): void {
  const { summary } = report;
  process.stdout.write(`${report.kind}: ${summary.drifted} of ${summary.compared} compared features (${(summary.share * 100).toFixed(1)}%); `
    + `dataset ${summary.datasetDrift ? 'DRIFTED' : 'stable'} (limit ${(report.settings.driftShare * 100).toFixed(0)}%)\n`);
  printTable(['feature', 'kind', 'status', 'test', 'statistic', 'p-value', 'distances'], report.features.map((f) => {
    if (f.status === 'not_compared') return [f.name, f.kind, 'not compared', '-', '-', '-', f.description];
    const effects = f.checks.filter((c) => c.role === 'effect').map((c) => `${c.test} ${round(c.value)}${c.met ? '*' : ''}`).join(' ');
    if (f.kind === 'numeric') {
      const { ks } = f.numeric.tests;
      return [f.name, f.kind, f.status, `KS (${ks.method})`, round(ks.statistic), round(ks.pValue), effects];
    }
    const { chiSquare } = f.categorical.tests;
    return [f.name, f.kind, f.status, `chi-square (${chiSquare.dof} dof)`, round(chiSquare.statistic), round(chiSquare.pValue), effects];
  }));
  process.stdout.write('(* a distance at or above its threshold)\n');
}

/**
 * `flywheel data drift --reference A --current B`: per-feature drift (or training/serving skew)
 * between two data files or drift profiles, and `flywheel data drift-profile`: the profile of a
 * data file to compare later ones with. The drift module loads only when a command runs.
 */
export function registerDataDriftCommand(data: Command): void {
  data
    .command('drift')
    .description('compare every column of --current with the same column of --reference; exits with 1 when the drift fails --fail-on')
    .requiredOption('--reference <file>', 'the baseline: a data file (Parquet, CSV, JSON) or a drift profile (from `data drift-profile`)')
    .requiredOption('--current <file>', 'the data to check: a data file or a drift profile')
    .addOption(new Option('--kind <kind>', 'drift (the same feature over time, the default) or skew (training vs serving data): picks the default thresholds').choices(['drift', 'skew']))
    .option('--options <options.json>', 'thresholds and settings as JSON, e.g. {"numeric":{"psi":0.1},"features":{"id":{"ignore":true}}} (see docs/drift.md)')
    .addOption(new Option('--fail-on <when>', 'exit with 1 when the dataset drifts, when any feature drifts, or never').choices(['dataset', 'feature', 'never']).default('dataset'))
    .option('-o, --out <drift.json>', 'write the drift report (flywheel.drift/v1) here')
    .option('--json', 'print the drift report with `failed` and `failOn` added, instead of a table')
    .option('--report <drift.html>', 'also write an HTML report')
    .action(async (flags: DriftFlags) => {
      const { detectDrift } = await import('../../data/drift/detect-drift.js');
      const { driftFails } = await import('../../data/drift/drift-component.js');
      const { writeJsonFile } = await import('../../data/format-file.js');
      const options: DriftOptions = flags.options ? await readOptions(flags.options) : {};
      if (flags.kind) options.kind = flags.kind;
      const report = await withProgress(`comparing ${flags.current} with ${flags.reference}`, () => detectDrift({ reference: flags.reference, current: flags.current, options }));
      if (flags.out) await writeJsonFile(flags.out, report);
      if (flags.report) {
        const { renderDriftReport, writeReport } = await import('../../data/report/index.js');
        await writeReport(renderDriftReport(report), flags.report);
      }
      const failed = driftFails(report, flags.failOn);
      if (failed) process.exitCode = EXIT.failed;
      if (flags.json) return printJson({ failed, failOn: flags.failOn, ...report });
      printDrift(report);
      if (flags.out) process.stdout.write(`wrote ${flags.out}\n`);
      if (flags.report) process.stdout.write(`wrote ${flags.report}\n`);
    });

  data
    .command('drift-profile')
    .description('what `data drift` needs of a data file, so that comparisons with it never scan it again')
    .argument('<file>', 'a data file (Parquet, CSV, JSON)')
    .requiredOption('-o, --out <profile.json>', 'write the drift profile (flywheel.drift-profile/v1) here')
    .option('--bins <n>', 'PSI bins, as `data drift` uses (default 10)', positiveInteger)
    .option('--max-distinct-values <n>', 'numeric and text columns with at most this many distinct values are stored exactly (default 10000)', positiveInteger)
    .option('--quantiles <n>', 'groups a numeric column with more distinct values is summarised into (default 10000)', positiveInteger)
    .action(async (file: string, flags: { out: string; bins?: number; maxDistinctValues?: number; quantiles?: number }) => {
      const { computeDriftProfile } = await import('../../data/drift/drift-profile.js');
      const { writeJsonFile } = await import('../../data/format-file.js');
      const profile = await withProgress(`profiling ${file}`, () => computeDriftProfile(file, { bins: flags.bins, maxDistinctValues: flags.maxDistinctValues, quantiles: flags.quantiles }));
      await writeJsonFile(flags.out, profile);
      const summarised = profile.columns.filter((c) => c.kind === 'numeric' && c.numeric && !c.numeric.distribution.exact).map((c) => c.name);
      process.stdout.write(`wrote ${flags.out}: ${profile.rows} rows × ${profile.columns.length} columns`
        + `${summarised.length > 0 ? `; summarised (KS and Wasserstein against it are approximate, see the error bounds): ${summarised.join(', ')}` : ''}\n`);
    });
}
