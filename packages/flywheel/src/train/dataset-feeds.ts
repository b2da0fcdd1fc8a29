import type { Tensor } from 'onnxruntime-node';
import { InvalidInputError } from '../core/errors.js';
import { quoteIdentifier, type DatasetColumn } from '../data/duckdb.js';
import type { ModelSignature, TensorSpec } from '../onnx/model-signature.js';
import type { OnnxRuntime } from '../onnx/onnx-runtime.js';
import { requireColumn, type ColumnData, type ColumnKind, type ColumnRequest } from './columns.js';
import { featureInputExpr } from './feature-input.js';
import type { FeatureKind } from './feature-spec.js';

/** How a dataset column is read for each input element type (integers as doubles, checked when fed). */
const COLUMN_KIND: Record<string, ColumnKind> = { float32: 'float32', float64: 'float64', string: 'string', int64: 'float64', int32: 'float64' };

/** How a model is fed from a dataset: the columns to read, and the tensors a batch of them makes. */
export interface DatasetFeeds {
  requests: ColumnRequest[];
  tensors(ort: OnnxRuntime, data: ColumnData[], rows: number): Record<string, Tensor>;
}

/**
 * Which dataset columns feed which model inputs: by name for inputs that take one value per row
 * ([N] or [N,1]; a timestamp feature of a trained model as its epoch seconds), or the listed
 * `features` columns, in order, for a model with one input [N, F] (e.g. from skl2onnx; `field`
 * names where a caller lists them).
 * InvalidInputError naming the input or the column otherwise.
 *
 * @example
 *   const feeds = datasetFeeds(signature, await describeColumns(db, from), kinds);
 *   for await (const batch of scanColumns(db, from, feeds.requests, { batchRows })) await session.run(feeds.tensors(ort, batch.columns, batch.rowCount));
 */
export function datasetFeeds(
  signature: ModelSignature,
  columns: readonly DatasetColumn[],
  kinds: ReadonlyMap<string, FeatureKind>,
  features?: { field: string; columns: readonly string[] | undefined },
): DatasetFeeds {
  const single = signature.inputs[0];
  const wide = signature.inputs.length === 1 && single !== undefined && single.shape.length === 2 && typeof single.shape[1] === 'number' && single.shape[1] > 1;
  if (wide) return wideFeeds(single as TensorSpec, columns, features);
  const requests = signature.inputs.map((input): ColumnRequest => {
    const kind = COLUMN_KIND[input.type];
    const perRow = input.shape.length === 1 || (input.shape.length === 2 && (input.shape[1] === 1 || input.shape[1] === -1));
    if (!kind || !perRow) throw new InvalidInputError(`model input ${input.name}`, `is ${input.type} [${input.shape.join(', ')}]; it cannot be fed from one column`);
    requireColumn(columns, input.name, `model input ${input.name}`, 'input');
    return { expr: featureInputExpr({ name: input.name, kind: kinds.get(input.name) }), kind };
  });
  return {
    requests,
    tensors(ort, data, rows) {
      const feeds: Record<string, Tensor> = {};
      signature.inputs.forEach((input, i) => {
        const dims = input.shape.length === 1 ? [rows] : [rows, 1];
        const column = data[i] as ColumnData;
        if (input.type === 'int64') feeds[input.name] = new ort.Tensor('int64', BigInt64Array.from(column as Float64Array, (v) => BigInt(integer(v, input.name))), dims);
        else if (input.type === 'int32') feeds[input.name] = new ort.Tensor('int32', Int32Array.from(column as Float64Array, (v) => integer(v, input.name)), dims);
        else feeds[input.name] = new ort.Tensor(input.type as 'float32', column as Float32Array, dims);
      });
      return feeds;
    },
  };
}

/** One input [N, F] fed from F listed columns, row by row. */
function wideFeeds(spec: TensorSpec, columns: readonly DatasetColumn[], features: { field: string; columns: readonly string[] | undefined } | undefined): DatasetFeeds {
  const width = spec.shape[1] as number;
  const shape = `${spec.type} [${spec.shape.join(', ')}]`;
  if (!features) throw new InvalidInputError(`model input ${spec.name}`, `is ${shape}; it cannot be fed from one column of the dataset`);
  if (!features.columns) throw new InvalidInputError(features.field, `the model takes one input ${spec.name} ${shape}: list the ${width} columns that feed it`);
  if (features.columns.length !== width) throw new InvalidInputError(features.field, `lists ${features.columns.length} columns; input ${spec.name} takes ${width}`);
  const kind = COLUMN_KIND[spec.type];
  if (!kind || kind === 'string') throw new InvalidInputError(`model input ${spec.name}`, `is ${spec.type}; only float inputs can be fed from several columns`);
  const listed = features.columns;
  listed.forEach((f, i) => requireColumn(columns, f, `${features.field}[${i}]`, 'feature'));
  return {
    requests: listed.map((f): ColumnRequest => ({ expr: quoteIdentifier(f), kind: 'float64' })),
    tensors(ort, data, rows) {
      const out = spec.type === 'float64' ? new Float64Array(rows * width) : new Float32Array(rows * width);
      for (let c = 0; c < width; c++) {
        const column = data[c] as Float64Array;
        for (let r = 0; r < rows; r++) out[r * width + c] = column[r] as number;
      }
      return { [spec.name]: new ort.Tensor(spec.type as 'float32', out as Float32Array, [rows, width]) };
    },
  };
}

function integer(value: number, input: string): number {
  if (!Number.isInteger(value)) throw new InvalidInputError(`column ${input}`, `holds ${Number.isNaN(value) ? 'a missing value' : value}, which the model's integer input cannot take`);
  return value;
}
