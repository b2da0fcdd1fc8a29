import { z } from 'zod';
import type { Flavor } from '../../../config/flavor.js';
import type { MetadataBackend } from '../../metadata-backend.js';

export const postgresMetadataOptions = z.object({
  flavor: z.literal('postgres'),
  /** `postgres://user:password@host:5432/database`. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'),
  /** Most connections held open at once; 10 by default. */
  poolSize: z.number().int().positive().default(10),
});

export type PostgresMetadataOptions = z.infer<typeof postgresMetadataOptions>;

/**
 * Metadata and registry in PostgreSQL, for a shared server and many workers.
 *
 * @example
 *   postgresMetadataFlavor.fromUri('postgresql://flywheel@db:5432/flywheel'); // { url: 'postgresql://…' }
 */
export const postgresMetadataFlavor: Flavor<PostgresMetadataOptions, MetadataBackend> = {
  name: 'postgres',
  description: 'ML metadata and model registry in PostgreSQL (shared, for many machines)',
  options: postgresMetadataOptions,
  schemes: ['postgres', 'postgresql'],
  fromUri: (uri) => ({ url: uri }),
  async create(options) {
    const { openPostgresMetadataBackend } = await import('./open-postgres-metadata.js');
    return openPostgresMetadataBackend({ url: options.url, poolSize: options.poolSize });
  },
};
