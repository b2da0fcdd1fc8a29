import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { Flavor } from '../../config/flavor.js';
import { InvalidInputError } from '../../core/errors.js';
import type { Executor } from '../executor.js';

export const localExecutorOptions = z.object({
  flavor: z.literal('local'),
  /** Steps running at once; the number of CPUs by default. */
  concurrency: z.number().int().min(1).optional(),
});

export type LocalExecutorOptions = z.infer<typeof localExecutorOptions>;

/**
 * Runs function components in this process and command components as child processes.
 *
 * @example
 *   executor: { flavor: 'local', concurrency: 4 }
 */
export const localExecutorFlavor: Flavor<LocalExecutorOptions, Executor> = {
  name: 'local',
  description: 'Steps run on this machine: functions in-process, commands as child processes',
  options: localExecutorOptions,
  schemes: [],
  fromUri(uri) {
    throw new InvalidInputError('executor', `the local executor takes no uri (got ${JSON.stringify(uri)})`, "use { flavor: 'local' }");
  },
  async create(options) {
    const { LocalExecutor } = await import('./local-executor.js');
    return new LocalExecutor({ concurrency: options.concurrency ?? availableParallelism() });
  },
};
