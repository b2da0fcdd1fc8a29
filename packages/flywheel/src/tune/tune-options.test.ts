import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { FLIGHT_FEATURES } from '../train/test-support.js';
import { compileTuneOptions, type TuneOptions } from './tune-options.js';

const logistic = (extra: Partial<TuneOptions>): TuneOptions => ({ trainer: 'logistic', fixed: FLIGHT_FEATURES, space: { l2: [1e-4, 1e-2, 1] }, ...extra });
const gbdt = (extra: Partial<TuneOptions>): TuneOptions => ({ trainer: 'gbdt', fixed: { ...FLIGHT_FEATURES, task: 'classification' }, space: { maxLeafNodes: [7, 31] }, ...extra });

function refusal(options: TuneOptions): InvalidInputError {
  try {
    compileTuneOptions(options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the options to be refused');
}

describe('compileTuneOptions', () => {
  it('plans a grid search, ranks classifiers by auc by default and runs at most one trial per thread', () => {
    const search = compileTuneOptions(logistic({ parallelism: 8 }));
    expect(search).toMatchObject({ trainer: 'logistic', strategy: 'grid', label: 'delayed', task: 'classification', metric: 'auc', better: 'higher', parallelism: 3 });
    expect(search.trials).toEqual([{ l2: 1e-4 }, { l2: 1e-2 }, { l2: 1 }]);
  });

  it('plans a seeded random search and knows which way each metric improves', () => {
    const options = gbdt({ strategy: 'random', trials: 5, seed: 3, space: { learningRate: { logUniform: [0.01, 0.3] }, maxLeafNodes: { int: [4, 64] } }, metric: 'logLoss' });
    const search = compileTuneOptions(options);
    expect(search).toMatchObject({ metric: 'logLoss', better: 'lower' });
    expect(search.trials).toHaveLength(5);
    expect(compileTuneOptions(options).trials).toEqual(search.trials);
    expect(compileTuneOptions({ ...options, seed: 4 }).trials).not.toEqual(search.trials);
    expect(compileTuneOptions(gbdt({ strategy: 'random' })).trials).toHaveLength(10);
  });

  it('ranks regressors by rmse by default', () => {
    const search = compileTuneOptions(gbdt({ fixed: { label: 'delay', task: 'regression', numeric: ['distance'] } }));
    expect(search).toMatchObject({ task: 'regression', metric: 'rmse', better: 'lower' });
  });

  it('names an unknown hyperparameter and lists the ones that can be searched', () => {
    const error = refusal(logistic({ space: { l3: [1, 2] } }));
    expect(error.field).toBe('space.l3');
    const [problem, list] = error.message.split('; tunable: ');
    expect(problem).toBe('space.l3: logistic has no parameter "l3"');
    expect(list!.split(', ')).toEqual(expect.arrayContaining(['numeric', 'categorical', 'l2', 'maxIterations', 'topK']));
    expect(list!.split(', ')).not.toContain('label');
  });

  it('refuses values out of the trainer parameter\'s range, naming the value', () => {
    expect(refusal(logistic({ space: { l2: [0.1, -1] } })).message).toBe('space.l2: -1 is not a valid l2 for logistic: Too small: expected number to be >=0');
    expect(refusal(gbdt({ space: { maxBins: { int: [2, 300] } } })).message).toMatch(/^space\.maxBins: int \[2, 300\] includes 300, which is not a valid maxBins for gbdt: Too big/);
    expect(refusal(gbdt({ space: { maxLeafNodes: { uniform: [4, 64] } }, strategy: 'random' })).message).toMatch(
      /^space\.maxLeafNodes: uniform \[4, 64\] includes \d+\.\d+, which is not a valid maxLeafNodes for gbdt: expected int/,
    );
    expect(refusal(gbdt({ space: { earlyStopping: [false, { patience: 0 }] } })).message).toMatch(/^space\.earlyStopping: \{"patience":0\} is not a valid earlyStopping\.patience for gbdt: Too small/);
  });

  it('keeps the problem out of the search and each parameter either fixed or searched', () => {
    expect(refusal(logistic({ space: { label: ['delayed', 'cancelled'] } })).message).toBe('space.label: label poses the problem and cannot be searched; set it in fixed');
    expect(refusal(gbdt({ space: { task: ['classification', 'regression'] } })).field).toBe('space.task');
    expect(refusal(logistic({ fixed: { ...FLIGHT_FEATURES, l2: 1 } })).message).toBe('space.l2: l2 is also set in fixed; a parameter is either fixed or searched');
  });

  it('checks the fixed params against the trainer', () => {
    expect(refusal(logistic({ fixed: { ...FLIGHT_FEATURES, topk: 5 } })).message).toMatch(/^fixed\.topk: logistic has no parameter "topk"; its parameters: label, numeric/);
    expect(refusal(logistic({ fixed: { numeric: ['distance'] } })).field).toBe('fixed.label');
    expect(refusal(gbdt({ fixed: FLIGHT_FEATURES })).field).toBe('fixed.task');
  });

  it('refuses a grid it cannot list or that is larger than maxTrials', () => {
    expect(refusal(logistic({ space: { l2: { logUniform: [1e-5, 1] } } })).message).toBe(
      "space.l2: logUniform [0.00001, 1] is continuous and has no grid; list values, or use strategy 'random'",
    );
    expect(refusal(gbdt({ space: { maxLeafNodes: { int: [2, 64] }, minSamplesLeaf: [5, 10, 20] }, maxTrials: 100 })).message).toBe(
      "space: the grid has 63 × 3 = 189 combinations, more than maxTrials (100); narrow the space, raise maxTrials, or use strategy 'random'",
    );
    expect(refusal(logistic({ trials: 2 })).message).toBe("trials: a grid search runs every combination (3); leave trials out, or use strategy 'random'");
    expect(refusal(logistic({ strategy: 'random', trials: 500 })).message).toBe('trials: 500 trials is more than maxTrials (100); raise maxTrials to run them');
  });

  it('refuses a metric of another task, an unknown trainer and an empty space', () => {
    expect(refusal(logistic({ metric: 'rmse' })).message).toBe('metric: "rmse" is not a metric of classification models; one of auc, prAuc, logLoss, brierScore, accuracy, precision, recall, f1');
    expect(refusal(logistic({ trainer: 'xgboost' as 'gbdt' })).field).toBe('trainer');
    expect(refusal(logistic({ space: {} })).message).toBe('space: name at least one hyperparameter to search');
    expect(refusal(logistic({ space: { l2: { normal: [0, 1] } as never } })).message).toMatch(/^space\.l2: expected a list of values, or one of/);
  });
});
