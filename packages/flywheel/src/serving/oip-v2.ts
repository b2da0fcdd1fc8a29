import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { TensorSpec } from '../onnx/model-signature.js';
import type { HostTensor, ServedModel, TensorType } from './served-model.js';
import { tensorDataFromJson, tensorDataToJson, type JsonScalar } from './tensor-json.js';

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

const parameters = z.record(z.string(), z.unknown()).optional();

const inferRequest = z.object({
  id: z.string().optional(),
  parameters,
  inputs: z
    .array(
      z.object({
        name: z.string().min(1),
        shape: z.array(z.number().int().nonnegative()),
        datatype: z.string(),
        parameters,
        data: z.unknown(),
      }),
    )
    .min(1),
  outputs: z.array(z.object({ name: z.string().min(1), parameters })).optional(),
});

export interface InferRequest {
  id: string | undefined;
  inputs: Record<string, HostTensor>;
  /** Outputs asked for; all when undefined. */
  outputs: string[] | undefined;
}

/**
 * Parses an OIP v2 inference request body into tensors. Data may be flat or nested row-major;
 * every value is checked against its datatype. InvalidInputError names the field, e.g.
 * `inputs[1].data[3]`.
 *
 * @example
 *   parseInferRequest({ inputs: [{ name: 'distance', shape: [1, 1], datatype: 'FP32', data: [500] }] })
 */
export function parseInferRequest(body: unknown): InferRequest {
  const parsed = inferRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(fieldPath(issue?.path ?? []) || 'body', issue?.message ?? 'invalid inference request');
  }
  const inputs: Record<string, HostTensor> = {};
  parsed.data.inputs.forEach((input, i) => {
    const field = `inputs[${i}]`;
    if (inputs[input.name]) throw new InvalidInputError(`${field}.name`, `input ${JSON.stringify(input.name)} is sent twice`);
    const type = DATATYPES[input.datatype];
    if (!type) throw new InvalidInputError(`${field}.datatype`, `unsupported datatype ${JSON.stringify(input.datatype)} (supported: ${Object.keys(DATATYPES).join(', ')})`);
    const values = flatten(input.data, `${field}.data`);
    const size = input.shape.reduce((a, b) => a * b, 1);
    if (values.length !== size) {
      throw new InvalidInputError(`${field}.data`, `has ${values.length} values but shape [${input.shape.join(', ')}] needs ${size}`);
    }
    inputs[input.name] = { type, shape: input.shape, data: tensorDataFromJson(type, values, (j) => `${field}.data[${j}]`) };
  });
  return { id: parsed.data.id, inputs, outputs: parsed.data.outputs?.map((o) => o.name) };
}

function flatten(data: unknown, field: string): unknown[] {
  if (!Array.isArray(data)) throw new InvalidInputError(field, 'must be an array');
  if (!data.some(Array.isArray)) return data;
  return data.flat(Infinity);
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The OIP v2 inference response. */
export function inferResponse(model: ServedModel, id: string | undefined, outputs: Record<string, HostTensor>): Record<string, unknown> {
  return {
    model_name: model.name,
    model_version: String(model.version),
    ...(id === undefined ? {} : { id }),
    outputs: Object.entries(outputs).map(([name, tensor]) => ({
      name,
      datatype: oipDatatype(tensor.type),
      shape: tensor.shape,
      data: tensorDataToJson(tensor.type, tensor.data) satisfies JsonScalar[],
    })),
  };
}

function tensorMetadata(spec: TensorSpec): { name: string; datatype: string; shape: number[] } {
  return { name: spec.name, datatype: oipDatatype(spec.type), shape: spec.shape.map((d) => (typeof d === 'number' ? d : -1)) };
}

/**
 * OIP v2 model metadata: the versions served and the inputs and outputs of the first one (the
 * default) — symbolic dimensions such as the batch as -1.
 */
export function modelMetadata(versions: readonly ServedModel[]): Record<string, unknown> {
  const model = versions[0] as ServedModel;
  return {
    name: model.name,
    versions: versions.map((m) => String(m.version)),
    platform: 'onnxruntime_onnx',
    inputs: model.signature.inputs.map(tensorMetadata),
    outputs: model.signature.outputs.map(tensorMetadata),
  };
}
