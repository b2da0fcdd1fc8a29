import { describe, expect, it } from 'vitest';
import { queryRows, withDuckDb } from './duckdb.js';
import { parseSplitSpec, rowHash, withSplitColumn } from './split.js';

describe('parseSplitSpec', () => {
  it('reads the command-line forms', () => {
    expect(parseSplitSpec('random:0.8,seed=42')).toEqual({ kind: 'random', splits: { train: 0.8, eval: 0.2 }, seed: 42 });
    expect(parseSplitSpec('random:0.7,0.2,0.1')).toEqual({ kind: 'random', splits: { train: 0.7, eval: 0.2, test: 0.1 }, seed: 0 });
    expect(parseSplitSpec('random:fit=0.9,holdout=0.1')).toEqual({ kind: 'random', splits: { fit: 0.9, holdout: 0.1 }, seed: 0 });
    expect(parseSplitSpec('hash:a:b:0.75')).toEqual({ kind: 'hash', column: 'a:b', splits: { train: 0.75, eval: 0.25 } });
    expect(parseSplitSpec('hash:user:0.5,seed=3')).toEqual({ kind: 'hash', column: 'user', splits: { train: 0.5, eval: 0.5 }, seed: 3 });
    expect(parseSplitSpec('time:date:2001-03-01 12:00:00, 2001-05-01')).toEqual({ kind: 'time', column: 'date', boundaries: ['2001-03-01 12:00:00', '2001-05-01'] });
  });

  it('names what is wrong', () => {
    expect(() => parseSplitSpec('random:train=0.5,0.5')).toThrow('split: either name every split or none');
    expect(() => parseSplitSpec('random:0.8,seed=x')).toThrow('split: "seed=x" is not a number');
    expect(() => parseSplitSpec('random:0.8,seed=-1')).toThrow('split.seed');
    expect(() => parseSplitSpec('hash:0.8')).toThrow('split: "hash:0.8" names no key column');
    expect(() => parseSplitSpec('time:date')).toThrow('split: "time:date" names no time column');
  });
});

describe('rowHash', () => {
  it('is the hash the SQL of a random split computes', async () => {
    const sql = withSplitColumn('SELECT range AS i FROM range(2000)', { kind: 'random', splits: { a: 0.25, b: 0.5, c: 0.25 }, seed: 9 });
    const rows = await withDuckDb((db) => queryRows(db, `SELECT split FROM (${sql})`));
    const expected = rows.map((_, i) => {
      const hash = rowHash(i + 1, 9);
      return hash < 2 ** 30 ? 'a' : hash < 3 * 2 ** 30 ? 'b' : 'c';
    });
    expect(rows.map((row) => row.split)).toEqual(expected);
    expect(rowHash(5, 1)).not.toBe(rowHash(5, 2));
  });
});
