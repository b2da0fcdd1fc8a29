import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError } from '../core/errors.js';
import { queryRows, quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { ingestLabels, labelsRelation, labelStoreDir } from './label-store.js';

const NOW = Date.UTC(2001, 0, 2, 8, 30);

let dir: string;
let home: string;

/** A segment of the prediction log of `model` holding these (prediction id, row, arm) records. */
async function writeLog(model: string, segment: string, records: [string, number, string?][]): Promise<void> {
  const folder = join(home, 'predictions', model, '2001-01-01');
  await mkdir(folder, { recursive: true });
  const values = records.map(([id, row, arm = 'champion']) => `(${quoteLiteral(id)}, ${row}, ${quoteLiteral(arm)})`).join(', ');
  await withDuckDb((db) => db.run(`COPY (
    SELECT prediction_id, "row"::INTEGER AS "row", TIMESTAMP '2001-01-01 12:00:00' AS "timestamp", ${quoteLiteral(model)} AS model, 1 AS version, arm,
      'predict' AS endpoint, '{"x":1}'::JSON AS inputs, '{"p":0.5}'::JSON AS outputs, 1.5::DOUBLE AS latency_ms
    FROM (VALUES ${values}) t(prediction_id, "row", arm)) TO ${quoteLiteral(join(folder, `${segment}.parquet`))} (FORMAT parquet)`));
}

async function storedLabels(): Promise<[string, number, number, number][]> {
  const relation = await labelsRelation(home);
  if (relation === undefined) return [];
  const rows = await withDuckDb((db) => queryRows(db, `SELECT prediction_id, "row", label, epoch_ms(labeled_at) AS at FROM ${relation} ORDER BY prediction_id, "row"`));
  return rows.map((r) => [String(r.prediction_id), Number(r.row), Number(r.label), Number(r.at)]);
}

async function segments(): Promise<string[]> {
  return (await readdir(labelStoreDir(home))).filter((name) => name !== '.lock').sort();
}

function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-labels-'));
  home = join(dir, '.flywheel');
  // Request a has three rows and a shadow of its first; b, c, d one row each; e belongs to another model.
  await writeLog('m', 'first', [['a', 0], ['a', 1], ['a', 2], ['a', 0, 'shadow'], ['b', 0]]);
  await writeLog('m', 'second', [['c', 0], ['d', 0]]);
  await writeLog('n', 'first', [['e', 0]]);
  // A staged batch not yet converted sits beside the model folders and is not part of the log.
  await writeFile(join(home, 'predictions', '.1-1-ab-000001.ndjson'), '{"prediction_id":"z","row":0}\n');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ingestLabels', () => {
  it('keeps the CSV labels that match the log, and counts the unknown, repeated and invalid ones', async () => {
    const file = join(dir, 'labels.csv');
    await writeFile(file, [
      'prediction_id,row,label',
      'a,0,1', 'a,1,0', 'a,2,true', 'b,0,"1"', 'zz,0,1', 'a,0,0', 'c,0,yes', 'c,0,', 'd,-1,1', 'd,0.5,1', ',0,1', 'c,0,0.25', 'e,0,2.5', 'e,1,1',
    ].join('\n'));
    const result = await ingestLabels({ home, file, now: () => NOW });
    expect(result.accepted).toBe(6);
    expect(result.rejected).toEqual({ invalid: 5, unknown: 2, duplicate: 1 });
    expect(result.examples).toEqual([
      { predictionId: 'zz', row: 0, reason: 'unknown', detail: 'no prediction with this id and row in the prediction log' },
      { predictionId: 'a', row: 0, reason: 'duplicate', detail: 'repeated in this input' },
      { predictionId: 'c', row: 0, reason: 'invalid', detail: 'label "yes" is not a number' },
      { predictionId: 'c', row: 0, reason: 'invalid', detail: 'the label is missing' },
      { predictionId: 'd', row: null, reason: 'invalid', detail: 'row "-1" is not a whole number from 0' },
    ]);
    // The first valid line of a pair wins, and the shadow's record of a/0 does not count it twice.
    expect(await storedLabels()).toEqual([
      ['a', 0, 1, NOW], ['a', 1, 0, NOW], ['a', 2, 1, NOW], ['b', 0, 1, NOW], ['c', 0, 0.25, NOW], ['e', 0, 2.5, NOW],
    ]);
    expect(result.segment).toBe(join(labelStoreDir(home), (await segments())[0]!));
  });

  it('reads Parquet with other column names and no row column', async () => {
    const file = join(dir, 'labels.parquet');
    await withDuckDb((db) => db.run(`COPY (SELECT * FROM (VALUES ('b', true), ('c', false), ('x', true), ('d', NULL)) t(id, delayed))
      TO ${quoteLiteral(file)} (FORMAT parquet)`));
    const result = await ingestLabels({ home, file, idColumn: 'id', labelColumn: 'delayed', now: () => NOW });
    expect([result.accepted, result.rejected]).toEqual([2, { invalid: 1, unknown: 1, duplicate: 0 }]);
    expect(await storedLabels()).toEqual([['b', 0, 1, NOW], ['c', 0, 0, NOW]]);
  });

  it('reads NDJSON whose labels change type after the first thousands of lines', async () => {
    const file = join(dir, 'labels.ndjson');
    const lines = Array.from({ length: 25_000 }, (_, i) => JSON.stringify({ prediction_id: `unknown-${i}`, label: 1 }));
    lines.push(
      JSON.stringify({ prediction_id: 'a', row: 0, label: '0.5' }),
      JSON.stringify({ prediction_id: 'a', row: 1, label: true }),
      JSON.stringify({ prediction_id: 'a', row: 2, label: 'yes' }),
      JSON.stringify({ prediction_id: 'b', label: { value: 1 } }),
      JSON.stringify({ prediction_id: 'c', row: '0', label: 0 }),
    );
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await ingestLabels({ home, file, now: () => NOW });
    expect([result.accepted, result.rejected]).toEqual([3, { invalid: 2, unknown: 25_000, duplicate: 0 }]);
    expect(await storedLabels()).toEqual([['a', 0, 0.5, NOW], ['a', 1, 1, NOW], ['c', 0, 0, NOW]]);
  });

  it('takes labels given in code, with the same checks', async () => {
    const result = await ingestLabels({
      home,
      now: () => NOW,
      rows: [
        { predictionId: 'a', row: 0, label: false },
        { predictionId: 'a', row: 1, label: '1' },
        { predictionId: 'b', label: 0.75 },
        { predictionId: 'c', label: 'yes' },
        { predictionId: 'd', label: null },
        { predictionId: 'd', label: Number.NaN },
        { predictionId: '', label: 1 },
        null as unknown as { predictionId: string; label: unknown },
      ],
    });
    expect([result.accepted, result.rejected]).toEqual([3, { invalid: 5, unknown: 0, duplicate: 0 }]);
    expect(await storedLabels()).toEqual([['a', 0, 0, NOW], ['a', 1, 1, NOW], ['b', 0, 0.75, NOW]]);
  });

  it('rejects labels stored by an earlier ingest as duplicates, and then writes no segment', async () => {
    const rows = [{ predictionId: 'a', row: 0, label: 1 }, { predictionId: 'b', label: 0 }];
    expect((await ingestLabels({ home, rows, now: () => NOW })).accepted).toBe(2);
    const again = await ingestLabels({ home, rows: [...rows, { predictionId: 'c', label: 1 }], now: () => NOW + 1000 });
    expect([again.accepted, again.rejected]).toEqual([1, { invalid: 0, unknown: 0, duplicate: 2 }]);
    expect(again.examples.map((e) => e.detail)).toEqual(['labeled before', 'labeled before']);
    const third = await ingestLabels({ home, rows });
    expect([third.accepted, third.rejected.duplicate, third.segment]).toEqual([0, 2, undefined]);
    expect(await segments()).toHaveLength(2);
    expect((await storedLabels()).map(([id, , label, at]) => [id, label, at])).toEqual([['a', 1, NOW], ['b', 0, NOW], ['c', 1, NOW + 1000]]);
  });

  it('counts every label as unknown while the log is empty, and writes nothing', async () => {
    await rm(join(home, 'predictions'), { recursive: true });
    const result = await ingestLabels({ home, rows: [{ predictionId: 'a', label: 1 }, { predictionId: 'b', label: 0 }] });
    expect([result.accepted, result.rejected, result.segment]).toEqual([0, { invalid: 0, unknown: 2, duplicate: 0 }, undefined]);
    expect(await segments()).toEqual([]);
    expect(await labelsRelation(home)).toBeUndefined();
  });

  it('names a missing column and lists those the file has', async () => {
    const file = join(dir, 'labels.csv');
    await writeFile(file, 'prediction_id,row,delayed\na,0,1\n');
    const error = await ingestLabels({ home, file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('labelColumn');
    expect((error as Error).message).toContain(`has no column "label"; its columns: prediction_id, row, delayed`);
    await expect(ingestLabels({ home, file, labelColumn: 'delayed', idColumn: 'id' })).rejects.toThrow(/idColumn: .* has no column "id"/);
  });

  it('fails clearly on a corrupt or missing file, and on bad options', async () => {
    const file = join(dir, 'labels.parquet');
    await writeFile(file, 'PAR1 this is not really parquet');
    const error = await ingestLabels({ home, file }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(`cannot read ${JSON.stringify(file)}`);
    await expect(ingestLabels({ home, file: join(dir, 'nope.csv') })).rejects.toBeInstanceOf(NotFoundError);
    await expect(ingestLabels({ home, file: join(dir, 'labels.txt') })).rejects.toThrow(/unknown file type/);
    await expect(ingestLabels({ home, file, idColumn: '' })).rejects.toThrow(/^idColumn: /);
    await expect(ingestLabels({ home, file, rows: [] } as never)).rejects.toThrow(/either a file or rows/);
    expect(await segments().catch(() => [])).toEqual([]);
  });

  it('lets only one of two simultaneous ingests accept the same labels', async () => {
    const rows = [{ predictionId: 'a', row: 0, label: 1 }, { predictionId: 'a', row: 1, label: 1 }, { predictionId: 'b', label: 0 }];
    const results = await Promise.all([ingestLabels({ home, rows }), ingestLabels({ home, rows })]);
    expect(results.map((r) => [r.accepted, r.rejected.duplicate]).sort()).toEqual([[0, 3], [3, 0]]);
    expect(await storedLabels()).toHaveLength(3);
    expect(await segments()).toHaveLength(1);
  });

  it('waits for a lock held by a running process, and gives up naming it', async () => {
    await mkdir(labelStoreDir(home), { recursive: true });
    const lock = join(labelStoreDir(home), '.lock');
    await writeFile(lock, `${process.ppid}\n`);
    const error = await ingestLabels({ home, rows: [{ predictionId: 'a', label: 1 }], lockTimeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain(`${lock} is held by process ${process.ppid}`);
    expect(await storedLabels()).toEqual([]);
  });

  it('takes over a lock whose process is gone, and removes what a dead ingest left half-written', async () => {
    await mkdir(labelStoreDir(home), { recursive: true });
    await writeFile(join(labelStoreDir(home), '.lock'), `${deadPid()}\n`);
    await writeFile(join(labelStoreDir(home), '.0000000000001-dead.parquet.tmp'), 'half a segment');
    expect(await labelsRelation(home)).toBeUndefined();
    const result = await ingestLabels({ home, rows: [{ predictionId: 'a', label: 1 }], lockTimeoutMs: 2_000 });
    expect(result.accepted).toBe(1);
    // Only the finished segment is left: no lock, no temporary file.
    expect(await segments()).toEqual([result.segment!.slice(labelStoreDir(home).length + 1)]);
    expect(await readdir(labelStoreDir(home))).not.toContain('.lock');
  });
});
