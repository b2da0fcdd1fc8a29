import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, Bool, DateDay, Dictionary, Field, Float16, Float64, Int32, Int64, List, Table, TimestampMicrosecond, TimestampMillisecond, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { queryRows, quoteLiteral, toNumber, withDuckDb } from './duckdb.js';
import { ingest, ingestComponent } from './ingest.js';
import type { IngestResult } from './ingest.js';
import { sampleDataPath } from './sample-data.js';
import { rowHash } from './split.js';
import { runComponent } from './test-support.js';

let dir: string;
const file = (name: string) => join(dir, name);

async function rowsOf(path: string, sql = 'SELECT * FROM t'): Promise<Record<string, unknown>[]> {
  return withDuckDb(async (db) => {
    await db.run(`CREATE VIEW t AS SELECT * FROM read_parquet(${quoteLiteral(path)})`);
    return queryRows(db, sql);
  });
}

async function countRows(path: string): Promise<number> {
  return toNumber((await rowsOf(path, 'SELECT count(*) AS n FROM t'))[0]!.n)!;
}

/** Every ingest must account for every row it read. */
function reconciled(result: IngestResult): IngestResult {
  expect(result.rowsRead).toBe(result.rowsWritten + result.rowsRejected + result.rowsFiltered);
  return result;
}

