import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPredictionLog } from './parquet-prediction-log.js';
import { encodeRecord } from './prediction-ndjson.js';
import { stagingPaths } from './segment-conversion.js';
import { SegmentWriter, WRITER_NICENESS } from './segment-writer.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flywheel-segment-writer-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-01T10:00:00Z');

function lines(ids: string[], model = 'flights'): string {
  return ids
    .map((id, i) => encodeRecord({
      predictionId: id, row: 0, timestamp: new Date(T0 + i), model, version: 1, arm: 'champion', endpoint: 'predict',
      inputs: { hour: i }, outputs: { label: i % 2 }, latencyMs: 1,
    }))
    .join('');
}

/** Stages a batch as ParquetPredictionLog does, for the process `pid`. */
async function stage(dir: string, pid: number, sequence: number, text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { staged } = stagingPaths(dir, `${T0}-${pid}-${String(sequence).padStart(6, '0')}`);
  await writeFile(staged, text);
  return staged;
}

const ids = async (dir: string) => (await readPredictionLog({ dir })).map((r) => r.predictionId);
const visible = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('.'));

describe('SegmentWriter', () => {
  it('converts staged batches in a child process of lower priority, and leaves nothing staged', async () => {
    const dir = join(root, 'basic');
    const writer = new SegmentWriter(dir);
    try {
      await writer.convert(await stage(dir, process.pid, 1, lines(['a', 'b'])));
      expect(writer.pid).toBeGreaterThan(0);
      expect(writer.pid).not.toBe(process.pid);
      expect(getPriority(writer.pid)).toBe(WRITER_NICENESS);
      await writer.convert(await stage(dir, process.pid, 2, lines(['c'], 'churn')));
    } finally {
      await writer.close();
    }
    expect(writer.pid).toBeUndefined();
    expect((await ids(dir)).sort()).toEqual(['a', 'b', 'c']);
    expect(await visible(dir)).toEqual([]);
  });

  it('converts batches left by a process that is gone when it starts, but not those of living processes', async () => {
    const dir = join(root, 'orphans');
    const gone = 2_147_483_646;
    await stage(dir, gone, 1, lines(['orphan']));
    const living = await stage(dir, process.ppid, 1, lines(['someone else']));
    const writer = new SegmentWriter(dir);
    try {
      await writer.convert(await stage(dir, process.pid, 1, lines(['mine'])));
    } finally {
      await writer.close();
    }
    expect((await ids(dir)).sort()).toEqual(['mine', 'orphan']);
    expect(await visible(dir)).toEqual([living.slice(dir.length + 1)]);
  });

  it('gives the batches of a writer that dies to a new one, without writing anything twice', async () => {
    const dir = join(root, 'killed');
    const writer = new SegmentWriter(dir);
    try {
      await writer.convert(await stage(dir, process.pid, 1, lines(['before'])));
      const first = writer.pid as number;
      const pending = [2, 3, 4].map(async (n) => writer.convert(await stage(dir, process.pid, n, lines([`after-${n}`]))));
      await new Promise((resolve) => setTimeout(resolve, 5));
      process.kill(first, 'SIGKILL');
      await Promise.all(pending);
      expect(writer.pid).not.toBe(first);
    } finally {
      await writer.close();
    }
    expect((await ids(dir)).sort()).toEqual(['after-2', 'after-3', 'after-4', 'before']);
  });

  it('refuses a batch it cannot read, keeps it aside as .failed, and goes on with the next', async () => {
    const dir = join(root, 'corrupt');
    const writer = new SegmentWriter(dir);
    try {
      await expect(writer.convert(await stage(dir, process.pid, 1, '{"prediction_id": "x", "row": "not a number"}\n'))).rejects.toThrow(/prediction log writer: .*not a number/s);
      await writer.convert(await stage(dir, process.pid, 2, lines(['fine'])));
    } finally {
      await writer.close();
    }
    expect(await ids(dir)).toEqual(['fine']);
    expect(await visible(dir)).toEqual([`.${T0}-${process.pid}-000001.ndjson.failed`]);
  });

  it('finishes a batch cut short after some of its segments were written, without duplicating them', async () => {
    const dir = join(root, 'idempotent');
    const text = lines(['x', 'y']) + lines(['z'], 'churn');
    const writer = new SegmentWriter(dir);
    try {
      await writer.convert(await stage(dir, process.pid, 1, text));
      // The same batch again, as if the writer had died after its first segment: it is all there already.
      await writer.convert(await stage(dir, process.pid, 1, text));
    } finally {
      await writer.close();
    }
    expect((await ids(dir)).sort()).toEqual(['x', 'y', 'z']);
  });
});
