import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from './errors.js';
import { processAlive } from './process-alive.js';

export interface LockFileOptions {
  /** How long to wait while another process holds the lock. Default 60 s. */
  timeoutMs?: number;
}

/**
 * What a lock file holds, as one line `<pid> <host> <token>`: who took it, and a token that tells
 * this taking from any other. A file of only a pid names a process on this host.
 */
interface Holder {
  pid: number;
  host: string;
  token: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_POLL_MS = 250;

/**
 * Runs `work` while holding the lock file `path`, which is created exclusively (`wx`) and holds the
 * holder's pid. A lock whose process no longer runs on this machine is stale and taken over; a
 * lock held by a living process (or one on another host, which cannot be checked) is waited for,
 * then a ConflictError names it.
 *
 * @example
 *   await withLockFile(join(labelStoreDir(home), '.lock'), () => appendSegment(), { timeoutMs: 5_000 });
 */
export async function withLockFile<T>(path: string, work: () => Promise<T>, options: LockFileOptions = {}): Promise<T> {
  const own = await acquire(path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  try {
    return await work();
  } finally {
    // Only our own taking is removed: a lock that was taken over meanwhile belongs to its new holder.
    if ((await readHolder(path))?.token === own.token) await rm(path, { force: true });
    held.delete(own.token);
  }
}

/** Tokens of the locks this process holds now. */
const held = new Set<string>();

/**
 * A lock naming this very process that this process did not take: left by an earlier process that
 * had the same pid (a container restarted after a kill, its process 1 again).
 */
function staleOfThisPid(holder: Holder): boolean {
  return holder.pid === process.pid && !held.has(holder.token);
}

async function acquire(path: string, timeoutMs: number): Promise<Holder> {
  const own: Holder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex') };
  held.add(own.token);
  try {
    return await acquireAs(path, own, timeoutMs);
  } catch (error) {
    held.delete(own.token);
    throw error;
  }
}

async function acquireAs(path: string, own: Holder, timeoutMs: number): Promise<Holder> {
  const deadline = Date.now() + timeoutMs;
  for (let poll = 10; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
    if (await create(path, own)) return own;
    const holder = await readHolder(path);
    if (holder && holder.host === own.host && (!processAlive(holder.pid) || staleOfThisPid(holder))) {
      await takeOver(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `process ${holder.pid} on ${holder.host}` : 'another process';
      throw new ConflictError(`${path} is held by ${who}; gave up waiting after ${Math.round(timeoutMs / 1000)} s`,
        `wait until it is done; if it is not running, delete ${path}`);
    }
    await sleep(poll);
  }
}

async function create(path: string, holder: Holder): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(`${holder.pid} ${holder.host} ${holder.token}\n`);
  } finally {
    await handle.close();
  }
  return true;
}

/** The holder a lock file names; undefined when it is gone, or not written yet (just created). */
async function readHolder(path: string): Promise<Holder | undefined> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const [pid, host = hostname(), token = ''] = text.trim().split(/\s+/);
  return pid !== undefined && /^[1-9]\d*$/.test(pid) ? { pid: Number(pid), host, token } : undefined;
}

/**
 * Removes a stale lock. It is renamed away first, which only one of several processes taking it
 * over at once can do; should the renamed file turn out to be a fresh lock that replaced the stale
 * one meanwhile, it is put back.
 */
async function takeOver(path: string, stale: Holder): Promise<void> {
  const moved = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(path, moved);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    if ((await readHolder(moved))?.token !== stale.token) {
      await link(moved, path).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  } finally {
    await rm(moved, { force: true });
  }
}
