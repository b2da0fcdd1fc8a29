import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runDag } from './scheduler.js';

/** Runs every node for `ms`, recording the order of starts and the most running at once. */
function tracker(ms: number, fail: ReadonlySet<number> = new Set()) {
  let running = 0;
  const stats = { maxRunning: 0, started: [] as number[], ended: [] as number[] };
  const run = async (node: number) => {
    stats.started.push(node);
    running++;
    stats.maxRunning = Math.max(stats.maxRunning, running);
    await sleep(ms);
    running--;
    stats.ended.push(node);
    return !fail.has(node);
  };
  return { stats, run };
}

describe('runDag', () => {
  it('overlaps independent nodes up to the concurrency limit and not beyond', async () => {
    for (const concurrency of [1, 3, 8]) {
      const { stats, run } = tracker(20);
      await runDag({ dependencies: Array.from({ length: 8 }, () => []), concurrency, run });
      expect(stats.maxRunning).toBe(concurrency);
      expect(stats.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
  });

  it('starts a node only after all its dependencies ended', async () => {
    // 0 → 1, 0 → 2, {1, 2} → 3
    const { stats, run } = tracker(5);
    await runDag({ dependencies: [[], [0], [0], [1, 2]], concurrency: 4, run });
    expect(stats.started[0]).toBe(0);
    expect(stats.maxRunning).toBe(2);
    expect(stats.started.indexOf(3)).toBeGreaterThan(Math.max(stats.ended.indexOf(1), stats.ended.indexOf(2)) - 1);
    expect(stats.ended.at(-1)).toBe(3);
  });

  it('starts nothing more after a failure, and lets running nodes finish', async () => {
    const { stats, run } = tracker(10, new Set([0]));
    // 0 fails while 1 runs; 2 depends on 1 and 3 is independent but queued behind the limit.
    await runDag({ dependencies: [[], [], [1], []], concurrency: 2, run });
    expect(stats.started).toEqual([0, 1]);
    expect(stats.ended.sort()).toEqual([0, 1]);
  });

  it('stops starting nodes once the signal is aborted', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await runDag({
      dependencies: [[], [0], [1]],
      concurrency: 1,
      signal: controller.signal,
      run: async (node) => {
        started.push(node);
        if (node === 1) controller.abort();
        return true;
      },
    });
    expect(started).toEqual([0, 1]);
  });

  it('skips finished nodes and releases their dependents', async () => {
    const { stats, run } = tracker(1);
    await runDag({ dependencies: [[], [0], [1], [0]], finished: [true, true, false, false], concurrency: 2, run });
    expect(stats.started.sort()).toEqual([2, 3]);
  });

  it('rejects with the first error after the running nodes settled', async () => {
    let settled = false;
    const promise = runDag({
      dependencies: [[], []],
      concurrency: 2,
      run: async (node) => {
        if (node === 0) throw new Error('store down');
        await sleep(20);
        settled = true;
        return true;
      },
    });
    await expect(promise).rejects.toThrow('store down');
    expect(settled).toBe(true);
  });

  it('handles 10,000-node chains and fan-outs in linear time', async () => {
    const n = 10_000;
    const chain = Array.from({ length: n }, (_, i) => (i === 0 ? [] : [i - 1]));
    const fan = Array.from({ length: n }, (_, i) => (i === 0 ? [] : [0]));
    const started = performance.now();
    for (const dependencies of [chain, fan]) {
      let count = 0;
      await runDag({ dependencies, concurrency: 4, run: async () => ++count > 0 });
      expect(count).toBe(n);
    }
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
