// Built-in trainers next to scikit-learn in the same run: gradient-boosted trees against
// HistGradientBoosting and logistic regression against LogisticRegression (one-hot), on flights
// (train January 2001, test February) and on two small public tables (penguins: classification,
// cars: regression, where ridge regression is compared with Ridge too). Only fitting is timed on both sides (binning and preprocessing included,
// reading the data not); quality is measured on the test rows by the same TypeScript code. Both GBDTs
// are also timed on one thread (ours without its helper thread, scikit-learn with OMP_NUM_THREADS=1).
//
//   npm run bench -- train [--repeat N]    best fit time of N runs on each side (default 1)
//
// Needs Debian's python3-sklearn and python3-pandas (`apt-get install -y python3-sklearn python3-pandas`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quoteIdentifier, quoteLiteral, tableFunctionFor, withDuckDb } from '../packages/flywheel/src/data/duckdb.js';
import { sampleDataPath } from '../packages/flywheel/src/data/sample-data.js';
import { monthQuery } from '../packages/flywheel/src/demo/flights-pipeline.js';
import { rocAuc } from '../packages/flywheel/src/evaluate/binary-metrics.js';
import { scoreDataset } from '../packages/flywheel/src/evaluate/score-dataset.js';
import { readColumns } from '../packages/flywheel/src/train/columns.js';
import { designMatrix, readRawFeatures } from '../packages/flywheel/src/train/design-matrix.js';
import { trainGbdt } from '../packages/flywheel/src/train/gbdt/train-gbdt.js';
import { trainLinearRegression } from '../packages/flywheel/src/train/train-linear.js';
import { fitLogisticRegression } from '../packages/flywheel/src/train/logistic-regression.js';
import { exportLogisticOnnx } from '../packages/flywheel/src/train/logistic-onnx.js';
import { learnCategories, learnStandardisation } from '../packages/flywheel/src/train/preprocessing.js';

interface Table {
  name: string;
  /** SQL over the table `source` giving the training and the test rows. */
  train: string;
  test: string;
  source: string;
  label: string;
  task: 'classification' | 'regression';
  numeric: string[];
  categorical: string[];
}

const GBDT = { maxIterations: 200, learningRate: 0.1, maxLeafNodes: 31, minSamplesLeaf: 20, l2: 0, maxBins: 255 };
const LOGISTIC = { l2: 1e-4, maxIterations: 200, topK: 100 };
const LINEAR = { l2: 1e-3, topK: 100 };

const flightsQuery = (month: number) => monthQuery(month).replace('SELECT date, ', 'SELECT ');
const TABLES: Table[] = [
  {
    name: 'flights', source: sampleDataPath('flights-3m.parquet'), train: flightsQuery(1), test: flightsQuery(2),
    label: 'delayed', task: 'classification', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'],
  },
  {
    // Sex from body measurements, species and island; every third penguin is a test row.
    name: 'penguins', source: sampleDataPath('penguins.json'),
    train: penguins('row % 3 <> 0'), test: penguins('row % 3 = 0'),
    label: 'male', task: 'classification', numeric: ['beak_length', 'beak_depth', 'flipper_length', 'body_mass'], categorical: ['species', 'island'],
  },
  {
    // Miles per gallon; every fourth car is a test row.
    name: 'cars', source: sampleDataPath('cars.json'),
    train: cars('row % 4 <> 0'), test: cars('row % 4 = 0'),
    label: 'mpg', task: 'regression', numeric: ['cylinders', 'displacement', 'horsepower', 'weight', 'acceleration', 'year'], categorical: ['origin'],
  },
];

function penguins(where: string): string {
  return `SELECT "Beak Length (mm)" AS beak_length, "Beak Depth (mm)" AS beak_depth, "Flipper Length (mm)" AS flipper_length,
                 "Body Mass (g)" AS body_mass, "Species" AS species, "Island" AS island, ("Sex" = 'MALE')::INTEGER AS male
          FROM (SELECT *, row_number() OVER () AS row FROM source) WHERE "Sex" IN ('MALE', 'FEMALE') AND ${where}`;
}

