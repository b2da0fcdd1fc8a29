import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '../core/json.js';

/** Something the controller decided or noticed, at its clock's time. */
export interface ControllerNote {
  at: string;
  text: string;
  details: JsonObject;
}

/** What a running controller says of itself, rewritten on every tick: `flywheel status` reads it. */
export interface ControllerState {
  pid: number;
  url: string | null;
  startedAt: string;
  /** Wall-clock time of the last tick: a controller whose heartbeat is old is not running. */
  heartbeatAt: string;
  /** The controller's own clock (a replay's time). */
  clock: string;
  activeRuns: number;
  notes: ControllerNote[];
  /** Trigger problems seen on the last poll, by trigger (a watched folder that is gone). */
  problems: Record<string, string>;
}

/** `<home>/controller.json`. */
export function controllerStatePath(home: string): string {
  return join(home, 'controller.json');
}

/** Replaces the state file whole (a temporary file renamed over it), so a reader never sees half of it. */
export async function writeControllerState(home: string, state: ControllerState): Promise<void> {
  const path = controllerStatePath(home);
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`);
  await rename(temporary, path);
}

/** The last state a controller wrote; undefined when none ever ran here. */
export async function readControllerState(home: string): Promise<ControllerState | undefined> {
  try {
    return JSON.parse(await readFile(controllerStatePath(home), 'utf8')) as ControllerState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
