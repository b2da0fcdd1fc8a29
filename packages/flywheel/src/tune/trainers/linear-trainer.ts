import { linearModelSummary, trainLinearParams, trainLinearRegression } from '../../train/train-linear.js';
import { tunableTrainer } from './tunable-trainer.js';

/** Linear (ridge) regression (`trainer: 'linear'`): tune `l2`, or the feature lists. */
export const linearTrainer = tunableTrainer({
  params: trainLinearParams,
  fixedOnly: ['label'],
  problem: (params) => ({ label: params.label, task: 'regression' }),
  train: async (datasetPath, params, context) => {
    const started = performance.now();
    const trained = await trainLinearRegression(datasetPath, params, context);
    return {
      onnx: trained.onnx,
      trainingMetrics: { trainingRmse: trained.rmse, trainingR2: trained.r2 },
      properties: linearModelSummary(trained, (performance.now() - started) / 1000),
    };
  },
});
