import { writeFile } from 'node:fs/promises';
import { Dataset, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { linearModelSummary, trainLinearParams, trainLinearRegression } from './train-linear.js';

/**
 * Trains a linear (ridge) regression on a Dataset and writes it as one ONNX graph with its
 * preprocessing, predicting `variable` [N,1]. The model artifact carries the feature spec, the
 * training RMSE and R², the aliased columns and the training time.
 *
 * @example
 *   p.step(trainLinearComponent, {
 *     inputs: { examples: data.outputs.examples },
 *     params: { label: 'delay', numeric: ['distance'], categorical: ['origin', 'destination'], time: [{ column: 'date' }] },
 *   });
 */
export const trainLinearComponent = component({
  name: 'train-linear',
  version: '1',
  description: 'Linear regression (ridge, solved exactly), exported as ONNX with its preprocessing',
  params: trainLinearParams,
  inputs: { examples: Dataset },
  outputs: { model: Model },
  run: async ({ params, inputs, outputs, log, signal }) => {
    const started = performance.now();
    const trained = await trainLinearRegression(inputs.examples.path, params, { log, signal });
    await writeFile(outputs.model.path, trained.onnx);
    const trainingSeconds = (performance.now() - started) / 1000;
    log.info(`trained on ${trained.rows} rows in ${trainingSeconds.toFixed(1)}s: RMSE ${trained.rmse.toPrecision(6)}, R² ${trained.r2.toFixed(4)}`);
    const { featureSpec, ...summary } = linearModelSummary(trained, trainingSeconds);
    Object.assign(outputs.model.properties, { featureSpec, ...summary });
    return summary;
  },
});
