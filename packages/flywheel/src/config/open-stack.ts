import { mkdir } from 'node:fs/promises';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Executor } from '../executor/executor.js';
import type { MetadataBackend } from '../metadata/metadata-backend.js';
import { Tracker } from '../tracking/tracker.js';
import type { FlywheelConfig } from './config-schema.js';
import type { FlavorContext } from './flavor.js';
import { FLAVORS, type BackendKind, type FlavorRegistry } from './flavors.js';
import { ConfigError } from './config-error.js';
import { loadConfig, type LoadConfigOptions } from './load-config.js';
import type { Stack } from './stack.js';

export interface OpenStackOptions extends Partial<LoadConfigOptions> {
  /** Used instead of reading a config file and the environment. */
  config?: FlywheelConfig;
}

/**
 * Assembles a project's backends from its config: opens the metadata database (running
 * migrations), the artifact store and the executor. Close the stack when done.
 *
 * @example
 *   const stack = await openStack({ projectDir: process.cwd() });
 *   try { … } finally { await stack.close(); }
 */
export async function openStack(options: OpenStackOptions = {}): Promise<Stack> {
  const projectDir = options.projectDir ?? process.cwd();
  const flavors = options.flavors ?? FLAVORS;
  const config = options.config ?? (await loadConfig({ ...options, projectDir, flavors })).config;
  const context: FlavorContext = { projectDir, home: config.home };
  await mkdir(config.home, { recursive: true });

  const opened: { close(): Promise<void> }[] = [];
  try {
    const backend = await create<MetadataBackend>('metadata', config, context, flavors);
    opened.push(backend);
    const artifacts = await create<ArtifactStore>('artifacts', config, context, flavors);
    opened.push(artifacts);
    const executor = await create<Executor>('executor', config, context, flavors);
    opened.push(executor);
    const tracking = new Tracker(backend.tracking, artifacts);
    // Closed first: buffered metric points are written while the database is still open.
    opened.push({ close: () => tracking.flush() });
    let closed = false;
    return {
      config,
      projectDir,
      home: config.home,
      metadata: backend.metadata,
      registry: backend.registry,
      control: backend.control,
      tracking,
      artifacts,
      executor,
      async close() {
        if (closed) return;
        closed = true;
        await closeAll(opened);
      },
    };
  } catch (error) {
    await closeAll(opened).catch(() => undefined);
    throw error;
  }
}

async function create<T>(kind: BackendKind, config: FlywheelConfig, context: FlavorContext, flavors: FlavorRegistry): Promise<T> {
  const options = config[kind];
  const flavor = flavors[kind].find((f) => f.name === options.flavor);
  if (!flavor) throw new ConfigError(`${kind}.flavor`, 'config', `unknown flavor ${JSON.stringify(options.flavor)}`);
  return (await flavor.create(options, context)) as T;
}

/** Closes everything, newest first, even when one fails; then reports the first failure. */
async function closeAll(opened: { close(): Promise<void> }[]): Promise<void> {
  let firstError: unknown;
  for (const item of [...opened].reverse()) {
    try {
      await item.close();
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}
