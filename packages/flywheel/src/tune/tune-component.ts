import { copyFile, writeFile } from 'node:fs/promises';
import { Dataset, Metrics, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { TAG_RUN, TAG_STEP } from '../pipeline/tracking-tags.js';
import { runSearch } from './run-search.js';
import { TrackedTrials } from './tracked-trials.js';
import { trialTable } from './trial-table.js';
import { tuneOptions } from './tune-options.js';

/**
 * Searches a trainer's hyperparameters: trains one model per trial on `train` (grid or seeded
 * random search, trials in parallel worker processes), scores each on `validation`, and outputs the
 * best trial's model (with the properties its trainer's component records, plus `tuning`) and
 * the table of all trials, best first. Every trial is a child run of the step's tracked run.
 * A failing trial is recorded and skipped; the step fails only when every trial fails.
 *
 * @example
 *   const tuned = p.step(tuneComponent, {
 *     inputs: { train: january.outputs.examples, validation: february.outputs.examples },
 *     params: {
 *       trainer: 'gbdt',
 *       fixed: { label: 'delayed', task: 'classification', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'] },
 *       space: { learningRate: { logUniform: [0.02, 0.3] }, maxLeafNodes: [15, 31, 63] },
 *       strategy: 'random', trials: 8, seed: 7, metric: 'auc',
 *     },
 *   });
 */
export const tuneComponent = component({
  name: 'tune',
  version: '1',
  description: 'Hyperparameter search (grid or random) over a built-in trainer, trials in parallel worker processes, each a tracked run',
  params: tuneOptions,
  inputs: { train: Dataset, validation: Dataset },
  outputs: { model: Model, trials: Metrics },
  run: async ({ params: search, inputs, outputs, log, signal, workDir, stack, tracking, run }) => {
    const trials = new TrackedTrials(stack.tracking, tracking, search, { [TAG_RUN]: run.id, [TAG_STEP]: run.step });
    const result = await runSearch(search, { train: inputs.train.path, validation: inputs.validation.path }, { workDir, signal, log, observer: trials });
    const { best } = result;
    log.info(`best: trial ${best.trial} with ${search.metric} ${best.value.toFixed(4)} (${JSON.stringify(best.hyperparameters)}); ${result.failed} of ${result.trials.length} trials failed`);

    await copyFile(best.modelPath, outputs.model.path);
    Object.assign(outputs.model.properties, best.properties, {
      tuning: { trial: best.trial, metric: search.metric, value: best.value, hyperparameters: best.hyperparameters },
    });
    await writeFile(outputs.trials.path, `${JSON.stringify(trialTable(search, result), null, 2)}\n`);
    Object.assign(outputs.trials.properties, { metric: search.metric, best: best.value, bestTrial: best.trial, trials: result.trials.length, failed: result.failed });
    await trials.recordBest(result);
    return { bestTrial: best.trial, bestMetric: best.value, trials: result.trials.length, failed: result.failed };
  },
});
