import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControllerNote } from '../controller/controller-state.js';

/** What a replay was started with; a replay resumes only with the same settings. */
export interface ReplaySettings {
  from: string;
  until: string;
  traffic: number;
  trainSample: number;
}

/**
 * How far the demo's replay got, rewritten whole after each replayed day: a demo killed at any
 * moment starts again at the day it was replaying (whose requests are sent again) with the
 * previous day's answers still to be labeled.
 */
export interface ReplayProgress {
  settings: ReplaySettings;
  /** The next day to replay, ISO 8601. */
  day: string;
  finished: boolean;
  requests: number;
  labels: number;
  /** The previous day's answers, labeled when the next day starts. */
  pendingLabels: { prediction_id: string; label: number }[];
}

function folder(home: string): string {
  return join(home, 'demo');
}

export async function readReplayProgress(home: string): Promise<ReplayProgress | undefined> {
  try {
    return JSON.parse(await readFile(join(folder(home), 'progress.json'), 'utf8')) as ReplayProgress;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Replaces the progress file whole (written under a temporary name, then renamed). */
export async function writeReplayProgress(home: string, progress: ReplayProgress): Promise<void> {
  await mkdir(folder(home), { recursive: true });
  const path = join(folder(home), 'progress.json');
  await writeFile(`${path}.tmp`, JSON.stringify(progress));
  await rename(`${path}.tmp`, path);
}

/** Keeps a controller note, so the timeline survives a restart; synchronous, so notes stay in order. */
export function keepNote(home: string, note: ControllerNote): void {
  const path = join(folder(home), 'notes.ndjson');
  // A line cut short by a kill is ended first, so the next note starts a line of its own.
  const cut = existsSync(path) && !endsWithNewline(path);
  appendFileSync(path, `${cut ? '\n' : ''}${JSON.stringify(note)}\n`);
}

function endsWithNewline(path: string): boolean {
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** The notes kept so far; a line cut short by a crash is skipped. */
export async function keptNotes(home: string): Promise<ControllerNote[]> {
  let text: string;
  try {
    text = await readFile(join(folder(home), 'notes.ndjson'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const notes: ControllerNote[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      notes.push(JSON.parse(line) as ControllerNote);
    } catch {
      // The last line of a process killed while writing it.
    }
  }
  return notes;
}
