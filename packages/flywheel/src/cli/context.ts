import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { openStack } from '../config/open-stack.js';
import { InvalidInputError } from '../core/errors.js';
import type { Stack } from '../config/stack.js';

/** The global options every command inherits; the project folder must exist. */
export function projectDir(command: Command): string {
  const dir = (command.optsWithGlobals() as { project: string }).project;
  if (!existsSync(dir)) throw new InvalidInputError('--project', `no such folder: ${dir}`);
  return dir;
}

/** Opens the project's stack for the duration of `work` and always closes it. */
export async function withStack<T>(command: Command, work: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await openStack({ projectDir: projectDir(command) });
  try {
    return await work(stack);
  } finally {
    await stack.close();
  }
}
