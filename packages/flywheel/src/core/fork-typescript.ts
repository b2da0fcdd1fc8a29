import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./typescript-child-entry.mjs', import.meta.url));

/**
 * Starts a TypeScript module as a child process with an IPC channel, as `child_process.fork` does
 * for JavaScript: a small entry registers tsx in the child first. The child sees `args` from
 * `process.argv[2]` on. Nothing of the parent's `execArgv` (profilers, loaders) is passed on.
 *
 * @example
 *   const child = forkTypeScript(new URL('./worker.ts', import.meta.url), ['--fast'], { serialization: 'advanced' });
 */
export function forkTypeScript(module: URL, args: readonly string[], options: ForkOptions = {}): ChildProcess {
  return fork(ENTRY, [module.href, ...args], { execArgv: [], ...options });
}
