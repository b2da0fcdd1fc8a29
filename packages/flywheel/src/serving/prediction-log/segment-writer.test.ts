import { readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
const TOKEN = 'a1b2c3d4';

function lines(ids: string[], model = 'flights'): string {
  return ids
    .map((id, i) => encodeRecord({
      predictionId: id, row: 0, timestamp: new Date(T0 + i), model, version: 1, arm: 'champion', endpoint: 'predict',
      inputs: { hour: i }, outputs: { label: i % 2 }, latencyMs: 1,
    }))
    .join('');
}

/** Stages a batch as ParquetPredictionLog does, for the server process `pid` with `token`. */
async function stage(dir: string, sequence: number, text: string, owner = { pid: process.pid, token: TOKEN }): Promise<string> {
  await mkdir(dir, { recursive: true });
  const { staged } = stagingPaths(dir, `${T0}-${owner.pid}-${owner.token}-${String(sequence).padStart(6, '0')}`);
  await writeFile(staged, text);
  return staged;
}

const ids = async (dir: string) => (await readPredictionLog({ dir })).map((r) => r.predictionId).sort();
const hidden = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('.'));
/** The niceness of every thread of a process (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
const threadNiceness = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]));

describe('SegmentWriter', () => {
  it('converts staged batches in a child process, and leaves nothing staged', async () => {
    const dir = join(root, 'basic');
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await writer.convert(await stage(dir, 1, lines(['a', 'b'])));
      expect(writer.pid).toBeGreaterThan(0);
      expect(writer.pid).not.toBe(process.pid);
      await writer.convert(await stage(dir, 2, lines(['c'], 'churn')));
    } finally {
      await writer.close();
    }
    expect(writer.pid).toBeUndefined();
    expect(await ids(dir)).toEqual(['a', 'b', 'c']);
    expect(await hidden(dir)).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('runs every thread of the writer, DuckDB\'s included, at the lower priority', async () => {
    const dir = join(root, 'nice');
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await writer.convert(await stage(dir, 1, lines(['a'])));
      const niceness = threadNiceness(writer.pid as number);
      expect(niceness.length).toBeGreaterThan(4);
      expect(new Set(niceness)).toEqual(new Set([WRITER_NICENESS]));
    } finally {
      await writer.close();
    }
  });

  it('converts batches left by servers that are gone, including an earlier one with its pid, but not those of living servers', async () => {
    const dir = join(root, 'orphans');
    await stage(dir, 1, lines(['dead pid']), { pid: 2_147_483_646, token: 'dead0001' });
    await stage(dir, 1, lines(['same pid, earlier token']), { pid: process.pid, token: 'e0e0e0e0' });
    const living = await stage(dir, 1, lines(['another server']), { pid: process.ppid, token: 'f1f1f1f1' });
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await writer.convert(await stage(dir, 1, lines(['mine'])));
    } finally {
      await writer.close();
    }
    expect(await ids(dir)).toEqual(['dead pid', 'mine', 'same pid, earlier token']);
    expect(await hidden(dir)).toEqual([living.slice(dir.length + 1)]);
  });

  it('gives the batches of a writer that dies to a new one, without writing anything twice', async () => {
    const dir = join(root, 'killed');
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await writer.convert(await stage(dir, 1, lines(['before'])));
      const first = writer.pid as number;
      // Stopped, the writer cannot take the next batches before it is killed.
      process.kill(first, 'SIGSTOP');
      const pending = [2, 3, 4].map(async (n) => writer.convert(await stage(dir, n, lines([`after-${n}`]))));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(writer.pending).toBe(3);
      process.kill(first, 'SIGKILL');
      await Promise.all(pending);
      expect(writer.pending).toBe(0);
      expect(writer.pid).toBeGreaterThan(0);
      expect(writer.pid).not.toBe(first);
    } finally {
      await writer.close();
    }
    expect(await ids(dir)).toEqual(['after-2', 'after-3', 'after-4', 'before']);
  });

  it('refuses a batch it cannot read, keeps it aside as .failed, and goes on with the next', async () => {
    const dir = join(root, 'corrupt');
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await expect(writer.convert(await stage(dir, 1, '{"prediction_id": "x", "row": "not a number"}\n'))).rejects.toThrow(/prediction log writer: .*not a number/s);
      await writer.convert(await stage(dir, 2, lines(['fine'])));
    } finally {
      await writer.close();
    }
    expect(await ids(dir)).toEqual(['fine']);
    expect(await hidden(dir)).toEqual([`.${T0}-${process.pid}-${TOKEN}-000001.ndjson.failed`]);
  });

  it('finishes a batch cut short after one of its segments was written, keeping that segment as it is', async () => {
    const dir = join(root, 'idempotent');
    const other = join(root, 'idempotent-reference');
    const text = lines(['x', 'y']) + lines(['z'], 'churn');
    // A segment by the name a conversion cut short would have left for the first model (with other
    // records, to see that it is kept rather than written again).
    const reference = new SegmentWriter(other, TOKEN);
    try {
      await reference.convert(await stage(other, 1, lines(['kept'])));
    } finally {
      await reference.close();
    }
    const [day] = await readdir(join(other, 'flights'));
    const [segment] = await readdir(join(other, 'flights', day as string));
    await mkdir(join(dir, 'flights', day as string), { recursive: true });
    await copyFile(join(other, 'flights', day as string, segment as string), join(dir, 'flights', day as string, segment as string));
    const writer = new SegmentWriter(dir, TOKEN);
    try {
      await writer.convert(await stage(dir, 1, text));
    } finally {
      await writer.close();
    }
    expect(await ids(dir)).toEqual(['kept', 'z']);
    expect(await hidden(dir)).toEqual([]);
  });
});
