import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { binaryClassifierOutputs, sessionSignature, type TensorSpec } from '../onnx/model-signature.js';
import { onnxRuntime, openInferenceSession, type OnnxRuntime } from '../onnx/onnx-runtime.js';
import { describeColumns, requireColumn, scanColumns, type ColumnData, type ColumnKind, type ColumnRequest } from '../train/columns.js';

export interface ScoreOptions {
  /** Also read this 0/1 column, aligned with the predictions. */
  label?: string;
  /** Rows per onnxruntime run; 65 536 by default. */
  batchRows?: number;
  signal?: AbortSignal;
}

export interface Scores {
  rowCount: number;
  /** Probability of the positive class per row. */
  probabilities: Float64Array;
  /** The label column (0/1), when one was asked for. */
  labels: Uint8Array | undefined;
}

const INPUT_COLUMN_KIND: Record<string, ColumnKind> = { float32: 'float32', float64: 'float64', string: 'string', int64: 'float64', int32: 'float64' };

/**
 * Runs a binary classifier over a data file in batches: each model input is fed from the column
 * of the same name, read by DuckDB into typed arrays. Returns the positive-class probability of
 * every row, and its label when asked.
 *
 * @example
 *   const { probabilities, labels } = await scoreDataset('model.onnx', 'feb.parquet', { label: 'delayed' });
 */
export async function scoreDataset(modelPath: string, datasetPath: string, options: ScoreOptions = {}): Promise<Scores> {
  const batchRows = options.batchRows ?? 65_536;
  let session: InferenceSession;
  try {
    session = await openInferenceSession(modelPath);
  } catch (error) {
    throw new InvalidInputError('model', `onnxruntime cannot load ${modelPath}: ${(error as Error).message}`);
  }
  try {
    const ort = await onnxRuntime();
    const signature = sessionSignature(session);
    const outputs = binaryClassifierOutputs(signature);
    const from = tableFunctionFor(datasetPath, 'examples');
    return await withDuckDb(async (db) => {
      const columns = await describeColumns(db, from);
      const requests: ColumnRequest[] = signature.inputs.map((input) => {
        const kind = INPUT_COLUMN_KIND[input.type];
        if (!kind || !feedsFromColumn(input)) {
          throw new InvalidInputError(`model input ${input.name}`, `is ${input.type} [${input.shape.join(', ')}]; only one-column float, integer or string inputs can be fed from a dataset`);
        }
        requireColumn(columns, input.name, `model input ${input.name}`, 'input');
        return { expr: quoteIdentifier(input.name), kind };
      });
      if (options.label !== undefined) {
        requireColumn(columns, options.label, 'label', 'label');
        requests.push({ expr: quoteIdentifier(options.label), kind: 'float64' });
      }

      const probabilities: Float64Array[] = [];
      const labels: Uint8Array[] = [];
      let rowCount = 0;
      for await (const batch of scanColumns(db, from, requests, { batchRows })) {
        options.signal?.throwIfAborted();
        const feeds: Record<string, Tensor> = {};
        signature.inputs.forEach((input, i) => {
          feeds[input.name] = toTensor(ort, input, batch.columns[i] as ColumnData, batch.rowCount);
        });
        const result = await session.run(feeds, [outputs.probability]);
        probabilities.push(positiveColumn(result[outputs.probability] as Tensor, outputs.probabilityColumn, batch.rowCount));
        if (options.label !== undefined) labels.push(toLabels(batch.columns[requests.length - 1] as Float64Array, options.label, rowCount));
        rowCount += batch.rowCount;
      }
      return { rowCount, probabilities: concat(probabilities, rowCount, Float64Array), labels: options.label === undefined ? undefined : concat(labels, rowCount, Uint8Array) };
    });
  } finally {
    await session.release();
  }
}

/** One value per row: shape [N] or [N, 1] with a free batch dimension. */
function feedsFromColumn(input: TensorSpec): boolean {
  if (input.shape.length === 1) return true;
  return input.shape.length === 2 && (input.shape[1] === 1 || input.shape[1] === -1);
}

function toTensor(ort: OnnxRuntime, input: TensorSpec, data: ColumnData, rows: number): Tensor {
  const dims = input.shape.length === 1 ? [rows] : [rows, 1];
  switch (input.type) {
    case 'int64': {
      const out = new BigInt64Array(rows);
      for (let i = 0; i < rows; i++) out[i] = BigInt(integerAt(data as Float64Array, i, input));
      return new ort.Tensor('int64', out, dims);
    }
    case 'int32': {
      const out = new Int32Array(rows);
      for (let i = 0; i < rows; i++) out[i] = integerAt(data as Float64Array, i, input);
      return new ort.Tensor('int32', out, dims);
    }
    case 'float32':
      return new ort.Tensor('float32', data as Float32Array, dims);
    case 'float64':
      return new ort.Tensor('float64', data as Float64Array, dims);
    default:
      return new ort.Tensor('string', data as string[], dims);
  }
}

function integerAt(values: Float64Array, i: number, input: TensorSpec): number {
  const v = values[i] as number;
  if (!Number.isInteger(v)) {
    throw new InvalidInputError(`column ${input.name}`, `holds ${Number.isNaN(v) ? 'a missing value' : v}, which the model's ${input.type} input cannot take`);
  }
  return v;
}

function positiveColumn(tensor: Tensor, column: number, rows: number): Float64Array {
  const data = tensor.data as Float32Array | Float64Array;
  const width = rows === 0 ? 1 : data.length / rows;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = data[i * width + column] as number;
  return out;
}

function toLabels(values: Float64Array, label: string, firstRow: number): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== 0 && v !== 1) {
      throw new InvalidInputError('label', `label ${JSON.stringify(label)} is ${Number.isNaN(v) ? 'missing' : v} in row ${firstRow + i}; it must be 0 or 1`);
    }
    out[i] = v;
  }
  return out;
}

function concat<T extends Float64Array | Uint8Array>(parts: T[], length: number, Kind: { new (length: number): T }): T {
  const out = new Kind(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
