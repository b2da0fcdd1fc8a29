import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { ingest, ingestComponent } from './ingest.js';
import { sampleDataPath } from './sample-data.js';
import { schemaComponent } from './schema.js';
import { computeStatistics, statisticsComponent } from './statistics.js';
import type { ColumnStatistics, DatasetStatistics } from './statistics-format.js';
import { runComponent } from './test-support.js';
import { validateComponent } from './validate.js';

const FLIGHTS = sampleDataPath('flights-3m.parquet');
const monthQuery = (month: number) =>
  `SELECT *, hour(date) AS hour, (delay > 15)::INTEGER AS delayed FROM source WHERE month(date) = ${month}`;

let dir: string;
let january: DatasetStatistics;

function numeric(statistics: DatasetStatistics, name: string): Extract<ColumnStatistics, { kind: 'numeric' }>['numeric'] {
  const column = statistics.columns.find((c) => c.name === name);
  if (column?.kind !== 'numeric') throw new Error(`${name} is not numeric`);
  return column.numeric;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-flights-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a month of flights', () => {
  it('ingests exactly the rows DuckDB counts for January', async () => {
    const result = await ingest({ source: FLIGHTS, query: monthQuery(1), output: join(dir, 'january.parquet') });
    const direct = await withDuckDb(async (db) => (await queryRows(db,
      `SELECT count(*) AS all_rows, count(*) FILTER (WHERE month(date) = 1) AS january FROM read_parquet(${quoteLiteral(FLIGHTS)})`))[0]!);
    expect(result.rowsRead).toBe(toNumber(direct.all_rows));
    expect(result.rowsWritten).toBe(toNumber(direct.january));
    expect(result.rowsWritten).toBeGreaterThan(500_000);
    expect(result.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'date TIMESTAMP', 'delay BIGINT', 'distance BIGINT', 'origin VARCHAR', 'destination VARCHAR', 'hour BIGINT', 'delayed INTEGER',
    ]);
  });

  it('computes statistics that agree with direct DuckDB queries', async () => {
    january = await computeStatistics(join(dir, 'january.parquet'));
    const direct = await withDuckDb(async (db) => (await queryRows(db, `
      SELECT count(*) AS n, avg(delay) AS mean, stddev_samp(delay) AS std, min(delay) AS min, max(delay) AS max,
             quantile_cont(delay, [0.01, 0.25, 0.5, 0.75, 0.99]) AS q, count(DISTINCT origin) AS origins,
             avg((delay > 15)::INTEGER) AS delayed_share, min(date)::VARCHAR AS first
      FROM read_parquet(${quoteLiteral(FLIGHTS)}) WHERE month(date) = 1`))[0]!);
    const topOrigin = await withDuckDb(async (db) => (await queryRows(db, `
      SELECT origin, count(*) AS n FROM read_parquet(${quoteLiteral(FLIGHTS)}) WHERE month(date) = 1
      GROUP BY origin ORDER BY n DESC, origin LIMIT 1`))[0]!);

    expect(january.rowCount).toBe(toNumber(direct.n));
    const delay = numeric(january, 'delay');
    expect(delay.mean).toBeCloseTo(direct.mean as number, 9);
    expect(delay.std).toBeCloseTo(direct.std as number, 9);
    expect([delay.min, delay.max]).toEqual([toNumber(direct.min), toNumber(direct.max)]);
    expect(Object.values(delay.quantiles!)).toEqual(direct.q);
    expect(delay.histogram!.counts.reduce((a, b) => a + b)).toBe(january.rowCount);
    expect(numeric(january, 'delayed').mean).toBeCloseTo(direct.delayed_share as number, 12);

    const origin = january.columns.find((c) => c.name === 'origin')!;
    expect(origin.distinct).toBe(toNumber(direct.origins));
    if (origin.kind !== 'categorical') throw new Error('origin is not categorical');
    expect(origin.categorical.allValues).toBe(true);
    expect(origin.categorical.topValues).toHaveLength(origin.distinct);
    expect(origin.categorical.topValues[0]).toEqual({ value: topOrigin.origin, count: toNumber(topOrigin.n) });
    const date = january.columns.find((c) => c.name === 'date')!;
    expect(date.kind === 'timestamp' && date.timestamp.min).toBe(direct.first);
  });

  it('runs as pipeline steps: February passes validation against January’s schema, with warnings only', async () => {
    const steps = async (month: number) => {
      const ingested = await runComponent(ingestComponent, { dir: join(dir, `ingest-${month}`), params: { source: FLIGHTS, query: monthQuery(month) } });
      return runComponent(statisticsComponent, { dir: join(dir, `statistics-${month}`), inputs: { examples: ingested.outputs.examples.path } });
    };
    const reference = await steps(1);
    const schema = await runComponent(schemaComponent, {
      dir: join(dir, 'schema'), params: { labelColumn: 'delayed' }, inputs: { statistics: reference.outputs.statistics.path },
    });
    const february = await steps(2);
    const validated = await runComponent(validateComponent, {
      dir: join(dir, 'validate'), inputs: { statistics: february.outputs.statistics.path, schema: schema.outputs.schema.path },
    });
    expect(validated.result).toMatchObject({ errors: 0 });
    expect(validated.outputs.anomalies.properties.errors).toBe(0);
  });
});
