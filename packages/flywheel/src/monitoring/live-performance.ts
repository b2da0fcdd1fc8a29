import { errorMessage } from '../core/errors.js';
import { queryRows, toNumber, withDuckDb } from '../data/duckdb.js';
import { binaryMetrics, metricsToJson } from '../evaluate/binary-metrics.js';
import type { ModelTask } from '../evaluate/metric-catalog.js';
import { predictionOutput } from '../evaluate/model-task.js';
import { regressionMetrics } from '../evaluate/regression-metrics.js';
import type { ModelSignature } from '../onnx/model-signature.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { predictionLogDir, predictionLogRelation } from '../serving/prediction-log/parquet-prediction-log.js';
import { labelsRelation } from './label-store.js';
import { bucketSql, checkWindowRange, predictionSql, recordFilterSql, windowBounds, type WindowRange } from './monitor-windows.js';

export interface LivePerformanceOptions extends WindowRange {
  /** Flywheel's working folder (`stack.home`), which holds the prediction log and the labels. */
  home: string;
  registry: Pick<ModelRegistry, 'getVersion'>;
  model: string;
  /** A classifier predicts positive above this probability (accuracy, precision, …). Default 0.5. */
  threshold?: number;
}

/** How one model version did in one window, on the predictions whose labels have arrived. */
export interface PerformanceWindow {
  start: Date;
  end: Date;
  version: number;
  task: ModelTask | null;
  /** Predicted rows in the window (shadow predictions included: they are the version's own). */
  predictions: number;
  /** Of those, rows with a label. */
  labeled: number;
  /**
   * Classification: auc, prAuc, accuracy, precision, recall, f1, logLoss, brierScore, positiveRate,
   * meanPrediction; regression: rmse, mae, r2, mape. Null where undefined (one class only, no labels).
   */
  metrics: Record<string, number | null>;
  /** Why there are no metrics although labels arrived (labels that are not 0/1 for a classifier, say). */
  problem?: string;
}

/**
 * Live performance per model version and window: the prediction log joined with the delayed
 * labels by prediction id and row (in DuckDB), then the same metric functions the evaluator uses.
 * Windows without predictions are left out; windows without labels have empty metrics.
 *
 * @example
 *   const windows = await livePerformance({ home: stack.home, registry: stack.registry, model: 'flights', windowMs: 86_400_000 });
 *   windows.map((w) => [w.start.toISOString(), w.version, w.labeled, w.metrics.auc]);
 */
export async function livePerformance(options: LivePerformanceOptions): Promise<PerformanceWindow[]> {
  checkWindowRange(options);
  const log = await predictionLogRelation(predictionLogDir(options.home), options.model);
  if (log === undefined) return [];
  const labels = await labelsRelation(options.home);
  const records = `SELECT version, prediction_id, "row", outputs, ${bucketSql(options.windowMs)} AS bucket FROM ${log} WHERE ${recordFilterSql(options.model, options)}`;
  return withDuckDb(async (db) => {
    const joined = labels === undefined
      ? `SELECT *, NULL::DOUBLE AS label FROM (${records})`
      : `SELECT p.*, l.label FROM (${records}) p LEFT JOIN ${labels} l ON l.prediction_id = p.prediction_id AND l."row" = p."row"`;
    await db.run(`CREATE TEMP TABLE scored AS ${joined}`);
    const counts = await queryRows(db, 'SELECT version, bucket, count(*) AS predictions, count(label) AS labeled FROM scored GROUP BY version, bucket ORDER BY bucket, version');
    const windows: PerformanceWindow[] = [];
    const byVersion = new Map<number, { window: PerformanceWindow; bucket: bigint }[]>();
    for (const row of counts) {
      const version = toNumber(row.version) as number;
      const bucket = row.bucket as bigint;
      const window: PerformanceWindow = {
        ...windowBounds(Number(bucket), options.windowMs),
        version, task: null, predictions: toNumber(row.predictions) as number, labeled: toNumber(row.labeled) as number, metrics: {},
      };
      windows.push(window);
      if (window.labeled > 0) byVersion.set(version, [...(byVersion.get(version) ?? []), { window, bucket }]);
    }
    for (const [version, labeled] of byVersion) {
      const registered = await options.registry.getVersion(options.model, version);
      const signature = registered.signature as ModelSignature | null;
      let where;
      try {
        if (!signature) throw new Error(`${options.model} v${version} has no signature in the registry`);
        where = predictionOutput(signature);
      } catch (error) {
        for (const { window } of labeled) window.problem = `the prediction is not found among the outputs: ${errorMessage(error)}`;
        continue;
      }
      const reader = await db.runAndReadAll(
        `SELECT bucket, ${predictionSql(signature, where)} AS prediction, label FROM scored WHERE version = ${version} AND label IS NOT NULL ORDER BY bucket`,
      );
      const [buckets, predictions, truths] = reader.getColumnsJS() as [bigint[], (number | null)[], number[]];
      let from = 0;
      for (const { window, bucket } of labeled) {
        while (from < buckets.length && (buckets[from] as bigint) < bucket) from++;
        let to = from;
        while (to < buckets.length && buckets[to] === bucket) to++;
        window.task = where.task;
        scoreWindow(window, truths.slice(from, to), predictions.slice(from, to), options.threshold);
        from = to;
      }
    }
    return windows;
  });
}

function scoreWindow(window: PerformanceWindow, labels: number[], predictions: (number | null)[], threshold: number | undefined): void {
  if (predictions.some((p) => p === null)) {
    window.problem = 'some logged outputs hold no number where the prediction should be';
    return;
  }
  try {
    const values = predictions as number[];
    window.metrics = window.task === 'classification'
      ? pick(metricsToJson(binaryMetrics(labels, values, threshold === undefined ? {} : { threshold })), CLASSIFICATION_METRICS)
      : pick(metricsToJson(regressionMetrics(labels, values)), REGRESSION_METRICS);
  } catch (error) {
    window.problem = errorMessage(error);
  }
}

const CLASSIFICATION_METRICS = ['auc', 'prAuc', 'accuracy', 'precision', 'recall', 'f1', 'logLoss', 'brierScore', 'positiveRate', 'meanPrediction'];
const REGRESSION_METRICS = ['rmse', 'mae', 'r2', 'mape'];

function pick(all: Record<string, unknown>, names: readonly string[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const name of names) out[name] = (all[name] as number | null | undefined) ?? null;
  return out;
}
