import { writeFile } from 'node:fs/promises';
import { Dataset, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { logisticModelSummary, trainLogisticParams, trainLogisticRegression } from './train-logistic.js';

/**
 * Trains a logistic regression on a Dataset and writes it as one ONNX graph with its
 * preprocessing. The model artifact carries the feature spec, training loss and iterations.
 *
 * @example
 *   p.step(trainLogisticComponent, {
 *     inputs: { examples: data.outputs.examples },
 *     params: { label: 'delayed', numeric: ['distance', 'hour', 'dow'], categorical: ['origin', 'destination'] },
 *   });
 */
export const trainLogisticComponent = component({
  name: 'train-logistic',
  version: '1',
  description: 'L2-regularised logistic regression (L-BFGS), exported as ONNX with its preprocessing',
  params: trainLogisticParams,
  inputs: { examples: Dataset },
  outputs: { model: Model },
  run: async ({ params, inputs, outputs, log, signal }) => {
    const started = performance.now();
    const trained = await trainLogisticRegression(inputs.examples.path, params, { log, signal });
    await writeFile(outputs.model.path, trained.onnx);
    const seconds = (performance.now() - started) / 1000;
    log.info(
      `trained on ${trained.rows} rows in ${seconds.toFixed(1)}s: loss ${trained.loss.toFixed(6)} after ${trained.iterations} iterations` +
        (trained.converged ? '' : ' (not converged: raise maxIterations)'),
    );
    const { featureSpec, ...summary } = logisticModelSummary(trained);
    Object.assign(outputs.model.properties, { featureSpec, ...summary });
    return summary;
  },
});
