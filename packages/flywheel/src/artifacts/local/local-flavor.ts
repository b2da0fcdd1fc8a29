import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Flavor } from '../../config/flavor.js';
import { InvalidInputError } from '../../core/errors.js';
import type { ArtifactStore } from '../artifact-store.js';

export const localArtifactsOptions = z.object({
  flavor: z.literal('local'),
  /** Folder of the store, relative to the project folder; `<home>/artifacts` by default. */
  path: z.string().min(1).optional(),
});

export type LocalArtifactsOptions = z.infer<typeof localArtifactsOptions>;

/**
 * Artifacts in a folder on this machine.
 *
 * @example
 *   artifacts: { flavor: 'local', path: 'artifacts' }   // or the shorthand 'file:artifacts'
 */
export const localArtifactsFlavor: Flavor<LocalArtifactsOptions, ArtifactStore> = {
  name: 'local',
  description: 'Content-addressed blobs in a local folder (default: <home>/artifacts)',
  options: localArtifactsOptions,
  schemes: ['file'],
  fromUri(uri) {
    const invalid = (): InvalidInputError =>
      new InvalidInputError('artifacts', `${JSON.stringify(uri)} is not a file uri of a local folder`, 'use file:///absolute/dir or file:relative/dir');
    if (uri.startsWith('file://')) {
      try {
        return { flavor: 'local', path: fileURLToPath(uri) };
      } catch {
        throw invalid();
      }
    }
    if (uri.startsWith('file:') && uri.length > 'file:'.length) return { flavor: 'local', path: uri.slice('file:'.length) };
    throw invalid();
  },
  async create(options, context) {
    const { LocalArtifactStore } = await import('./local-artifact-store.js');
    const root = options.path === undefined
      ? resolve(context.home, 'artifacts')
      : isAbsolute(options.path) ? options.path : resolve(context.projectDir, options.path);
    return LocalArtifactStore.open(root);
  },
};
