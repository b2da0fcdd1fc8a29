import { gbdtModelSummary, trainGbdt, trainGbdtParams } from '../../train/gbdt/train-gbdt.js';
import { tunableTrainer } from './tunable-trainer.js';

/**
 * Gradient-boosted trees (`trainer: 'gbdt'`): tune `learningRate`, `maxLeafNodes`, `maxDepth`,
 * `minSamplesLeaf`, `l2`, `maxBins`, `maxIterations`, `earlyStopping`… `task` poses the problem.
 */
export const gbdtTrainer = tunableTrainer({
  params: trainGbdtParams,
  fixedOnly: ['label', 'task'],
  problem: (params) => ({ label: params.label, task: params.task }),
  train: async (datasetPath, params, context) => {
    const started = performance.now();
    const trained = await trainGbdt(datasetPath, params, { log: context.log, helperThread: context.helperThreads });
    return {
      onnx: trained.onnx,
      trainingMetrics: { trainingLoss: trained.trainingLoss, iterations: trained.iterations },
      properties: gbdtModelSummary(trained, params.task, (performance.now() - started) / 1000),
    };
  },
});
