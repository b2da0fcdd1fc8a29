import { InvalidInputError } from '../core/errors.js';
import type { TensorSpec } from '../onnx/model-signature.js';
import type { HostTensor, ServedModel, TensorType } from './served-model.js';
import { tensorDataFromJson } from './tensor-json.js';
import { epochSeconds } from './timestamp-values.js';

/** What to do with fields of a row that are not model inputs. */
export type ExtraFields = 'ignore' | 'reject';

/**
 * Model inputs from rows, in the two shapes clients send:
 *
 * - objects of named features (`{"distance": 500, "origin": "SFO"}`) for models whose inputs take
 *   one value per row ([N] or [N,1], as Flywheel's trained models do);
 * - arrays (`[5.1, 3.5, 1.4, 0.2]`) for a model with one tensor input [N, F], such as a
 *   scikit-learn model exported by skl2onnx.
 *
 * `fieldOf(i)` names row i in errors, e.g. `instances[2]`.
 */
export function rowsToTensors(model: ServedModel, rows: readonly unknown[], fieldOf: (i: number) => string, extra: ExtraFields): Record<string, HostTensor> {
  if (rows.length === 0) throw new InvalidInputError(fieldOf(0).replace(/\[0\]$/, ''), 'is empty; send at least one row');
  const first = rows[0];
  if (Array.isArray(first)) return arrayRowsToTensor(model, rows, fieldOf);
  if (!model.perFeatureInputs) throw tensorModelError(model, fieldOf(0));
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new InvalidInputError(fieldOf(i), `expected an object of features, got ${row === null ? 'null' : Array.isArray(row) ? 'an array' : typeof row}`);
    }
    if (extra === 'reject') rejectExtra(model, row as Record<string, unknown>, fieldOf(i));
  }
  const tensors: Record<string, HostTensor> = {};
  for (const spec of model.signature.inputs) {
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i] as Record<string, unknown>;
      const value = row[spec.name];
      if (value === undefined) {
        throw new InvalidInputError(`${fieldOf(i)}.${spec.name}`, `missing (${model.displayName} needs ${spec.name}: ${spec.type}${model.allowsMissing(spec.name) ? '; send null for a missing value' : ''})`);
      }
      values[i] = value;
    }
    tensors[spec.name] = columnTensor(model, spec, values, (i) => `${fieldOf(i)}.${spec.name}`);
  }
  return tensors;
}

/**
 * Model inputs from a table: column names and rows of values (MLflow's `dataframe_split`, CSV).
 * Columns are matched to inputs by name; a model with one tensor input [N, F] takes the F
 * columns in order, as MLflow's ONNX flavour does.
 */
export function tableToTensors(
  model: ServedModel,
  columns: readonly string[],
  data: readonly (readonly unknown[])[],
  field: string,
  extra: ExtraFields,
): Record<string, HostTensor> {
  data.forEach((row, i) => {
    if (!Array.isArray(row)) throw new InvalidInputError(`${field}.data[${i}]`, 'expected an array of values, one per column');
    if (row.length !== columns.length) throw new InvalidInputError(`${field}.data[${i}]`, `has ${row.length} values for ${columns.length} columns`);
  });
  if (!model.perFeatureInputs) return arrayRowsToTensor(model, data, (i) => `${field}.data[${i}]`);
  const index = new Map(columns.map((c, i) => [c, i]));
  if (extra === 'reject') {
    for (const [i, column] of columns.entries()) {
      if (!model.signature.inputs.some((s) => s.name === column)) {
        throw new InvalidInputError(`${field}.columns[${i}]`, `${JSON.stringify(column)} is not an input of ${model.displayName} (inputs: ${inputNames(model)})`);
      }
    }
  }
  const tensors: Record<string, HostTensor> = {};
  for (const spec of model.signature.inputs) {
    const c = index.get(spec.name);
    if (c === undefined) throw new InvalidInputError(`${field}.columns`, `missing column ${JSON.stringify(spec.name)} (${model.displayName} needs ${inputNames(model)})`);
    tensors[spec.name] = columnTensor(model, spec, data.map((row) => row[c]), (i) => `${field}.data[${i}][${c}]`);
  }
  return tensors;
}

/**
 * Model inputs from columns: `{ input: [value per row] }` (TF-serving's columnar `inputs`, which
 * MLflow and KServe v1 accept). Each value may itself be an array for inputs wider than one.
 */