function cars(where: string): string {
  return `SELECT "Cylinders" AS cylinders, "Displacement" AS displacement, "Horsepower" AS horsepower, "Weight_in_lbs" AS weight,
                 "Acceleration" AS acceleration, year(CAST("Year" AS DATE)) AS year, "Origin" AS origin, "Miles_per_Gallon"::DOUBLE AS mpg
          FROM (SELECT *, row_number() OVER () AS row FROM source) WHERE "Miles_per_Gallon" IS NOT NULL AND ${where}`;
}

interface Result {
  name: string;
  fitSeconds: number;
  /** GBDT only: the fit time without the helper thread. */
  oneThreadFitSeconds?: number;
  predictions: Float64Array;
}

const repeatAt = process.argv.indexOf('--repeat');
const REPEAT = repeatAt < 0 ? 1 : Number(process.argv[repeatAt + 1]);
if (!Number.isInteger(REPEAT) || REPEAT < 1) {
  console.error('usage: npm run bench -- train [--repeat N]');
  process.exit(2);
}

const progress = (message: string) => process.stderr.write(`${message}\n`);
const work = await mkdtemp(join(tmpdir(), 'fw-bench-train-'));
const sklearnTasks: Record<string, unknown>[] = [];
const ours: Result[] = [];
const labels = new Map<string, Float64Array>();

try {
  for (const table of TABLES) {
    progress(`${table.name}: exporting the data`);
    const paths = await exportTable(table);
    labels.set(table.name, await readLabel(paths.testParquet, table.label));

    progress(`${table.name}: gradient-boosted trees (ours)`);
    const gbdt = { ...GBDT, label: table.label, task: table.task, numeric: table.numeric, categorical: table.categorical, earlyStopping: false as const };
    const runs = [];
    for (let run = 0; run < REPEAT; run++) runs.push(await trainGbdt(paths.trainParquet, gbdt));
    const fitSeconds = Math.min(...runs.map((r) => r.timings.fitMs)) / 1000;
    progress(`${table.name}: gradient-boosted trees (ours), one thread`);
    const oneThreadRuns = [];
    for (let run = 0; run < REPEAT; run++) oneThreadRuns.push(await trainGbdt(paths.trainParquet, gbdt, { helperThread: false }));
    const oneThreadFitSeconds = Math.min(...oneThreadRuns.map((r) => r.timings.fitMs)) / 1000;
    ours.push({ name: `${table.name}/gbdt`, fitSeconds, oneThreadFitSeconds, predictions: await score((runs[0] as (typeof runs)[number]).onnx, paths.testParquet) });
    sklearnTasks.push({
      name: `${table.name}/gbdt`, kind: table.task === 'classification' ? 'hgb-classifier' : 'hgb-regressor',
      train: paths.trainCsv, test: paths.testCsv, label: table.label, numeric: table.numeric, categorical: table.categorical,
      params: { max_iter: GBDT.maxIterations, learning_rate: GBDT.learningRate, max_leaf_nodes: GBDT.maxLeafNodes, min_samples_leaf: GBDT.minSamplesLeaf, l2: GBDT.l2, max_bins: GBDT.maxBins },
      out: join(work, `${table.name}-gbdt.sklearn.bin`), repeat: REPEAT,
    });

    if (table.task === 'regression') {
      progress(`${table.name}: linear regression (ours)`);
      const linear = { label: table.label, numeric: table.numeric, categorical: table.categorical, l2: LINEAR.l2, topK: LINEAR.topK };
      const fits = [];
      for (let run = 0; run < REPEAT; run++) fits.push(await trainLinearRegression(paths.trainParquet, linear));
      const fitSeconds = Math.min(...fits.map((f) => f.timings.fitMs)) / 1000;
      ours.push({ name: `${table.name}/linear`, fitSeconds, predictions: await score((fits[0] as (typeof fits)[number]).onnx, paths.testParquet) });
      sklearnTasks.push({
        name: `${table.name}/linear`, kind: 'ridge', train: paths.trainCsv, test: paths.testCsv, label: table.label,
        numeric: table.numeric, categorical: table.categorical, params: { l2: LINEAR.l2, top_k: LINEAR.topK },
        out: join(work, `${table.name}-linear.sklearn.bin`), repeat: REPEAT,
      });
    }

    if (table.task === 'classification') {
      progress(`${table.name}: logistic regression (ours)`);
      ours.push({ name: `${table.name}/logistic`, ...(await logistic(table, paths.trainParquet, paths.testParquet)) });
      sklearnTasks.push({
        name: `${table.name}/logistic`, kind: 'logistic', train: paths.trainCsv, test: paths.testCsv, label: table.label,
        numeric: table.numeric, categorical: table.categorical, params: { l2: LOGISTIC.l2, max_iter: LOGISTIC.maxIterations, top_k: LOGISTIC.topK },
        out: join(work, `${table.name}-logistic.sklearn.bin`), repeat: REPEAT,
      });
    }
  }

  progress('scikit-learn');
  const theirs = await runSklearn(sklearnTasks, {});
  // scikit-learn's trees use every core through OpenMP; on a shared machine one thread is the steadier comparison.
  progress('scikit-learn, one OpenMP thread');
  const oneThread = typeof theirs === 'string' ? theirs : await runSklearn(sklearnTasks.filter((t) => String(t.kind).startsWith('hgb')), { OMP_NUM_THREADS: '1' });
  printTable(theirs, oneThread);
} finally {
  await rm(work, { recursive: true, force: true });
}

