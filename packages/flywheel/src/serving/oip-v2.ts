import { InvalidInputError } from '../core/errors.js';
import type { TensorSpec } from '../onnx/model-signature.js';
import type { HostTensor, ServedModel, TensorType } from './served-model.js';
import { tensorDataFromJson, tensorDataToJson } from './tensor-json.js';

/** Open Inference Protocol v2 datatypes and the element types they carry. */
const DATATYPES: Record<string, TensorType> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const DATATYPE_OF: Record<string, string> = Object.fromEntries(Object.entries(DATATYPES).map(([datatype, type]) => [type, datatype]));

/** The OIP v2 datatype of an onnxruntime element type, e.g. `float32` → `FP32`. */
export function oipDatatype(type: string): string {
  return DATATYPE_OF[type] ?? type.toUpperCase();
}

export interface InferRequest {
  id: string | undefined;
  inputs: Record<string, HostTensor>;
  /** Outputs asked for; all when undefined. */
  outputs: string[] | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function checkParameters(value: unknown, field: string): void {
  if (value === undefined) return;
  if (!isObject(value)) throw new InvalidInputError(field, `expected an object, got ${kindOf(value)}`);
  if (value.binary_data_size !== undefined || value.binary_data === true) {
    throw new InvalidInputError(field, 'asks for binary tensor data, which this server does not implement', 'send tensor data as JSON arrays');
  }
}

/**
 * Parses an OIP v2 inference request body into tensors for `model`. Hand-written rather than a
 * schema: it runs on every request and names the exact field at fault, e.g.
 * `inputs[1].data[3]` or `inputs[0].datatype`. Data may be flat or nested row-major.
 *
 * @example
 *   parseInferRequest({ inputs: [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [500] }] }, model)
 */
export function parseInferRequest(body: unknown, model: ServedModel): InferRequest {
  if (!isObject(body)) throw new InvalidInputError('body', `expected a JSON object with "inputs", got ${kindOf(body)}`);
  const { id, inputs, outputs, parameters } = body;
  if (id !== undefined && typeof id !== 'string') throw new InvalidInputError('id', `expected a string, got ${kindOf(id)}`);
  checkParameters(parameters, 'parameters');
  if (!Array.isArray(inputs)) throw new InvalidInputError('inputs', inputs === undefined ? 'required: a list of input tensors' : `expected an array, got ${kindOf(inputs)}`);
  if (inputs.length === 0) throw new InvalidInputError('inputs', 'is empty; send at least one input tensor');
  const tensors: Record<string, HostTensor> = {};
  for (let i = 0; i < inputs.length; i++) {
    const field = `inputs[${i}]`;
    const input = inputs[i] as unknown;
    if (!isObject(input)) throw new InvalidInputError(field, `expected an object, got ${kindOf(input)}`);
    const { name, shape, datatype, data } = input;
    if (typeof name !== 'string' || name === '') throw new InvalidInputError(`${field}.name`, 'required: the input tensor name');
    if (Object.hasOwn(tensors, name)) throw new InvalidInputError(`${field}.name`, `input ${JSON.stringify(name)} is sent twice`);
    const spec = model.signature.inputs.find((s) => s.name === name);
    if (!spec) {
      throw new InvalidInputError(`${field}.name`, `${model.displayName} has no input ${JSON.stringify(name)} (inputs: ${model.signature.inputs.map((s) => s.name).join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new InvalidInputError(`${field}.shape`, 'expected an array of non-negative integers');
    }
    if (typeof datatype !== 'string') throw new InvalidInputError(`${field}.datatype`, 'required: one of ' + Object.keys(DATATYPES).join(', '));
    const type = DATATYPES[datatype];
    if (!type) {
      const why = datatype === 'FP16' || datatype === 'BF16' ? `${datatype} has no JSON form (it needs the binary data extension)` : `unsupported datatype ${JSON.stringify(datatype)}`;
      throw new InvalidInputError(`${field}.datatype`, `${why} (supported: ${Object.keys(DATATYPES).join(', ')})`);
    }
    if (type !== spec.type) throw new InvalidInputError(`${field}.datatype`, `is ${datatype}, ${model.displayName} expects ${describeSpec(spec)} for ${name}`);
    checkParameters(input.parameters, `${field}.parameters`);
    if (!Array.isArray(data)) throw new InvalidInputError(`${field}.data`, data === undefined ? 'required: the tensor values, row-major' : `expected an array, got ${kindOf(data)}`);
    const values = data.some(Array.isArray) ? data.flat(Infinity) : data;
    let size = 1;
    for (const d of shape as number[]) size *= d;
    if (values.length !== size) throw new InvalidInputError(`${field}.data`, `has ${values.length} values but shape [${shape.join(', ')}] needs ${size}`);
    tensors[name] = { type, shape: shape as number[], data: tensorDataFromJson(type, values, (j) => `${field}.data[${j}]`, model.allowsMissing(name)) };
  }
  for (const spec of model.signature.inputs) {
    if (!tensors[spec.name]) throw new InvalidInputError('inputs', `missing input ${JSON.stringify(spec.name)}: ${model.displayName} needs ${describeSpec(spec)}`);
  }
  let wanted: string[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw new InvalidInputError('outputs', `expected an array, got ${kindOf(outputs)}`);
    wanted = outputs.map((output: unknown, i) => {
      if (!isObject(output) || typeof output.name !== 'string') throw new InvalidInputError(`outputs[${i}].name`, 'required: an output name');
      checkParameters(output.parameters, `outputs[${i}].parameters`);
      if (!model.signature.outputs.some((o) => o.name === output.name)) {
        throw new InvalidInputError(`outputs[${i}].name`, `${model.displayName} has no output ${JSON.stringify(output.name)} (outputs: ${model.signature.outputs.map((o) => o.name).join(', ')})`);
      }
      return output.name;
    });
  }
  return { id, inputs: tensors, outputs: wanted };
}

function describeSpec(spec: TensorSpec): string {
  return `${oipDatatype(spec.type)} [${spec.shape.map((d) => (typeof d === 'number' ? d : -1)).join(', ')}]`;
}

/** The OIP v2 inference response; `prediction_id` travels in `parameters`. */
export function inferResponse(model: ServedModel, id: string, predictionId: string, outputs: Record<string, HostTensor>): Record<string, unknown> {
  const list = [];
  for (const name in outputs) {
    const tensor = outputs[name] as HostTensor;
    list.push({ name, datatype: oipDatatype(tensor.type), shape: tensor.shape, data: tensorDataToJson(tensor.type, tensor.data) });
  }
  return { model_name: model.name, model_version: String(model.version), id, parameters: { prediction_id: predictionId }, outputs: list };
}

function tensorMetadata(spec: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: spec.name, datatype: oipDatatype(spec.type), shape: spec.shape.map((d) => (typeof d === 'number' ? d : -1)) };
}

/**
 * OIP v2 model metadata: the versions that can be asked for by number and the inputs and outputs
 * of `model` — symbolic dimensions such as the batch as -1.
 */
export function modelMetadata(model: ServedModel, versions: readonly number[]): Record<string, unknown> {
  return {
    name: model.name,
    versions: versions.map(String),
    platform: 'onnxruntime_onnx',
    inputs: model.signature.inputs.map(tensorMetadata),
    outputs: model.signature.outputs.map(tensorMetadata),
  };
}
