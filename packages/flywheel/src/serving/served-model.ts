import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { FlywheelError, InvalidInputError } from '../core/errors.js';
import { binaryClassifierOutputs, sessionSignature, type BinaryClassifierOutputs, type ModelSignature, type TensorSpec } from '../onnx/model-signature.js';
import { onnxRuntime, openInferenceSession } from '../onnx/onnx-runtime.js';
import type { ModelVersion } from '../registry/model.js';

/** Element types a served model can take and return, named as onnxruntime names them. */
export type TensorType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string';

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | string[];

/** A tensor in JavaScript memory: flat row-major data (bool as 0/1 bytes) and its shape. */
export interface HostTensor {
  type: TensorType;
  shape: number[];
  data: TensorData;
}

/** onnxruntime failed on inputs that passed validation. */
export class InferenceError extends FlywheelError {
  constructor(model: string, cause: unknown) {
    super('inference_failed', `${model}: inference failed: ${(cause as Error).message ?? String(cause)}`, { cause });
  }
}

/**
 * One registered model version loaded in onnxruntime, ready to run. Inputs are checked against
 * the model's signature first, so a bad request fails with the input's name rather than deep in
 * onnxruntime.
 *
 * @example
 *   const model = await ServedModel.open(version, '/path/model.onnx');
 *   const out = await model.infer({ distance: { type: 'float32', shape: [1, 1], data: Float32Array.of(500) }, … });
 */
export class ServedModel {
  /** Where a binary classifier puts its probability and label; undefined for other models. */
  readonly classifier: BinaryClassifierOutputs | undefined;

  private constructor(
    readonly registered: ModelVersion,
    readonly signature: ModelSignature,
    private readonly session: InferenceSession,
  ) {
    try {
      this.classifier = binaryClassifierOutputs(signature);
    } catch {
      this.classifier = undefined;
    }
  }

  get name(): string {
    return this.registered.modelName;
  }

  get version(): number {
    return this.registered.version;
  }

  /** `flights v3`, for messages. */
  get displayName(): string {
    return `${this.name} v${this.version}`;
  }

  static async open(registered: ModelVersion, path: string): Promise<ServedModel> {
    const label = `${registered.modelName} v${registered.version}`;
    let session: InferenceSession;
    try {
      session = await openInferenceSession(path);
    } catch (error) {
      throw new InvalidInputError('model', `onnxruntime cannot load ${label}: ${(error as Error).message}`);
    }
    const signature = sessionSignature(session);
    const unsupported = signature.outputs.find((o) => o.type === 'non-tensor');
    if (unsupported) {
      await session.release();
      throw new InvalidInputError('model', `${label}: output ${unsupported.name} is a map or sequence, which onnxruntime-node cannot return`, 'export probabilities as a tensor (for skl2onnx: zipmap=False)');
    }
    return new ServedModel(registered, signature, session);
  }

  /** Runs the model; returns the requested outputs (all by default) by name. */
  async infer(inputs: Readonly<Record<string, HostTensor>>, outputNames?: readonly string[]): Promise<Record<string, HostTensor>> {
    this.checkInputs(inputs);
    const fetches = outputNames ?? this.signature.outputs.map((o) => o.name);
    for (const name of fetches) {
      if (!this.signature.outputs.some((o) => o.name === name)) {
        throw new InvalidInputError(`outputs.${name}`, `${this.displayName} has no output ${JSON.stringify(name)} (outputs: ${this.signature.outputs.map((o) => o.name).join(', ')})`);
      }
    }
    const ort = await onnxRuntime();
    const feeds: Record<string, Tensor> = {};
    for (const [name, tensor] of Object.entries(inputs)) {
      // HostTensor pairs each type with its array kind; onnxruntime's overloads cannot see through the union.
      feeds[name] = new ort.Tensor(tensor.type, tensor.data as never, tensor.shape);
    }
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, [...fetches]);
    } catch (error) {
      throw new InferenceError(this.displayName, error);
    }
    const out: Record<string, HostTensor> = {};
    for (const name of fetches) {
      const tensor = results[name] as Tensor;
      out[name] = { type: tensor.type as TensorType, shape: [...tensor.dims], data: tensor.data as TensorData };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }

  private checkInputs(inputs: Readonly<Record<string, HostTensor>>): void {
    const expected = new Map(this.signature.inputs.map((s) => [s.name, s]));
    for (const name of Object.keys(inputs)) {
      if (!expected.has(name)) {
        throw new InvalidInputError(`inputs.${name}`, `${this.displayName} has no input ${JSON.stringify(name)} (inputs: ${[...expected.keys()].join(', ')})`);
      }
    }
    // A symbolic dimension (the batch `N`) must have one size across all inputs.
    const symbols = new Map<string, { size: number; input: string }>();
    for (const spec of this.signature.inputs) {
      const tensor = inputs[spec.name];
      if (!tensor) throw new InvalidInputError(`inputs.${spec.name}`, `missing: ${this.displayName} needs ${describe(spec)}`);
      if (tensor.type !== spec.type) throw new InvalidInputError(`inputs.${spec.name}`, `is ${tensor.type}, ${this.displayName} expects ${describe(spec)}`);
      if (tensor.shape.length !== spec.shape.length) {
        throw new InvalidInputError(`inputs.${spec.name}`, `has shape [${tensor.shape.join(', ')}], ${this.displayName} expects ${describe(spec)}`);
      }
      const count = tensor.shape.reduce((a, b) => a * b, 1);
      if (count !== tensor.data.length) {
        throw new InvalidInputError(`inputs.${spec.name}`, `shape [${tensor.shape.join(', ')}] holds ${count} values but ${tensor.data.length} were sent`);
      }
      spec.shape.forEach((dim, axis) => {
        const size = tensor.shape[axis] as number;
        if (typeof dim === 'number' && dim >= 0 && dim !== size) {
          throw new InvalidInputError(`inputs.${spec.name}`, `has shape [${tensor.shape.join(', ')}], ${this.displayName} expects ${describe(spec)}`);
        }
        if (typeof dim === 'string') {
          const seen = symbols.get(dim);
          if (seen && seen.size !== size) {
            throw new InvalidInputError(`inputs.${spec.name}`, `has ${dim} = ${size} along axis ${axis}, but input ${seen.input} has ${dim} = ${seen.size}`);
          }
          symbols.set(dim, { size, input: spec.name });
        }
      });
    }
  }
}

function describe(spec: TensorSpec): string {
  return `${spec.type} [${spec.shape.join(', ')}]`;
}
