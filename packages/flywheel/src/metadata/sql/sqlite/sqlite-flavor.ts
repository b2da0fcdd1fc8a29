import { z } from 'zod';
import { InvalidInputError } from '../../../core/errors.js';
import type { Flavor } from '../../../config/flavor.js';
import type { MetadataBackend } from '../../metadata-backend.js';

/** The path that keeps the whole database in memory (tests, throwaway runs). */
export const SQLITE_MEMORY_PATH = ':memory:';

export const sqliteMetadataOptions = z.object({
  flavor: z.literal('sqlite'),
  /** Database file, relative to the project folder; `<home>/metadata.db` when absent; `:memory:` for none. */
  path: z.string().min(1).optional(),
});

export type SqliteMetadataOptions = z.infer<typeof sqliteMetadataOptions>;

/**
 * Metadata and registry in one SQLite file, the embedded default.
 *
 * @example
 *   sqliteMetadataFlavor.fromUri('sqlite:///var/lib/flywheel/metadata.db'); // { path: '/var/lib/flywheel/metadata.db' }
 */
export const sqliteMetadataFlavor: Flavor<SqliteMetadataOptions, MetadataBackend> = {
  name: 'sqlite',
  description: 'ML metadata and model registry in a SQLite file (embedded, the default)',
  options: sqliteMetadataOptions,
  schemes: ['sqlite'],
  fromUri: (uri) => ({ path: sqlitePathFromUri(uri) }),
  async create(options, context) {
    const { resolveSqlitePath, openSqliteMetadataBackend } = await import('./open-sqlite-metadata.js');
    return openSqliteMetadataBackend({ path: resolveSqlitePath(options.path, context) });
  },
};

/** `sqlite:relative/file.db`, `sqlite:///abs/file.db`, `sqlite::memory:` → the path part. */
export function sqlitePathFromUri(uri: string): string {
  if (!uri.startsWith('sqlite:')) throw new InvalidInputError('metadata uri', `${JSON.stringify(uri)} is not a sqlite: uri`);
  const rest = uri.slice('sqlite:'.length);
  if (!rest.startsWith('//')) {
    if (rest === '') throw new InvalidInputError('metadata uri', 'sqlite: uri has no path', 'write sqlite:path/to/file.db or sqlite:///abs/file.db');
    return rest;
  }
  const afterAuthority = rest.slice(2);
  if (!afterAuthority.startsWith('/') || afterAuthority === '/') {
    throw new InvalidInputError(
      'metadata uri',
      `${JSON.stringify(uri)} names a host or no file; a sqlite file is local`,
      'write sqlite:relative/file.db or sqlite:///abs/file.db',
    );
  }
  return afterAuthority;
}
