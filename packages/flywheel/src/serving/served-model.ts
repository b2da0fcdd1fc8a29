import { readFile } from 'node:fs/promises';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { FlywheelError, InvalidInputError } from '../core/errors.js';
import { binaryClassifierOutputs, sessionSignature, type BinaryClassifierOutputs, type ModelSignature, type TensorSpec } from '../onnx/model-signature.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { onnxRuntime, openInferenceSession, type OnnxRuntime } from '../onnx/onnx-runtime.js';
import type { ModelVersion } from '../registry/model.js';
import { readFeatureSpec, type FeatureSpec } from '../train/feature-spec.js';
import { MicroBatcher, type BatchingOptions } from './micro-batcher.js';

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

/** A model version was closed (replaced by a hot swap) while a request still meant to use it. */
export class ModelRetiredError extends FlywheelError {
  constructor(model: string) {
    super('model_retired', `${model} was unloaded`, { hint: 'retry: the request goes to the version now served' });
  }
}

export interface ServedModelOptions {
  /** Join concurrent requests into one run; off when undefined. */
  batching?: BatchingOptions;
  /** Called after each run with its rows and the requests it joined. */
  onBatch?: (rows: number, requests: number) => void;
}

/**
 * One registered model version loaded in onnxruntime, ready to run. Inputs are checked against
 * the model's signature first, so a bad request fails with the input's name rather than deep in
 * onnxruntime. Concurrent requests are joined into one run when batching is on and every input
 * and output has a leading batch dimension.
 *
 * @example
 *   const model = await ServedModel.open(version, '/path/model.onnx', { batching: { maxBatchRows: 64, maxWaitMs: 0 } });
 *   const out = await model.infer({ distance: { type: 'float32', shape: [1, 1], data: Float32Array.of(500) }, … });
 */
export class ServedModel {
  /** Where a binary classifier puts its probability and label; undefined for other models. */
  readonly classifier: BinaryClassifierOutputs | undefined;
  /** Whether each input takes one value per row ([N] or [N,1]), so rows of named features can feed it. */
  readonly perFeatureInputs: boolean;
  private readonly inputSpecs: Map<string, TensorSpec>;
  private readonly outputNames: string[];
  private readonly imputed: ReadonlySet<string>;
  private readonly timestamps: ReadonlySet<string>;
  private readonly batcher: MicroBatcher | undefined;
  private inFlight = 0;
  private retiring: (() => void) | undefined;
  private closed: Promise<void> | undefined;

  private constructor(
    readonly registered: ModelVersion,
    readonly signature: ModelSignature,
    private readonly session: InferenceSession,
    private readonly ort: OnnxRuntime,
    features: FeatureSpec['features'],
    options: ServedModelOptions,
  ) {
    this.classifier = classifierOutputs(signature);
    this.inputSpecs = new Map(signature.inputs.map((s) => [s.name, s]));
    this.outputNames = signature.outputs.map((o) => o.name);
    this.imputed = new Set(features.map((f) => f.name));
    this.timestamps = new Set(features.filter((f) => f.kind === 'timestamp').map((f) => f.name));
    this.perFeatureInputs = signature.inputs.every(feedsOneValuePerRow);
    const batchable = [...signature.inputs, ...signature.outputs].every(hasBatchAxis);
    this.batcher = options.batching && batchable ? new MicroBatcher((feeds) => this.runSession(feeds), options.batching, options.onBatch) : undefined;
    if (!this.batcher && options.onBatch) {
      const onBatch = options.onBatch;
      this.afterRun = (rows) => onBatch(rows, 1);
    }
  }

  private afterRun: (rows: number) => void = () => undefined;

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

  /** Whether requests may leave this input's values out (null): true when the model imputes it. */
  allowsMissing(input: string): boolean {
    return this.imputed.has(input);
  }

  /** Whether the input is a timestamp (epoch seconds) of a trained model, which requests may also send as ISO 8601 text. */
  isTimestamp(input: string): boolean {
    return this.timestamps.has(input);
  }

  static async open(registered: ModelVersion, path: string, options: ServedModelOptions = {}): Promise<ServedModel> {
    const label = `${registered.modelName} v${registered.version}`;
    const bytes = await readFile(path);
    let session: InferenceSession;
    let features: FeatureSpec['features'];
    try {
      // Flywheel's trainers impute missing numbers and encode missing categories as none; for
      // other models a null could reach the graph as NaN, so it is refused.
      features = readFeatureSpec(readOnnxHeader(bytes).metadata)?.features ?? [];
      session = await openInferenceSession(bytes);
    } catch (error) {
      throw new InvalidInputError('model', `onnxruntime cannot load ${label}: ${(error as Error).message}`);
    }
    const signature = sessionSignature(session);
    const unsupported = signature.outputs.find((o) => o.type === 'non-tensor');
    if (unsupported) {
      await session.release();
      throw new InvalidInputError('model', `${label}: output ${unsupported.name} is a map or sequence, which onnxruntime-node cannot return`, 'export probabilities as a tensor (for skl2onnx: zipmap=False)');
    }
    return new ServedModel(registered, signature, session, await onnxRuntime(), features, options);
  }

