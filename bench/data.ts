// Data validation speed: statistics + schema + validation of flights-3m.parquet against the same
// work done by pandas (reading the data as CSV) and by DuckDB's own SUMMARIZE, plus a generated
// 10M-row dataset to show that memory stays bounded. Every case runs in a fresh process, so its
// peak RSS is its own; preparing the inputs (CSV export, 10M rows) is not timed.
//   npm run bench -- data                  all cases, markdown table rows
//   npm run bench -- data --runs 3         fewer repetitions per case
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryRows, quoteLiteral, withDuckDb } from '../packages/flywheel/src/data/duckdb.js';
import { sampleDataPath } from '../packages/flywheel/src/data/sample-data.js';
import { inferSchema } from '../packages/flywheel/src/data/schema.js';
import { computeStatistics } from '../packages/flywheel/src/data/statistics.js';
import { validateData } from '../packages/flywheel/src/data/validate.js';

interface Figures {
  /** Wall time of each repetition, in order; the first includes loading DuckDB. */
  ms: number[];
  /** Peak resident set size of the process, MiB. */
  rssMiB: number;
  note?: string;
}

const FLIGHTS = sampleDataPath('flights-3m.parquet');
const WORK = join(tmpdir(), 'flywheel-bench-data');
const FLIGHTS_CSV = join(WORK, 'flights-3m.csv');
const TEN_MILLION = join(WORK, 'generated-10m.parquet');

function peakRssMiB(): number {
  // maxRSS is in KiB on Linux.
  return process.resourceUsage().maxRSS / 1024;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The data step of a pipeline: profile the new data, infer the schema from it, validate against it. */
async function profileAndValidate(path: string, memoryLimit?: string): Promise<string> {
  const statistics = await computeStatistics(path, { memoryLimit });
  const schema = inferSchema(statistics);
  const report = validateData({ statistics, schema, reference: statistics });
  const approximate = statistics.columns.filter((c) => c.distinctExact === false).map((c) => c.name);
  return `${statistics.rowCount} rows, ${statistics.columns.length} columns, ${report.summary.errors + report.summary.warnings} anomalies`
    + `${approximate.length > 0 ? `, estimated: ${approximate.join(' ')}` : ''}`;
}

async function summarize(path: string): Promise<string> {
  const rows = await withDuckDb((db) => queryRows(db, `SUMMARIZE SELECT * FROM read_parquet(${quoteLiteral(path)})`));
  return `${rows.length} columns`;
}

async function timed(runs: number, work: () => Promise<string>): Promise<Figures> {
  const ms: number[] = [];
  let note = '';
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    note = await work();
    ms.push(performance.now() - started);
  }
  return { ms, rssMiB: peakRssMiB(), note };
}

const PANDAS = `
import resource, sys, time
import pandas as pd
path, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    started = time.perf_counter()
    frame = pd.read_csv(path, parse_dates=['date'])
    frame.describe(include='all', datetime_is_numeric=True)
    for column in frame.select_dtypes(include='object').columns:
        frame[column].value_counts()
    times.append((time.perf_counter() - started) * 1000)
print('{"ms": %s, "rssMiB": %f, "note": "pandas %s"}' % (times, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, pd.__version__))
`;

async function prepare(): Promise<void> {
  await mkdir(WORK, { recursive: true });
  if (!existsSync(FLIGHTS_CSV)) {
    await withDuckDb((db) => db.run(`COPY (SELECT * FROM read_parquet(${quoteLiteral(FLIGHTS)})) TO ${quoteLiteral(FLIGHTS_CSV)} (FORMAT csv, HEADER)`).then(() => undefined));
  }
  if (!existsSync(TEN_MILLION)) {
    // Columns of every kind, several of high cardinality (ids, amounts, times) and one with NULLs.
    await withDuckDb((db) => db.run(`COPY (
      SELECT range AS id, (hash(range) % 100000) / 100.0 AS amount, (range % 97)::INTEGER AS small,
             'c' || (hash(range) % 100)::VARCHAR AS category, 'user' || (hash(range * 7) % 1000000)::VARCHAR AS user_id,
             TIMESTAMP '2024-01-01' + to_seconds(range) AS ts, range % 3 = 0 AS flag,
             CASE WHEN range % 10 = 0 THEN NULL ELSE (hash(range * 13) % 1000) / 10.0 END AS maybe
      FROM range(10000000)) TO ${quoteLiteral(TEN_MILLION)} (FORMAT parquet, COMPRESSION zstd)`).then(() => undefined));
  }
}