const BAD_LINES = [
  'id,name,score',
  '1,a,1.5',
  '2,b',
  '3,c,2.5,extra',
  '4,d,3.5',
  '5,e,4.5',
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-ingest-'));
  await writeFile(file('weather.csv'), 'day,temp,kind\n2024-01-01,3.5,rain\n2024-01-02,,sun\n2024-01-03,7.25,sun\n');
  await writeFile(file('part-1.csv'), 'id,name\n1,a\n2,b\n');
  await writeFile(file('part-2.csv'), 'id,name\n3,c\n');
  await writeFile(file('header-only.csv'), 'a,b,c\n');
  await writeFile(file('empty.csv'), '');
  await writeFile(file('empty.parquet'), '');
  await writeFile(file('garbage.parquet'), 'this is not a parquet file at all');
  await writeFile(file('mixed.csv'), 'value,label\n1,x\n2,y\n3.5,z\nfoo,w\n');
  await writeFile(file('all-null.csv'), 'id,note\n1,\n2,\n3,\n');
  await writeFile(file('events.ndjson'), '{"user":"u1","n":1}\n{"user":"u2","n":2}\n{"user":"u1","n":null}\n');
  await writeFile(file('broken.ndjson'), '{"user":"u1","n":1}\n{"user":"u2","n":2\n{"user":"u3","n":3}\n');
  await writeFile(file('late-type.csv'), `a,b\n${Array.from({ length: 30_000 }, (_, i) => `${i},x`).join('\n')}\noops,y\n`);
  await writeFile(file('bad-lines.csv'), `${BAD_LINES.join('\n')}\n`);
  await writeFile(file('latin1.csv'), Buffer.concat([Buffer.from('id,city\n1,Z'), Buffer.from([0xfc]), Buffer.from('rich\n2,Bern\n')]));
  await writeFile(file('declared.csv'), 'id,price\n1,10.5\n2,ten\n3,30\n');
  await writeFile(file('data.xlsx'), 'not a supported format');
  await writeFile(file('times.csv'), 'id,at\n1,2024-01-01 10:00:00\n2,\n3,2024-03-01 00:00:00\n4,2024-02-01 00:00:00\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ingest', () => {
  it('writes a CSV file as Parquet with its columns and types, and an empty rejects file beside it', async () => {
    const result = reconciled(await ingest({ source: file('weather.csv'), output: file('out/weather.parquet') }));
    expect(result).toMatchObject({
      output: file('out/weather.parquet'),
      rowsRead: 3, rowsWritten: 3, rowsRejected: 0, rowsFiltered: 0, splits: null,
      columns: [{ name: 'day', type: 'DATE' }, { name: 'temp', type: 'DOUBLE' }, { name: 'kind', type: 'VARCHAR' }],
      rejects: { path: file('out/weather.rejects.parquet'), rows: 0, reasons: {}, examples: [] },
      warnings: [],
    });
    expect(await countRows(file('out/weather.parquet'))).toBe(3);
    expect(await countRows(file('out/weather.rejects.parquet'))).toBe(0);
  });

  it('reshapes the table `source` with a query and accounts for the rows it filters', async () => {
    const result = reconciled(await ingest({
      source: file('weather.csv'),
      query: "SELECT day, temp * 2 AS double_temp, kind = 'sun' AS sunny FROM source WHERE temp IS NOT NULL;",
      output: file('query.parquet'),
    }));
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 2, rowsFiltered: 1, rowsRejected: 0 });
    expect(result.columns).toEqual([{ name: 'day', type: 'DATE' }, { name: 'double_temp', type: 'DOUBLE' }, { name: 'sunny', type: 'BOOLEAN' }]);
  });

  it('reads globs, lists of files and newline-delimited JSON', async () => {
    expect(reconciled(await ingest({ source: file('part-*.csv'), output: file('parts.parquet') })).rowsWritten).toBe(3);
    expect(reconciled(await ingest({ source: [file('part-1.csv'), file('part-2.csv')], output: file('parts-list.parquet') })).rowsRead).toBe(3);
    const events = reconciled(await ingest({ source: file('events.ndjson'), output: file('events.parquet') }));
    expect(events.columns).toEqual([{ name: 'user', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]);
    expect(events.rowsWritten).toBe(3);
  });

  it('reads a JSON array file (cars.json)', async () => {
    const result = reconciled(await ingest({ source: sampleDataPath('cars.json'), query: 'SELECT * FROM source WHERE Cylinders >= 6', output: file('cars.parquet') }));
    const direct = await withDuckDb(async (db) => toNumber((await queryRows(db,
      `SELECT count(*) AS n FROM read_json_auto(${quoteLiteral(sampleDataPath('cars.json'))}) WHERE Cylinders >= 6`))[0]!.n));
    expect(result.rowsWritten).toBe(direct);
    expect(result.rowsRead).toBe(406);
  });

  it('runs a query that reads its own data, without a source', async () => {
    const result = reconciled(await ingest({ query: 'SELECT range AS i, range % 3 AS r FROM range(10)', output: file('range.parquet') }));
    expect(result).toMatchObject({ rowsRead: 10, rowsWritten: 10, rowsFiltered: 0 });
    await expect(ingest({ output: file('x.parquet') })).rejects.toMatchObject({ field: 'source', message: expect.stringContaining('name a source file, or a query') });
  });

  it('keeps a mixed-type column as text and an all-null column as a column', async () => {
    const mixed = reconciled(await ingest({ source: file('mixed.csv'), output: file('mixed.parquet') }));
    expect(mixed.columns).toContainEqual({ name: 'value', type: 'VARCHAR' });
    const allNull = reconciled(await ingest({ source: file('all-null.csv'), output: file('all-null.parquet') }));
    expect(allNull.columns).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'note', type: 'VARCHAR' }]);
    expect(await rowsOf(file('all-null.parquet'), 'SELECT count(note) AS n FROM t')).toEqual([{ n: 0n }]);
  });

  it('writes an empty dataset with a warning for a header-only CSV or a query keeping nothing', async () => {
    const headerOnly = reconciled(await ingest({ source: file('header-only.csv'), output: file('header-only.parquet') }));
    expect(headerOnly.rowsWritten).toBe(0);
    expect(headerOnly.columns.map((c) => c.name)).toEqual(['a', 'b', 'c']);
    expect(headerOnly.warnings).toEqual([`${file('header-only.csv')} has no rows; wrote an empty dataset`]);
    expect(existsSync(file('header-only.parquet'))).toBe(true);

    const none = reconciled(await ingest({ source: file('weather.csv'), query: 'SELECT * FROM source WHERE temp > 100', output: file('none.parquet') }));
    expect(none).toMatchObject({ rowsRead: 3, rowsWritten: 0, rowsFiltered: 3, warnings: [expect.stringContaining('the query kept none of the 3 rows')] });
  });
});

