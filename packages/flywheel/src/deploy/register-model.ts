import type { Stack } from '../config/stack.js';
import { describeOnnxModel, signatureToJson } from '../onnx/model-signature.js';
import type { ModelVersion } from '../registry/model.js';

export interface RegisterModelFileOptions {
  /** Registered model name, e.g. `flights`; created when absent. */
  model: string;
  /** The ONNX file. */
  path: string;
  artifactId?: number;
  executionId?: number;
  metrics?: Record<string, number>;
  tags?: Record<string, string>;
  /** The version's description; the model file's doc_string by default. */
  description?: string;
  /** The tracked run that trained the model. */
  runId?: string;
  /** The data it was trained on. */
  trainingData?: { uri: string; digest: string; artifactId?: number };
}

/**
 * Registers an ONNX file as the next version of a model: stores it in the artifact store
 * (content-addressed, so a file already there is not copied again), reads its signature with
 * onnxruntime and records both. A file whose digest is already a version of the model returns
 * that version instead of a duplicate.
 *
 * @example
 *   const { version, created } = await registerModelFile(stack, { model: 'flights', path: 'model.onnx', metrics: { auc: 0.62 } });
 */
export async function registerModelFile(stack: Pick<Stack, 'artifacts' | 'registry'>, options: RegisterModelFileOptions): Promise<{ version: ModelVersion; created: boolean }> {
  const description = await describeOnnxModel(options.path);
  const blob = await stack.artifacts.putFile(options.path);
  await stack.registry.ensureModel(options.model);
  const existing = (await stack.registry.listVersions(options.model)).find((v) => v.digest === blob.digest);
  if (existing) return { version: existing, created: false };
  const version = await stack.registry.createVersion(options.model, {
    uri: blob.uri,
    digest: blob.digest,
    artifactId: options.artifactId,
    executionId: options.executionId,
    signature: signatureToJson(description.signature),
    metrics: options.metrics,
    tags: options.tags,
    description: options.description ?? (description.docString || undefined),
    runId: options.runId,
    trainingData: options.trainingData,
  });
  return { version, created: true };
}
