import { logisticModelSummary, trainLogisticParams, trainLogisticRegression } from '../../train/train-logistic.js';
import { tunableTrainer } from './tunable-trainer.js';

/** Logistic regression (`trainer: 'logistic'`): tune `l2`, `maxIterations`, `topK`, or the feature lists. */
export const logisticTrainer = tunableTrainer({
  params: trainLogisticParams,
  fixedOnly: ['label'],
  problem: (params) => ({ label: params.label, task: 'classification' }),
  train: async (datasetPath, params, context) => {
    const trained = await trainLogisticRegression(datasetPath, params, context);
    return {
      onnx: trained.onnx,
      trainingMetrics: { trainingLoss: trained.loss, iterations: trained.iterations },
      properties: logisticModelSummary(trained),
    };
  },
});
