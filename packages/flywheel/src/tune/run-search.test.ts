import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { AllTrialsFailedError, NoTrialMetricError } from './errors.js';
import { pickBest, rankTrials, runSearch, type FinishedTrial, type SearchObserver, type TrialResult } from './run-search.js';
import { compileTuneOptions } from './tune-options.js';

let dir: string;
let data: { train: string; validation: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-search-'));
  data = { train: join(dir, 'jan.parquet'), validation: join(dir, 'feb.parquet') };
  await writeFlightsMonth(data.train, 1, 3000);
  await writeFlightsMonth(data.validation, 2, 1500);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Remembers which trials started and how each ended. */
function recorder(): SearchObserver & { started: number[]; ended: TrialResult[] } {
  const started: number[] = [];
  const ended: TrialResult[] = [];
  return {
    started,
    ended,
    trialStarted: async (trial) => void started.push(trial),
    trialEnded: async (result) => void ended.push(result),
  };
}

describe('runSearch', () => {
  it('tunes a regressor by rmse (lower is better) with every regression metric per trial', async () => {
    const search = compileTuneOptions({
      trainer: 'gbdt',
      fixed: { label: 'delay', task: 'regression', numeric: ['distance', 'hour', 'dow'], maxIterations: 20, earlyStopping: false },
      space: { maxLeafNodes: [2, 31] },
    });
    const result = await runSearch(search, data, { workDir: dir });
    const rmse = result.trials.map((trial) => {
      expect(trial.status).toBe('finished');
      const { metrics } = trial as FinishedTrial;
      expect(Object.keys(metrics)).toEqual(['rmse', 'mae', 'r2', 'mape', 'trainingLoss', 'iterations']);
      return metrics.rmse!;
    });
    expect(result.best.value).toBe(Math.min(...rmse));
    expect(result.best.properties).toMatchObject({ task: 'regression', featureSpec: { label: 'delay' } });
  });

  it('tunes a linear regression by r2 (higher is better), logging its training metrics', async () => {
    const search = compileTuneOptions({
      trainer: 'linear', fixed: { label: 'delay', numeric: ['distance', 'hour'], categorical: ['origin'] }, space: { l2: [0, 1e-2, 10] }, metric: 'r2',
    });
    const result = await runSearch(search, data, { workDir: dir });
    const r2 = result.trials.map((trial) => {
      const { metrics } = trial as FinishedTrial;
      expect(metrics).toMatchObject({ rmse: expect.any(Number), trainingRmse: expect.any(Number), trainingR2: expect.any(Number) });
      return metrics.r2!;
    });
    expect(result.best.value).toBe(Math.max(...r2));
    expect(result.best.properties).toMatchObject({ featureSpec: { trainer: 'linear-regression', label: 'delay' }, aliasedColumns: expect.any(Array) });
  });

  it('fails with the first error when every trial fails', async () => {
    const search = compileTuneOptions({ trainer: 'logistic', fixed: { label: 'delayed', numeric: ['nope'] }, space: { l2: [0.1, 1] } });
    const observer = recorder();
    const failure = runSearch(search, data, { workDir: dir, observer });
    await expect(failure).rejects.toBeInstanceOf(AllTrialsFailedError);
    await expect(failure).rejects.toThrow(/^all 2 trials failed; trial 1: numeric\[0\]: .*"nope"/);
    expect(observer.ended.map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('stops running trials on cancellation: they end killed, waiting ones never start', async () => {
    const search = compileTuneOptions({
      trainer: 'gbdt',
      fixed: { ...FLIGHT_FEATURES, task: 'classification', maxIterations: 100_000, earlyStopping: false, minSamplesLeaf: 1 },
      space: { learningRate: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06] },
      parallelism: 2,
    });
    const controller = new AbortController();
    const observer = recorder();
    // Cancel once a trial is growing trees: its worker is busy in a synchronous loop.
    const log = { info: (line: string) => (/tree \d+/.test(line) ? controller.abort(new Error('canceled by test')) : undefined), warn: () => undefined };
    await expect(runSearch(search, data, { workDir: dir, signal: controller.signal, log, observer })).rejects.toThrow('canceled by test');
    expect(observer.started).toEqual([1, 2]);
    expect(observer.ended.map((r) => [r.trial, r.status]).sort()).toEqual([[1, 'killed'], [2, 'killed']]);
  });
});

describe('rankTrials', () => {
  const common = { hyperparameters: {}, worker: 1, startedAt: 0, endedAt: 0 };
  const finished = (trial: number, value: number): TrialResult => ({ ...common, trial, status: 'finished', value, metrics: {}, modelPath: '', properties: {} });
  const results = [finished(1, 0.6), { ...common, trial: 2, status: 'failed', error: 'boom' } as const, finished(3, 0.7), finished(4, Number.NaN), finished(5, 0.6)];

  it('puts the best defined values first, earlier trials first on ties, then the rest by number', () => {
    expect(rankTrials(results, 'higher').map((r) => r.trial)).toEqual([3, 1, 5, 2, 4]);
    expect(rankTrials(results, 'lower').map((r) => r.trial)).toEqual([1, 5, 3, 2, 4]);
  });

  it('picks the best, or says whether every trial failed or none has a value of the metric', () => {
    expect(pickBest(rankTrials(results, 'higher'), 'auc').trial).toBe(3);
    const failed = { ...common, trial: 1, status: 'failed', error: 'out of memory' } as const;
    expect(() => pickBest(rankTrials([failed, finished(2, Number.NaN)], 'higher'), 'auc')).toThrow(NoTrialMetricError);
    expect(() => pickBest([failed], 'auc')).toThrow(AllTrialsFailedError);
    expect(() => pickBest([failed], 'auc')).toThrow('all 1 trials failed; trial 1: out of memory');
  });
});
