import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, withDuckDb } from '../src/data/duckdb.js';
import { openStack } from '../src/config/open-stack.js';
import { writeFlightsMonth } from '../src/train/test-support.js';
import { runCli, startCli, waitFor } from './cli.js';

/** Writes the columns the Arrow test needs as an Arrow IPC file, with apache-arrow. */
async function writeArrowFile(path: string, parquet: string): Promise<void> {
  const rows = await withDuckDb(async (db) => (await db.runAndReadAll(`SELECT distance::DOUBLE AS distance, origin, delayed FROM read_parquet(${quoteLiteral(parquet)})`)).getRowObjectsJS());
  const table = tableFromArrays({
    distance: Float64Array.from(rows, (r) => Number(r.distance)),
    origin: rows.map((r) => String(r.origin)),
    delayed: Int32Array.from(rows, (r) => Number(r.delayed)),
  });
  await writeFile(path, tableToIPC(table, 'file'));
}

// Level 0 from the terminal: one command trains, evaluates, tracks and registers.
describe('flywheel train', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fw-train-cli-'));
  const january = join(dir, 'jan.parquet');
  const february = join(dir, 'feb.parquet');
  beforeAll(async () => {
    await writeFlightsMonth(january, 1, 20_000);
    await writeFlightsMonth(february, 2, 5_000);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('trains GBDT on a file, evaluates on another, tracks the run and registers the model, printing JSON', async () => {
    const result = await runCli([
      'train', '-t', 'gbdt', '-d', january, '--test', february, '-l', 'delayed',
      '--numeric', 'distance', '--categorical', 'origin,destination', '--time', 'date',
      '-P', 'maxIterations=30', '-m', 'flights', '--alias', 'champion', '--json',
    ], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      runId: string; trainer: string; task: string; label: string; features: Record<string, string[]>;
      rows: { train: number; test: number }; model: { name: string; version: number; created: boolean; alias: string };
      metrics: Record<string, number>; training: Record<string, number>;
    };
    expect(json).toMatchObject({
      trainer: 'gbdt', task: 'classification', label: 'delayed',
      features: { numeric: ['distance'], categorical: ['origin', 'destination'], time: ['date'] },
      rows: { train: 20_000, test: 5_000 },
      model: { name: 'flights', version: 1, created: true, alias: 'champion' },
    });
    expect(json.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(json.metrics.auc).toBeGreaterThan(0.55);
    for (const key of ['prAuc', 'logLoss', 'brierScore', 'accuracy', 'precision', 'recall', 'f1']) expect(json.metrics).toHaveProperty(key);
    expect(json.training.iterations).toBeLessThanOrEqual(30);

    const stack = await openStack({ projectDir: dir, env: {} });
    try {
      const run = await stack.tracking.store.getRun(json.runId);
      expect(run.info.status).toBe('FINISHED');
      const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
      expect(metrics.auc).toBeCloseTo(json.metrics.auc!, 12);
      const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]));
      expect(params).toMatchObject({ trainer: 'gbdt', label: 'delayed', maxIterations: '30', task: 'classification' });
      expect((await stack.tracking.store.listArtifacts(json.runId, 'model')).map((f) => f.path)).toEqual(['model/model.onnx']);
      const version = await stack.registry.getVersion('flights', 1);
      expect(version).toMatchObject({ runId: json.runId, tags: { 'flywheel.trainer': 'gbdt' }, trainingData: { uri: pathToFileURL(january).href, artifactId: null } });
      expect(version.trainingData?.digest).toMatch(/^[0-9a-f]{64}$/);
      const data = version.signature?.data as { features: { name: string }[]; label: { name: string } };
      expect(data.features.map((f) => f.name)).toEqual(['distance', 'origin', 'destination', 'date']);
      expect(data.label.name).toBe('delayed');
      expect(version.metrics.auc).toBeCloseTo(json.metrics.auc!, 12);
      expect(await stack.registry.aliases('flights')).toEqual({ champion: 1 });
    } finally {
      await stack.close();
    }
  });

  it('serves the model with a time feature: /predict takes the timestamp as ISO 8601 text or epoch seconds', async () => {
    const { child, done } = startCli(['serve', 'flights@champion', '--port', '0', '--no-prediction-log'], { cwd: dir });
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor('the server to listen', () => /at http:\/\/127\.0\.0\.1:\d+/.test(out));
    const url = /at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
    const predict = (date: unknown) => fetch(`${url}/predict`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ distance: 500, origin: 'ORD', destination: 'LAX', date }] }),
    });
    const asText = (await (await predict('2001-01-05 18:30:00')).json()) as { predictions: { probability: number }[] };
    const asSeconds = (await (await predict(978719400)).json()) as { predictions: { probability: number }[] };
    expect(asText.predictions[0]!.probability).toBe(asSeconds.predictions[0]!.probability);
    const bad = await predict('tomorrow');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('instances[0].date');
    child.kill('SIGINT');
    expect((await done).code).toBe(0);
  });

  it('reads Arrow files given as --test, and leaves out empty columns when it infers the features', async () => {
    const arrow = join(dir, 'feb.arrow');
    const withNotes = join(dir, 'jan-notes.parquet');
    await withDuckDb(async (db) => {
      await db.run(`COPY (SELECT distance, origin, delayed, NULL::VARCHAR AS notes FROM read_parquet(${quoteLiteral(january)})) TO ${quoteLiteral(withNotes)} (FORMAT parquet)`);
    });
    await writeArrowFile(arrow, february);
    const result = await runCli(['train', '-t', 'logistic', '-d', withNotes, '--test', arrow, '-l', 'delayed', '-m', 'arrow', '--json'], { cwd: dir });
    expect(result.stderr).toBe('');
    const json = JSON.parse(result.stdout) as { features: Record<string, string[]>; rows: { test: number } };
    expect(json.features).toEqual({ numeric: ['distance'], categorical: ['origin'], time: [] });
    expect(json.rows.test).toBe(5_000);
  });

  it('infers the features, holds out test rows, and prints a summary', async () => {
    const result = await runCli(['train', '-t', 'logistic', '-d', january, '-l', 'delayed', '--exclude', 'delay,hour,dow', '-e', 'quick'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/held out \d+ of 20000 rows for testing \(random:0\.8\)/);
    expect(result.stdout).toContain('training logistic (classification) on numeric distance; categorical origin, destination; time date to predict delayed');
    expect(result.stdout).toMatch(/logistic classification, \d+ training rows, \d+ test rows/);
    expect(result.stdout).toMatch(/registered jan v1/);
    const search = await runCli(['runs', 'search', '-e', 'quick', '--json'], { cwd: dir });
    expect((JSON.parse(search.stdout) as { runs: unknown[] }).runs).toHaveLength(1);
  });

  it('names the culprit of bad input and registers nothing', async () => {
    const cases: [string[], RegExp][] = [
      [['-t', 'forest', '-d', january, '-l', 'delayed'], /option '-t, --trainer <name>' argument 'forest' is invalid/],
      [['-t', 'gbdt', '-d', join(dir, 'nope.parquet'), '-l', 'delayed'], /--data: no such file/],
      [['-t', 'gbdt', '-d', january, '-l', 'late'], /--label: label column "late" is not in the dataset/],
      [['-t', 'gbdt', '-d', january, '-l', 'delayed', '-P', 'learningrate=0.3'], /--param learningrate: is not a parameter of this trainer/],
      [['-t', 'gbdt', '-d', january, '-l', 'delayed', '-P', 'learningRate=-1'], /--param learningRate: /],
      [['-t', 'logistic', '-d', january, '-l', 'distance', '--numeric', 'hour'], /label "distance" must be 0 or 1/],
      [['-t', 'logistic', '-d', january, '-l', 'delayed', '--split', 'random:train=0.5,eval=0.3,test=0.2'], /--split: makes 3 parts/],
      [['-t', 'logistic', '-d', january, '-l', 'delayed', '--task', 'regression'], /--task: does not apply to this trainer/],
      [['-t', 'gbdt', '-d', january, '-l', 'delayed', '-P', 'label=delay'], /--param label: is set with --label, not --param/],
      [['-t', 'logistic', '-d', january, '-l', 'delayed', '--split', 'time:date:1990-01-01'], /--split: time:date:1990-01-01 leaves no training rows: 0 of 20000 rows train, 20000 test/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['train', ...args, '-m', 'bad'], { cwd: dir });
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    const noProject = await runCli(['--project', join(dir, 'missing'), 'train', '-t', 'gbdt', '-d', january, '-l', 'delayed'], { cwd: dir });
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain(`--project: no such folder: ${join(dir, 'missing')}`);
    const models = await runCli(['models', 'list', '--json'], { cwd: dir });
    expect(JSON.stringify(JSON.parse(models.stdout))).not.toContain('"bad"');
  });
});
