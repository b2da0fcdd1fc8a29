// Write throughput and lineage latency of the SQL metadata store, on SQLite and (when reachable)
// PostgreSQL. Prints one markdown table row per measure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import type { MetadataBackend } from '../packages/flywheel/src/metadata/metadata-backend.js';
import type { Artifact, NewArtifact, NewEvent } from '../packages/flywheel/src/metadata/model.js';
import { openPostgresMetadataBackend } from '../packages/flywheel/src/metadata/sql/postgres/open-postgres-metadata.js';
import { openSqliteMetadataBackend } from '../packages/flywheel/src/metadata/sql/sqlite/open-sqlite-metadata.js';

const POSTGRES_ADMIN_URL = process.env.FLYWHEEL_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
const COMMAND = 'npm run bench -- metadata';
const BATCH = 1_000;
const LINEAGE_DEPTH = 10;
const LINEAGE_QUERIES = 20;

interface Sizes {
  /** Artifacts (and as many events) written through the batch calls. */
  batchRows: number;
  /** Pipeline steps written through startExecution/finishExecution. */
  steps: number;
  /** Executions in the lineage graph; artifacts are four per execution, plus the root. */
  graphExecutions: number;
}

const SQLITE_SIZES: Sizes = { batchRows: 100_000, steps: 3_000, graphExecutions: 20_000 };
const POSTGRES_SIZES: Sizes = { batchRows: 50_000, steps: 500, graphExecutions: 20_000 };

