import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';

/** A real stack (SQLite + local artifacts + local executor) in a fresh temporary project folder, for tests. */
export async function openTempStack(env: Record<string, string> = {}): Promise<{ stack: Stack; dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'flywheel-pipeline-'));
  const stack = await openStack({ projectDir: dir, env });
  return {
    stack,
    dir,
    async dispose() {
      await stack.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
