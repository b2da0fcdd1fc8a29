import { writeFile } from 'node:fs/promises';
import { Dataset, Model } from '../../pipeline/artifact-types.js';
import { component } from '../../pipeline/component.js';
import { gbdtModelSummary, trainGbdt, trainGbdtParams } from './train-gbdt.js';

/**
 * Trains gradient-boosted trees on a Dataset and writes them as one ONNX graph with their
 * preprocessing. The model artifact carries the feature spec, the trees kept, the best
 * validation loss, the training time and the feature importance by gain.
 *
 * @example
 *   p.step(trainGbdtComponent, {
 *     inputs: { examples: data.outputs.examples },
 *     params: { label: 'delayed', task: 'classification', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'] },
 *   });
 */
export const trainGbdtComponent = component({
  name: 'train-gbdt',
  version: '1',
  description: 'Histogram gradient-boosted trees (classification or regression), exported as ONNX with their preprocessing',
  params: trainGbdtParams,
  inputs: { examples: Dataset },
  outputs: { model: Model },
  run: async ({ params, inputs, outputs, log, signal }) => {
    const started = performance.now();
    const trained = await trainGbdt(inputs.examples.path, params, { log, signal });
    await writeFile(outputs.model.path, trained.onnx);
    const trainingSeconds = (performance.now() - started) / 1000;
    log.info(
      `trained ${trained.iterations} trees on ${trained.trainingRows} rows in ${trainingSeconds.toFixed(1)}s` +
        (trained.bestValidationLoss === null ? '' : `: best validation loss ${trained.bestValidationLoss.toFixed(6)} on ${trained.validationRows} rows`) +
        (trained.stoppedBecause === 'early-stopping' ? ` (stopped after ${trained.iterationsRun})` : ''),
    );
    const { featureSpec, ...summary } = gbdtModelSummary(trained, params.task, trainingSeconds);
    Object.assign(outputs.model.properties, { featureSpec, ...summary });
    return summary;
  },
});