async function runCase(name: string, runs: number): Promise<Figures> {
  switch (name) {
    case 'ours-3m':
      return timed(runs, () => profileAndValidate(FLIGHTS));
    case 'summarize-3m':
      return timed(runs, () => summarize(FLIGHTS));
    case 'ours-10m':
      return timed(Math.min(runs, 3), () => profileAndValidate(TEN_MILLION));
    case 'ours-10m-1gb':
      return timed(Math.min(runs, 3), () => profileAndValidate(TEN_MILLION, '1GB'));
    case 'summarize-10m':
      return timed(Math.min(runs, 3), () => summarize(TEN_MILLION));
    default:
      throw new Error(`unknown case ${name}`);
  }
}

function inChild(name: string, runs: number): Figures {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--case', name, '--runs', String(runs)], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1)!) as Figures;
}

function pandas(runs: number): Figures | string {
  // Debian's interpreter carries Debian's pandas; a python3 earlier on PATH (pyenv…) may not.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const result = spawnSync(python, ['-c', PANDAS, FLIGHTS_CSV, String(runs)], { encoding: 'utf8' });
  if (result.status !== 0) return `pandas unavailable (${(result.stderr || result.error?.message || '').trim().split('\n').at(-1)}); apt-get install -y python3-pandas`;
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Figures;
}

const argument = (flag: string) => {
  const at = process.argv.indexOf(flag);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const runs = Number(argument('--runs') ?? 5);
const caseName = argument('--case');
if (caseName) {
  console.log(JSON.stringify(await runCase(caseName, runs)));
} else {
  await prepare();
  const date = new Date().toISOString().slice(0, 10);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const figure = (f: Figures) => `${seconds(median(f.ms))} (first ${seconds(f.ms[0]!)}; peak RSS ${f.rssMiB.toFixed(0)} MiB)`;
  const rows: string[] = [];
  const row = (command: string, ours: Figures, baseline: Figures | string, label: string) => {
    const base = typeof baseline === 'string' ? baseline : `${label}: ${figure(baseline)}`;
    const ratio = typeof baseline === 'string' ? '-' : (median(ours.ms) / median(baseline.ms)).toFixed(2);
    rows.push(`| ${date} | ${availableParallelism()} | ${process.version} | ${command} | ${figure(ours)} | ${base} | ${ratio} |`);
  };
  const ours3m = inChild('ours-3m', runs);
  const python = pandas(Math.min(runs, 3));
  const pandasLabel = typeof python === 'string' ? '' : `${python.note} read_csv + describe + value_counts`;
  row(`\`npm run bench -- data\`: statistics + schema + validation of flights-3m.parquet (3M rows × 5; ${ours3m.note}), median of ${runs}`, ours3m, python, pandasLabel);
  row('same, against DuckDB `SUMMARIZE` of the same file', ours3m, inChild('summarize-3m', runs), 'SUMMARIZE');
  const ours10m = inChild('ours-10m', runs);
  row(`generated 10M rows × 8 (${ours10m.note}), median of ${Math.min(runs, 3)}`, ours10m, inChild('summarize-10m', runs), 'SUMMARIZE');
  row('same, with DuckDB memory_limit 1GB (`memoryLimit: \'1GB\'`)', inChild('ours-10m-1gb', runs), inChild('summarize-10m', runs), 'SUMMARIZE');
  console.log('| date | nproc | node | command | ours | baseline | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const line of rows) console.log(line);
  console.log(`\nTarget: statistics + schema + validation of flights-3m.parquet ≤ 1.5 s — median ${seconds(median(ours3m.ms))}: ${median(ours3m.ms) <= 1500 ? 'met' : 'NOT met'}.`);
}
