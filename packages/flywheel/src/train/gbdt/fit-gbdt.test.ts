import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.js';
import { seededRandom, type NumericBins } from './binning.js';
import { fitGbdt, predictGbdt, predictRaw, type FitGbdtOptions, type GbdtDataset } from './fit-gbdt.js';
import { logLoss } from './losses.js';
import type { GbdtTree } from './tree.js';

const OPTIONS: FitGbdtOptions = {
  task: 'regression',
  maxIterations: 1,
  learningRate: 1,
  maxLeafNodes: 2,
  minSamplesLeaf: 1,
  minHessianLeaf: 1e-3,
  l2: 0,
  maxBins: 255,
  earlyStopping: false,
  seed: 0,
};

function numericData(x: ArrayLike<number>, y: ArrayLike<number>): GbdtDataset {
  return { rows: x.length, numeric: [{ name: 'x', values: Float32Array.from(x) }], categorical: [], labels: Float64Array.from(y) };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Leaves of a tree as [node, value], in node order. */
const leaves = (tree: GbdtTree) =>
  Array.from(tree.feature).flatMap((f, node) => (f < 0 ? [[node, tree.value[node]] as const] : []));

describe('one tree, checked by hand', () => {
  it('a single split recovers a step function', () => {
    const x = range(100);
    const { model, iterations } = fitGbdt(numericData(x, x.map((v) => (v >= 50 ? 3 : 1))), OPTIONS);
    expect(iterations).toBe(1);
    expect(model.baseScore).toBe(2);
    const [tree] = model.trees as [GbdtTree];
    expect(tree.feature[0]).toBe(0);
    expect((model.features[0] as NumericBins).edges[tree.thresholdBin[0]!]).toBe(49.5);
    expect(leaves(tree)).toEqual([[1, -1], [2, 1]]);
    expect(Array.from(predictGbdt(model, { rows: 4, numeric: [Float32Array.of(0, 49, 50, 1000)], categorical: [] }))).toEqual([1, 1, 3, 3]);
  });

  it('fits leaves to the mean residual, shrunk by the learning rate, and the next tree to what is left', () => {
    // y = x on 0..9: the base is the mean 4.5; the best single split is at 4.5, leaving residual means −2.5 and +2.5.
    const x = range(10);
    const options = { ...OPTIONS, learningRate: 0.5 };
    const once = fitGbdt(numericData(x, x), options);
    expect(once.model.baseScore).toBe(4.5);
    expect(leaves(once.model.trees[0]!).map(([, v]) => v)).toEqual([-1.25, 1.25]);

    const twice = fitGbdt(numericData(x, x), { ...options, maxIterations: 2 });
    const first = predictRaw(once.model, { rows: 10, numeric: [Float32Array.from(x)], categorical: [] });
    const second = twice.model.trees[1]!;
    const threshold = (twice.model.features[0] as NumericBins).edges[second.thresholdBin[0]!]!;
    for (const [node, value] of leaves(second)) {
      const rows = x.filter((v) => (node === second.left[0] ? v <= threshold : v > threshold));
      const meanResidual = rows.reduce((sum, v) => sum + (first[v]! - v), 0) / rows.length;
      expect(value).toBeCloseTo(-0.5 * meanResidual, 6);
    }
  });

  it('stops when no split lowers the loss any more', () => {
    const x = range(40);
    const fit = fitGbdt(numericData(x, x.map((v) => (v >= 20 ? 1 : 0))), { ...OPTIONS, maxIterations: 5 });
    expect(fit.iterations).toBe(1);
    expect(fit.stoppedBecause).toBe('no-split');
    expect(fit.trainingLoss).toBe(0);
  });

  it('starts classification from the log-odds of the positive rate', () => {
    const x = range(100);
    const { model } = fitGbdt(numericData(x, x.map((v) => (v % 4 === 0 ? 1 : 0))), { ...OPTIONS, task: 'classification', maxIterations: 0 });
    expect(model.baseScore).toBe(Math.fround(Math.log(0.25 / 0.75)));
    expect(predictGbdt(model, { rows: 1, numeric: [Float32Array.of(3)], categorical: [] })[0]).toBeCloseTo(0.25, 6);
  });

  it('respects minSamplesLeaf, maxLeafNodes and maxDepth', () => {
    const random = seededRandom(5);
    const x = range(2000).map(() => random());
    const y = x.map((v) => Math.sin(12 * v) + random() * 0.1);
    const check = (options: Partial<FitGbdtOptions>, test: (tree: GbdtTree) => void) => {
      const { model } = fitGbdt(numericData(x, y), { ...OPTIONS, maxIterations: 3, learningRate: 0.3, ...options });
      expect(model.trees).toHaveLength(3);
      model.trees.forEach(test);
    };
    check({ maxLeafNodes: 31, minSamplesLeaf: 150 }, (tree) => leaves(tree).forEach(([node]) => expect(tree.samples[node]).toBeGreaterThanOrEqual(150)));
    check({ maxLeafNodes: 7 }, (tree) => expect(leaves(tree)).toHaveLength(7));
    check({ maxLeafNodes: 31, maxDepth: 2 }, (tree) => {
      expect(leaves(tree).length).toBeLessThanOrEqual(4);
      expect(depthOf(tree)).toBe(2);
    });
  });
});

function depthOf(tree: GbdtTree, node = 0): number {
  return (tree.feature[node] as number) < 0 ? 0 : 1 + Math.max(depthOf(tree, tree.left[node]!), depthOf(tree, tree.right[node]!));
}

describe('missing values', () => {
  // Present values split at 50; the missing rows behave like one side or the other.
  const data = (missingLabel: number): GbdtDataset => {
    const x = [...range(100), ...range(30).map(() => Number.NaN)];
    return numericData(x, [...range(100).map((v) => (v >= 50 ? 1 : 0)), ...range(30).map(() => missingLabel)]);
  };

  it.each([[1, 0], [0, 1]])('go the way their labels say (label %i → missingLeft %i)', (label, left) => {
    const { model } = fitGbdt(data(label), OPTIONS);
    const tree = model.trees[0]!;
    expect((model.features[0] as NumericBins).edges[tree.thresholdBin[0]!]).toBe(49.5);
    expect(tree.missingLeft[0]).toBe(left);
    const [missing, low, high] = predictGbdt(model, { rows: 3, numeric: [Float32Array.of(Number.NaN, 10, 90)], categorical: [] });
    expect(missing).toBe(label === 1 ? high : low);
  });

  it('follow the larger side when training had none at the split', () => {
    const x = range(100);
    const { model } = fitGbdt(numericData(x, x.map((v) => (v >= 70 ? 1 : 0))), OPTIONS);
    expect(model.trees[0]!.missingLeft[0]).toBe(1);
  });

  it('of a feature that is missing everywhere give it no split', () => {
    const data: GbdtDataset = {
      rows: 100,
      numeric: [{ name: 'gone', values: new Float32Array(100).fill(Number.NaN) }, { name: 'x', values: Float32Array.from(range(100)) }],
      categorical: [],
      labels: Float64Array.from(range(100), (v) => (v >= 50 ? 1 : 0)),
    };
    const fit = fitGbdt(data, { ...OPTIONS, maxIterations: 3 });
    expect(fit.featureImportance).toEqual([{ name: 'gone', gain: 0 }, { name: 'x', gain: 1 }]);
  });
});

describe('categorical features', () => {
  const CATEGORIES = 40;
  /** Each category has a random effect on the log-odds; which categories go together is arbitrary. */
  function categoryTask(rows: number, seed: number) {
    const effects = (() => {
      const random = seededRandom(99);
      return Array.from({ length: CATEGORIES }, () => (random() < 0.5 ? -1.5 : 1.5));
    })();
    const random = seededRandom(seed);
    const codes = new Int32Array(rows);
    const labels = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      codes[i] = Math.floor(random() * CATEGORIES);
      labels[i] = random() < 1 / (1 + Math.exp(-(effects[codes[i]!] as number))) ? 1 : 0;
    }
    return { codes, labels };
  }
  const names = range(CATEGORIES).map((c) => `c${c}`);
  const native = ({ codes, labels }: ReturnType<typeof categoryTask>): GbdtDataset => ({
    rows: codes.length, numeric: [], categorical: [{ name: 'kind', categories: names, codes }], labels,
  });
  const oneHot = ({ codes, labels }: ReturnType<typeof categoryTask>): GbdtDataset => ({
    rows: codes.length,
    numeric: names.map((name, c) => ({ name, values: Float32Array.from(codes, (code) => (code === c ? 1 : 0)) })),
    categorical: [],
    labels,
  });
  const options: FitGbdtOptions = { ...OPTIONS, task: 'classification', maxIterations: 10, learningRate: 0.3, maxLeafNodes: 2, minSamplesLeaf: 20 };

  it('split by sets of categories, beating one-hot columns with the same trees', () => {
    const train = categoryTask(20_000, 1);
    const test = categoryTask(10_000, 2);
    const nativeFit = fitGbdt(native(train), options);
    const oneHotFit = fitGbdt(oneHot(train), options);
    const nativeLoss = logLoss.loss(test.labels, predictRaw(nativeFit.model, { rows: test.codes.length, numeric: [], categorical: [test.codes] }));
    const oneHotTest = oneHot(test);
    const oneHotLoss = logLoss.loss(test.labels, predictRaw(oneHotFit.model, { rows: test.codes.length, numeric: oneHotTest.numeric.map((c) => c.values), categorical: [] }));
    // With stumps, one-hot trees move one category per tree; set splits move all of one sign at once.
    expect(nativeLoss).toBeLessThan(oneHotLoss - 0.05);
    const tree = nativeFit.model.trees[0]!;
    const left = range(CATEGORIES).filter((c) => tree.goesLeft[c] === 1).length;
    expect(left).toBeGreaterThan(5);
    expect(left).toBeLessThan(35);
  });

  it('send rare and unseen categories right, and rank the missing bin like a category', () => {
    const task = categoryTask(5_000, 3);
    // Category 0 keeps five rows, too few to be ranked; every tenth row is missing, and positive.
    let kept = 0;
    const codes = task.codes.map((c, i) => (i % 10 === 0 ? CATEGORIES + 1 : c === 0 && kept++ >= 5 ? 1 : c));
    const labels = task.labels.map((y, i) => (i % 10 === 0 ? 1 : y));
    const { model } = fitGbdt(native({ codes, labels }), { ...options, maxLeafNodes: 4 });
    const predict = (code: number) => predictGbdt(model, { rows: 1, numeric: [], categorical: [Int32Array.of(code)] })[0] as number;
    expect(predict(0)).toBe(predict(CATEGORIES));
    expect(predict(-7)).toBe(predict(CATEGORIES));
    const known = range(CATEGORIES).slice(1).map(predict);
    expect(predict(CATEGORIES + 1)).toBeGreaterThanOrEqual(Math.max(...known));
    expect(predict(CATEGORIES + 1)).toBeGreaterThan(0.7);
  });
});

