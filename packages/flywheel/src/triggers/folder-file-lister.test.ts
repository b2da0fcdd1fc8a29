import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDataArrivalContract } from './data-arrival.contract.js';
import { folderFileLister } from './folder-file-lister.js';

runDataArrivalContract('folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fw-folder-lister-'));
  const incoming = join(dir, 'incoming');
  await mkdir(incoming);
  return {
    lister: (glob) => folderFileLister(join(incoming, glob)),
    async put(name, content) {
      const path = join(incoming, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      return path;
    },
    remove: () => rename(incoming, join(dir, 'elsewhere')),
    restore: () => rename(join(dir, 'elsewhere'), incoming),
    name: incoming,
    missingProblem: `the watched folder ${incoming} does not exist`,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('folderFileLister', () => {
  it('lists matching files with their size and time, in name order, skipping folders', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fw-folder-lister-'));
    try {
      await writeFile(join(dir, 'b.parquet'), 'bb');
      await writeFile(join(dir, 'a.parquet'), 'a');
      await mkdir(join(dir, 'c.parquet'));
      const files = await folderFileLister(join(dir, '*.parquet')).list();
      expect(files.map(({ path, size }) => [path, size])).toEqual([[join(dir, 'a.parquet'), 1], [join(dir, 'b.parquet'), 2]]);
      expect(files.every((f) => f.mtimeMs > 0 && f.version === undefined)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
