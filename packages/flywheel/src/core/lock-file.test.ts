import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withLockFile } from './lock-file.js';

describe('withLockFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flywheel-lock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes over a lock naming this process that this process never took (a restarted container reusing the pid)', async () => {
    const path = join(dir, 'own-pid.lock');
    await writeFile(path, `${process.pid} ${hostname()} 0123456789abcdef\n`);
    const inside = await withLockFile(path, async () => (await readFile(path, 'utf8')).split(' ')[2]!.trim(), { timeoutMs: 200 });
    expect(inside).not.toBe('0123456789abcdef');
  });

  it('makes a second taking in the same process wait for the first', async () => {
    const path = join(dir, 'same-process.lock');
    const order: string[] = [];
    let release!: () => void;
    const first = withLockFile(path, async () => {
      order.push('first in');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first out');
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = withLockFile(path, async () => void order.push('second in'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(['first in']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first in', 'first out', 'second in']);
  });
});