async function exportTable(table: Table) {
  const paths = {
    trainParquet: join(work, `${table.name}-train.parquet`),
    testParquet: join(work, `${table.name}-test.parquet`),
    trainCsv: join(work, `${table.name}-train.csv`),
    testCsv: join(work, `${table.name}-test.csv`),
  };
  await withDuckDb(async (db) => {
    await db.run(`CREATE VIEW source AS SELECT * FROM ${tableFunctionFor(table.source)}`);
    for (const [query, parquet, csv] of [[table.train, paths.trainParquet, paths.trainCsv], [table.test, paths.testParquet, paths.testCsv]] as const) {
      await db.run(`COPY (${query}) TO ${quoteLiteral(parquet)} (FORMAT parquet)`);
      await db.run(`COPY (SELECT * FROM read_parquet(${quoteLiteral(parquet)})) TO ${quoteLiteral(csv)} (HEADER)`);
    }
  });
  return paths;
}

async function readLabel(path: string, label: string): Promise<Float64Array> {
  return withDuckDb(async (db) => (await readColumns(db, tableFunctionFor(path), [{ expr: quoteIdentifier(label), kind: 'float64' }])).columns[0] as Float64Array);
}

async function score(onnx: Uint8Array, testPath: string): Promise<Float64Array> {
  const modelPath = join(work, 'model.onnx');
  await writeFile(modelPath, onnx);
  return (await scoreDataset(modelPath, testPath)).predictions;
}

/** The logistic trainer's steps, with only the fit (standardisation included) timed. */
async function logistic(table: Table, trainPath: string, testPath: string): Promise<Omit<Result, 'name'>> {
  const from = tableFunctionFor(trainPath);
  const { onnx, fitSeconds } = await withDuckDb(async (db) => {
    const categorical = await learnCategories(db, from, table.categorical, LOGISTIC.topK);
    const raw = await readRawFeatures(db, from, { numeric: table.numeric, categorical, time: [] }, table.label);
    const fitOnce = () => {
      const started = performance.now();
      const preprocessing = { numeric: table.numeric.map((name, j) => learnStandardisation(name, raw.numeric[j] as Float32Array)), categorical, time: [] };
      const fit = fitLogisticRegression(designMatrix(raw, preprocessing.numeric), raw.labels as Float64Array, preprocessing, {
        l2: LOGISTIC.l2, maxIterations: LOGISTIC.maxIterations,
      });
      return { model: fit.model, seconds: (performance.now() - started) / 1000 };
    };
    const runs = Array.from({ length: REPEAT }, fitOnce);
    const seconds = Math.min(...runs.map((r) => r.seconds));
    const features = [...table.numeric.map((name) => ({ name, kind: 'numeric' as const })), ...table.categorical.map((name) => ({ name, kind: 'categorical' as const }))];
    return { fitSeconds: seconds, onnx: exportLogisticOnnx((runs[0] as (typeof runs)[number]).model, { version: 1, trainer: 'logistic-regression', label: table.label, features, trainingRows: raw.rows }) };
  });
  return { fitSeconds, predictions: await score(onnx, testPath) };
}

