import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { sampleDataPath } from './sample-data.js';
import { computeStatistics, statisticsComponent } from './statistics.js';
import { STATISTICS_FORMAT, readStatisticsFile } from './statistics-format.js';
import type { ColumnStatistics, DatasetStatistics } from './statistics-format.js';
import { runComponent, writeParquet } from './test-support.js';

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
    expect(stats.exact).toEqual({ distinct: true, quantiles: true, topValues: true });
    expect(stats.duplicateRows).toBe(0);
    expect(stats.approximation).toEqual({ distinctRelativeStandardError: 0.13, quantileRankError: 0.01 });
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
    expect(nothing.numeric).toEqual({ min: null, max: null, mean: null, std: null, nonFinite: 0, quantiles: null, quantilesExact: true, histogram: null });
  });

  it('lists categorical values by count, ties by value, with string lengths in characters', () => {
    const color = column(stats, 'color', 'categorical');
    expect(color).toMatchObject({ count: 4, missing: 1, distinct: 3 });
    expect(color.categorical).toEqual({
      topValues: [{ value: 'red', count: 2 }, { value: 'blue', count: 1 }, { value: 'green', count: 1 }],
      allValues: true,
      topValuesExact: true,
      numericValues: 0,
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
    const nothing = { topValues: [], allValues: true, topValuesExact: true, numericValues: 0, length: null };
    expect(empty.columns).toEqual([
      { name: 'a', type: 'VARCHAR', kind: 'categorical', count: 0, missing: 0, distinct: 0, distinctExact: true, categorical: nothing },
      { name: 'b', type: 'VARCHAR', kind: 'categorical', count: 0, missing: 0, distinct: 0, distinctExact: true, categorical: nothing },
    ]);
    expect(empty.duplicateRows).toBe(0);
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
  it('writes Statistics v2 JSON that reads back, and records the row count', async () => {
    const run = await runComponent(statisticsComponent, { dir: file('component'), inputs: { examples: file('fixture.parquet') } });
    expect(await readStatisticsFile(run.outputs.statistics.path)).toEqual(stats);
    expect(run.outputs.statistics.properties).toEqual({ rowCount: 5, columnCount: 9, duplicateRows: 0 });
    expect(await readFile(run.outputs.statistics.path, 'utf8')).toMatch(/^\{\n {2}"format": "flywheel\.statistics\/v2",\n/);
  });

  it('profiles one split of a dataset', async () => {
    await writeParquet(file('split.parquet'), "SELECT range AS i, CASE WHEN range < 30 THEN 'train' ELSE 'eval' END AS split FROM range(40)");
    const run = await runComponent(statisticsComponent, { dir: file('component-split'), params: { split: 'eval' }, inputs: { examples: file('split.parquet') } });
    const evaluation = await readStatisticsFile(run.outputs.statistics.path);
    expect(evaluation.rowCount).toBe(10);
    expect(evaluation.columns.map((c) => c.name)).toEqual(['i']);
    expect(column(evaluation, 'i', 'numeric').numeric).toMatchObject({ min: 30, max: 39 });
    expect(run.outputs.statistics.properties).toMatchObject({ rowCount: 10, split: 'eval' });
  });
});

describe('computeStatistics: exactness, sketches and odd input', () => {
  it('counts duplicate rows, NULLs included', async () => {
    await writeParquet(file('duplicates.parquet'), `SELECT * FROM (VALUES (1, 'a'), (1, 'a'), (2, NULL), (2, NULL), (2, NULL), (3, 'a')) t(n, s)`);
    const result = await computeStatistics(file('duplicates.parquet'));
    expect(result.duplicateRows).toBe(3);
    expect((await computeStatistics(file('duplicates.parquet'), { duplicates: false })).duplicateRows).toBeNull();
  });

  it('matches DuckDB’s quantile_cont, and bins every finite value, on skewed floats with NaN, ±Infinity and NULLs', async () => {
    await writeParquet(file('floats.parquet'), `
      SELECT CASE WHEN i % 97 = 0 THEN 'nan'::DOUBLE WHEN i % 89 = 0 THEN 'inf'::DOUBLE WHEN i % 83 = 0 THEN NULL
                  ELSE exp(((i * 7919) % 1000) / 100.0) - 50 END AS x,
             ((i * 31) % 17 - 8)::DECIMAL(6,2) AS d
      FROM range(5000) t(i)`);
    const result = await computeStatistics(file('floats.parquet'));
    const direct = await withDuckDb(async (db) => (await queryRows(db, `
      SELECT quantile_cont(x, [0.01, 0.25, 0.5, 0.75, 0.99]) FILTER (WHERE isfinite(x)) AS qx, count(*) FILTER (WHERE isfinite(x)) AS finite,
             quantile_cont(d, [0.01, 0.25, 0.5, 0.75, 0.99])::DOUBLE[] AS qd, count(DISTINCT x) AS dx
      FROM read_parquet(${quoteLiteral(file('floats.parquet'))})`))[0]!);
    const x = column(result, 'x', 'numeric');
    Object.values(x.numeric.quantiles!).forEach((q, i) => expect(q).toBeCloseTo((direct.qx as number[])[i]!, 9));
    expect(x.numeric.histogram!.counts.reduce((a, b) => a + b)).toBe(toNumber(direct.finite));
    expect(x.distinct).toBe(toNumber(direct.dx));
    expect(x.numeric.nonFinite).toBe(x.count - toNumber(direct.finite)!);
    expect(Object.values(column(result, 'd', 'numeric').numeric.quantiles!)).toEqual(direct.qd);
  });

  it('estimates distinct counts, quantiles and top values with sketches when asked, within the bounds it states', async () => {
    await writeParquet(file('wide-range.parquet'), `
      SELECT i AS id, (i * 2654435761) % 1000003 / 1000.0 AS amount,
             CASE WHEN i % 10 < 5 THEN 'hot' || (i % 5)::VARCHAR ELSE 'user' || (i % 7000)::VARCHAR END AS name, i % 3 = 0 AS flag
      FROM range(200000) t(i)`);
    const exact = await computeStatistics(file('wide-range.parquet'), { approximate: false });
    const sketched = await computeStatistics(file('wide-range.parquet'), { approximate: true });
    expect(sketched.exact).toEqual({ distinct: false, quantiles: false, topValues: false });
    const bound = sketched.approximation!;
    for (const name of ['id', 'amount', 'name']) {
      const estimate = sketched.columns.find((c) => c.name === name)!;
      const truth = exact.columns.find((c) => c.name === name)!;
      expect(estimate.distinctExact).toBe(false);
      expect(Math.abs(estimate.distinct - truth.distinct) / truth.distinct).toBeLessThan(3 * bound.distinctRelativeStandardError);
    }
    const amount = column(sketched, 'amount', 'numeric');
    expect(amount.numeric.quantilesExact).toBe(false);
    const truth = column(exact, 'amount', 'numeric');
    expect(amount.numeric.histogram).toEqual(truth.numeric.histogram);
    expect(amount.numeric).toMatchObject({ min: truth.numeric.min, max: truth.numeric.max, mean: truth.numeric.mean });
    // Rank error: the share of values at or below each estimated quantile, against its p.
    const ranks = await withDuckDb(async (db) => (await queryRows(db, `
      SELECT ${Object.values(amount.numeric.quantiles!).map((q, i) => `avg((amount <= ${q})::INTEGER) AS r${i}`).join(', ')}
      FROM read_parquet(${quoteLiteral(file('wide-range.parquet'))})`))[0]!);
    [0.01, 0.25, 0.5, 0.75, 0.99].forEach((p, i) => expect(Math.abs((ranks[`r${i}`] as number) - p)).toBeLessThan(bound.quantileRankError));
    const name = column(sketched, 'name', 'categorical').categorical;
    expect(name).toMatchObject({ allValues: false, topValuesExact: false });
    expect(name.topValues.slice(0, 5).map((v) => v.value).sort()).toEqual(['hot0', 'hot1', 'hot2', 'hot3', 'hot4']);
    const counts = await withDuckDb(async (db) => queryRows(db, `
      SELECT name, count(*) AS n FROM read_parquet(${quoteLiteral(file('wide-range.parquet'))}) GROUP BY name ORDER BY n DESC, name LIMIT ${name.topValues.length}`));
    expect(name.topValues.slice(0, 5)).toEqual(counts.slice(0, 5).map((row) => ({ value: row.name, count: toNumber(row.n) })));
    const all = new Map((await withDuckDb(async (db) => queryRows(db, `SELECT name, count(*) AS n FROM read_parquet(${quoteLiteral(file('wide-range.parquet'))}) GROUP BY name`)))
      .map((row) => [row.name, toNumber(row.n)]));
    for (const value of name.topValues) expect(value.count).toBe(all.get(value.value));
    expect(column(sketched, 'flag', 'boolean')).toMatchObject({ distinctExact: true, boolean: { trueCount: 66667, falseCount: 133333 } });
  });

  it('on its own, estimates only the high-cardinality columns of large data', async () => {
    await writeParquet(file('large.parquet'), 'SELECT i AS id, i % 10 AS digit FROM range(1200000) t(i)');
    const result = await computeStatistics(file('large.parquet'));
    expect(result.columns.map((c) => [c.name, c.distinctExact])).toEqual([['id', false], ['digit', true]]);
    expect(column(result, 'digit', 'numeric')).toMatchObject({ distinct: 10, numeric: { quantilesExact: true } });
    expect(result.exact.distinct).toBe(false);
    expect(result.duplicateRows).toBe(0);
  }, 30_000);

  it('counts text values that read as numbers, so that mixed columns stand out', async () => {
    await writeFile(file('mixed.csv'), 'value\n1\n2\n3.5\nn/a\n4\n');
    const value = column(await computeStatistics(file('mixed.csv')), 'value', 'categorical');
    expect(value.categorical.numericValues).toBe(4);
    expect(value.count).toBe(5);
  });

  it('reads CSV, JSON and Arrow files too, and names the file and line of a CSV it cannot parse', async () => {
    const arrow = await computeStatistics(sampleDataPath('flights-200k.arrow'));
    expect(arrow.rowCount).toBe(200_000);
    expect(column(arrow, 'delay', 'numeric').type).toBe('SMALLINT');
    await writeFile(file('broken.csv'), `a,b\n${Array.from({ length: 30_000 }, (_, i) => `${i},x`).join('\n')}\noops,y\n`);
    await expect(computeStatistics(file('broken.csv'))).rejects.toMatchObject({
      field: 'path', message: expect.stringMatching(/broken\.csv.*Could not convert string "oops"|Could not convert string "oops"[\s\S]*broken\.csv/),
    });
    await writeFile(file('empty.parquet'), '');
    await expect(computeStatistics(file('empty.parquet'))).rejects.toThrow(`path: ${JSON.stringify(file('empty.parquet'))} is empty (0 bytes)`);
  });

  it('refuses an unknown split, or a split of data that has none', async () => {
    await writeParquet(file('split-2.parquet'), "SELECT 1 AS i, 'train' AS split");
    await expect(computeStatistics(file('split-2.parquet'), { split: 'test' })).rejects.toThrow('has no split "test"');
    await expect(computeStatistics(file('fixture.parquet'), { split: 'train' })).rejects.toThrow('has no "split" column');
  });
});

describe('readStatisticsFile', () => {
  it('reads a v1 document, which lacks the fields v2 added, and refuses a newer version', async () => {
    const v1 = { format: 'flywheel.statistics/v1', rowCount: 1, exact: { distinct: true, quantiles: true }, columns: [{ name: 'a', type: 'BIGINT', kind: 'other', count: 1, missing: 0, distinct: 1 }] };
    await writeFile(file('v1.json'), JSON.stringify(v1));
    expect(await readStatisticsFile(file('v1.json'))).toEqual({ ...v1, format: STATISTICS_FORMAT });
    await writeFile(file('v3.json'), JSON.stringify({ ...v1, format: 'flywheel.statistics/v3' }));
    await expect(readStatisticsFile(file('v3.json'))).rejects.toThrow('this Flywheel reads flywheel.statistics/v2 and flywheel.statistics/v1');
  });
});
