import { binaryMetrics } from '../evaluate/binary-metrics.js';
import { metricsOfTask, type MetricName, type ModelTask } from '../evaluate/metric-catalog.js';
import { regressionMetrics } from '../evaluate/regression-metrics.js';
import { scoreDataset } from '../evaluate/score-dataset.js';

type ComputeMetrics = (labels: ArrayLike<number>, predictions: ArrayLike<number>) => Partial<Record<MetricName, number>>;

/** How a scored dataset becomes metrics, for each task: one line per task. */
const METRICS_OF_TASK: Record<ModelTask, ComputeMetrics> = {
  classification: binaryMetrics,
  regression: regressionMetrics,
};

/**
 * Scores a trial's model on the validation data and returns every catalogue metric of its task
 * (auc, logLoss, accuracy… or rmse, mae, r2…), as the evaluate component computes them. Undefined
 * values (the AUC of one class) are NaN.
 *
 * @example
 *   await validationMetrics('trial-3.onnx', 'validation.parquet', 'delayed', 'classification') // { auc: 0.71, prAuc: 0.38, logLoss: 0.45, … }
 */
export async function validationMetrics(modelPath: string, datasetPath: string, label: string, task: ModelTask): Promise<Record<string, number>> {
  const scores = await scoreDataset(modelPath, datasetPath, { label, task });
  const all = METRICS_OF_TASK[task](scores.labels as Float64Array, scores.predictions);
  const metrics: Record<string, number> = {};
  for (const name of metricsOfTask(task)) {
    const value = all[name];
    if (value !== undefined) metrics[name] = value;
  }
  return metrics;
}
