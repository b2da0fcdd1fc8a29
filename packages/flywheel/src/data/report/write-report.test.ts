import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from './write-report.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-report-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('creates the folder, replaces an older report and leaves no temporary file', async () => {
    const path = join(dir, 'reports', 'nested', 'stats.html');
    await writeReport('<!doctype html><p>first</p>', path);
    await writeReport('<!doctype html><p>second ✓</p>', path);
    expect(await readFile(path, 'utf8')).toBe('<!doctype html><p>second ✓</p>');
    expect(await readdir(join(dir, 'reports', 'nested'))).toEqual(['stats.html']);
  });

  it('leaves nothing behind when the target cannot be written', async () => {
    const target = join(dir, 'occupied');
    await writeReport('x', join(target, 'inner.html'));
    await expect(writeReport('y', target)).rejects.toThrow();
    expect(await readdir(dir)).toEqual(expect.not.arrayContaining([expect.stringContaining('.partial-')]));
  });
});