describe('ingest: rejected rows', () => {
  it('sets malformed CSV lines aside with their file, line, column and reason', async () => {
    const result = reconciled(await ingest({ source: file('bad-lines.csv'), output: file('bad-lines.parquet') }));
    // Every data line of the file is accounted for: 5 read, 3 written, 2 rejected.
    expect(result).toMatchObject({ rowsRead: BAD_LINES.length - 1, rowsWritten: 3, rowsRejected: 2 });
    expect(result.rejects.reasons).toEqual({ missing_columns: 1, too_many_columns: 1 });
    expect(result.rejects.examples).toEqual([
      { file: file('bad-lines.csv'), line: 3, row: null, column: 'score', reason: 'missing_columns', message: 'Expected Number of Columns: 3 Found: 2', content: '2,b' },
      { file: file('bad-lines.csv'), line: 4, row: null, column: null, reason: 'too_many_columns', message: 'Expected Number of Columns: 3 Found: 4', content: '3,c,2.5,extra' },
    ]);
    expect(result.warnings).toEqual([expect.stringContaining(`2 of 5 rows were rejected (1 missing_columns, 1 too_many_columns), e.g. ${file('bad-lines.csv')}:3 column "score"`)]);
    const stored = await rowsOf(file('bad-lines.rejects.parquet'), 'SELECT file, line, "column", reason, content FROM t ORDER BY line');
    expect(stored).toEqual([
      { file: file('bad-lines.csv'), line: 3n, column: 'score', reason: 'missing_columns', content: '2,b' },
      { file: file('bad-lines.csv'), line: 4n, column: null, reason: 'too_many_columns', content: '3,c,2.5,extra' },
    ]);
    expect(await rowsOf(file('bad-lines.parquet'), 'SELECT id FROM t ORDER BY id')).toEqual([{ id: 1n }, { id: 4n }, { id: 5n }]);
  });

  it('rejects a value that does not fit the type detected from a sample, naming its line', async () => {
    const result = reconciled(await ingest({ source: file('late-type.csv'), output: file('late.parquet') }));
    expect(result).toMatchObject({ rowsRead: 30_001, rowsWritten: 30_000, rowsRejected: 1, rejects: { reasons: { cast: 1 } } });
    expect(result.rejects.examples[0]).toMatchObject({
      file: file('late-type.csv'), line: 30_002, column: 'a', reason: 'cast', content: 'oops,y',
      message: expect.stringContaining('Could not convert string "oops" to \'BIGINT\''),
    });
    // With a query, the rows are counted once, in the same read.
    const queried = reconciled(await ingest({ source: file('late-type.csv'), query: 'SELECT a + 1 AS b FROM source WHERE a < 10', output: file('late-q.parquet') }));
    expect(queried).toMatchObject({ rowsRead: 30_001, rowsWritten: 10, rowsRejected: 1, rowsFiltered: 29_990 });
  });

  it('rejects values that do not fit a declared column type', async () => {
    const result = reconciled(await ingest({ source: file('declared.csv'), csv: { columnTypes: { price: 'DECIMAL(10,2)' } }, output: file('declared.parquet') }));
    expect(result.columns).toContainEqual({ name: 'price', type: 'DECIMAL(10,2)' });
    expect(result).toMatchObject({ rowsRead: 3, rowsWritten: 2, rowsRejected: 1 });
    expect(result.rejects.examples[0]).toMatchObject({ line: 3, column: 'price', reason: 'cast', message: expect.stringContaining('Could not convert string "ten"') });
  });

  it('rejects lines that are not UTF-8, and reads them with the right encoding', async () => {
    const result = reconciled(await ingest({ source: file('latin1.csv'), output: file('latin1.parquet') }));
    expect(result).toMatchObject({ rowsRead: 2, rowsWritten: 1, rowsRejected: 1 });
    expect(result.rejects.examples[0]).toMatchObject({ file: file('latin1.csv'), line: 2, column: 'city', reason: 'invalid_encoding', message: expect.stringContaining('not utf-8 encoded') });
    const decoded = reconciled(await ingest({ source: file('latin1.csv'), csv: { encoding: 'latin-1' }, output: file('latin1-ok.parquet') }));
    expect(decoded.rowsRejected).toBe(0);
    expect(await rowsOf(file('latin1-ok.parquet'), 'SELECT city FROM t ORDER BY id')).toEqual([{ city: 'Zürich' }, { city: 'Bern' }]);
  });

  it('fails when more rows are rejected than maxRejectedShare allows, keeping the rejects but writing no dataset', async () => {
    const failing = ingest({ source: file('bad-lines.csv'), output: file('strict/data.parquet'), maxRejectedShare: 0.1 });
    await expect(failing).rejects.toThrow(`2 of 5 rows were rejected, more than maxRejectedShare (0.1); the first: ${file('bad-lines.csv')}:3 column "score": Expected Number of Columns: 3 Found: 2`);
    expect(existsSync(file('strict/data.parquet'))).toBe(false);
    expect(await countRows(file('strict/data.rejects.parquet'))).toBe(2);
    expect((await readdir(file('strict'))).filter((name) => name.includes('partial'))).toEqual([]);
    await expect(ingest({ source: file('bad-lines.csv'), output: file('x.parquet'), maxRejectedShare: 2 })).rejects.toMatchObject({ field: 'maxRejectedShare' });
  });
});