async function runSklearn(tasks: Record<string, unknown>[], extraEnv: Record<string, string>): Promise<Map<string, Result> | string> {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  // OpenBLAS needs these on some processors in tests; they only slow numpy down, so not here.
  const env = { ...process.env, ...extraEnv };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const check = spawnSync(python, ['-c', 'import sklearn, pandas, scipy; print(sklearn.__version__)'], { encoding: 'utf8', env });
  if (check.status !== 0) return `scikit-learn is not installed (apt-get install -y python3-sklearn python3-pandas): ${check.stderr.trim()}`;
  const specPath = join(work, 'tasks.json');
  await writeFile(specPath, JSON.stringify(tasks));
  const script = fileURLToPath(new URL('./train_sklearn.py', import.meta.url));
  const run = spawnSync(python, [script, specPath], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`scikit-learn failed:\n${run.stderr}`);
  const results = new Map<string, Result>();
  for (const line of run.stdout.trim().split('\n')) {
    const { name, fitSeconds } = JSON.parse(line) as { name: string; fitSeconds: number };
    const task = tasks.find((t) => t.name === name) as { out: string };
    const bytes = await readFile(task.out);
    results.set(name, { name, fitSeconds, predictions: new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) });
  }
  progress(`scikit-learn ${check.stdout.trim()}`);
  return results;
}

function rmse(truth: Float64Array, predictions: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += ((predictions[i] as number) - (truth[i] as number)) ** 2;
  return Math.sqrt(sum / truth.length);
}

function printTable(theirs: Map<string, Result> | string, oneThread: Map<string, Result> | string): void {
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench -- train${REPEAT > 1 ? ` --repeat ${REPEAT}` : ''}`;
  const machine = `${date} | ${availableParallelism()} | ${process.version} | \`${command}\``;
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')}\n`);
  console.log('| date | nproc | node | command | measure | ours | scikit-learn 1.2 | ratio |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const mine of ours) {
    const [tableName, trainer] = mine.name.split('/') as [string, string];
    const table = TABLES.find((t) => t.name === tableName) as Table;
    const truth = labels.get(tableName) as Float64Array;
    const other = typeof theirs === 'string' ? undefined : theirs.get(mine.name);
    const what = {
      gbdt: 'gradient-boosted trees vs HistGradientBoosting',
      logistic: 'logistic regression vs LogisticRegression (one-hot)',
      linear: 'ridge regression vs Ridge (one-hot)',
    }[trainer];
    const quality = table.task === 'classification' ? 'test AUC' : 'test RMSE';
    const measure = (p: Float64Array) => (table.task === 'classification' ? rocAuc(truth, p) : rmse(truth, p));
    const ourQuality = measure(mine.predictions);
    const theirQuality = other ? measure(other.predictions) : Number.NaN;
    const digits = table.task === 'classification' ? 4 : 3;
    console.log(`| ${machine} | ${tableName}: ${what}, ${quality} | ${ourQuality.toFixed(digits)} | ${other ? theirQuality.toFixed(digits) : '—'} | ${other ? (ourQuality / theirQuality).toFixed(3) : '—'} |`);
    console.log(`| ${machine} | ${tableName}: ${what}, fit time | ${seconds(mine.fitSeconds)} | ${other ? seconds(other.fitSeconds) : '—'} | ${other ? (mine.fitSeconds / other.fitSeconds).toFixed(2) : '—'} |`);
    const single = typeof oneThread === 'string' ? undefined : oneThread.get(mine.name);
    if (single && mine.oneThreadFitSeconds !== undefined) {
      const time = mine.oneThreadFitSeconds;
      console.log(`| ${machine} | ${tableName}: ${what}, fit time, both on 1 thread | ${seconds(time)} | ${seconds(single.fitSeconds)} | ${(time / single.fitSeconds).toFixed(2)} |`);
    }
  }
  if (typeof theirs === 'string') console.log(`\n${theirs}`);
}

function seconds(value: number): string {
  return value < 0.1 ? `${(value * 1000).toFixed(1)} ms` : `${value.toFixed(2)} s`;
}
