import type { Tensor } from 'onnxruntime-node';
import { InvalidInputError } from '../core/errors.js';
import { describeColumns, quoteIdentifier, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { sessionSignature } from '../onnx/model-signature.js';
import { onnxRuntime, openDatasetSession } from '../onnx/onnx-runtime.js';
import { datasetFeeds } from '../train/dataset-feeds.js';
import { inputFeatureKinds } from '../train/feature-input.js';
import { requireColumn, scanColumns, type ColumnData, type ColumnKind, type ColumnRequest } from '../train/columns.js';
import type { ModelTask } from './metric-catalog.js';
import { predictionOutput } from './model-task.js';

export interface ScoreOptions {
  /** Also read this column, aligned with the predictions: 0/1 for a classifier, a finite number for a regressor. */
  label?: string;
  /** What the model predicts; read from its outputs by default (see predictionOutput). */
  task?: ModelTask;
  /** More columns to read, aligned with the predictions: SQL expressions over the data. */
  columns?: readonly ColumnRequest[];
  /** Rows per onnxruntime run; 65 536 by default. */
  batchRows?: number;
  signal?: AbortSignal;
}

export interface Scores {
  task: ModelTask;
  rowCount: number;
  /** Per row: the probability of the positive class (classification) or the predicted number (regression). */
  predictions: Float64Array;
  /** The label column, when one was asked for. */
  labels: Float64Array | undefined;
  /** The extra columns, in the order asked for. */
  columns: ColumnData[];
}

/**
 * Runs a model over a data file in batches: each model input is fed from the column of the same
 * name, read by DuckDB into typed arrays. Returns the prediction of every row (the positive-class
 * probability of a binary classifier, the number a regressor predicts) and, when asked, the label
 * and more columns in the same row order.
 *
 * @example
 *   const { task, predictions, labels } = await scoreDataset('model.onnx', 'feb.parquet', { label: 'delayed' });
 */
export async function scoreDataset(modelPath: string, datasetPath: string, options: ScoreOptions = {}): Promise<Scores> {
  const batchRows = options.batchRows ?? 65_536;
  const extra = options.columns ?? [];
  const { bytes, session } = await openDatasetSession(modelPath);
  try {
    const ort = await onnxRuntime();
    const signature = sessionSignature(session);
    const prediction = predictionOutput(signature, options.task);
    const from = tableFunctionFor(datasetPath, 'examples');
    const kinds = inputFeatureKinds(bytes);
    return await withDuckDb(async (db) => {
      const columns = await describeColumns(db, from);
      const feeds = datasetFeeds(signature, columns, kinds);
      const requests: ColumnRequest[] = [...feeds.requests];
      const labelAt = requests.length;
      if (options.label !== undefined) {
        requireColumn(columns, options.label, 'label', 'label');
        requests.push({ expr: quoteIdentifier(options.label), kind: 'float64' });
      }
      const extraAt = requests.length;
      requests.push(...extra);

      const predictions: Float64Array[] = [];
      const labels: Float64Array[] = [];
      const extraParts: ColumnData[][] = extra.map(() => []);
      let rowCount = 0;
      for await (const batch of scanColumns(db, from, requests, { batchRows })) {
        options.signal?.throwIfAborted();
        const result = await session.run(feeds.tensors(ort, batch.columns, batch.rowCount), [prediction.output]);
        predictions.push(outputColumn(result[prediction.output] as Tensor, prediction.column, batch.rowCount));
        if (options.label !== undefined) labels.push(checkLabels(batch.columns[labelAt] as Float64Array, prediction.task, options.label, rowCount));
        extraParts.forEach((parts, c) => parts.push(batch.columns[extraAt + c] as ColumnData));
        rowCount += batch.rowCount;
      }
      const all = concat(predictions, 'float64', rowCount) as Float64Array;
      return {
        task: prediction.task,
        rowCount,
        predictions: all,
        labels: options.label === undefined ? undefined : (concat(labels, 'float64', rowCount) as Float64Array),
        columns: extraParts.map((parts, c) => concat(parts, (extra[c] as ColumnRequest).kind, rowCount)),
      };
    });
  } finally {
    await session.release();
  }
}

function outputColumn(tensor: Tensor, column: number, rows: number): Float64Array {
  const data = tensor.data as Float32Array | Float64Array;
  const width = rows === 0 ? 1 : data.length / rows;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = data[i * width + column] as number;
  return out;
}

/** The batch's labels, checked: 0/1 for a classifier, finite for a regressor; the error names the row. */
function checkLabels(values: Float64Array, task: ModelTask, label: string, firstRow: number): Float64Array {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const wrong = task === 'classification' ? v !== 0 && v !== 1 : !Number.isFinite(v);
    if (wrong) {
      const what = Number.isNaN(v) ? 'missing (or NaN)' : v;
      const rule = task === 'classification' ? 'it must be 0 or 1' : 'a regressor is evaluated on finite numbers';
      throw new InvalidInputError('label', `label column ${JSON.stringify(label)} is ${what} in row ${firstRow + i}; ${rule}`);
    }
  }
  return values;
}

function concat(parts: ColumnData[], kind: ColumnKind, length: number): ColumnData {
  if (kind === 'string') return (parts as string[][]).flat();
  const out = kind === 'float64' ? new Float64Array(length) : kind === 'float32' ? new Float32Array(length) : new Int32Array(length);
  let offset = 0;
  for (const part of parts as (Float64Array | Float32Array | Int32Array)[]) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
