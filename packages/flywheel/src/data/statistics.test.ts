import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { sampleDataPath } from './sample-data.js';
import { computeStatistics, statisticsComponent } from './statistics.js';
import { STATISTICS_FORMAT, readStatisticsFile } from './statistics-format.js';
import type { ColumnStatistics, DatasetStatistics } from './statistics-format.js';
import { runComponent } from './test-support.js';

let dir: string;
let stats: DatasetStatistics;
const file = (name: string) => join(dir, name);

function column<K extends ColumnStatistics['kind']>(statistics: DatasetStatistics, name: string, kind: K): Extract<ColumnStatistics, { kind: K }> {
  const found = statistics.columns.find((c) => c.name === name);
  expect(found?.kind).toBe(kind);
  return found as Extract<ColumnStatistics, { kind: K }>;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-statistics-'));
  // Built by DuckDB so that each column has exactly the type under test.
  await withDuckDb(async (db) => {
    await db.run(`COPY (
      SELECT * FROM (VALUES
        (10::INTEGER, 0.5::DOUBLE, 'red', true, TIMESTAMP '2024-01-01 10:00:00', NULL::INTEGER, 7::BIGINT, {'a': 1}, 'é'),
        (20, 'nan'::DOUBLE, 'blue', false, TIMESTAMP '2024-01-02 11:00:00', NULL, 7, {'a': 2}, 'ab'),
        (NULL, 'inf'::DOUBLE, 'red', true, TIMESTAMP '2024-01-03 12:00:00', NULL, 7, {'a': 1}, 'abc'),
        (40, 1.5, NULL, true, NULL, NULL, 7, NULL, 'abc'),
        (50, 2.5, 'green', NULL, TIMESTAMP '2024-01-05 00:00:00', NULL, 7, {'a': 3}, 'abc')
      ) AS t(score, ratio, color, flag, seen, nothing, constant, nested, word)
    ) TO ${quoteLiteral(file('fixture.parquet'))} (FORMAT parquet)`);
  });
  await writeFile(file('header-only.csv'), 'a,b\n');
  stats = await computeStatistics(file('fixture.parquet'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('computeStatistics', () => {
  it('tags the document and counts rows', () => {
    expect(stats.format).toBe(STATISTICS_FORMAT);
    expect(stats.rowCount).toBe(5);
    expect(stats.exact).toEqual({ distinct: true, quantiles: true });
    expect(stats.columns.map((c) => [c.name, c.type, c.kind])).toEqual([
      ['score', 'INTEGER', 'numeric'],
      ['ratio', 'DOUBLE', 'numeric'],
      ['color', 'VARCHAR', 'categorical'],
      ['flag', 'BOOLEAN', 'boolean'],
      ['seen', 'TIMESTAMP', 'timestamp'],
      ['nothing', 'INTEGER', 'numeric'],
      ['constant', 'BIGINT', 'numeric'],
      ['nested', 'STRUCT(a INTEGER)', 'other'],
      ['word', 'VARCHAR', 'categorical'],
    ]);
  });

  it('computes numeric measures, quantile_cont quantiles and a 20-bin histogram', () => {
    const score = column(stats, 'score', 'numeric');
    expect(score).toMatchObject({ count: 4, missing: 1, distinct: 4 });
    const { numeric } = score;
    expect(numeric).toMatchObject({ min: 10, max: 50, mean: 30, nonFinite: 0 });
    expect(numeric.std).toBeCloseTo(Math.sqrt(1000 / 3), 10);
    const q = numeric.quantiles!;
    expect([q.p01, q.p25, q.p50, q.p75, q.p99].map((v) => Number(v.toFixed(9)))).toEqual([10.3, 17.5, 30, 42.5, 49.7]);
    const histogram = numeric.histogram!;
    expect(histogram.edges).toHaveLength(21);
    expect(histogram.edges[0]).toBe(10);
    expect(histogram.edges[20]).toBe(50);
    expect(histogram.edges[1]).toBeCloseTo(12, 10);
    const expected = new Array(20).fill(0);
    expected[0] = 1;
    expected[5] = 1;
    expected[15] = 1;
    expected[19] = 1; // the maximum belongs to the last bin
    expect(histogram.counts).toEqual(expected);
  });

  it('keeps NaN and Infinity out of numeric measures and counts them', () => {
    const ratio = column(stats, 'ratio', 'numeric');
    expect(ratio).toMatchObject({ count: 5, missing: 0 });
    expect(ratio.numeric).toMatchObject({ min: 0.5, max: 2.5, mean: 1.5, std: 1, nonFinite: 2 });
    expect(ratio.numeric.histogram!.counts.reduce((a, b) => a + b)).toBe(3);
  });

  it('puts a constant column in the first bin', () => {
    const constant = column(stats, 'constant', 'numeric');
    expect(constant.numeric).toMatchObject({ min: 7, max: 7, mean: 7, std: 0 });
    expect(constant.numeric.histogram!.edges.every((edge) => edge === 7)).toBe(true);
    expect(constant.numeric.histogram!.counts[0]).toBe(5);
  });

  it('describes an all-null column without inventing measures', () => {
    const nothing = column(stats, 'nothing', 'numeric');
    expect(nothing).toMatchObject({ count: 0, missing: 5, distinct: 0 });
    expect(nothing.numeric).toEqual({ min: null, max: null, mean: null, std: null, nonFinite: 0, quantiles: null, histogram: null });
  });

  it('lists categorical values by count, ties by value, with string lengths in characters', () => {
    const color = column(stats, 'color', 'categorical');
    expect(color).toMatchObject({ count: 4, missing: 1, distinct: 3 });
    expect(color.categorical).toEqual({
      topValues: [{ value: 'red', count: 2 }, { value: 'blue', count: 1 }, { value: 'green', count: 1 }],
      allValues: true,
      length: { min: 3, mean: 3.75, max: 5 },
    });
    expect(column(stats, 'word', 'categorical').categorical.length).toEqual({ min: 1, mean: 2.4, max: 3 });
  });

  it('counts booleans, bounds timestamps, and counts values of other types', () => {
    expect(column(stats, 'flag', 'boolean')).toMatchObject({ count: 4, missing: 1, distinct: 2, boolean: { trueCount: 3, falseCount: 1 } });
    expect(column(stats, 'seen', 'timestamp')).toMatchObject({
      count: 4, missing: 1, timestamp: { min: '2024-01-01 10:00:00', max: '2024-01-05 00:00:00' },
    });
    expect(column(stats, 'nested', 'other')).toMatchObject({ count: 4, missing: 1, distinct: 3 });
  });

  it('keeps only the top values when a column has more distinct values than allValuesUpTo', async () => {
    const limited = await computeStatistics(file('fixture.parquet'), { topValues: 1, allValuesUpTo: 2, histogramBins: 4 });
    expect(column(limited, 'color', 'categorical').categorical).toMatchObject({ topValues: [{ value: 'red', count: 2 }], allValues: false });
    expect(column(limited, 'score', 'numeric').numeric.histogram).toEqual({ edges: [10, 20, 30, 40, 50], counts: [1, 1, 0, 2] });
    await expect(computeStatistics(file('fixture.parquet'), { topValues: 0 })).rejects.toMatchObject({ field: 'options.topValues' });
  });

  it('describes a dataset with no rows', async () => {
    const empty = await computeStatistics(file('header-only.csv'));
    expect(empty.rowCount).toBe(0);
    expect(empty.columns).toEqual([
      { name: 'a', type: 'VARCHAR', kind: 'categorical', count: 0, missing: 0, distinct: 0, categorical: { topValues: [], allValues: true, length: null } },
      { name: 'b', type: 'VARCHAR', kind: 'categorical', count: 0, missing: 0, distinct: 0, categorical: { topValues: [], allValues: true, length: null } },
    ]);
  });

  it('names a missing file', async () => {
    await expect(computeStatistics(file('nope.parquet'))).rejects.toThrow(/nope\.parquet/);
  });

  it('agrees with DuckDB on real files (seattle-weather.csv, penguins.json)', async () => {
    const weather = await computeStatistics(sampleDataPath('seattle-weather.csv'));
    expect(column(weather, 'date', 'timestamp').type).toBe('DATE');
    const kind = column(weather, 'weather', 'categorical');
    expect(kind.categorical.allValues).toBe(true);
    expect(kind.categorical.topValues.reduce((sum, v) => sum + v.count, 0)).toBe(weather.rowCount);

    const path = sampleDataPath('penguins.json');
    const penguins = await computeStatistics(path);
    const direct = await withDuckDb(async (db) => (await queryRows(db,
      `SELECT count(*) AS n, count("Beak Length (mm)") AS beak, count(DISTINCT Island) AS islands, avg("Body Mass (g)") AS mass
       FROM read_json_auto(${quoteLiteral(path)})`))[0]!);
    expect(penguins.rowCount).toBe(toNumber(direct.n));
    const beak = column(penguins, 'Beak Length (mm)', 'numeric');
    expect(beak.missing).toBe(toNumber(direct.n)! - toNumber(direct.beak)!);
    expect(beak.missing).toBeGreaterThan(0);
    expect(column(penguins, 'Island', 'categorical').distinct).toBe(toNumber(direct.islands));
    expect(column(penguins, 'Body Mass (g)', 'numeric').numeric.mean).toBeCloseTo(direct.mass as number, 9);
  });
});

describe('statisticsComponent', () => {
  it('writes Statistics v1 JSON that reads back, and records the row count', async () => {
    const run = await runComponent(statisticsComponent, { dir: file('component'), inputs: { examples: file('fixture.parquet') } });
    expect(await readStatisticsFile(run.outputs.statistics.path)).toEqual(stats);
    expect(run.outputs.statistics.properties).toEqual({ rowCount: 5, columnCount: 9 });
    expect(await readFile(run.outputs.statistics.path, 'utf8')).toMatch(/^\{\n {2}"format": "flywheel\.statistics\/v1",\n/);
  });
});
