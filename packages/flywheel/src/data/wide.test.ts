import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from './ingest.js';
import { inferSchema } from './schema.js';
import { computeStatistics } from './statistics.js';
import { validateData } from './validate.js';

const COLUMNS = 10_000;
const ROWS = 30;
let dir: string;

/** Column i holds numbers, except every 4th (text) and every 1000th (always empty). */
function cell(row: number, column: number): string {
  if (column % 1000 === 999) return '';
  if (column % 4 === 3) return `t${(row * column) % 5}`;
  return String((row * (column + 1)) % 97);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-wide-'));
  const header = Array.from({ length: COLUMNS }, (_, c) => `f${c}`).join(',');
  const rows = Array.from({ length: ROWS }, (_, r) => Array.from({ length: COLUMNS }, (_, c) => cell(r, c)).join(','));
  await writeFile(join(dir, 'wide.csv'), `${header}\n${rows.join('\n')}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a file with 10,000 columns', () => {
  it('is ingested, profiled in slices of columns, and validated', async () => {
    const ingested = await ingest({ source: join(dir, 'wide.csv'), output: join(dir, 'wide.parquet') });
    expect(ingested).toMatchObject({ rowsRead: ROWS, rowsWritten: ROWS, rowsRejected: 0 });
    expect(ingested.columns).toHaveLength(COLUMNS);

    const stats = await computeStatistics(join(dir, 'wide.parquet'));
    expect(stats.columns).toHaveLength(COLUMNS);
    expect(stats.rowCount).toBe(ROWS);
    const last = stats.columns[COLUMNS - 2]!;
    expect(last).toMatchObject({ name: `f${COLUMNS - 2}`, kind: 'numeric', count: ROWS, missing: 0 });
    if (last.kind !== 'numeric') throw new Error('expected a numeric column');
    const values = Array.from({ length: ROWS }, (_, r) => Number(cell(r, COLUMNS - 2)));
    expect(last.numeric.min).toBe(Math.min(...values));
    expect(last.numeric.max).toBe(Math.max(...values));
    expect(last.distinct).toBe(new Set(values).size);
    expect(last.numeric.histogram!.counts.reduce((a, b) => a + b)).toBe(ROWS);
    const text = stats.columns[COLUMNS - 1 - 4]!;
    expect(text.kind).toBe('categorical');
    expect(stats.columns[999]).toMatchObject({ count: 0, missing: ROWS });

    const schema = inferSchema(stats);
    expect(validateData({ statistics: stats, schema }).summary).toEqual({ errors: 0, warnings: 0, featuresChecked: COLUMNS });
  }, 120_000);
});
