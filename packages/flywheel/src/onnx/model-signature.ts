import { readFile } from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { InvalidInputError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { readOnnxHeader, type OnnxModelHeader } from './onnx-model.js';
import { openInferenceSession } from './onnx-runtime.js';

/** An input or output of a model as onnxruntime sees it. */
export interface TensorSpec {
  name: string;
  /** onnxruntime's element type (`float32`, `int64`, `string`, …), or `non-tensor` for maps and sequences. */
  type: string;
  /** Fixed sizes as numbers, symbolic ones (the batch) as names; `-1` where the model says nothing. */
  shape: (number | string)[];
}

export interface ModelSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** The signature of an open session. */
export function sessionSignature(session: InferenceSession): ModelSignature {
  return { inputs: session.inputMetadata.map(tensorSpec), outputs: session.outputMetadata.map(tensorSpec) };
}

function tensorSpec(meta: InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) return { name: meta.name, type: 'non-tensor', shape: [] };
  return { name: meta.name, type: meta.type, shape: meta.shape.map((d) => (typeof d === 'number' && d < 0 ? -1 : d)) };
}

/** Signature plus header (metadata_props, opsets) of an ONNX file. */
export interface OnnxModelDescription extends OnnxModelHeader {
  signature: ModelSignature;
}

/**
 * Reads what a model takes and returns, and its metadata, by loading it in onnxruntime (so a
 * model onnxruntime cannot load fails here, naming the file).
 *
 * @example
 *   const { signature, metadata } = await describeOnnxModel('model.onnx');
 */
export async function describeOnnxModel(path: string): Promise<OnnxModelDescription> {
  const bytes = await readFile(path);
  const header = readOnnxHeader(bytes);
  let session: InferenceSession;
  try {
    session = await openInferenceSession(bytes);
  } catch (error) {
    throw new InvalidInputError('model', `onnxruntime cannot load ${path}: ${(error as Error).message}`);
  }
  try {
    return { ...header, signature: sessionSignature(session) };
  } finally {
    await session.release();
  }
}

/** The signature as JSON, e.g. for a registry entry. */
export function signatureToJson(signature: ModelSignature): JsonObject {
  const side = (specs: TensorSpec[]) => specs.map((s) => ({ name: s.name, type: s.type, shape: [...s.shape] }));
  return { inputs: side(signature.inputs), outputs: side(signature.outputs) };
}

/** Where a binary classifier puts its answer. */
export interface BinaryClassifierOutputs {
  /** Output holding the probability of the positive class … */
  probability: string;
  /** … in this column of its last dimension (0 for a single-column output). */
  probabilityColumn: number;
  /** Output holding the predicted class, when the model has one. */
  label: string | undefined;
}

const FLOAT_TYPES = new Set(['float32', 'float64']);
const INTEGER_TYPES = new Set(['int64', 'int32']);

/**
 * Finds the positive-class probability and the label among a binary classifier's outputs:
 * Flywheel's own `probabilities` [N,2] and `label` [N], or the first float output with two
 * columns (skl2onnx's `output_probability` without ZipMap) or one column, and the first integer
 * output. InvalidInputError when there is no usable probability output.
 */
export function binaryClassifierOutputs(signature: ModelSignature): BinaryClassifierOutputs {
  const tensors = signature.outputs.filter((o) => o.type !== 'non-tensor');
  const floats = tensors.filter((o) => FLOAT_TYPES.has(o.type));
  const lastDim = (o: TensorSpec) => o.shape.at(-1);
  const probability =
    floats.find((o) => o.name === 'probabilities') ??
    floats.find((o) => o.shape.length === 2 && lastDim(o) === 2) ??
    floats.find((o) => o.shape.length <= 1 || lastDim(o) === 1);
  if (!probability) {
    const seen = signature.outputs.map((o) => `${o.name} (${o.type} [${o.shape.join(', ')}])`).join(', ');
    throw new InvalidInputError('model outputs', `no float output with the positive-class probability among ${seen}`, 'export probabilities as a tensor [N,2] or [N,1] (no ZipMap)');
  }
  const twoColumns = probability.shape.length === 2 && lastDim(probability) !== 1;
  const label = tensors.find((o) => o.name === 'label') ?? tensors.find((o) => INTEGER_TYPES.has(o.type));
  return { probability: probability.name, probabilityColumn: twoColumns ? 1 : 0, label: label?.name };
}
