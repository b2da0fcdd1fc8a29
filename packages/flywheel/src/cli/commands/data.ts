import { open } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { InvalidInputError } from '../../core/errors.js';
import type { IngestResult } from '../../data/ingest.js';
import type { CsvOptions } from '../../data/source-format.js';
import type { DatasetStatistics } from '../../data/statistics-format.js';
import type { FailOn } from '../../data/validate.js';
import { EXIT } from '../exit-codes.js';
import { registerDataDriftCommand } from './data-drift.js';
import { printJson, printTable } from '../output.js';
import { withProgress } from '../progress.js';
import { collect, positiveInteger } from '../options.js';

/**
 * `flywheel data …`: ingest files into a dataset, profile it, infer a schema, validate new data,
 * compare it with reference data for drift. The data module loads only when one of these commands
 * runs, so `flywheel --help` stays fast.
 */
export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('ingest, profile, validate and compare data: CSV, Parquet, JSON, Arrow → Parquet datasets');
  registerIngest(data);
  registerStats(data);
  registerSchema(data);
  registerValidate(data);
  registerDataDriftCommand(data);
}

function shareOf(value: string): number {
  const number = Number(value);
  if (!(number >= 0 && number <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1');
  return number;
}

/** `name=value` pairs (the value may contain `=`). */
function pairsOf(values: string[], flag: string): Record<string, string> {
  return Object.fromEntries(values.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new InvalidInputError(flag, `expected name=value, got ${JSON.stringify(pair)}`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }));
}

interface IngestFlags {
  out: string;
  query?: string;
  split?: string;
  format?: 'csv' | 'parquet' | 'json' | 'arrow';
  delimiter?: string;
  header?: boolean;
  columnType?: string[];
  encoding?: CsvOptions['encoding'];
  nullString?: string[];
  rejects?: string;
  maxRejectedShare?: number;
  json?: boolean;
}

function registerIngest(data: Command): void {
  data
    .command('ingest')
    .description('read data files (or a SQL query) into one Parquet dataset; unreadable rows go to a rejects file beside it')
    .argument('[source...]', 'data files or globs, all of one format (.csv .tsv .parquet .json .ndjson .jsonl .arrow .feather; .gz/.zst text)')
    .requiredOption('-o, --out <file.parquet>', 'the dataset to write (zstd Parquet)')
    .option('-q, --query <sql>', 'one SELECT over the table `source` (or over its own table functions when no source is given)')
    .option('--split <spec>', 'add a `split` column: random:0.8[,seed=42] | random:train=0.7,eval=0.2,test=0.1 | hash:<column>:0.8 | time:<column>:<timestamp>[,<timestamp>]')
    .addOption(new Option('--format <format>', 'the format of the sources, when their extensions do not tell').choices(['csv', 'parquet', 'json', 'arrow']))
    .option('--delimiter <char>', 'CSV: the field separator (detected by default)')
    .option('--no-header', 'CSV: the first line is data, not column names')
    .option('--column-type <name=TYPE>', 'CSV: a DuckDB type for a column, e.g. price=DECIMAL(10,2); repeatable; values that do not fit are rejected', collect)
    .addOption(new Option('--encoding <encoding>', 'CSV: the text encoding').choices(['utf-8', 'latin-1', 'utf-16']))
    .option('--null-string <text>', 'CSV: a text meaning "no value", e.g. NA; repeatable', collect)
    .option('--rejects <file.parquet>', 'where rejected rows go (default: beside --out, <name>.rejects.parquet)')
    .option('--max-rejected-share <share>', 'fail, writing no dataset, when more than this share of rows is rejected (default 1: never)', shareOf)
    .option('--json', 'print the result as JSON (fields: output, rowsRead, rowsWritten, rowsRejected, rowsFiltered, splits, columns, rejects, warnings)')
    .action(async (sources: string[], flags: IngestFlags) => {
      const { ingest } = await import('../../data/ingest.js');
      const csv: CsvOptions = {};
      if (flags.delimiter !== undefined) csv.delimiter = flags.delimiter;
      if (flags.header === false) csv.header = false;
      if (flags.columnType) csv.columnTypes = pairsOf(flags.columnType, '--column-type');
      if (flags.encoding !== undefined) csv.encoding = flags.encoding;
      if (flags.nullString) csv.nullStrings = flags.nullString;
      const result = await withProgress(`ingesting ${sources.length > 0 ? sources.join(' ') : 'the query'}`, () => ingest({
        source: sources.length > 0 ? sources : undefined,
        format: flags.format,
        csv: Object.keys(csv).length > 0 ? csv : undefined,
        query: flags.query,
        split: flags.split,
        output: flags.out,
        rejectsOutput: flags.rejects,
        maxRejectedShare: flags.maxRejectedShare,
      }));
      if (flags.json) printJson(result);
      else printIngest(result);
    });
}

function printIngest(result: IngestResult): void {
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out(`wrote ${result.output}: ${result.rowsWritten} rows × ${result.columns.length} columns (${result.columns.map((c) => `${c.name} ${c.type}`).join(', ')})`);
  out(`read ${result.rowsRead} rows: ${result.rowsWritten} written, ${result.rowsRejected} rejected, ${result.rowsFiltered} filtered by the query`);
  if (result.splits) {
    const total = Object.values(result.splits).reduce((a, b) => a + b, 0);
    out(`splits: ${Object.entries(result.splits).map(([name, n]) => `${name} ${n}${total > 0 ? ` (${((n / total) * 100).toFixed(1)}%)` : ''}`).join(', ')}`);
  }
  if (result.rejects.rows > 0) {
    out(`rejected rows are in ${result.rejects.path}; the first:`);
    for (const r of result.rejects.examples) {
      const where = r.file === null ? `row ${r.row}` : `${r.file}:${r.line}`;
      out(`  ${where}${r.column === null ? '' : ` column ${JSON.stringify(r.column)}`}: ${r.reason} — ${r.message}`);
    }
  }
  for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
}

interface StatsFlags {
  out?: string;
  json?: boolean;
  report?: string;
  reference?: string;
  split?: string;
  approximate: 'auto' | 'always' | 'never';
  topValues?: number;
  bins?: number;
  allValuesUpTo?: number;
  duplicates: boolean;
  memoryLimit?: string;
}

function registerStats(data: Command): void {
  data
    .command('stats')
    .description('profile a data file: counts, missing, distinct, moments, quantiles, histograms, top values, duplicates')
    .argument('<file>', 'a data file (Parquet, CSV, JSON, Arrow), usually one written by `data ingest`')
    .option('-o, --out <stats.json>', 'write the statistics document here (the reference profile for `data schema` and `data validate`)')
    .option('--json', 'print the statistics document (flywheel.statistics/v2, see docs/data.md) instead of a summary')
    .option('--report <stats.html>', 'also write an HTML report')
    .option('--reference <stats.json>', 'statistics to draw behind these in the HTML report')
    .option('--split <name>', 'only the rows of this split (a dataset ingested with --split)')
    .addOption(new Option('--approximate <when>', 'estimate distinct counts, quantiles and top values of high-cardinality columns with sketches').choices(['auto', 'always', 'never']).default('auto'))
    .option('--top-values <n>', 'most frequent values kept per text column (default 20)', positiveInteger)
    .option('--bins <n>', 'histogram bins per numeric column (default 20)', positiveInteger)
    .option('--all-values-up-to <n>', 'list every value of text columns with at most this many distinct values (default 1000)', positiveInteger)
    .option('--no-duplicates', 'skip counting duplicate rows (one hash per row)')
    .option('--memory-limit <size>', "DuckDB's memory limit, e.g. 2GB; it spills to disk beyond it")
    .action(async (file: string, flags: StatsFlags) => {
      const { computeStatistics } = await import('../../data/statistics.js');
      const { writeJsonFile } = await import('../../data/format-file.js');
      const statistics = await withProgress(`computing statistics of ${file}`, () => computeStatistics(file, {
        approximate: flags.approximate === 'auto' ? 'auto' : flags.approximate === 'always',
        topValues: flags.topValues,
        histogramBins: flags.bins,
        allValuesUpTo: flags.allValuesUpTo,
        duplicates: flags.duplicates,
        split: flags.split,
        memoryLimit: flags.memoryLimit,
      }));
      if (flags.out) await writeJsonFile(flags.out, statistics);
      if (flags.report) {
        const { readStatisticsFile } = await import('../../data/statistics-format.js');
        const { renderStatisticsReport, writeReport } = await import('../../data/report/index.js');
        const reference = flags.reference ? await readStatisticsFile(flags.reference) : undefined;
        await writeReport(renderStatisticsReport(statistics, { title: `Statistics of ${file}`, reference }), flags.report);
      }
      if (flags.json) return printJson(statistics);
      printStatistics(statistics);
      if (flags.out) process.stdout.write(`wrote ${flags.out}\n`);
      if (flags.report) process.stdout.write(`wrote ${flags.report}\n`);
    });
}

function printStatistics(statistics: DatasetStatistics): void {
  const duplicates = statistics.duplicateRows === null || statistics.duplicateRows === undefined ? '' : `, ${statistics.duplicateRows} duplicate rows`;
  process.stdout.write(`${statistics.rowCount} rows × ${statistics.columns.length} columns${duplicates}\n`);
  const share = (n: number) => (statistics.rowCount > 0 ? `${((n / statistics.rowCount) * 100).toFixed(1)}%` : '-');
  printTable(['column', 'type', 'missing', 'distinct', 'summary'], statistics.columns.map((c) => {
    let summary = '';
    if (c.kind === 'numeric' && c.numeric.min !== null) summary = `min ${c.numeric.min}  mean ${Number(c.numeric.mean!.toPrecision(6))}  max ${c.numeric.max}`;
    if (c.kind === 'categorical') summary = c.categorical.topValues.slice(0, 3).map((v) => `${JSON.stringify(v.value)} ${v.count}`).join('  ');
    if (c.kind === 'boolean') summary = `true ${c.boolean.trueCount}  false ${c.boolean.falseCount}`;
    if (c.kind === 'timestamp' && c.timestamp.min !== null) summary = `${c.timestamp.min} … ${c.timestamp.max}`;
    return [c.name, c.type, share(c.missing), `${c.distinctExact === false ? '≈' : ''}${c.distinct}`, summary];
  }));
}

/**
 * Statistics from a statistics document, or computed from a data file. A `.json` file is taken
 * for a statistics document when its first bytes carry the statistics format tag.
 */
async function statisticsFrom(path: string): Promise<DatasetStatistics> {
  const { readStatisticsFile } = await import('../../data/statistics-format.js');
  if (path.toLowerCase().endsWith('.json') && (await fileHead(path)).includes('"flywheel.statistics/')) return readStatisticsFile(path);
  const { computeStatistics } = await import('../../data/statistics.js');
  return withProgress(`computing statistics of ${path}`, () => computeStatistics(path));
}

async function fileHead(path: string): Promise<string> {
  const handle = await open(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new InvalidInputError('file', `${JSON.stringify(path)} does not exist`);
    throw error;
  });
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function registerSchema(data: Command): void {
  data
    .command('schema')
    .description('infer a schema (types, presence, ranges, domains) from statistics, to review and edit')
    .argument('<input>', 'a statistics document (from `data stats --out`) or a data file')
    .option('-o, --out <schema.json>', 'write the schema here (default: print it)')
    .option('--label <column>', 'the column a model predicts: expected in training data, not in serving requests')
    .option('--max-categories <n>', 'text columns with at most this many distinct values get a domain (default 500)', positiveInteger)
    .action(async (input: string, flags: { out?: string; label?: string; maxCategories?: number }) => {
      const { inferSchema } = await import('../../data/schema.js');
      const { writeJsonFile } = await import('../../data/format-file.js');
      const schema = inferSchema(await statisticsFrom(input), { labelColumn: flags.label, maxCategories: flags.maxCategories });
      if (!flags.out) return printJson(schema);
      await writeJsonFile(flags.out, schema);
      const domains = schema.features.filter((f) => f.domain).length;
      const ranges = schema.features.filter((f) => f.range).length;
      process.stdout.write(`wrote ${flags.out}: ${schema.features.length} features, ${ranges} with a range, ${domains} with a domain; review it before validating with it\n`);
    });
}

interface ValidateFlags {
  schema: string;
  reference?: string;
  environment: 'training' | 'serving';
  failOn: FailOn;
  maxUnseenShare?: number;
  maxMissing?: number;
  maxMissingFor?: string[];
  rowCountChange?: string;
  out?: string;
  json?: boolean;
  report?: string;
}

function registerValidate(data: Command): void {
  data
    .command('validate')
    .description('check data (or its statistics) against a schema; exits with 1 when the anomalies fail --fail-on')
    .argument('<input>', 'a data file, or its statistics document')
    .requiredOption('-s, --schema <schema.json>', 'the schema to validate against')
    .option('-r, --reference <stats.json>', 'statistics of the reference data: compares the row count (and draws it in the report)')
    .addOption(new Option('--environment <name>', 'features marked notIn this environment are not expected').choices(['training', 'serving']).default('training'))
    .addOption(new Option('--fail-on <severity>', 'which anomalies fail the command (exit code 1)').choices(['error', 'warning', 'never']).default('error'))
    .option('--max-unseen-share <share>', 'values outside a domain are an error above this share of a feature\'s values (default 0.01)', shareOf)
    .option('--max-missing <share>', 'missing values in more than this share of rows is an error, for every feature', shareOf)
    .option('--max-missing-for <name=share>', 'as --max-missing, for one feature; repeatable', collect)
    .option('--row-count-change <warning,error>', 'relative change of the row count vs --reference that is a warning, an error (default 0.2,0.5)')
    .option('-o, --out <anomalies.json>', 'write the anomalies document here')
    .option('--json', 'print the anomalies document with `failed` and `failOn` added, instead of a table')
    .option('--report <validate.html>', 'also write an HTML report')
    .action(async (input: string, flags: ValidateFlags) => {
      const { validateData, failingAnomalies } = await import('../../data/validate.js');
      const { readSchemaFile } = await import('../../data/schema-format.js');
      const { readStatisticsFile } = await import('../../data/statistics-format.js');
      const { writeJsonFile } = await import('../../data/format-file.js');
      const schema = await readSchemaFile(flags.schema);
      const reference = flags.reference ? await readStatisticsFile(flags.reference) : undefined;
      const statistics = await statisticsFrom(input);
      const maxMissingShareByFeature = flags.maxMissingFor
        ? Object.fromEntries(Object.entries(pairsOf(flags.maxMissingFor, '--max-missing-for')).map(([name, value]) => [name, Number(value)]))
        : undefined;
      const report = validateData({
        statistics, schema, reference,
        environment: flags.environment,
        maxUnseenCategoryShare: flags.maxUnseenShare,
        maxMissingShare: flags.maxMissing,
        maxMissingShareByFeature,
        rowCountChange: flags.rowCountChange === undefined ? undefined : rowCountChangeOf(flags.rowCountChange),
      });
      if (flags.out) await writeJsonFile(flags.out, report);
      if (flags.report) {
        const { renderValidationReport, writeReport } = await import('../../data/report/index.js');
        await writeReport(renderValidationReport({ anomalies: report, statistics, schema, reference, title: `Validation of ${input}` }), flags.report);
      }
      const failed = failingAnomalies(report, flags.failOn).length > 0;
      if (failed) process.exitCode = EXIT.failed;
      if (flags.json) return printJson({ failed, failOn: flags.failOn, ...report });
      const { errors, warnings, featuresChecked } = report.summary;
      process.stdout.write(`${report.rowCount} rows, ${featuresChecked} features checked for ${report.environment}: ${errors} errors, ${warnings} warnings\n`);
      if (report.anomalies.length > 0) {
        printTable(['severity', 'code', 'feature', 'description'], report.anomalies.map((a) => [a.severity, a.code, a.feature ?? '(dataset)', a.description]));
      }
      if (flags.out) process.stdout.write(`wrote ${flags.out}\n`);
      if (flags.report) process.stdout.write(`wrote ${flags.report}\n`);
      process.stdout.write(failed ? `failed: anomalies at or above --fail-on ${flags.failOn}\n` : 'passed\n');
    });
}

function rowCountChangeOf(text: string): { warning: number; error: number } {
  const [warning, error] = text.split(',').map((part) => Number(part.trim()));
  if (warning === undefined || error === undefined || !(warning >= 0) || !(error >= warning)) {
    throw new InvalidInputError('--row-count-change', `expected <warning>,<error> with 0 ≤ warning ≤ error, got ${JSON.stringify(text)}`);
  }
  return { warning, error };
}
