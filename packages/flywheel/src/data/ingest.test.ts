import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { ingest, ingestComponent } from './ingest.js';
import { sampleDataPath } from './sample-data.js';
import { runComponent } from './test-support.js';

let dir: string;
const file = (name: string) => join(dir, name);

async function countRows(path: string): Promise<number> {
  return withDuckDb(async (db) => toNumber((await queryRows(db, `SELECT count(*) AS n FROM read_parquet(${quoteLiteral(path)})`))[0]!.n)!);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-ingest-'));
  await writeFile(file('weather.csv'), 'day,temp,kind\n2024-01-01,3.5,rain\n2024-01-02,,sun\n2024-01-03,7.25,sun\n');
  await writeFile(file('part-1.csv'), 'id,name\n1,a\n2,b\n');
  await writeFile(file('part-2.csv'), 'id,name\n3,c\n');
  await writeFile(file('header-only.csv'), 'a,b,c\n');
  await writeFile(file('empty.csv'), '');
  await writeFile(file('mixed.csv'), 'value,label\n1,x\n2,y\n3.5,z\nfoo,w\n');
  await writeFile(file('all-null.csv'), 'id,note\n1,\n2,\n3,\n');
  await writeFile(file('events.ndjson'), '{"user":"u1","n":1}\n{"user":"u2","n":2}\n{"user":"u1","n":null}\n');
  await writeFile(file('late-type.csv'), `a,b\n${Array.from({ length: 30_000 }, (_, i) => `${i},x`).join('\n')}\noops,y\n`);
  await writeFile(file('data.arrow'), 'not really arrow');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ingest', () => {
  it('writes a CSV file as Parquet with its columns and types', async () => {
    const result = await ingest({ source: file('weather.csv'), output: file('out/weather.parquet') });
    expect(result).toEqual({
      rowsRead: 3,
      rowsWritten: 3,
      columns: [{ name: 'day', type: 'DATE' }, { name: 'temp', type: 'DOUBLE' }, { name: 'kind', type: 'VARCHAR' }],
      warnings: [],
    });
    expect(await countRows(file('out/weather.parquet'))).toBe(3);
  });

  it('reshapes the table `source` with a query and counts rows before and after', async () => {
    const result = await ingest({
      source: file('weather.csv'),
      query: "SELECT day, temp * 2 AS double_temp, kind = 'sun' AS sunny FROM source WHERE temp IS NOT NULL;",
      output: file('query.parquet'),
    });
    expect(result.rowsRead).toBe(3);
    expect(result.rowsWritten).toBe(2);
    expect(result.columns).toEqual([{ name: 'day', type: 'DATE' }, { name: 'double_temp', type: 'DOUBLE' }, { name: 'sunny', type: 'BOOLEAN' }]);
  });

  it('reads a glob of files and newline-delimited JSON', async () => {
    expect((await ingest({ source: file('part-*.csv'), output: file('parts.parquet') })).rowsWritten).toBe(3);
    const events = await ingest({ source: file('events.ndjson'), output: file('events.parquet') });
    expect(events.columns).toEqual([{ name: 'user', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]);
    expect(events.rowsWritten).toBe(3);
  });

  it('reads a JSON array file (cars.json)', async () => {
    const result = await ingest({ source: sampleDataPath('cars.json'), query: 'SELECT * FROM source WHERE Cylinders >= 6', output: file('cars.parquet') });
    const direct = await withDuckDb(async (db) => toNumber((await queryRows(db,
      `SELECT count(*) AS n FROM read_json_auto(${quoteLiteral(sampleDataPath('cars.json'))}) WHERE Cylinders >= 6`))[0]!.n));
    expect(result.rowsWritten).toBe(direct);
    expect(result.rowsRead).toBe(406);
  });

  it('keeps a mixed-type column as text and an all-null column as a column', async () => {
    const mixed = await ingest({ source: file('mixed.csv'), output: file('mixed.parquet') });
    expect(mixed.columns).toContainEqual({ name: 'value', type: 'VARCHAR' });
    const allNull = await ingest({ source: file('all-null.csv'), output: file('all-null.parquet') });
    expect(allNull.columns).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'note', type: 'VARCHAR' }]);
  });

  it('writes an empty dataset with a warning for a header-only CSV or a query keeping nothing', async () => {
    const headerOnly = await ingest({ source: file('header-only.csv'), output: file('header-only.parquet') });
    expect(headerOnly.rowsWritten).toBe(0);
    expect(headerOnly.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(headerOnly.warnings).toEqual([expect.stringContaining('has no rows')]);
    expect(existsSync(file('header-only.parquet'))).toBe(true);

    const none = await ingest({ source: file('weather.csv'), query: 'SELECT * FROM source WHERE temp > 100', output: file('none.parquet') });
    expect(none).toMatchObject({ rowsRead: 3, rowsWritten: 0, warnings: [expect.stringContaining('kept none of the 3 rows')] });
  });

  it('names a missing source file, and a glob that matches nothing', async () => {
    const missing = ingest({ source: file('nope.csv'), output: file('x.parquet') });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toThrow(file('nope.csv'));
    await expect(ingest({ source: file('nothing-*.csv'), output: file('x.parquet') })).rejects.toThrow(/source file .*nothing-\*\.csv.* does not exist/);
  });

  it('rejects an empty file and an unknown file type, naming the field', async () => {
    await expect(ingest({ source: file('empty.csv'), output: file('x.parquet') })).rejects.toMatchObject({
      code: 'invalid_input', field: 'source', message: expect.stringContaining('empty.csv'),
    });
    await expect(ingest({ source: file('data.arrow'), output: file('x.parquet') })).rejects.toMatchObject({
      code: 'invalid_input', field: 'source', message: expect.stringContaining('unknown file type'),
    });
  });

  it('reports a query error with DuckDB’s message under the field `query`, leaving no file', async () => {
    const error = await ingest({ source: file('weather.csv'), query: 'SELECT nope FROM source', output: file('bad.parquet') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'query', message: expect.stringContaining('Referenced column "nope" not found') });
    await expect(ingest({ source: file('weather.csv'), query: 'SELECT 1; DROP VIEW source', output: file('bad.parquet') }))
      .rejects.toMatchObject({ field: 'query' });
    await expect(ingest({ source: file('weather.csv'), query: '  ', output: file('bad.parquet') })).rejects.toMatchObject({ field: 'query' });
    expect(existsSync(file('bad.parquet'))).toBe(false);
  });

  it('reports a value that does not fit the detected type as a source error, leaving no partial file', async () => {
    const error = await ingest({ source: file('late-type.csv'), output: file('late.parquet') }).catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'source', message: expect.stringContaining('Could not convert string "oops"') });
    expect((await readdir(dir)).filter((name) => name.startsWith('late.parquet'))).toEqual([]);
    await expect(ingest({ source: file('late-type.csv'), query: 'SELECT a + 1 AS b FROM source', output: file('late.parquet') }))
      .rejects.toMatchObject({ field: 'source' });
    await expect(ingest({ source: file('weather.csv'), query: "SELECT kind::INTEGER AS k FROM source", output: file('late.parquet') }))
      .rejects.toMatchObject({ field: 'query', message: expect.stringContaining('Could not convert string') });
  });
});

describe('ingestComponent', () => {
  it('writes the examples dataset and records rowCount and columns on it', async () => {
    const run = await runComponent(ingestComponent, {
      dir: file('component'),
      params: { source: file('weather.csv'), query: 'SELECT * FROM source WHERE kind = \'sun\'' },
    });
    expect(run.outputs.examples.properties).toEqual({
      rowCount: 2,
      columns: [{ name: 'day', type: 'DATE' }, { name: 'temp', type: 'DOUBLE' }, { name: 'kind', type: 'VARCHAR' }],
    });
    expect(await countRows(run.outputs.examples.path)).toBe(2);
    expect(run.result).toEqual({ rowsRead: 3, rowsWritten: 2 });
  });

  it('logs the empty-result warning', async () => {
    const run = await runComponent(ingestComponent, { dir: file('component-empty'), params: { source: file('header-only.csv') } });
    expect(run.logs).toContainEqual({ level: 'warn', message: expect.stringContaining('has no rows') });
  });
});
