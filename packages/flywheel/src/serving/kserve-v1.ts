import { InvalidInputError } from '../core/errors.js';
import { columnsToTensors, rowsToTensors, type ExtraFields } from './model-inputs.js';
import type { HostTensor, ServedModel } from './served-model.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Model inputs of a KServe v1 `:predict` body: `instances` (a list of rows — objects of named
 * features, or arrays for a model with one tensor input) or TF-serving's `inputs` (rows, or
 * columns by input name).
 *
 * @example
 *   parseV1Request({ instances: [{ distance: 500, hour: 8, dow: 2, origin: 'SFO', destination: 'LAX' }] }, model, 'ignore')
 */
export function parseV1Request(body: unknown, model: ServedModel, extra: ExtraFields): { inputs: Record<string, HostTensor>; rows: number } {
  if (!isObject(body)) throw new InvalidInputError('body', 'expected a JSON object with "instances"');
  const { instances, inputs } = body;
  if (instances !== undefined && inputs !== undefined) throw new InvalidInputError('body', 'send "instances" or "inputs", not both');
  if (Array.isArray(instances)) return withRows(rowsToTensors(model, instances, (i) => `instances[${i}]`, extra));
  if (Array.isArray(inputs)) return withRows(rowsToTensors(model, inputs, (i) => `inputs[${i}]`, extra));
  if (isObject(inputs)) return withRows(columnsToTensors(model, inputs, 'inputs', extra));
  throw new InvalidInputError(instances !== undefined ? 'instances' : 'body', instances !== undefined ? 'expected a list of rows' : 'required: "instances", a list of rows');
}

function withRows(inputs: Record<string, HostTensor>): { inputs: Record<string, HostTensor>; rows: number } {
  const first = Object.values(inputs)[0];
  return { inputs, rows: first?.shape[0] ?? 0 };
}
