import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../config/stack.js';
import type { JsonObject } from '../core/json.js';
import { ingestComponent } from '../data/ingest.js';
import { binaryMetrics } from '../evaluate/binary-metrics.js';
import { scoreDataset } from '../evaluate/score-dataset.js';
import { compilePipeline } from '../pipeline/ir.js';
import { pipeline } from '../pipeline/pipeline.js';
import { runPipeline } from '../pipeline/runner.js';
import { openTempStack } from '../pipeline/test-stack.js';
import type { Run } from '../tracking/model.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { evaluateComponent } from '../evaluate/evaluate-component.js';
import { pushModelComponent } from '../deploy/push-model-component.js';
import { tuneComponent } from './tune-component.js';
import { compileTuneOptions, type TuneOptions } from './tune-options.js';

let stack: Stack;
let dispose: () => Promise<void>;
let dataDir: string;

beforeAll(async () => {
  ({ stack, dispose } = await openTempStack());
  dataDir = await mkdtemp(join(tmpdir(), 'flywheel-tune-'));
  await writeFlightsMonth(join(dataDir, 'jan.parquet'), 1, 4000);
  await writeFlightsMonth(join(dataDir, 'feb.parquet'), 2, 2000);
});
afterAll(async () => {
  await dispose();
  await rm(dataDir, { recursive: true, force: true });
});

/** Ingests January to train on and February to validate on, then tunes with `params`. */
function tuning(name: string, params: TuneOptions) {
  return pipeline({ name }, (p) => {
    const train = p.step(ingestComponent, { name: 'ingest-train', params: { source: join(dataDir, 'jan.parquet') } });
    const validation = p.step(ingestComponent, { name: 'ingest-validation', params: { source: join(dataDir, 'feb.parquet') } });
    p.step(tuneComponent, { inputs: { train: train.outputs.examples, validation: validation.outputs.examples }, params });
  });
}

interface TrialRow {
  trial: number;
  status: string;
  value: number | null;
  hyperparameters: JsonObject;
  metrics: Record<string, number | null>;
  error: string | null;
  worker: number;
  startedAt: number;
  endedAt: number;
}

/** Runs the pipeline and reads back what the tune step recorded: its result, outputs, tracked run and trial runs. */
async function runTuning(name: string, params: TuneOptions) {
  const result = await runPipeline(stack, compilePipeline(tuning(name, params)));
  expect(result.error).toBeUndefined();
  const step = result.steps.tune!;
  const execution = await stack.metadata.getExecution(step.executionId!);
  const table = JSON.parse((await stack.artifacts.readBytes(step.outputs.trials!.digest!)).toString('utf8')) as { best: { trial: number; value: number }; trials: TrialRow[] };
  const experiment = await stack.tracking.store.getExperimentByName(name);
  const search = async (filter: string) => (await stack.tracking.store.searchRuns({ experimentIds: [experiment!.experimentId], filter })).items;
  const [stepRun] = await search(`attributes.run_name = 'tune'`);
  const trialRuns = await search(`tags.mlflow.parentRunId = '${stepRun!.info.runId}'`);
  return { result, returned: execution.properties.result as Record<string, number>, model: step.outputs.model!, table, stepRun: stepRun!, trialRuns };
}

const tag = (run: Run, key: string) => run.data.tags.find((t) => t.key === key)?.value;
const param = (run: Run, key: string) => run.data.params.find((p) => p.key === key)?.value;
const metric = (run: Run, key: string) => run.data.metrics.find((m) => m.key === key)?.value;

