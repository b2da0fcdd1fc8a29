import type { Stack } from '../config/stack.js';
import { describeOnnxModel, signatureToJson } from '../onnx/model-signature.js';
import type { DataSchema } from '../data/schema-format.js';
import type { ModelVersion } from '../registry/model.js';
import { dataSignature } from './data-signature.js';

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
  /** The schema of the training data: what it says of the model's inputs goes into the signature as `data`. */
  dataSchema?: DataSchema;
  /** The column the model predicts, described in `data` too. */
  label?: string;
}

/**
 * Registers an ONNX file as the next version of a model: stores it in the artifact store
 * (content-addressed, so a file already there is not copied again), reads its signature with
 * onnxruntime (with what the training data's schema says of each input, when given) and records both. A file whose digest is already a version of the model returns
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
    signature: {
      ...signatureToJson(description.signature),
      ...(options.dataSchema ? { data: dataSignature(options.dataSchema, description.signature.inputs.map((input) => input.name), options.label) } : {}),
    },
    metrics: options.metrics,
    tags: options.tags,
    description: options.description ?? (description.docString || undefined),
    runId: options.runId,
    trainingData: options.trainingData,
  });
  return { version, created: true };
}
