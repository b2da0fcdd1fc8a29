import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { HostTensor, ServedModel } from './served-model.js';
import { tensorDataToJson, type JsonScalar } from './tensor-json.js';
import { fieldPath } from '../core/field-path.js';

export interface PredictRequest {
  /** Which model; may be left out when the server serves one. */
  model: string | undefined;
  version: number | undefined;
  instances: Record<string, unknown>[];
  /** Where the instances came from, for error fields: `instances` or `body`. */
  field: string;
}

const instance = z.record(z.string(), z.unknown());
const predictRequest = z.object({
  model: z.string().min(1).optional(),
  version: z.union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/, 'must be a version number')]).optional(),
  instances: z.union([z.array(instance), instance]).optional(),
});

/**
 * Parses a row-oriented prediction request: `{ model?, version?, instances: [{…}, …] }`, with
 * `instances` also accepted as one object, or a body that is itself one instance (its `model`
 * and `version` keys taken as such).
 */
export function parsePredictRequest(body: unknown): PredictRequest {
  const parsed = predictRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(fieldPath(issue?.path ?? [], 'body'), issue?.message ?? 'invalid prediction request');
  }
  const { model, version, instances } = parsed.data;
  const versionNumber = version === undefined ? undefined : Number(version);
  if (instances === undefined) {
    const single = { ...(body as Record<string, unknown>) };
    delete single.model;
    delete single.version;
    return { model, version: versionNumber, instances: [single], field: 'body' };
  }
  const list = Array.isArray(instances) ? instances : [instances];
  if (list.length === 0) throw new InvalidInputError('instances', 'is empty; send at least one instance');
  return { model, version: versionNumber, instances: list, field: 'instances' };
}

/** A binary classifier's answer for one row. */
export interface BinaryPrediction {
  label: number;
  probability: number | null;
}

export type RowPrediction = BinaryPrediction | Record<string, JsonScalar | JsonScalar[]>;

/** The outputs a row-oriented answer needs: a classifier's probability and label, else all. */
export function rowOutputNames(model: ServedModel): string[] | undefined {
  const classifier = model.classifier;
  return classifier ? [classifier.probability, ...(classifier.label ? [classifier.label] : [])] : undefined;
}

/**
 * Every output's rows, one record per row (`{"label": 0, "probabilities": [0.85, 0.15]}`), as
 * MLflow's ONNX flavour answers a DataFrame.
 */
export function outputRecords(outputs: Record<string, HostTensor>, rows: number): Record<string, JsonScalar | JsonScalar[]>[] {
  const columns = Object.entries(outputs).map(([name, tensor]) => [name, splitRows(tensor, rows)] as const);
  return Array.from({ length: rows }, (_, i) => {
    const out: Record<string, JsonScalar | JsonScalar[]> = {};
    for (const [name, values] of columns) {
      const row = values[i] as JsonScalar[];
      out[name] = row.length === 1 ? (row[0] as JsonScalar) : row;
    }
    return out;
  });
}

function splitRows(tensor: HostTensor, rows: number): JsonScalar[][] {
  const values = tensorDataToJson(tensor.type, tensor.data);
  const width = rows === 0 ? 0 : values.length / rows;
  return Array.from({ length: rows }, (_, i) => values.slice(i * width, (i + 1) * width));
}

/**
 * Predictions per row: `{ label, probability }` for a binary classifier; otherwise each output's
 * row (a scalar when it has one value per row, an array otherwise).
 */
export function rowPredictions(model: ServedModel, outputs: Record<string, HostTensor>, rows: number): RowPrediction[] {
  const perRow = (tensor: HostTensor) => splitRows(tensor, rows);
  const classifier = model.classifier;
  if (classifier) {
    const probability = perRow(outputs[classifier.probability] as HostTensor);
    const label = classifier.label ? perRow(outputs[classifier.label] as HostTensor) : undefined;
    return probability.map((row, i) => {
      const p = row[classifier.probabilityColumn] as number | null;
      return { label: label ? Number((label[i] as JsonScalar[])[0]) : p !== null && p > 0.5 ? 1 : 0, probability: p };
    });
  }
  return outputRecords(outputs, rows);
}