describe('tune in a pipeline run', () => {
  it('registers the best trial with its own run and the training (not the validation) data', async () => {
    const definition = pipeline({ name: 'tune-push' }, (p) => {
      const train = p.step(ingestComponent, { name: 'ingest-train', params: { source: join(dataDir, 'jan.parquet') } });
      const validation = p.step(ingestComponent, { name: 'ingest-validation', params: { source: join(dataDir, 'feb.parquet') } });
      // Wired validation first: the registry must still record the train input.
      const tune = p.step(tuneComponent, {
        inputs: { validation: validation.outputs.examples, train: train.outputs.examples },
        params: { trainer: 'logistic', fixed: FLIGHT_FEATURES, space: { l2: [1e-4, 300] }, parallelism: 1 },
      });
      const evaluation = p.step(evaluateComponent, { inputs: { model: tune.outputs.model, examples: validation.outputs.examples } });
      p.step(pushModelComponent, { params: { model: 'tuned' }, inputs: { model: tune.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing } });
    });
    const result = await runPipeline(stack, compilePipeline(definition));
    expect(result.error).toBeUndefined();
    const stepRun = await stack.tracking.store.runOfExecution(result.steps.tune!.executionId!);
    const best = (await stack.tracking.store.getRun(stepRun!.runId)).data.tags.find((t) => t.key === 'best.runId')?.value;
    const version = await stack.registry.getVersion('tuned', 1);
    expect(best).toMatch(/^[0-9a-f]{32}$/);
    expect(version.runId).toBe(best);
    expect(version.trainingData?.artifactId).toBe(result.steps['ingest-train']!.outputs.examples!.id);
  });

  it('grid-searches logistic l2, outputs the model of the trial with the best validation auc, and tracks each trial as a child run', async () => {
    const l2 = [1e-4, 3, 300];
    const { result, returned, model, table, stepRun, trialRuns } = await runTuning('tune-grid', {
      trainer: 'logistic', fixed: FLIGHT_FEATURES, space: { l2 }, parallelism: 2,
    });

    expect(trialRuns).toHaveLength(3);
    const byTrial = new Map(trialRuns.map((run) => [Number(tag(run, 'flywheel.trial')), run]));
    const aucs = l2.map((value, i) => {
      const run = byTrial.get(i + 1)!;
      expect(run.info).toMatchObject({ runName: `trial-${i + 1}`, status: 'FINISHED' });
      expect(tag(run, 'flywheel.step')).toBe('tune');
      expect(tag(run, 'flywheel.run')).toBe(result.runId);
      expect(param(run, 'l2')).toBe(String(value));
      expect(param(run, 'label')).toBe('delayed');
      expect(param(run, 'numeric')).toBe(JSON.stringify(FLIGHT_FEATURES.numeric));
      for (const key of ['auc', 'logLoss', 'accuracy', 'trainingLoss', 'iterations']) expect(metric(run, key)).toEqual(expect.any(Number));
      return metric(run, 'auc')!;
    });
    expect(new Set(aucs).size).toBe(3);
    const bestTrial = aucs.indexOf(Math.max(...aucs)) + 1;

    expect(returned).toEqual({ bestTrial, bestMetric: Math.max(...aucs), trials: 3, failed: 0 });
    expect(metric(stepRun, 'best.trial')).toBe(bestTrial);
    expect(metric(stepRun, 'best.auc')).toBe(Math.max(...aucs));
    expect(param(stepRun, 'best.l2')).toBe(String(l2[bestTrial - 1]));
    expect(tag(stepRun, 'best.runId')).toBe(byTrial.get(bestTrial)!.info.runId);

    // The table lists the trials best first; the model is the best trial's, with what train-logistic records.
    expect(table.trials.map((t) => t.value)).toEqual([...aucs].sort((a, b) => b - a));
    expect(table.best).toEqual({ trial: bestTrial, value: Math.max(...aucs), hyperparameters: { l2: l2[bestTrial - 1] } });
    expect(model.properties).toMatchObject({
      featureSpec: { trainer: 'logistic-regression', label: 'delayed' },
      trainingRows: 4000,
      converged: expect.any(Boolean),
      tuning: { trial: bestTrial, metric: 'auc', value: Math.max(...aucs), hyperparameters: { l2: l2[bestTrial - 1] } },
    });
    const modelPath = join(dataDir, 'best.onnx');
    await stack.artifacts.fetchFile(model.digest!, modelPath);
    const scores = await scoreDataset(modelPath, join(dataDir, 'feb.parquet'), { label: 'delayed', task: 'classification' });
    expect(binaryMetrics(scores.labels!, scores.predictions).auc).toBe(Math.max(...aucs));
  });

  it('records a failing trial FAILED with its error and picks the best of the others', async () => {
    const { returned, table, trialRuns } = await runTuning('tune-failing', {
      trainer: 'logistic',
      fixed: { label: 'delayed', categorical: ['origin'] },
      space: { numeric: [['distance', 'hour'], ['distance', 'no_such_column']], l2: [1e-3, 1] },
    });
    expect(returned).toMatchObject({ trials: 4, failed: 2 });
    const failed = trialRuns.filter((run) => run.info.status === 'FAILED');
    expect(failed.map((run) => param(run, 'numeric'))).toEqual([JSON.stringify(['distance', 'no_such_column']), JSON.stringify(['distance', 'no_such_column'])]);
    for (const run of failed) {
      expect(tag(run, 'flywheel.error')).toMatch(/no_such_column/);
      expect(run.data.metrics).toEqual([]);
    }
    expect(table.trials.slice(2).map((t) => [t.status, t.value, t.error])).toEqual([
      ['failed', null, expect.stringMatching(/numeric\[1\].*no_such_column/)],
      ['failed', null, expect.stringMatching(/numeric\[1\].*no_such_column/)],
    ]);
    expect(table.trials[0]!.status).toBe('finished');
    expect(table.trials[0]!.value).toBeGreaterThanOrEqual(table.trials[1]!.value!);
    expect(table.best.trial).toBe(table.trials[0]!.trial);
  });

  it('runs a seeded random search of gbdt two trials at a time, on two threads at once', async () => {
    const params: TuneOptions = {
      trainer: 'gbdt',
      fixed: { ...FLIGHT_FEATURES, task: 'classification', maxIterations: 30, earlyStopping: false },
      space: { learningRate: { logUniform: [0.03, 0.3] }, maxLeafNodes: { int: [4, 31] } },
      strategy: 'random', trials: 4, seed: 11, parallelism: 2, metric: 'logLoss',
    };
    const { returned, model, table, trialRuns } = await runTuning('tune-random', params);
    expect(returned).toMatchObject({ trials: 4, failed: 0 });

    // The trials are the seed's draws, in order.
    const planned = compileTuneOptions(params).trials;
    const byTrial = [...table.trials].sort((a, b) => a.trial - b.trial);
    expect(byTrial.map((t) => t.hyperparameters)).toEqual(planned);
    for (const run of trialRuns) {
      const trial = Number(tag(run, 'flywheel.trial'));
      expect(param(run, 'maxLeafNodes')).toBe(String(planned[trial - 1]!.maxLeafNodes));
      expect(param(run, 'learningRate')).toBe(String(planned[trial - 1]!.learningRate));
    }
    // logLoss: lower is better.
    expect(table.trials.map((t) => t.value)).toEqual(table.trials.map((t) => t.value!).sort((a, b) => a - b));
    expect(model.properties).toMatchObject({ task: 'classification', featureSpec: { trainer: 'gradient-boosted-trees' }, tuning: { metric: 'logLoss' } });

    // Both worker slots ran trials, and trials of different slots overlapped in time.
    expect(new Set(table.trials.map((t) => t.worker))).toEqual(new Set([1, 2]));
    const overlapping = table.trials.some((a) => table.trials.some((b) => a.worker !== b.worker && a.startedAt < b.endedAt && b.startedAt < a.endedAt));
    expect(overlapping).toBe(true);
  });

  it('fails the pipeline at compile time on a bad search space, naming the field', () => {
    expect(() => compilePipeline(tuning('tune-bad', { trainer: 'logistic', fixed: FLIGHT_FEATURES, space: { l3: [1, 2] } }))).toThrow(
      /params\.space\.l3: logistic has no parameter "l3"; tunable: .*l2/,
    );
    expect(() => compilePipeline(tuning('tune-bad', { trainer: 'logistic', fixed: FLIGHT_FEATURES, space: { l2: [-1] } }))).toThrow(
      /params\.space\.l2: -1 is not a valid l2 for logistic/,
    );
  });
});