export function columnsToTensors(model: ServedModel, columns: Record<string, unknown>, field: string, extra: ExtraFields): Record<string, HostTensor> {
  if (extra === 'reject') rejectExtra(model, columns, field);
  const tensors: Record<string, HostTensor> = {};
  let rows: number | undefined;
  for (const spec of model.signature.inputs) {
    const column = columns[spec.name];
    const where = `${field}.${spec.name}`;
    if (column === undefined) throw new InvalidInputError(where, `missing (${model.displayName} needs ${spec.name}: ${spec.type} [${spec.shape.join(', ')}])`);
    if (!Array.isArray(column)) throw new InvalidInputError(where, 'expected an array with one value per row');
    if (rows !== undefined && column.length !== rows) throw new InvalidInputError(where, `has ${column.length} rows, other inputs have ${rows}`);
    rows = column.length;
    tensors[spec.name] = feedsOneValue(spec) ? columnTensor(model, spec, column, (i) => `${where}[${i}]`) : nestedTensor(model, spec, column, where);
  }
  return tensors;
}

function inputNames(model: ServedModel): string {
  return model.signature.inputs.map((s) => s.name).join(', ');
}

function rejectExtra(model: ServedModel, row: Record<string, unknown>, field: string): void {
  for (const key in row) {
    if (!model.signature.inputs.some((s) => s.name === key)) {
      throw new InvalidInputError(`${field}.${key}`, `is not an input of ${model.displayName} (inputs: ${inputNames(model)})`, 'leave out fields the model does not take');
    }
  }
}

function tensorModelError(model: ServedModel, field: string): InvalidInputError {
  const specs = model.signature.inputs.map((s) => `${s.name} ${s.type} [${s.shape.join(', ')}]`).join(', ');
  const single = model.signature.inputs.length === 1;
  return new InvalidInputError(
    field,
    `${model.displayName} takes tensor inputs (${specs}), not named features`,
    single ? 'send each row as an array of values, or use POST /v2/models/<name>/infer' : `use POST /v2/models/${model.name}/infer`,
  );
}

function feedsOneValue(spec: TensorSpec): boolean {
  return spec.shape.length === 1 || (spec.shape.length === 2 && spec.shape[1] === 1);
}

function columnTensor(model: ServedModel, spec: TensorSpec, values: readonly unknown[], fieldOf: (i: number) => string): HostTensor {
  const type = spec.type as TensorType;
  const fed = model.isTimestamp(spec.name) ? values.map((value, i) => epochSeconds(value, fieldOf(i))) : values;
  return {
    type,
    shape: spec.shape.length === 1 ? [fed.length] : [fed.length, 1],
    data: tensorDataFromJson(type, fed, fieldOf, model.allowsMissing(spec.name)),
  };
}

/** Rows of arrays (or columns of nested arrays) for one input with a fixed width per row. */
function nestedTensor(model: ServedModel, spec: TensorSpec, rows: readonly unknown[], where: string): HostTensor {
  const tail = spec.shape.slice(1);
  const width = tail.every((d): d is number => typeof d === 'number' && d >= 0) ? tail.reduce((a, b) => a * b, 1) : undefined;
  const values: unknown[] = [];
  let rowWidth: number | undefined = width;
  rows.forEach((row, i) => {
    const flat = Array.isArray(row) ? row.flat(Infinity) : [row];
    rowWidth ??= flat.length;
    if (flat.length !== rowWidth) {
      throw new InvalidInputError(`${where}[${i}]`, `has ${flat.length} values; ${model.displayName} expects ${rowWidth} per row for ${spec.name} (${spec.type} [${spec.shape.join(', ')}])`);
    }
    for (const v of flat) values.push(v);
  });
  const w = rowWidth ?? 0;
  const shape = width !== undefined ? [rows.length, ...(tail as number[])] : [rows.length, w];
  const type = spec.type as TensorType;
  return { type, shape, data: tensorDataFromJson(type, values, (j) => `${where}[${Math.floor(j / Math.max(w, 1))}][${j % Math.max(w, 1)}]`, model.allowsMissing(spec.name)) };
}

function arrayRowsToTensor(model: ServedModel, rows: readonly unknown[], fieldOf: (i: number) => string): Record<string, HostTensor> {
  const inputs = model.signature.inputs;
  const spec = inputs[0];
  if (inputs.length !== 1 || !spec) {
    throw new InvalidInputError(fieldOf(0), `${model.displayName} has ${inputs.length} inputs (${inputNames(model)}); send rows as objects of named features`);
  }
  rows.forEach((row, i) => {
    if (!Array.isArray(row)) throw new InvalidInputError(fieldOf(i), 'expected an array of values like the other rows');
  });
  const tensor = nestedTensor(model, spec, rows, fieldOf(0).replace(/\[0\]$/, ''));
  return { [spec.name]: tensor };
}
