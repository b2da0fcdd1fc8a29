import type { JsonObject, JsonValue } from '../core/json.js';
import { metricsToJson } from './binary-metrics.js';
import type { Evaluation } from './evaluate-model.js';

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * The evaluation as the Metrics artifact's JSON: the metrics of the whole data at the top level
 * (the numbers `push-model` registers with the version), then the task, the confusion matrix and
 * calibration curve of a classifier, the slices and the fairness gaps. Undefined values are null.
 *
 * @example
 *   { "auc": 0.62, "logLoss": 0.53, …, "rowCount": 458170, "task": "classification",
 *     "confusionMatrix": { "threshold": 0.5, "tp": 812, "fp": 455, "tn": 350980, "fn": 105923 },
 *     "calibration": [{ "lower": 0, "upper": 0.1, "count": 40211, "meanPredicted": 0.083, "observedRate": 0.091 }, …],
 *     "slices": [{ "name": "origin", "column": "origin", "by": "value",
 *                  "slices": [{ "key": "ATL", "kind": "value", "rowCount": 30122, "sufficient": true, "metrics": { "auc": 0.6, … } }, …] }],
 *     "fairness": [{ "slice": "origin", "metric": "auc", "gap": 0.08, "min": { "key": "ORD", "value": 0.58 }, "max": { … }, … }] }
 */
export function evaluationToJson(evaluation: Evaluation): JsonObject {
  const curves: JsonObject =
    evaluation.task === 'classification'
      ? {
          confusionMatrix: { ...evaluation.confusionMatrix },
          calibration: evaluation.calibration.map((bin) => ({ ...bin, meanPredicted: finite(bin.meanPredicted), observedRate: finite(bin.observedRate) })),
        }
      : {};
  const slices: JsonValue[] = evaluation.slices.map((slicing) => ({
    name: slicing.name,
    column: slicing.column,
    by: slicing.by,
    slices: slicing.slices.map(({ metrics, ...slice }) => ({ ...slice, metrics: metricsToJson(metrics) })),
  }));
  const fairness: JsonValue[] = evaluation.fairness.map((gap) => ({
    ...gap,
    gap: finite(gap.gap),
    min: gap.min && { ...gap.min },
    max: gap.max && { ...gap.max },
    slicesLeftOut: [...gap.slicesLeftOut],
  }));
  return { ...metricsToJson(evaluation.metrics), task: evaluation.task, ...curves, slices, fairness };
}
