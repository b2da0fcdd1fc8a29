import { describe, expect, it } from 'vitest';
import { gridTrialCount, gridTrials, randomTrials, type SearchSpace } from './search-plan.js';
import { hyperparameterSpace, probeValues } from './search-space.js';

const space = (written: Record<string, unknown>): SearchSpace =>
  Object.fromEntries(Object.entries(written).map(([name, value]) => [name, hyperparameterSpace.parse(value)]));

describe('grid search plan', () => {
  it('lists every combination, names sorted and the last one varying fastest, whatever order they were written in', () => {
    const plan = gridTrials(space({ topK: { int: [5, 6] }, l2: [0, 1], maxIterations: { choice: [50] } }));
    expect(plan).toEqual([
      { l2: 0, maxIterations: 50, topK: 5 },
      { l2: 0, maxIterations: 50, topK: 6 },
      { l2: 1, maxIterations: 50, topK: 5 },
      { l2: 1, maxIterations: 50, topK: 6 },
    ]);
    expect(gridTrialCount(space({ topK: { int: [5, 6] }, l2: [0, 1] }))).toBe(4);
    expect(gridTrialCount(space({ l2: { uniform: [0, 1] } }))).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps structured values as they are', () => {
    expect(gridTrials(space({ earlyStopping: [false, { patience: 5 }] }))).toEqual([{ earlyStopping: false }, { earlyStopping: { patience: 5 } }]);
  });
});

describe('random search plan', () => {
  const written = { l2: { logUniform: [1e-5, 1] }, learningRate: { uniform: [0.05, 0.3] }, maxLeafNodes: { int: [8, 64] }, numeric: { choice: [['a'], ['a', 'b']] } };

  it('draws the same trials for the same seed and other trials for another', () => {
    const a = randomTrials(space(written), 20, 42);
    expect(randomTrials(space(written), 20, 42)).toEqual(a);
    expect(randomTrials(space({ ...written }), 20, 43)).not.toEqual(a);
    // Written in another order, the space still gives the same draws.
    const reordered = Object.fromEntries(Object.entries(written).reverse());
    expect(randomTrials(space(reordered), 20, 42)).toEqual(a);
  });

  it('draws within each distribution', () => {
    for (const trial of randomTrials(space(written), 200, 1)) {
      expect(trial.l2).toBeGreaterThanOrEqual(1e-5);
      expect(trial.l2).toBeLessThanOrEqual(1);
      expect(trial.learningRate).toBeGreaterThanOrEqual(0.05);
      expect(trial.learningRate).toBeLessThan(0.3);
      expect(Number.isInteger(trial.maxLeafNodes)).toBe(true);
      expect(trial.maxLeafNodes).toBeGreaterThanOrEqual(8);
      expect(trial.maxLeafNodes).toBeLessThanOrEqual(64);
      expect([['a'], ['a', 'b']]).toContainEqual(trial.numeric);
    }
    // Log-uniform: about as many draws in each decade.
    const small = randomTrials(space({ l2: { logUniform: [1e-4, 1] } }), 1000, 3).filter((t) => (t.l2 as number) < 1e-2).length;
    expect(small).toBeGreaterThan(400);
    expect(small).toBeLessThan(600);
  });
});

describe('search space', () => {
  it('parses lists and distributions, and refuses malformed ones with what it expects', () => {
    expect(hyperparameterSpace.parse([1, 2])).toEqual({ kind: 'choice', values: [1, 2] });
    expect(hyperparameterSpace.parse({ int: [1, 3] })).toEqual({ kind: 'int', low: 1, high: 3 });
    expect(hyperparameterSpace.safeParse({ uniform: [2, 1] }).error?.issues[0]?.message).toBe('expected finite [low, high] with low < high');
    expect(hyperparameterSpace.safeParse({ logUniform: [0, 1] }).error?.issues[0]?.message).toBe('a log-uniform range must start above 0');
    expect(hyperparameterSpace.safeParse({ int: [1.5, 3] }).error?.issues[0]?.message).toBe('expected integers [low, high] with low <= high');
    expect(hyperparameterSpace.safeParse({ normal: [0, 1] }).error?.issues[0]?.message).toMatch(/^expected a list of values, or one of \{ choice/);
    expect(hyperparameterSpace.safeParse([]).error?.issues[0]?.message).toMatch(/>=1/);
  });

  it('probes a continuous range with a non-integer inside it, so an integer parameter refuses it', () => {
    for (const range of [[0, 2], [1, 3], [10, 100], [0.5, 1.5]]) {
      const probes = probeValues(hyperparameterSpace.parse({ uniform: range }));
      expect(probes.some((v) => !Number.isInteger(v))).toBe(true);
      for (const v of probes) expect(v).toBeGreaterThanOrEqual(range[0]!);
    }
  });
});
