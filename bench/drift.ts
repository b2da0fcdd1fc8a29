// Drift detection on two 1M-row × 100-column Parquet tables (80 numeric, 20 categorical; in the
// current one the normal columns move by a quarter of a standard deviation, the integer ones by a
// tenth of a unit, and a quarter of the categorical ones change their shares), against SciPy's
// ks_2samp over the same numeric columns in the same run.
//   npm run bench -- drift                    generate (cached in the temp folder), measure, print markdown rows
//   npm run bench -- drift --rows 200000      a smaller table
// detectDrift runs in a child process of its own, so its peak RSS is its own. SciPy (Debian's
// /usr/bin/python3; pyarrow is not packaged) gets each column's finite values as raw doubles on
// stdin and times only ks_2samp itself: reading and converting the data is excluded from its figure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDuckDbConnections } from '../packages/flywheel/src/data/drift/data-source.js';
import { detectDrift } from '../packages/flywheel/src/data/drift/detect-drift.js';
import { quoteLiteral } from '../packages/flywheel/src/data/duckdb.js';

const NUMERIC = 80;
const CATEGORICAL = 20;
const GENERATOR_VERSION = 1;

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index < 0 ? undefined : process.argv[index + 1];
}

const rows = Number(argument('--rows') ?? 1_000_000);
const dataDir = join(tmpdir(), 'flywheel-bench-drift');
const fileOf = (side: 'reference' | 'current') => join(dataDir, `${side}-${rows}-v${GENERATOR_VERSION}.parquet`);

/** A uniform number in (0, 1] from a 64-bit hash of the row, the column and the seed: the same table on every run. */
function uniform(seed: number, column: number, draw: number): string {
  return `((hash(i, ${seed}, ${column}, ${draw}) >> 11) + 1)::DOUBLE / 9007199254740992.0`;
}

function normal(seed: number, column: number): string {
  return `(sqrt(-2 * ln(${uniform(seed, column, 1)})) * cos(2 * pi() * ${uniform(seed, column, 2)}))`;
}

/**
 * Column j of one side: normal, lognormal, integer and rounded-normal numeric columns in turn
 * (every fifth with 1% NULLs), then categorical ones. `shifted` (the current table) moves the normal
 * columns by a quarter of a standard deviation, the integer ones by a tenth of a unit (too little to
 * matter), and reweights every fourth categorical column.
 */
function columnSql(j: number, seed: number, shifted: boolean): string {
  if (j >= NUMERIC) {
    const k = j - NUMERIC;
    const categories = 5 + 3 * k;
    const power = shifted && k % 4 === 0 ? 1.4 : 2;
    return `'v' || floor(pow(${uniform(seed, j, 1)}, ${power}) * ${categories})::INTEGER AS c${String(k).padStart(2, '0')}`;
  }
  const sigma = 1 + (j % 7);
  let value: string;
  switch (j % 4) {
    case 0: value = `(${j} + ${sigma} * (${normal(seed, j)} + ${shifted ? 0.25 : 0}))`; break;
    case 1: value = `exp(0.5 * ${normal(seed, j)})`; break;
    case 2: value = `floor(${10 + j} * ${uniform(seed, j, 1)} + ${shifted ? 0.1 : 0})`; break;
    default: value = `round(${sigma} * ${normal(seed, j)}, 2)`;
  }
  const withNulls = j % 5 === 0 ? `CASE WHEN ${uniform(seed, j, 3)} < 0.01 THEN NULL ELSE ${value} END` : value;
  return `${withNulls}::DOUBLE AS n${String(j).padStart(2, '0')}`;
}

