import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Stack } from '../config/stack.js';
import type { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { sha256File } from '../core/hashing.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { describeColumns, quoteIdentifier, quoteLiteral, tableFunctionFor, withDuckDb, type DatasetColumn } from '../data/duckdb.js';
import { ingest } from '../data/ingest.js';
import { sourceFormatOf } from '../data/source-format.js';
import { inferSchema } from '../data/schema.js';
import { computeStatistics } from '../data/statistics.js';
import { SPLIT_COLUMN, parseSplitSpec, splitNames } from '../data/split.js';
import { registerModelFile } from '../deploy/register-model.js';
import { evaluateModel, type Evaluation } from '../evaluate/evaluate-model.js';
import type { ModelTask } from '../evaluate/metric-catalog.js';
import { paramsFromJson } from '../tracking/params-from-json.js';
import { TUNABLE_TRAINERS, type TunableTrainerName } from '../tune/trainers/index.js';
import { isNumericType, requireColumn } from './columns.js';

/** Column types that become time features (hour, day of week, month). */
const TIME_TYPE = /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$/;
/** Column types that become categorical features. */
const CATEGORY_TYPE = /^(VARCHAR|ENUM\(.*\))$/;

export interface TrainAndRegisterOptions {
  trainer: TunableTrainerName;
  /** The training data (any format DuckDB reads: Parquet, CSV, JSON…). */
  data: string;
  label: string;
  /** Data to evaluate on; without it a share of `data` is held out (see `split`). */
  test?: string;
  /** A SELECT over the table `source` applied to the data (and the test file), e.g. to drop rows without a label. */
  query?: string;
  /** How to hold out test rows when there is no `test`: a split of two parts, the second is the test. `random:0.8` by default. */
  split?: string;
  /** Features by kind; when none are given, every column but the label (and `exclude`) by its type. */
  numeric?: string[];
  categorical?: string[];
  time?: string[];
  exclude?: string[];
  /** The trainer's hyperparameters, e.g. `{ l2: 0.01 }` or `{ maxIterations: 300 }`. */
  hyperparameters?: JsonObject;
  /** For gbdt; read from the label otherwise (only 0 and 1 → classification). */
  task?: ModelTask;
  /** The registered model; the data file's name by default. */
  model?: string;
  /** The tracking experiment; `train` by default. */
  experiment?: string;
  runName?: string;
  /** Point this alias (e.g. `champion`) at the new version. */
  alias?: string;
  log?: (line: string) => void;
}

export interface TrainAndRegisterResult {
  runId: string;
  experiment: string;
  experimentId: string;
  trainer: TunableTrainerName;
  task: ModelTask;
  label: string;
  features: { numeric: string[]; categorical: string[]; time: string[] };
  rows: { train: number; test: number };
  model: { name: string; version: number; created: boolean; alias: string | null };
  /** Evaluation on the test rows; null where undefined (e.g. AUC of one class). */
  metrics: Record<string, number | null>;
  /** How training went (training loss, iterations…). */
  training: Record<string, number>;
  durationMs: number;
}

/**
 * Level 0 in one call: trains a built-in trainer on a data file, evaluates the model on a test
 * file or held-out rows, records everything as one tracked run (params, metrics, the model as a
 * run artifact) and registers the model as a new version that records the run and the training
 * data (file URI and SHA-256). What `flywheel train` runs.
 *
 * @example
 *   const result = await trainAndRegister(stack, { trainer: 'gbdt', data: 'jan.parquet', label: 'delayed', test: 'feb.parquet' });
 *   result.metrics.auc; result.model.version;
 */
export async function trainAndRegister(stack: Stack, options: TrainAndRegisterOptions): Promise<TrainAndRegisterResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const trainer = TUNABLE_TRAINERS[options.trainer] as (typeof TUNABLE_TRAINERS)[TunableTrainerName] | undefined;
  if (!trainer) throw new InvalidInputError('--trainer', `unknown trainer ${JSON.stringify(options.trainer)}`, `use one of ${Object.keys(TUNABLE_TRAINERS).join(', ')}`);
  requireFile(options.data, '--data');
  if (options.test !== undefined) requireFile(options.test, '--test');
  const modelName = options.model ?? basename(options.data, extname(options.data));
  for (const key of Object.keys(options.hyperparameters ?? {})) {
    const flag = FLAG_OF_PARAM[key];
    if (flag !== undefined) throw new InvalidInputError(`--param ${key}`, `is set with ${flag}, not --param`);
  }

  const workDir = await mkdtemp(join(tmpdir(), 'flywheel-train-'));
  try {
    const data = options.test === undefined
      ? await holdOut(options.data, options.split ?? 'random:0.8', options.query, workDir, log)
      : { train: await select(options.data, options.query, join(workDir, 'train.parquet'), '--data'), test: await select(options.test, options.query, join(workDir, 'test.parquet'), '--test') };
    const columns = await withDuckDb((db) => describeColumns(db, tableFunctionFor(data.train, '--data')));
    const features = await withoutEmptyColumns(data.train, chooseFeatures(columns, options), options, log);
    const task = options.task ?? (options.trainer === 'gbdt' ? await labelTask(data.train, options.label) : undefined);
    const params: JsonObject = {
      ...options.hyperparameters,
      label: options.label,
      numeric: features.numeric,
      categorical: features.categorical,
      time: features.time.map((column) => ({ column })),
      ...(task === undefined ? {} : { task }),
    };
    const problem = trainer.problem(checkParams(trainer.params, params));
    log(`training ${options.trainer} (${problem.task}) on ${describeFeatures(features)} to predict ${options.label}`);

    const experiment = options.experiment ?? 'train';
    const run = await stack.tracking.startRun({
      experiment,
      name: options.runName,
      params: { ...paramsFromJson(params), trainer: options.trainer, data: resolve(options.data), ...(options.test ? { test: resolve(options.test) } : {}) },
      tags: { 'flywheel.trainer': options.trainer, 'flywheel.source': 'flywheel train' },
    });
    try {
      const trained = await trainer.train(data.train, params, { log: { info: log, warn: log }, helperThreads: true });
      const modelPath = join(workDir, 'model.onnx');
      await writeFile(modelPath, trained.onnx);
      const evaluation = await evaluateModel(modelPath, data.test, problem.label, { task: problem.task });
      const metrics = flatMetrics(evaluation);
      for (const [key, value] of [...Object.entries(metrics), ...Object.entries(trained.trainingMetrics)]) {
        if (value !== null && Number.isFinite(value)) run.logMetric(key, value);
      }
      await run.logArtifact(modelPath, 'model');

      const trainingData = await sha256File(options.data);
      const dataSchema = inferSchema(await computeStatistics(data.train), { labelColumn: problem.label });
      const { version, created } = await registerModelFile(stack, {
        model: modelName,
        path: modelPath,
        metrics: Object.fromEntries(Object.entries(metrics).filter((e): e is [string, number] => e[1] !== null && Number.isFinite(e[1]))),
        tags: { 'flywheel.trainer': options.trainer },
        runId: run.id,
        trainingData: { uri: pathToFileURL(resolve(options.data)).href, digest: trainingData.digest },
        dataSchema,
        label: problem.label,
      });
      if (options.alias !== undefined) {
        await stack.registry.setAlias(modelName, options.alias, version.version, { actor: stack.tracking.options.userId, reason: `flywheel train, run ${run.id}` });
      }
      await run.setTags({ 'flywheel.model': modelName, 'flywheel.model_version': String(version.version) });
      await run.end('FINISHED');
      return {
        runId: run.id,
        experiment,
        experimentId: run.experimentId,
        trainer: options.trainer,
        task: problem.task,
        label: problem.label,
        features,
        // Every trainer records the rows it read (GBDT's own validation share included).
        rows: { train: Number(trained.properties.trainingRows), test: evaluation.metrics.rowCount },
        model: { name: modelName, version: version.version, created, alias: options.alias ?? null },
        metrics,
        training: trained.trainingMetrics,
        durationMs: Date.now() - started,
      };
    } catch (error) {
      await run.end('FAILED').catch(() => undefined);
      throw error;
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function requireFile(path: string, flag: string): void {
  if (!existsSync(path)) throw new InvalidInputError(flag, `no such file: ${path}`);
}

/** Splits `data` in two by `spec` (the first part trains, the second tests), as Parquet files in `dir`. */
/**
 * The rows of `data` the query selects, as a Parquet file at `output`; `data` itself when there is
 * no query and DuckDB reads the file directly (Arrow IPC goes through ingest).
 */
async function select(data: string, query: string | undefined, output: string, field: string): Promise<string> {
  if (query === undefined && sourceFormatOf(data, field) !== 'arrow') return data;
  await ingest({ source: data, output, query });
  return output;
}

async function holdOut(data: string, spec: string, query: string | undefined, dir: string, log: (line: string) => void): Promise<{ train: string; test: string }> {
  const split = parseSplitSpec(spec, '--split');
  const names = splitNames(split);
  if (names.length !== 2) throw new InvalidInputError('--split', `makes ${names.length} parts (${names.join(', ')}); it must make two: training and test rows`);
  const examples = join(dir, 'examples.parquet');
  const ingested = await ingest({ source: data, output: examples, split, query });
  if (ingested.rowsRejected > 0) log(`${ingested.rowsRejected} rows of ${data} could not be read and were left out`);
  const [train, test] = names.map((name) => join(dir, `${name}.parquet`)) as [string, string];
  await withDuckDb(async (db) => {
    for (const [name, path] of [[names[0], train], [names[1], test]] as const) {
      await db.run(`COPY (SELECT * EXCLUDE (${quoteIdentifier(SPLIT_COLUMN)}) FROM read_parquet(${quoteLiteral(examples)}) WHERE ${quoteIdentifier(SPLIT_COLUMN)} = ${quoteLiteral(name as string)}) TO ${quoteLiteral(path)} (FORMAT parquet)`);
    }
  });
  const counts = ingested.splits ?? {};
  const [trainRows, testRows] = names.map((name) => counts[name as string] ?? 0) as [number, number];
  if (trainRows === 0 || testRows === 0) {
    throw new InvalidInputError('--split', `${spec} leaves no ${trainRows === 0 ? 'training' : 'test'} rows: ${trainRows} of ${ingested.rowsWritten} rows train, ${testRows} test`);
  }
  log(`held out ${testRows} of ${ingested.rowsWritten} rows for testing (${spec})`);
  return { train, test };
}

/** The features named, or every column but the label and the excluded ones, by type. */
export function chooseFeatures(
  columns: readonly DatasetColumn[],
  options: Pick<TrainAndRegisterOptions, 'label' | 'numeric' | 'categorical' | 'time' | 'exclude'>,
): { numeric: string[]; categorical: string[]; time: string[] } {
  requireColumn(columns, options.label, '--label', 'label');
  (options.exclude ?? []).forEach((name) => requireColumn(columns, name, '--exclude', 'excluded'));
  if (options.numeric !== undefined || options.categorical !== undefined || options.time !== undefined) {
    return { numeric: options.numeric ?? [], categorical: options.categorical ?? [], time: options.time ?? [] };
  }
  const skip = new Set([options.label, ...(options.exclude ?? [])]);
  const features = { numeric: [] as string[], categorical: [] as string[], time: [] as string[] };
  for (const { name, type } of columns) {
    if (skip.has(name)) continue;
    if (TIME_TYPE.test(type)) features.time.push(name);
    else if (isNumericType(type)) features.numeric.push(name);
    else if (CATEGORY_TYPE.test(type)) features.categorical.push(name);
  }
  if (features.numeric.length + features.categorical.length + features.time.length === 0) {
    throw new InvalidInputError('--data', `has no column to learn from besides the label ${JSON.stringify(options.label)}`);
  }
  return features;
}

/**
 * Inferred features without the columns that hold no value at all (an empty `notes` column of a
 * CSV, say), which no trainer can learn from; features named on the command line are kept, so a
 * trainer can say what is wrong with them.
 */
async function withoutEmptyColumns(
  path: string,
  features: { numeric: string[]; categorical: string[]; time: string[] },
  options: Pick<TrainAndRegisterOptions, 'numeric' | 'categorical' | 'time'>,
  log: (line: string) => void,
): Promise<{ numeric: string[]; categorical: string[]; time: string[] }> {
  if (options.numeric !== undefined || options.categorical !== undefined || options.time !== undefined) return features;
  const all = [...features.numeric, ...features.categorical, ...features.time];
  const counts = all.map((name) => `count(NULLIF(CAST(${quoteIdentifier(name)} AS VARCHAR), ''))::DOUBLE`).join(', ');
  const row = await withDuckDb(async (db) => (await db.runAndReadAll(`SELECT ${counts} FROM ${tableFunctionFor(path, '--data')}`)).getRows()[0] ?? []);
  const empty = new Set(all.filter((_, i) => Number(row[i] ?? 0) === 0));
  if (empty.size === 0) return features;
  log(`left out ${[...empty].join(', ')}: no values`);
  const keep = (names: string[]) => names.filter((name) => !empty.has(name));
  const kept = { numeric: keep(features.numeric), categorical: keep(features.categorical), time: keep(features.time) };
  if (kept.numeric.length + kept.categorical.length + kept.time.length === 0) throw new InvalidInputError('--data', 'every column besides the label is empty');
  return kept;
}

function describeFeatures(features: { numeric: string[]; categorical: string[]; time: string[] }): string {
  const parts = [
    features.numeric.length > 0 ? `numeric ${features.numeric.join(', ')}` : '',
    features.categorical.length > 0 ? `categorical ${features.categorical.join(', ')}` : '',
    features.time.length > 0 ? `time ${features.time.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join('; ');
}

/** Classification when the label holds only 0 and 1 (or booleans), regression otherwise. */
async function labelTask(path: string, label: string): Promise<ModelTask> {
  const y = quoteIdentifier(label);
  const rows = await withDuckDb(async (db) =>
    (await db.runAndReadAll(`SELECT count(*) FILTER (WHERE TRY_CAST(${y} AS DOUBLE) NOT IN (0, 1))::DOUBLE AS other FROM ${tableFunctionFor(path, '--data')}`)).getRowObjectsJS(),
  );
  return Number(rows[0]?.other ?? 0) === 0 ? 'classification' : 'regression';
}

/** Flags that set a trainer parameter directly; the others come from `--param key=value`. */
const FLAG_OF_PARAM: Record<string, string> = { label: '--label', numeric: '--numeric', categorical: '--categorical', time: '--time', task: '--task' };

/** The trainer's parameters checked by its schema; the error names the flag or `--param` that set the bad one. */
function checkParams(schema: z.ZodObject, params: JsonObject): JsonObject {
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(params).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    const flag = FLAG_OF_PARAM[unknown];
    if (flag !== undefined) throw new InvalidInputError(flag, 'does not apply to this trainer', '--task is for gbdt: logistic classifies, linear regresses');
    const tunable = known.filter((key) => !(key in FLAG_OF_PARAM)).join(', ');
    throw new InvalidInputError(`--param ${unknown}`, 'is not a parameter of this trainer', `its parameters: ${tunable}`);
  }
  const parsed = schema.safeParse(params);
  if (parsed.success) return params;
  const issue = parsed.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const flag = FLAG_OF_PARAM[path[0] ?? ''] ?? `--param ${path.join('.')}`;
  throw new InvalidInputError(flag, issue?.message ?? 'invalid', 'see `flywheel train --help` for the parameters of each trainer');
}

/** The evaluation's overall scalar metrics, undefined ones as null. */
function flatMetrics(evaluation: Evaluation): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(evaluation.metrics) as [string, JsonValue][]) {
    if (typeof value === 'number') out[key] = Number.isFinite(value) ? value : null;
    else if (value === null) out[key] = null;
  }
  return out;
}
