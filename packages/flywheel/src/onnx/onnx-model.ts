import { InvalidInputError } from '../core/errors.js';
import { ONNX_ATTRIBUTE_TYPES, ONNX_DATA_TYPES, onnxTypes } from './onnx-proto.js';

/** Element types of ONNX tensors, named as in the spec's TensorProto.DataType. */
export type OnnxElementType = keyof typeof ONNX_DATA_TYPES;

/** A dimension: a fixed size, or a symbolic name such as `N` for the batch. */
export type OnnxDim = number | string;

/** A constant tensor stored in the graph (an initializer or a tensor attribute). */
export type OnnxTensor =
  | { name: string; type: 'float'; dims: readonly number[]; data: Float32Array }
  | { name: string; type: 'double'; dims: readonly number[]; data: Float64Array }
  | { name: string; type: 'int32'; dims: readonly number[]; data: Int32Array }
  | { name: string; type: 'int64'; dims: readonly number[]; data: BigInt64Array }
  | { name: string; type: 'uint8'; dims: readonly number[]; data: Uint8Array }
  | { name: string; type: 'string'; dims: readonly number[]; data: readonly string[] };

export type OnnxAttribute =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: OnnxTensor };

/**
 * Typed attribute values: ONNX tells `1` (int) from `1.0` (float), JavaScript does not.
 *
 * @example
 *   { axis: attr.int(1), post_transform: attr.string('LOGISTIC') }
 */
export const attr = {
  float: (value: number): OnnxAttribute => ({ kind: 'float', value }),
  int: (value: number): OnnxAttribute => ({ kind: 'int', value }),
  string: (value: string): OnnxAttribute => ({ kind: 'string', value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ kind: 'floats', value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ kind: 'ints', value }),
  strings: (value: readonly string[]): OnnxAttribute => ({ kind: 'strings', value }),
  tensor: (value: OnnxTensor): OnnxAttribute => ({ kind: 'tensor', value }),
};

export interface OnnxNode {
  opType: string;
  /** `''` (the default) for standard operators, `ai.onnx.ml` for the classical ML ones. */
  domain?: string;
  name?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  shape: readonly OnnxDim[];
  docString?: string;
}

export interface OnnxGraph {
  name: string;
  docString?: string;
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  initializers: readonly OnnxTensor[];
  /** Types and shapes of intermediate values, for tools that check or draw the graph. */
  valueInfo?: readonly OnnxValueInfo[];
  /** In topological order. */
  nodes: readonly OnnxNode[];
}

export interface OnnxModel {
  graph: OnnxGraph;
  /** Operator set versions by domain, e.g. `{ '': 17, 'ai.onnx.ml': 3 }`. */
  opsets: Readonly<Record<string, number>>;
  /** Defaults to 8, which onnxruntime and onnx ≥ 1.12 read. */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Free-form key/value pairs stored as `metadata_props`. */
  metadata?: Readonly<Record<string, string>>;
}

export const DEFAULT_IR_VERSION = 8;

/**
 * Serialises a model to the ONNX protobuf format.
 *
 * @example
 *   await writeFile('model.onnx', encodeOnnxModel({ graph, opsets: { '': 17 } }));
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const { model: ModelProto } = onnxTypes();
  const message = {
    irVersion: model.irVersion ?? DEFAULT_IR_VERSION,
    producerName: model.producerName ?? 'flywheel',
    producerVersion: model.producerVersion ?? '',
    docString: model.docString ?? '',
    graph: graphMessage(model.graph),
    opsetImport: Object.entries(model.opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(model.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  const problem = ModelProto.verify(message);
  if (problem) throw new InvalidInputError('onnx model', problem);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

function graphMessage(graph: OnnxGraph): Record<string, unknown> {
  return {
    name: graph.name,
    docString: graph.docString ?? '',
    input: graph.inputs.map(valueInfoMessage),
    output: graph.outputs.map(valueInfoMessage),
    valueInfo: (graph.valueInfo ?? []).map(valueInfoMessage),
    initializer: graph.initializers.map(tensorMessage),
    node: graph.nodes.map((node) => ({
      opType: node.opType,
      domain: node.domain ?? '',
      name: node.name ?? '',
      input: [...node.inputs],
      output: [...node.outputs],
      attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attributeMessage(name, value)),
    })),
  };
}

function valueInfoMessage(info: OnnxValueInfo): Record<string, unknown> {
  return {
    name: info.name,
    docString: info.docString ?? '',
    type: {
      tensorType: {
        elemType: ONNX_DATA_TYPES[info.type],
        shape: { dim: info.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

const utf8 = new TextEncoder();

function tensorMessage(tensor: OnnxTensor): Record<string, unknown> {
  const size = tensor.dims.reduce((a, b) => a * b, 1);
  if (size !== tensor.data.length) {
    throw new InvalidInputError(`tensor ${tensor.name}`, `dims [${tensor.dims.join(', ')}] hold ${size} values but data has ${tensor.data.length}`);
  }
  const base = { name: tensor.name, dims: [...tensor.dims], dataType: ONNX_DATA_TYPES[tensor.type] };
  if (tensor.type === 'string') return { ...base, stringData: tensor.data.map((s) => utf8.encode(s)) };
  // raw_data is little-endian by the spec, as are the typed arrays of every platform Node runs on.
  return { ...base, rawData: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) };
}

function attributeMessage(name: string, attribute: OnnxAttribute): Record<string, unknown> {
  const base = { name, type: ONNX_ATTRIBUTE_TYPES[attribute.kind] };
  switch (attribute.kind) {
    case 'float':
      return { ...base, f: attribute.value };
    case 'int':
      return { ...base, i: attribute.value };
    case 'string':
      return { ...base, s: utf8.encode(attribute.value) };
    case 'floats':
      return { ...base, floats: [...attribute.value] };
    case 'ints':
      return { ...base, ints: [...attribute.value] };
    case 'strings':
      return { ...base, strings: attribute.value.map((s) => utf8.encode(s)) };
    case 'tensor':
      return { ...base, t: tensorMessage(attribute.value) };
  }
}

/** What an ONNX file says about itself, without its graph. */
export interface OnnxModelHeader {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  opsets: Record<string, number>;
  metadata: Record<string, string>;
}

/**
 * Reads the header of an ONNX file: IR version, producer, operator sets and `metadata_props`.
 * InvalidInputError when the bytes are not an ONNX model.
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxModelHeader {
  const { header: HeaderProto } = onnxTypes();
  let decoded: Record<string, unknown>;
  try {
    decoded = HeaderProto.toObject(HeaderProto.decode(bytes), { longs: Number, defaults: true }) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidInputError('onnx model', `not an ONNX model: ${(error as Error).message}`);
  }
  const opsets: Record<string, number> = {};
  for (const entry of decoded.opsetImport as { domain: string; version: number }[]) opsets[entry.domain] = entry.version;
  const metadata: Record<string, string> = {};
  for (const entry of decoded.metadataProps as { key: string; value: string }[]) metadata[entry.key] = entry.value;
  if (!decoded.irVersion) throw new InvalidInputError('onnx model', 'not an ONNX model: it has no ir_version');
  return {
    irVersion: decoded.irVersion as number,
    producerName: decoded.producerName as string,
    producerVersion: decoded.producerVersion as string,
    docString: decoded.docString as string,
    opsets,
    metadata,
  };
}
