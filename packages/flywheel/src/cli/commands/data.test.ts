import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readSchemaFile } from '../../data/schema-format.js';
import { readStatisticsFile } from '../../data/statistics-format.js';
import { buildProgram, main } from '../main.js';

let dir: string;
const file = (name: string) => join(dir, name);

/** Runs the CLI in this process, capturing what it prints. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-data-cli-'));
  const lines = ['day,city,temp'];
  for (let i = 0; i < 60; i++) lines.push(`2024-01-${String((i % 28) + 1).padStart(2, '0')},${['Bern', 'Basel', 'Chur'][i % 3]},${(i % 17) - 3}`);
  lines.push('2024-02-01,Bern');
  await writeFile(file('weather.csv'), `${lines.join('\n')}\n`);
  await writeFile(file('later.csv'), 'day,city,temp\n2024-03-01,Bern,40\n2024-03-02,Genf,1\n');
});

afterEach(() => {
  process.exitCode = undefined;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('flywheel data', () => {
  it('describes every command and flag in its help', () => {
    const data = buildProgram().commands.find((command) => command.name() === 'data')!;
    expect(data.commands.map((command: Command) => command.name())).toEqual(expect.arrayContaining(['ingest', 'stats', 'schema', 'validate', 'drift']));
    for (const command of data.commands) {
      expect(command.description(), command.name()).not.toBe('');
      for (const option of command.options) expect(option.description, `${command.name()} ${option.flags}`).not.toBe('');
    }
  });

  it('ingest prints the counts and the first rejected rows, or the result as JSON with stable fields', async () => {
    const human = await cli('data', 'ingest', file('weather.csv'), '--out', file('weather.parquet'), '--split', 'random:0.75,seed=3');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`wrote ${file('weather.parquet')}: 60 rows × 4 columns (day DATE, city VARCHAR, temp BIGINT, split VARCHAR)`);
    expect(human.stdout).toContain('read 61 rows: 60 written, 1 rejected, 0 filtered by the query');
    expect(human.stdout).toMatch(/splits: train \d+ \(\d+\.\d%\), eval \d+/);
    expect(human.stdout).toContain(`${file('weather.csv')}:62 column "temp": missing_columns — Expected Number of Columns: 3 Found: 2`);
    expect(human.stderr).toContain('warning: 1 of 61 rows were rejected');

    const json = await cli('data', 'ingest', file('weather.csv'), '-o', file('weather-2.parquet'), '--query', 'SELECT * FROM source WHERE temp > 0', '--json');
    const result = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(['output', 'rowsRead', 'rowsWritten', 'rowsRejected', 'rowsFiltered', 'splits', 'columns', 'rejects', 'warnings']);
    expect(result).toMatchObject({ rowsRead: 61, rowsRejected: 1, splits: null });
    expect((result.rowsWritten as number) + (result.rowsFiltered as number) + 1).toBe(61);
  });

  it('stats, schema and validate chain through files; validate fails with exit code 1 by --fail-on', async () => {
    await cli('data', 'ingest', file('weather.csv'), '-o', file('base.parquet'));
    const stats = await cli('data', 'stats', file('base.parquet'), '--out', file('stats.json'), '--report', file('stats.html'));
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('60 rows × 3 columns, 0 duplicate rows');
    expect(stats.stdout).toMatch(/city\s+VARCHAR\s+0\.0%\s+3\s+"Basel" 20 {2}"Bern" 20/);
    expect((await readStatisticsFile(file('stats.json'))).rowCount).toBe(60);
    expect(await readFile(file('stats.html'), 'utf8')).toContain('<html');

    const schema = await cli('data', 'schema', file('stats.json'), '--out', file('schema.json'), '--label', 'temp');
    expect(schema.stdout).toContain('3 features');
    expect((await readSchemaFile(file('schema.json'))).features.find((f) => f.name === 'city')!.domain).toEqual(['Basel', 'Bern', 'Chur']);
    const printed = await cli('data', 'schema', file('base.parquet'));
    expect(JSON.parse(printed.stdout)).toMatchObject({ format: 'flywheel.schema/v1' });

    const same = await cli('data', 'validate', file('base.parquet'), '--schema', file('schema.json'));
    expect(same).toMatchObject({ code: 0 });
    expect(same.stdout).toContain('60 rows, 3 features checked for training: 0 errors, 0 warnings\npassed\n');

    await cli('data', 'ingest', file('later.csv'), '-o', file('later.parquet'));
    const later = await cli('data', 'validate', file('later.parquet'), '--schema', file('schema.json'), '--reference', file('stats.json'), '--report', file('validate.html'));
    expect(later.code).toBe(1);
    expect(later.stdout).toMatch(/error\s+row_count_change\s+\(dataset\)\s+the data has 2 rows, 97% fewer than the reference's 60/);
    expect(later.stdout).toMatch(/error\s+unseen_category\s+city/);
    expect(later.stdout).toContain('failed: anomalies at or above --fail-on error');
    expect(existsSync(file('validate.html'))).toBe(true);

    const lenient = await cli('data', 'validate', file('later.parquet'), '--schema', file('schema.json'), '--fail-on', 'never', '--json', '--out', file('anomalies.json'));
    expect(lenient.code).toBe(0);
    const report = JSON.parse(lenient.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ failed: false, failOn: 'never', format: 'flywheel.anomalies/v2', rowCount: 2 });
    expect(JSON.parse(await readFile(file('anomalies.json'), 'utf8'))).toMatchObject({ format: 'flywheel.anomalies/v2' });

    await cli('data', 'ingest', file('weather.csv'), '-o', file('warm.parquet'), '-q', 'SELECT day, city, CASE WHEN temp = 13 THEN 40 ELSE temp END AS temp FROM source');
    const warm = await cli('data', 'validate', file('warm.parquet'), '--schema', file('schema.json'));
    expect(warm.code).toBe(0);
    expect(warm.stdout).toMatch(/warning\s+out_of_range\s+temp\s+the maximum is 40/);
    const strict = await cli('data', 'validate', file('warm.parquet'), '--schema', file('schema.json'), '--fail-on', 'warning');
    expect(strict.code).toBe(1);
  });

  it('names the bad input: exit code 2 for bad arguments or data, 1 for a missing file', async () => {
    const missing = await cli('data', 'ingest', file('nope.csv'), '-o', file('x.parquet'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error: source file ${JSON.stringify(file('nope.csv'))} does not exist`);
    await writeFile(file('empty.csv'), '');
    const empty = await cli('data', 'stats', file('empty.csv'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`error: path: ${JSON.stringify(file('empty.csv'))} is empty (0 bytes)`);
    const badSplit = await cli('data', 'ingest', file('weather.csv'), '-o', file('x.parquet'), '--split', 'random:1.2');
    expect(badSplit.code).toBe(2);
    expect(badSplit.stderr).toContain('split.splits');
    const badShare = await cli('data', 'validate', file('stats.json'), '--schema', file('schema.json'), '--max-missing', '3');
    expect(badShare.code).toBe(2);
    expect(badShare.stderr).toContain('expected a share between 0 and 1');
  });
});