async function generate(): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await withDuckDbConnections(1, async ([db]) => {
    for (const [side, seed, shifted] of [['reference', 1, false], ['current', 2, true]] as const) {
      const file = fileOf(side);
      if (existsSync(file)) continue;
      const started = performance.now();
      const columns = Array.from({ length: NUMERIC + CATEGORICAL }, (_, j) => columnSql(j, seed, shifted));
      const partial = `${file}.partial-${process.pid}`;
      await db!.run(`COPY (SELECT ${columns.join(', ')} FROM range(${rows}) t(i)) TO ${quoteLiteral(partial)} (FORMAT parquet, COMPRESSION zstd)`);
      await rename(partial, file);
      process.stderr.write(`generated ${file} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  });
}

/** In a child process: detectDrift alone, reporting its wall time and the process's peak RSS. */
async function measure(): Promise<void> {
  const started = performance.now();
  const report = await detectDrift({ reference: fileOf('reference'), current: fileOf('current') });
  const ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, summary: report.summary })}\n`);
}

const PYTHON_SCRIPT = `
import sys, time
import numpy as np
import scipy
from scipy import stats
total = 0.0
columns = 0
data = sys.stdin.buffer
while True:
    header = data.read(16)
    if len(header) < 16:
        break
    n1, n2 = np.frombuffer(header, dtype=np.int64)
    a = np.frombuffer(data.read(int(n1) * 8), dtype=np.float64)
    b = np.frombuffer(data.read(int(n2) * 8), dtype=np.float64)
    started = time.perf_counter()
    stats.ks_2samp(a, b)
    total += time.perf_counter() - started
    columns += 1
print(total, columns, scipy.__version__)
`;

/** SciPy's ks_2samp over the finite values of every numeric column; returns seconds spent inside ks_2samp. */
async function scipy(): Promise<{ seconds: number; columns: number; version: string }> {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(python, ['-c', PYTHON_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  const write = async (buffer: Uint8Array) => {
    if (!child.stdin.write(buffer)) await once(child.stdin, 'drain');
  };
  await withDuckDbConnections(1, async ([db]) => {
    const names = Array.from({ length: NUMERIC }, (_, j) => `n${String(j).padStart(2, '0')}`);
    for (const name of names) {
      const columns: Float64Array[] = [];
      for (const side of ['reference', 'current'] as const) {
        const result = await db!.run(`SELECT ${name} FROM read_parquet(${quoteLiteral(fileOf(side))}) WHERE isfinite(${name})`);
        const values = new Float64Array(result.rowCount);
        let at = 0;
        for (let k = 0; k < result.chunkCount; k++) {
          const vector = result.getChunk(k).getColumnVector(0);
          for (let i = 0; i < vector.itemCount; i++) values[at++] = vector.getItem(i) as number;
        }
        columns.push(values);
      }
      const [ref, cur] = columns as [Float64Array, Float64Array];
      await write(new Uint8Array(BigInt64Array.from([BigInt(ref.length), BigInt(cur.length)]).buffer));
      await write(new Uint8Array(ref.buffer, ref.byteOffset, ref.byteLength));
      await write(new Uint8Array(cur.buffer, cur.byteOffset, cur.byteLength));
    }
  });
  child.stdin.end();
  if ((await exited) !== 0) throw new Error(`${python} failed`);
  const [seconds, columns, version] = output.trim().split(/\s+/);
  return { seconds: Number(seconds), columns: Number(columns), version: version ?? '?' };
}

async function main(): Promise<void> {
  if (process.argv.includes('--generate')) return generate();
  if (process.argv.includes('--measure')) return measure();
  const self = fileURLToPath(import.meta.url);
  const node = (extra: string[]) => spawnSync(process.execPath, ['--import', 'tsx', self, ...extra, '--rows', String(rows)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const generated = node(['--generate']);
  if (generated.status !== 0) throw new Error('generating the tables failed');

  const runs = [1, 2, 3].map(() => {
    const run = node(['--measure']);
    if (run.status !== 0) throw new Error('detectDrift failed');
    return JSON.parse(run.stdout) as { ms: number; maxRssKb: number; summary: unknown };
  });
  const best = runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  process.stderr.write(`detectDrift runs: ${runs.map((r) => `${(r.ms / 1000).toFixed(2)} s`).join(', ')}; summary ${JSON.stringify(best.summary)}\n`);
  const baseline = await scipy();

  const date = new Date().toISOString().slice(0, 10);
  const nodeVersion = execFileSync(process.execPath, ['--version'], { encoding: 'utf8' }).trim();
  const shape = `${rows.toLocaleString('en-US')} rows × ${NUMERIC + CATEGORICAL} columns (${NUMERIC} numeric, ${CATEGORICAL} categorical)`;
  process.stdout.write('| date | nproc | node | command | ours | scipy | ratio |\n|---|---|---|---|---|---|---|\n');
  process.stdout.write(`| ${date} | ${availableParallelism()} | ${nodeVersion} | \`npm run bench -- drift\`: detectDrift, ${shape}, best of 3 (peak RSS ${Math.round(best.maxRssKb / 1024)} MiB) `
    + `| ${(best.ms / 1000).toFixed(2)} s | ks_2samp on the ${baseline.columns} numeric columns, SciPy ${baseline.version}, reading excluded: ${baseline.seconds.toFixed(2)} s `
    + `| ${(baseline.seconds / (best.ms / 1000)).toFixed(1)}× faster |\n`);
}

await main();
