import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileNameMatcher, WatchedPlaceMissingError, type FileLister, type ListedFile } from './file-lister.js';

/**
 * The files of a local folder whose names match the pattern's last part (`incoming/*.parquet`;
 * `*` and `?` in the file name only); sub-folders are not looked into.
 *
 * @example
 *   const source = dataArrivalSource(folderFileLister('/data/incoming/*.parquet'), 30_000);
 */
export function folderFileLister(pattern: string): FileLister {
  const folder = dirname(resolve(pattern));
  const matches = fileNameMatcher(basename(pattern));
  return {
    async list() {
      let names: string[];
      try {
        names = (await readdir(folder)).filter((name) => matches.test(name)).sort();
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new WatchedPlaceMissingError(folder, `the watched folder ${folder} does not exist`);
        throw error;
      }
      const files: ListedFile[] = [];
      for (const name of names) {
        const path = join(folder, name);
        try {
          const info = await stat(path);
          if (info.isFile()) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
        } catch (error) {
          // Gone between the listing and the look: it was not a new file after all.
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
      return files;
    },
  };
}