function row(measure: string, figure: string, target: string): void {
  const date = new Date().toISOString().slice(0, 10);
  console.log(`| ${date} | ${availableParallelism()} | ${process.version} | \`${COMMAND}\` | ${measure} | ${figure} | ${target} |`);
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

function newArtifact(i: number): NewArtifact {
  return {
    type: 'Dataset',
    uri: `file:///data/${i}.parquet`,
    digest: (i.toString(16).padStart(8, '0')).repeat(8),
    sizeBytes: i,
    properties: { split: 'train', rows: i },
  };
}

/** (a) batches: putArtifacts then putEvents linking them to one execution per batch. */
async function batchWrites(backend: MetadataBackend, rows: number): Promise<number> {
  const store = backend.metadata;
  const started = performance.now();
  for (let offset = 0; offset < rows; offset += BATCH) {
    const count = Math.min(BATCH, rows - offset);
    const execution = await store.putExecution({ type: 'ingest@1', state: 'running' });
    const artifacts = await store.putArtifacts(Array.from({ length: count }, (_, i) => newArtifact(offset + i)));
    await store.putEvents(artifacts.map((a, i) => ({ executionId: execution.id, artifactId: a.id, kind: 'output', name: 'examples', index: i })));
  }
  return perSecond(rows * 2, performance.now() - started);
}

/** (a) per step: each step consumes the previous step's output and writes one new artifact. */
async function stepWrites(backend: MetadataBackend, steps: number): Promise<{ rate: number; stepsPerSecond: number }> {
  const store = backend.metadata;
  const run = await store.ensureContext({ type: 'pipeline_run', name: `bench-${Date.now()}` });
  let [previous] = await store.putArtifacts([newArtifact(0)]) as [Artifact];
  const step = async (i: number): Promise<void> => {
    const execution = await store.startExecution({
      execution: { type: 'transform@1', name: 'transform', cacheKey: `k${i}` },
      inputs: [{ name: 'examples', artifactId: previous.id }],
      contextIds: [run.id],
    });
    const finished = await store.finishExecution(execution.id, {
      patch: { state: 'complete' },
      outputs: [{ name: 'transformed', artifact: newArtifact(i) }],
    });
    previous = finished.outputs[0] as Artifact;
  };
  for (let i = 1; i <= warmUp(steps); i++) await step(i);
  const started = performance.now();
  for (let i = 1; i <= steps; i++) await step(i);
  const ms = performance.now() - started;
  // Per step: one input event, one output artifact, one output event.
  return { rate: perSecond(steps * 3, ms), stepsPerSecond: perSecond(steps, ms) };
}

/** Steps run before timing, so the figures are of compiled code, not of the JIT warming up. */
function warmUp(steps: number): number {
  return Math.ceil(steps / 10);
}

/** The same rows as batchWrites, through raw better-sqlite3 prepared statements in one transaction. */
function rawSqliteWrites(path: string, rows: number): number {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const typeId = Number(db.prepare(`insert into types (kind, name, properties) values ('artifact', 'RawDataset', '{}')`).run().lastInsertRowid);
  const executionType = Number(db.prepare(`insert into types (kind, name, properties) values ('execution', 'raw@1', '{}')`).run().lastInsertRowid);
  const insertExecution = db.prepare(
    'insert into executions (type_id, state, properties, created_at, updated_at) values (?, ?, ?, ?, ?)',
  );
  const insertArtifact = db.prepare(
    'insert into artifacts (type_id, name, uri, digest, size_bytes, state, properties, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertEvent = db.prepare(
    'insert into events (execution_id, artifact_id, kind, name, position, created_at) values (?, ?, ?, ?, ?, ?)',
  );
  const started = performance.now();
  db.transaction(() => {
    const now = Date.now();
    let executionId = 0;
    for (let i = 0; i < rows; i++) {
      if (i % BATCH === 0) executionId = Number(insertExecution.run(executionType, 'running', '{}', now, now).lastInsertRowid);
      const a = newArtifact(i);
      const artifactId = insertArtifact.run(typeId, null, a.uri, a.digest, a.sizeBytes, 'live', JSON.stringify(a.properties), now, now).lastInsertRowid;
      insertEvent.run(executionId, artifactId, 'output', 'examples', i % BATCH, now);
    }
  })();
  const rate = perSecond(rows * 2, performance.now() - started);
  db.close();
  return rate;
}

/** The statements one startExecution/finishExecution pair runs, as raw prepared statements. */
function rawSqliteSteps(path: string, steps: number): number {
  const db = new Sqlite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const now = Date.now();
  const typeId = Number(db.prepare(`insert into types (kind, name, properties) values ('artifact', 'StepDataset', '{}')`).run().lastInsertRowid);
  const executionType = Number(db.prepare(`insert into types (kind, name, properties) values ('execution', 'step@1', '{}')`).run().lastInsertRowid);
  const contextType = Number(db.prepare(`insert into types (kind, name, properties) values ('context', 'step_run', '{}')`).run().lastInsertRowid);
  const contextId = Number(db.prepare('insert into contexts (type_id, name, properties, created_at, updated_at) values (?, ?, ?, ?, ?)')
    .run(contextType, 'run', '{}', now, now).lastInsertRowid);
  const insertArtifact = db.prepare(
    'insert into artifacts (type_id, name, uri, digest, size_bytes, state, properties, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id',
  );
  const selectArtifacts = db.prepare('select id from artifacts where id in (?)');
  const selectContexts = db.prepare('select id from contexts where id in (?)');
  const insertExecution = db.prepare(
    'insert into executions (type_id, name, state, cache_key, properties, error, started_at, ended_at, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning id',
  );
  const insertEvent = db.prepare('insert into events (execution_id, artifact_id, kind, name, position, created_at) values (?, ?, ?, ?, ?, ?) returning id');
  const associate = db.prepare('insert into associations (context_id, execution_id) values (?, ?) on conflict do nothing');
  const selectExecution = db.prepare('select * from executions where id = ?');
  const selectAssociations = db.prepare('select context_id from associations where execution_id = ?');
  const attribute = db.prepare('insert into attributions (context_id, artifact_id) values (?, ?) on conflict do nothing');
  const updateExecution = db.prepare(
    'update executions set state = ?, properties = ?, error = ?, started_at = ?, ended_at = ?, updated_at = ? where id = ?',
  );
  const artifact = (i: number): number => {
    const a = newArtifact(i);
    return (insertArtifact.get(typeId, null, a.uri, a.digest, a.sizeBytes, 'live', JSON.stringify(a.properties), now, now) as { id: number }).id;
  };
  const start = db.transaction((input: number): number => {
    selectArtifacts.all(input);
    selectContexts.all(contextId);
    const { id } = insertExecution.get(executionType, 'transform', 'running', 'k', '{}', null, now, null, now, now) as { id: number };
    insertEvent.get(id, input, 'input', 'examples', 0, now);
    associate.run(contextId, id);
    return id;
  });
  const finish = db.transaction((executionId: number, i: number): number => {
    selectExecution.get(executionId);
    const output = artifact(i);
    insertEvent.get(executionId, output, 'output', 'transformed', 0, now);
    for (const { context_id } of selectAssociations.all(executionId) as { context_id: number }[]) attribute.run(context_id, output);
    updateExecution.run('complete', '{}', null, now, Date.now(), Date.now(), executionId);
    return output;
  });
  // `.immediate`, as the store begins its transactions.
  let previous = artifact(0);
  for (let i = 1; i <= warmUp(steps); i++) previous = finish.immediate(start.immediate(previous), i);
  const started = performance.now();
  for (let i = 1; i <= steps; i++) previous = finish.immediate(start.immediate(previous), i);
  const rate = perSecond(steps * 3, performance.now() - started);
  db.close();
  return rate;
}

/**
 * A binary tree of steps: execution i consumes main artifact parent(i) and produces main artifact
 * i plus three side outputs (metrics, logs, statistics), as pipeline steps do. With E executions
 * the graph has 5E + 1 nodes.
 */
async function buildTree(backend: MetadataBackend, executions: number): Promise<number[]> {
  const store = backend.metadata;
  const main = (await store.putArtifacts(Array.from({ length: executions + 1 }, (_, i) => newArtifact(i)))).map((a) => a.id);
  const side = (await store.putArtifacts(Array.from({ length: 3 * executions }, (_, i) => newArtifact(executions + 1 + i)))).map((a) => a.id);
  const executionIds: number[] = [];
  for (let i = 1; i <= executions; i++) {
    executionIds.push((await store.putExecution({ type: 'split@1', state: 'complete' })).id);
    if (i % 5_000 === 0) progress(`  ${i} / ${executions} executions`);
  }
  const stepsPerBatch = BATCH;
  for (let from = 1; from <= executions; from += stepsPerBatch) {
    const events: NewEvent[] = [];
    for (let i = from; i < from + stepsPerBatch && i <= executions; i++) {
      const executionId = executionIds[i - 1] as number;
      events.push({ executionId, artifactId: main[Math.floor((i - 1) / 2)] as number, kind: 'input', name: 'examples' });
      events.push({ executionId, artifactId: main[i] as number, kind: 'output', name: 'examples' });
      for (let k = 0; k < 3; k++) events.push({ executionId, artifactId: side[3 * (i - 1) + k] as number, kind: 'output', name: 'side', index: k });
    }
    await store.putEvents(events);
  }
  return main;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function lineageLatency(
  backend: MetadataBackend,
  direction: 'upstream' | 'downstream' | 'both',
  starts: number[],
): Promise<{ median: number; p95: number; nodes: number }> {
  const times: number[] = [];
  let nodes = 0;
  for (const artifactId of starts) {
    const started = performance.now();
    const graph = await backend.metadata.lineage({ artifactId }, { direction, depth: LINEAGE_DEPTH });
    times.push(performance.now() - started);
    nodes += graph.artifacts.length + graph.executions.length;
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p95: percentile(times, 95), nodes: Math.round(nodes / starts.length) };
}

async function measure(
  label: string,
  sizes: Sizes,
  open: () => Promise<MetadataBackend>,
  baselines: { batch?: () => Promise<number>; steps?: () => Promise<number> } = {},
  openForBulkLoad?: () => Promise<MetadataBackend>,
): Promise<void> {
  progress(`${label}: ${sizes.batchRows} artifacts + ${sizes.batchRows} events in batches of ${BATCH}…`);
  const writes = await open();
  const batchRate = await batchWrites(writes, sizes.batchRows);
  row(`${label}: artifacts+events/s via putArtifacts/putEvents batches of ${BATCH}`, `${batchRate.toLocaleString('en-US')}/s`, '≥ 20,000/s');
  progress(`${label}: ${sizes.steps} steps through startExecution/finishExecution…`);
  const steps = await stepWrites(writes, sizes.steps);
  row(
    `${label}: artifacts+events/s via startExecution/finishExecution per step (3 per step)`,
    `${steps.rate.toLocaleString('en-US')}/s (${steps.stepsPerSecond.toLocaleString('en-US')} steps/s)`,
    '≥ 20,000/s',
  );
  await writes.close();
  if (baselines.batch !== undefined) {
    const raw = await baselines.batch();
    row(
      `${label}: baseline, raw better-sqlite3 prepared inserts of the same rows in one transaction`,
      `${raw.toLocaleString('en-US')}/s (raw is ${(raw / batchRate).toFixed(1)}× the batch API)`,
      '—',
    );
  }
  if (baselines.steps !== undefined) {
    const raw = await baselines.steps();
    row(
      `${label}: baseline, raw better-sqlite3 running the same statements per step (two transactions per step)`,
      `${raw.toLocaleString('en-US')}/s (raw is ${(raw / steps.rate).toFixed(1)}× the step API)`,
      '—',
    );
  }

  const nodes = sizes.graphExecutions * 5 + 1;
  progress(`${label}: building a tree of ${nodes} nodes (${sizes.graphExecutions} executions)…`);
  const backend = await (openForBulkLoad ?? open)();
  const buildStarted = performance.now();
  const artifactIds = await buildTree(backend, sizes.graphExecutions);
  progress(`${label}: built in ${((performance.now() - buildStarted) / 1000).toFixed(1)} s`);
  const random = (from: number, to: number): number => Math.floor(from + Math.random() * (to - from));
  const leaves = Array.from({ length: LINEAGE_QUERIES }, () => artifactIds[random(artifactIds.length / 2, artifactIds.length)] as number);
  // Main artifacts about 6 levels above the leaves: downstream walks reach the full 10 hops.
  const inner = Array.from({ length: LINEAGE_QUERIES }, () => artifactIds[random(artifactIds.length / 128, artifactIds.length / 64)] as number);
  for (const [direction, starts] of [['upstream', leaves], ['downstream', inner], ['both', inner]] as const) {
    const result = await lineageLatency(backend, direction, starts);
    row(
      `${label}: lineage ${direction}, ${LINEAGE_DEPTH} hops, ${nodes.toLocaleString('en-US')}-node graph (${result.nodes} nodes returned, ${LINEAGE_QUERIES} queries)`,
      `median ${result.median.toFixed(2)} ms, p95 ${result.p95.toFixed(2)} ms`,
      '< 50 ms',
    );
  }
  await backend.close();
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A throwaway database, dropped afterwards. */
async function withPostgresDatabase(work: (url: string, name: string) => Promise<void>): Promise<void> {
  const name = `flywheel_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  try {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    await work(url.toString(), name);
  } finally {
    await adminQuery(`drop database if exists ${name} with (force)`);
  }
}

console.log('| date | nproc | node | command | measure | figure | target |');
console.log('|---|---|---|---|---|---|---|');

const dir = mkdtempSync(join(tmpdir(), 'flywheel-bench-'));
try {
  let files = 0;
  const openSqlite = (): Promise<MetadataBackend> => openSqliteMetadataBackend({ path: join(dir, `metadata-${++files}.db`) });
  // The raw baselines run on the store's schema, created by opening a file once.
  const migrated = async (name: string): Promise<string> => {
    const path = join(dir, name);
    await (await openSqliteMetadataBackend({ path })).close();
    return path;
  };
  await measure('SQLite', SQLITE_SIZES, openSqlite, {
    batch: async () => rawSqliteWrites(await migrated('raw-batch.db'), SQLITE_SIZES.batchRows),
    steps: async () => rawSqliteSteps(await migrated('raw-steps.db'), SQLITE_SIZES.steps),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (await postgresReachable()) {
  await withPostgresDatabase((url, name) => {
    const open = (): Promise<MetadataBackend> => openPostgresMetadataBackend({ url });
    // Building the graph is setup, not a measure: its 20k single-execution transactions need not
    // each wait for a WAL flush. Measured writes above ran with the default.
    const openForBulkLoad = async (): Promise<MetadataBackend> => {
      await adminQuery(`alter database ${name} set synchronous_commit = off`);
      return open();
    };
    return measure('PostgreSQL', POSTGRES_SIZES, open, {}, openForBulkLoad);
  });
} else {
  progress(`PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable: skipped`);
}
