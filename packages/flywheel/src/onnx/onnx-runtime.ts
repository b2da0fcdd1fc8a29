import type * as OnnxRuntimeModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';

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
