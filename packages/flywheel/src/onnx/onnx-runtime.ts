import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import type * as OnnxRuntimeModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';

import { InvalidInputError } from '../core/errors.js';

export type OnnxRuntime = typeof OnnxRuntimeModule;

let runtime: Promise<OnnxRuntime> | undefined;

/** onnxruntime-node, loaded on first use so that commands which never score stay fast to start. */
export function onnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= import('onnxruntime-node');
  return runtime;
}

/**
 * Opens an inference session on a model file or its bytes.
 *
 * One intra-op thread by default: the graphs Flywheel writes are small, so threads inside one run
 * cost more to wake than they save, and a server gets its parallelism from concurrent requests.
 *
 * @example
 *   const session = await openInferenceSession('model.onnx');
 */
export async function openInferenceSession(
  model: string | Uint8Array,
  options: InferenceSession.SessionOptions = {},
): Promise<InferenceSession> {
  const ort = await onnxRuntime();
  const merged: InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, ...options };
  return typeof model === 'string' ? ort.InferenceSession.create(model, merged) : ort.InferenceSession.create(model, merged);
}

/**
 * Reads a model file and opens a session for scoring whole datasets (evaluation, batch
 * prediction): with one intra-op thread per core, since each run scores tens of thousands of rows
 * (scoring February's 458k flights with the demo's 200 trees: 5.0 s on one thread, 3.1 s on two).
 * In a worker thread, one: onnxruntime can abort the process when a worker thread holding its
 * thread pool is terminated.
 * The bytes come back too, for the feature spec in the model's metadata. InvalidInputError naming
 * `model` when onnxruntime cannot load the file.
 *
 * @example
 *   const { bytes, session } = await openDatasetSession('model.onnx');
 */
export async function openDatasetSession(modelPath: string): Promise<{ bytes: Uint8Array; session: InferenceSession }> {
  try {
    const bytes = await readFile(modelPath);
    return { bytes, session: await openInferenceSession(bytes, { intraOpNumThreads: isMainThread ? availableParallelism() : 1 }) };
  } catch (error) {
    throw new InvalidInputError('model', `onnxruntime cannot load ${modelPath}: ${(error as Error).message}`);
  }
}