describe('ingest: bad input that stops it', () => {
  it('names a missing source file, and a glob that matches nothing', async () => {
    const missing = ingest({ source: file('nope.csv'), output: file('x.parquet') });
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await expect(missing).rejects.toThrow(file('nope.csv'));
    await expect(ingest({ source: file('nothing-*.csv'), output: file('x.parquet') })).rejects.toThrow(/source file .*nothing-\*\.csv.* does not exist/);
  });

  it('rejects an empty file, a 0-byte Parquet, a file that is not Parquet and an unknown file type, naming the file', async () => {
    await expect(ingest({ source: file('empty.csv'), output: file('x.parquet') })).rejects.toMatchObject({
      code: 'invalid_input', field: 'source', message: `source: ${JSON.stringify(file('empty.csv'))} is empty (0 bytes)`,
    });
    await expect(ingest({ source: file('empty.parquet'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: `source: ${JSON.stringify(file('empty.parquet'))} is empty (0 bytes)`,
    });
    await expect(ingest({ source: file('garbage.parquet'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: expect.stringMatching(new RegExp(`garbage\\.parquet.*(too small|not a parquet file|No magic bytes)`, 'i')),
    });
    await expect(ingest({ source: file('data.xlsx'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: expect.stringContaining('unknown file type ".xlsx"'),
    });
    expect(existsSync(file('x.parquet'))).toBe(false);
  });

  it('reports malformed JSON with its file and line', async () => {
    await expect(ingest({ source: file('broken.ndjson'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: expect.stringMatching(/Malformed JSON in file ".*broken\.ndjson", at byte \d+ in line \d+/),
    });
  });

  it('reports a query error with DuckDB’s message under the field `query`, leaving no file', async () => {
    const error = await ingest({ source: file('weather.csv'), query: 'SELECT nope FROM source', output: file('bad.parquet') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: 'query', message: expect.stringContaining('Referenced column "nope" not found') });
    await expect(ingest({ source: file('weather.csv'), query: 'SELECT 1; DROP VIEW source', output: file('bad.parquet') }))
      .rejects.toMatchObject({ field: 'query' });
    await expect(ingest({ source: file('weather.csv'), query: '  ', output: file('bad.parquet') })).rejects.toMatchObject({ field: 'query' });
    await expect(ingest({ source: file('weather.csv'), query: 'SELECT kind::INTEGER AS k FROM source', output: file('bad.parquet') }))
      .rejects.toMatchObject({ field: 'query', message: expect.stringContaining('Could not convert string') });
    expect(existsSync(file('bad.parquet'))).toBe(false);
  });
});

describe('ingest: Arrow IPC', () => {
  it('reads flights-200k.arrow with the same values Arrow holds', async () => {
    const result = reconciled(await ingest({ source: sampleDataPath('flights-200k.arrow'), output: file('flights-200k.parquet') }));
    expect(result).toMatchObject({ rowsRead: 200_000, rowsWritten: 200_000 });
    expect(result.columns).toEqual([{ name: 'delay', type: 'SMALLINT' }, { name: 'distance', type: 'SMALLINT' }, { name: 'time', type: 'FLOAT' }]);
    const { tableFromIPC } = await import('apache-arrow');
    const { readFile } = await import('node:fs/promises');
    const table = tableFromIPC(await readFile(sampleDataPath('flights-200k.arrow')));
    const delay = table.getChild('delay')!.toArray() as Int16Array;
    const time = table.getChild('time')!.toArray() as Float32Array;
    const [sums] = await rowsOf(file('flights-200k.parquet'), 'SELECT sum(delay) AS delay, sum(time::DOUBLE) AS time FROM t');
    expect(Number(sums!.delay)).toBe(delay.reduce((a, b) => a + b, 0));
    expect(sums!.time as number).toBeCloseTo(time.reduce((a, b) => a + b, 0), 3);
    const [first] = await rowsOf(file('flights-200k.parquet'), 'SELECT * FROM t LIMIT 1');
    expect(first).toEqual({ delay: delay[0], distance: table.getChild('distance')!.get(0), time: time[0] });
  });

  it('reads integers with nulls, dictionary strings, dates, timestamps with and without a zone, booleans, half floats and bytes; file or stream format', async () => {
    const table = new Table({
      id: vectorFromArray([1n, null, 3n], new Int64()),
      city: vectorFromArray(['Bern', 'Zürich', 'Bern'], new Dictionary(new Utf8(), new Int32())),
      day: vectorFromArray([new Date(Date.UTC(2024, 0, 1)), null, new Date(Date.UTC(2024, 11, 31))], new DateDay()),
      at: vectorFromArray([Date.UTC(2024, 0, 1, 12, 30), Date.UTC(2024, 0, 2), null], new TimestampMillisecond()),
      seen: vectorFromArray([Date.UTC(2024, 5, 1), Date.UTC(2024, 5, 2), Date.UTC(2024, 5, 3)], new TimestampMicrosecond('Europe/Zurich')),
      ok: vectorFromArray([true, false, null], new Bool()),
      half: vectorFromArray([1.5, -2, null], new Float16()),
      ratio: vectorFromArray([0.25, Number.NaN, null], new Float64()),
      bytes: vectorFromArray([new Uint8Array([1, 2]), null, new Uint8Array([])], new Binary()),
    });
    await writeFile(file('types.arrow'), tableToIPC(table, 'file'));
    await writeFile(file('types.arrows'), tableToIPC(table, 'stream'));
    for (const name of ['types.arrow', 'types.arrows']) {
      const result = reconciled(await ingest({ source: file(name), output: file(`${name}.parquet`) }));
      expect(result.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
        'id BIGINT', 'city VARCHAR', 'day DATE', 'at TIMESTAMP', 'seen TIMESTAMP WITH TIME ZONE', 'ok BOOLEAN', 'half FLOAT', 'ratio DOUBLE', 'bytes BLOB',
      ]);
      const rows = await rowsOf(file(`${name}.parquet`), `SELECT id, city, day::VARCHAR AS day, "at"::VARCHAR AS "at", seen::VARCHAR AS seen, ok, half, isnan(ratio) AS nan, octet_length(bytes) AS bytes FROM t`);
      expect(rows).toEqual([
        { id: 1n, city: 'Bern', day: '2024-01-01', at: '2024-01-01 12:30:00', seen: '2024-06-01 00:00:00+00', ok: true, half: 1.5, nan: false, bytes: 2n },
        { id: null, city: 'Zürich', day: null, at: '2024-01-02 00:00:00', seen: '2024-06-02 00:00:00+00', ok: false, half: -2, nan: true, bytes: null },
        { id: 3n, city: 'Bern', day: '2024-12-31', at: null, seen: '2024-06-03 00:00:00+00', ok: null, half: null, nan: null, bytes: 0n },
      ]);
    }
  });

  it('names the column of a type it cannot read, and a file that is not Arrow', async () => {
    const table = new Table({ id: vectorFromArray([1, 2], new Int32()), tags: vectorFromArray([[1, 2], [3]], new List(new Field('item', new Int32()))) });
    await writeFile(file('lists.arrow'), tableToIPC(table, 'file'));
    await expect(ingest({ source: file('lists.arrow'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: expect.stringContaining(`${JSON.stringify(file('lists.arrow'))}: column "tags" has Arrow type List<Int32>, which ingest cannot read`),
    });
    await writeFile(file('fake.arrow'), 'ARROW1 but not really');
    await expect(ingest({ source: file('fake.arrow'), output: file('x.parquet') })).rejects.toMatchObject({
      field: 'source', message: expect.stringContaining(`${JSON.stringify(file('fake.arrow'))} is not an Arrow IPC file`),
    });
  });
});

describe('ingest: splits', () => {
  it('splits at random by a hash of the row number and the seed: the same on every run, reproducible from the documented hash', async () => {
    const spec = 'random:0.8,seed=42';
    const first = reconciled(await ingest({ source: sampleDataPath('flights-200k.arrow'), split: spec, output: file('split-a.parquet') }));
    const second = reconciled(await ingest({ source: sampleDataPath('flights-200k.arrow'), split: { kind: 'random', splits: { train: 0.8, eval: 0.2 }, seed: 42 }, output: file('split-b.parquet') }));
    expect(first.splits).toEqual(second.splits);
    expect(first.splits!.train! + first.splits!.eval!).toBe(200_000);
    expect(first.splits!.train! / 200_000).toBeCloseTo(0.8, 2);
    const a = await rowsOf(file('split-a.parquet'), 'SELECT split FROM t LIMIT 1000');
    const b = await rowsOf(file('split-b.parquet'), 'SELECT split FROM t LIMIT 1000');
    expect(a).toEqual(b);
    const expected = a.map((_, i) => (rowHash(i + 1, 42) < Math.round(0.8 * 2 ** 32) ? 'train' : 'eval'));
    expect(a.map((row) => row.split)).toEqual(expected);
    const otherSeed = reconciled(await ingest({ source: sampleDataPath('flights-200k.arrow'), split: 'random:0.8,seed=7', output: file('split-c.parquet') }));
    expect(otherSeed.splits).not.toEqual(first.splits);
  });

  it('splits three ways with named fractions', async () => {
    const result = reconciled(await ingest({ query: 'SELECT range AS i FROM range(30000)', split: 'random:train=0.6,eval=0.3,test=0.1', output: file('three.parquet') }));
    expect(Object.keys(result.splits!)).toEqual(['train', 'eval', 'test']);
    expect(result.splits!.train! / 30_000).toBeCloseTo(0.6, 1);
    expect(result.splits!.test! / 30_000).toBeCloseTo(0.1, 1);
  });

  it('keeps every row of a key in one split, whatever else is in the data', async () => {
    const all = reconciled(await ingest({ source: sampleDataPath('flights-3m.parquet'), query: 'SELECT * FROM source WHERE month(date) <= 2', split: 'hash:origin:0.7', output: file('by-origin.parquet') }));
    const [mixed] = await rowsOf(file('by-origin.parquet'), 'SELECT count(*) AS n FROM (SELECT origin FROM t GROUP BY origin HAVING count(DISTINCT split) > 1)');
    expect(mixed).toEqual({ n: 0n });
    expect(all.splits!.train! + all.splits!.eval!).toBe(all.rowsWritten);
    // A month later the same airports land in the same splits.
    await ingest({ source: sampleDataPath('flights-3m.parquet'), query: 'SELECT * FROM source WHERE month(date) = 3', split: 'hash:origin:0.7', output: file('by-origin-3.parquet') });
    const [moved] = await withDuckDb(async (db) => queryRows(db, `
      SELECT count(*) AS n FROM (SELECT DISTINCT origin, split FROM read_parquet(${quoteLiteral(file('by-origin.parquet'))})) a
      JOIN (SELECT DISTINCT origin, split FROM read_parquet(${quoteLiteral(file('by-origin-3.parquet'))})) b USING (origin) WHERE a.split <> b.split`));
    expect(moved).toEqual({ n: 0n });
  });

  it('splits by time, and sets rows without a time aside as rejects', async () => {
    const result = reconciled(await ingest({ source: file('times.csv'), split: 'time:at:2024-02-01', output: file('times.parquet') }));
    expect(result).toMatchObject({ rowsRead: 4, rowsWritten: 3, rowsRejected: 1, splits: { train: 1, eval: 2 } });
    expect(result.rejects.examples).toEqual([{
      file: null, line: null, row: 2, column: 'at', reason: 'no_split_value',
      message: 'the split column "at" has no value, so the row belongs to no split', content: '{"id":2,"at":null}',
    }]);
    expect(await rowsOf(file('times.parquet'), 'SELECT id, split FROM t ORDER BY id')).toEqual([
      { id: 1n, split: 'train' }, { id: 3n, split: 'eval' }, { id: 4n, split: 'eval' },
    ]);
    const three = reconciled(await ingest({ source: sampleDataPath('flights-3m.parquet'), split: 'time:date:2001-03-01,2001-05-01', output: file('by-time.parquet') }));
    const [bounds] = await rowsOf(file('by-time.parquet'), `SELECT max(date) FILTER (WHERE split = 'train')::VARCHAR AS train, min(date) FILTER (WHERE split = 'test')::VARCHAR AS test FROM t`);
    expect(bounds!.train! < '2001-03-01').toBe(true);
    expect(bounds!.test! >= '2001-05-01').toBe(true);
    expect(Object.keys(three.splits!)).toEqual(['train', 'eval', 'test']);
  });

  it('explains a split it cannot make', async () => {
    const source = file('weather.csv');
    const cases: [unknown, string][] = [
      ['random:0.8,0.3', 'split.splits: the fractions must add up to 1, not 1.1'],
      ['hash:nope:0.8', 'split.column: the data has no column "nope"'],
      ['time:day:not-a-date', 'split.boundaries: "not-a-date" is not a DATE like the column "day"'],
      ['time:day:2024-02-01,2024-01-01', 'split.boundaries: must be in increasing order, got 2024-02-01, 2024-01-01'],
      ['shuffle:0.5', 'split: unknown split "shuffle:0.5"'],
      ['random:0.2,0.2,0.2,0.2,0.2', 'split: 5 splits need names'],
      [{ kind: 'random', splits: { train: 1.5 } }, 'split.splits.train: Too big'],
    ];
    for (const [split, message] of cases) {
      await expect(ingest({ source, split: split as string, output: file('x.parquet') }), JSON.stringify(split)).rejects.toThrow(message);
    }
    await expect(ingest({ source, query: "SELECT *, 'x' AS split FROM source", split: 'random:0.5', output: file('x.parquet') }))
      .rejects.toThrow('split: the data already has a column "split"');
  });
});

describe('ingestComponent', () => {
  it('writes the examples dataset and the rejects, recording the counts, columns and splits', async () => {
    const run = await runComponent(ingestComponent, {
      dir: file('component'),
      params: { source: file('bad-lines.csv'), split: 'random:0.5,seed=1' },
    });
    expect(run.outputs.examples.properties).toEqual({
      rowCount: 3, rowsRead: 5, rowsRejected: 2, rowsFiltered: 0,
      columns: [{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }, { name: 'score', type: 'DOUBLE' }, { name: 'split', type: 'VARCHAR' }],
      splits: expect.objectContaining({ train: expect.any(Number), eval: expect.any(Number) }),
    });
    expect(run.outputs.rejects.properties).toEqual({ rowCount: 2, reasons: { missing_columns: 1, too_many_columns: 1 } });
    expect(await countRows(run.outputs.examples.path)).toBe(3);
    expect(await countRows(run.outputs.rejects.path)).toBe(2);
    expect(run.result).toEqual({ rowsRead: 5, rowsWritten: 3, rowsRejected: 2, rowsFiltered: 0 });
    expect(run.logs).toContainEqual({ level: 'warn', message: expect.stringContaining('2 of 5 rows were rejected') });
  });

  it('logs the empty-result warning, and refuses params with neither source nor query', async () => {
    const run = await runComponent(ingestComponent, { dir: file('component-empty'), params: { source: file('header-only.csv') } });
    expect(run.logs).toContainEqual({ level: 'warn', message: expect.stringContaining('has no rows') });
    await expect(runComponent(ingestComponent, { dir: file('component-none'), params: {} })).rejects.toThrow('give a source, or a query that reads its own data');
  });
});