  /** Describes an input for messages: `float32 [N, 1]`. */
  describeInput(name: string): string {
    const spec = this.inputSpecs.get(name);
    return spec ? describe(spec) : 'nothing';
  }

  /**
   * Runs the model; returns the requested outputs (all by default) by name. Call it in the same
   * turn as the lookup that found this model, so a hot swap cannot unload it in between.
   */
  infer(inputs: Readonly<Record<string, HostTensor>>, outputNames?: readonly string[]): Promise<Record<string, HostTensor>> {
    if (this.closed) return Promise.reject(new ModelRetiredError(this.displayName));
    let rows: number;
    try {
      rows = this.checkInputs(inputs);
      if (outputNames) {
        for (const name of outputNames) {
          if (!this.outputNames.includes(name)) {
            throw new InvalidInputError(`outputs.${name}`, `${this.displayName} has no output ${JSON.stringify(name)} (outputs: ${this.outputNames.join(', ')})`);
          }
        }
      }
    } catch (error) {
      return Promise.reject(error);
    }
    this.inFlight++;
    const pending = this.batcher ? this.batcher.submit(inputs, rows) : this.runSession(inputs).then((out) => (this.afterRun(rows), out));
    return pending.then(
      (all) => {
        this.settle();
        if (!outputNames) return all;
        const out: Record<string, HostTensor> = {};
        for (const name of outputNames) out[name] = all[name] as HostTensor;
        return out;
      },
      (error: unknown) => {
        this.settle();
        throw error;
      },
    );
  }

  /** Unloads the model once the requests already running on it are answered. */
  retire(): Promise<void> {
    if (this.closed) return this.closed;
    this.closed = this.inFlight === 0 ? this.session.release() : new Promise<void>((resolve) => (this.retiring = resolve)).then(() => this.session.release());
    return this.closed;
  }

  /** Unloads the model now. */
  close(): Promise<void> {
    this.closed ??= this.session.release();
    return this.closed;
  }

  private settle(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.retiring) this.retiring();
  }

  private async runSession(inputs: Readonly<Record<string, HostTensor>>): Promise<Record<string, HostTensor>> {
    const feeds: Record<string, Tensor> = {};
    for (const name in inputs) {
      const tensor = inputs[name] as HostTensor;
      // HostTensor pairs each type with its array kind; onnxruntime's overloads cannot see through the union.
      feeds[name] = new this.ort.Tensor(tensor.type, tensor.data as never, tensor.shape);
    }
    let results: InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds);
    } catch (error) {
      throw new InferenceError(this.displayName, error);
    }
    const out: Record<string, HostTensor> = {};
    for (const name of this.outputNames) {
      const tensor = results[name] as Tensor;
      out[name] = { type: tensor.type as TensorType, shape: tensor.dims as number[], data: tensor.data as TensorData };
    }
    return out;
  }

  /** Checks inputs against the signature; returns the batch size (the first dimension). */
  private checkInputs(inputs: Readonly<Record<string, HostTensor>>): number {
    const expected = this.inputSpecs;
    for (const name in inputs) {
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
    const first = this.signature.inputs[0];
    return first ? ((inputs[first.name] as HostTensor).shape[0] ?? 1) : 1;
  }
}

function describe(spec: TensorSpec): string {
  return `${spec.type} [${spec.shape.join(', ')}]`;
}

/**
 * A binary classifier's outputs, when the signature says so: a label output next to the
 * probabilities, or probabilities with two columns. A lone float output of one column is taken
 * for a regressor.
 */
export function classifierOutputs(signature: ModelSignature): BinaryClassifierOutputs | undefined {
  try {
    const found = binaryClassifierOutputs(signature);
    return found.label !== undefined || found.probabilityColumn === 1 ? found : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the first dimension is free (symbolic or -1), so requests can be joined along it. */
function hasBatchAxis(spec: TensorSpec): boolean {
  const first = spec.shape[0];
  return first !== undefined && (typeof first === 'string' || first === -1);
}

/** [N] or [N, 1] with a free batch dimension: one value per row. */
export function feedsOneValuePerRow(spec: TensorSpec): boolean {
  if (spec.type === 'non-tensor' || !hasBatchAxis(spec)) return false;
  return spec.shape.length === 1 || (spec.shape.length === 2 && spec.shape[1] === 1);
}