describe('categorical columns with more categories than bins', () => {
  it('keep the first maxBins − 1 and put the rest with the unseen values', () => {
    const categories = range(10).map((c) => `c${c}`);
    const codes = Int32Array.from(range(1_000), (i) => (i % 11 === 10 ? 11 : i % 10));
    const labels = Float64Array.from(range(1_000), (i) => (i % 10 >= 6 ? 1 : 0));
    const { model } = fitGbdt({ rows: 1_000, numeric: [], categorical: [{ name: 'k', categories, codes }], labels }, { ...OPTIONS, maxBins: 5 });
    expect(model.features[0]).toEqual({ kind: 'categorical', name: 'k', categories: ['c0', 'c1', 'c2', 'c3'], otherBin: 4, missingBin: 5 });
    const predict = (code: number) => predictGbdt(model, { rows: 1, numeric: [], categorical: [Int32Array.of(code)] })[0];
    // c4…c9 share the other bin, where most rows are positive; c0…c3 are all negative.
    expect(predict(4)).toBe(predict(123));
    expect(predict(0)).toBeCloseTo(0, 6);
    expect(predict(4)).toBeGreaterThan(0.5);
  });
});

describe('early stopping', () => {
  it('stops on a validation loss that no longer improves and keeps the best trees', () => {
    const random = seededRandom(11);
    const x = range(5_000).map(() => random());
    const y = x.map((v) => (random() < 0.3 + 0.4 * v ? 1 : 0));
    const validationLosses: number[] = [];
    const fit = fitGbdt(numericData(x, y), {
      ...OPTIONS,
      task: 'classification',
      maxIterations: 500,
      learningRate: 0.5,
      maxLeafNodes: 31,
      minSamplesLeaf: 5,
      earlyStopping: { validationFraction: 0.2, patience: 5 },
      onIteration: (_, loss) => validationLosses.push(loss as number),
    });
    expect(fit.stoppedBecause).toBe('early-stopping');
    expect(fit.iterationsRun).toBe(fit.iterations + 5);
    expect(fit.iterationsRun).toBeLessThan(100);
    expect(fit.model.trees).toHaveLength(fit.iterations);
    expect(fit.bestValidationLoss).toBe(Math.min(...validationLosses));
    expect(validationLosses[fit.iterations - 1]).toBe(fit.bestValidationLoss);
    expect(fit.validationRows).toBe(1_000);
    expect(fit.trainingRows).toBe(4_000);
  });

  it('holds out a stratified share of each class', () => {
    const x = range(1_000);
    const fit = fitGbdt(numericData(x, x.map((v) => (v < 100 ? 1 : 0))), {
      ...OPTIONS, task: 'classification', earlyStopping: { validationFraction: 0.1, patience: 3 },
    });
    expect(fit.validationRows).toBe(100);
    expect(fit.model.baseScore).toBeCloseTo(Math.log(90 / 810), 6);
  });
});

