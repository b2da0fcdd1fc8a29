import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../src/config/open-stack.js';
import { quoteLiteral, withDuckDb } from '../src/data/duckdb.js';
import { runCli } from './cli.js';

// A project whose server logged four requests (r1 of two rows), and a file of labels for them.
let dir: string;
let home: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fw-monitor-cli-'));
  const stack = await openStack({ projectDir: dir, env: {} });
  home = stack.home;
  await stack.close();
  const day = join(home, 'predictions', 'flights', '2001-02-05');
  await mkdir(day, { recursive: true });
  await withDuckDb((db) => db.run(`COPY (
    SELECT prediction_id, "row"::INTEGER AS "row", TIMESTAMP '2001-02-05 10:00:00' AS "timestamp", 'flights' AS model, 1 AS version, 'champion' AS arm,
      'predict' AS endpoint, '{"distance":300}'::JSON AS inputs, '{"probability":0.25}'::JSON AS outputs, 2.0::DOUBLE AS latency_ms
    FROM (VALUES ('r1', 0), ('r1', 1), ('r2', 0), ('r3', 0), ('r4', 0)) t(prediction_id, "row")
  ) TO ${quoteLiteral(join(day, 'batch.parquet'))} (FORMAT parquet)`));
  await writeFile(join(dir, 'labels.csv'), 'prediction_id,row,label\nr1,0,1\nr1,1,0\nr2,0,true\nr3,0,yes\nnope,0,1\nr2,0,1\n');
  await writeFile(join(dir, 'outcomes.csv'), 'request,delayed\nr4,1\n');
  await writeFile(join(dir, 'broken.parquet'), 'PAR1 not a Parquet file');
});

describe('flywheel monitor labels', () => {
  it('prints the accepted and rejected labels, and exits 0 despite rejections', async () => {
    const result = await runCli(['monitor', 'labels', 'labels.csv'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('accepted 3 labels; rejected 3 (unknown prediction id 1, duplicate 1, invalid 1)');
    expect(lines[1]).toMatch(/^stored in .*\.flywheel\/labels\/\d{13}-[0-9a-f]{8}\.parquet$/);
    expect(lines.slice(2)).toEqual([
      'first rejected:',
      '  r3 row 0 — invalid: label "yes" is not a number',
      '  nope row 0 — unknown prediction id: no prediction with this id and row in the prediction log',
      '  r2 row 0 — duplicate: repeated in this input',
    ]);
    expect((await readdir(join(home, 'labels'))).filter((name) => name.endsWith('.parquet'))).toHaveLength(1);
  });

  it('counts labels stored before as duplicates, as JSON', async () => {
    const result = await runCli(['monitor', 'labels', 'labels.csv', '--json'], { cwd: dir });
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { accepted: number; rejected: Record<string, number>; segment: string | null; examples: unknown[] };
    expect([parsed.accepted, parsed.rejected, parsed.segment]).toEqual([0, { invalid: 1, unknown: 1, duplicate: 4 }, null]);
    expect(parsed.examples).toHaveLength(5);
  });

  it('reads other column names', async () => {
    const result = await runCli(['monitor', 'labels', 'outcomes.csv', '--id-column', 'request', '--label-column', 'delayed'], { cwd: dir });
    expect(result.stdout.split('\n')[0]).toBe('accepted 1 label; rejected 0');
  });

  it('names a missing column by its flag and a corrupt file with exit code 2, and a missing file with 1', async () => {
    const column = await runCli(['monitor', 'labels', 'outcomes.csv'], { cwd: dir });
    expect(column.code).toBe(2);
    expect(column.stderr).toContain('error: --id-column: "outcomes.csv" has no column "prediction_id"; its columns: request, delayed');
    expect(column.stderr).toContain('hint: name the column that holds the prediction id with --id-column');
    const corrupt = await runCli(['monitor', 'labels', 'broken.parquet'], { cwd: dir });
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/^error: file: cannot read "broken\.parquet": /);
    const missing = await runCli(['monitor', 'labels', 'missing.csv'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('source file "missing.csv" does not exist');
  });
});