describe('determinism', () => {
  const random = seededRandom(21);
  const rows = 3_000;
  const data: GbdtDataset = {
    rows,
    numeric: [{ name: 'a', values: Float32Array.from(range(rows), () => (random() < 0.1 ? Number.NaN : random())) }],
    categorical: [{ name: 'k', categories: ['p', 'q', 'r', 's'], codes: Int32Array.from(range(rows), () => Math.floor(random() * 6)) }],
    labels: Float64Array.from(range(rows), () => (random() < 0.4 ? 1 : 0)),
  };
  const options: FitGbdtOptions = {
    ...OPTIONS, task: 'classification', maxIterations: 30, learningRate: 0.2, maxLeafNodes: 8, minSamplesLeaf: 10,
    earlyStopping: { validationFraction: 0.25, patience: 30 },
  };

  it('gives the same trees for the same seed', () => {
    expect(fitGbdt(data, options)).toEqual(fitGbdt(data, options));
  });

  it('holds out other rows for another seed', () => {
    expect(fitGbdt(data, { ...options, seed: 1 }).bestValidationLoss).not.toBe(fitGbdt(data, options).bestValidationLoss);
  });
});

describe('refuses', () => {
  const rejects = (data: GbdtDataset, options: FitGbdtOptions, field: string, message: RegExp) => {
    let error: unknown;
    try {
      fitGbdt(data, options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(field);
    expect((error as InvalidInputError).message).toMatch(message);
  };

  it('labels a task cannot learn', () => {
    rejects(numericData([1, 2, 3], [0, 2, 1]), { ...OPTIONS, task: 'classification' }, 'label', /row 1 has label 2; classification needs 0 or 1/);
    rejects(numericData([1, 2, 3], [0, Number.POSITIVE_INFINITY, 1]), OPTIONS, 'label', /row 1 has label Infinity; regression needs a finite number/);
    rejects(numericData([1, 2, 3], [1, 1, 1]), { ...OPTIONS, task: 'classification' }, 'label', /only label 1; a classifier needs both classes/);
  });

  it('no rows, or a validation share that holds none out', () => {
    rejects(numericData([], []), OPTIONS, 'examples', /no rows/);
    rejects(numericData([1, 2, 3], [1, 2, 3]), { ...OPTIONS, earlyStopping: { validationFraction: 0.1, patience: 2 } }, 'earlyStopping.validationFraction', /holds out no row of 3/);
  });
});
