import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { HostTensor, ServedModel } from './served-model.js';
import { tensorDataFromJson, tensorDataToJson, type JsonScalar } from './tensor-json.js';

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
    const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new InvalidInputError(path || 'body', issue?.message ?? 'invalid prediction request');
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

/**
 * Turns instances into one tensor per model input, [N,1] (or [N]) from the field of the same
 * name in each instance. A missing field or a value of the wrong type is an InvalidInputError
 * naming it, e.g. `instances[2].origin`.
 */
export function instancesToTensors(model: ServedModel, instances: readonly Record<string, unknown>[], field: string): Record<string, HostTensor> {
  const n = instances.length;
  const where = (i: number) => (field === 'body' ? 'body' : `${field}[${i}]`);
  const tensors: Record<string, HostTensor> = {};
  for (const spec of model.signature.inputs) {
    const perRow = spec.shape.length === 1 || (spec.shape.length === 2 && (spec.shape[1] === 1 || spec.shape[1] === -1));
    if (!perRow || spec.type === 'non-tensor') {
      throw new InvalidInputError(
        `model input ${spec.name}`,
        `is ${spec.type} [${spec.shape.join(', ')}]; row-oriented requests feed one value per row`,
        `use POST /v2/models/${model.name}/infer`,
      );
    }
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const row = instances[i] as Record<string, unknown>;
      if (!(spec.name in row)) throw new InvalidInputError(`${where(i)}.${spec.name}`, `missing (${model.displayName} needs ${spec.name}: ${spec.type})`);
      values[i] = row[spec.name];
    }
    const type = spec.type as HostTensor['type'];
    tensors[spec.name] = {
      type,
      shape: spec.shape.length === 1 ? [n] : [n, 1],
      data: tensorDataFromJson(type, values, (i) => `${where(i)}.${spec.name}`),
    };
  }
  return tensors;
}

/** A binary classifier's answer for one row. */
export interface BinaryPrediction {
  label: number;
  probability: number | null;
}

/**
 * Predictions per row: `{ label, probability }` for a binary classifier; otherwise each output's
 * row (a scalar when it has one value per row, an array otherwise).
 */
export function rowPredictions(model: ServedModel, outputs: Record<string, HostTensor>, rows: number): (BinaryPrediction | Record<string, JsonScalar | JsonScalar[]>)[] {
  const perRow = (tensor: HostTensor): JsonScalar[][] => {
    const values = tensorDataToJson(tensor.type, tensor.data);
    const width = rows === 0 ? 0 : values.length / rows;
    return Array.from({ length: rows }, (_, i) => values.slice(i * width, (i + 1) * width));
  };
  const classifier = model.classifier;
  if (classifier) {
    const probability = perRow(outputs[classifier.probability] as HostTensor);
    const label = classifier.label ? perRow(outputs[classifier.label] as HostTensor) : undefined;
    return probability.map((row, i) => {
      const p = row[classifier.probabilityColumn] as number | null;
      return { label: label ? Number((label[i] as JsonScalar[])[0]) : p !== null && p > 0.5 ? 1 : 0, probability: p };
    });
  }
  const columns = Object.entries(outputs).map(([name, tensor]) => [name, perRow(tensor)] as const);
  return Array.from({ length: rows }, (_, i) => {
    const out: Record<string, JsonScalar | JsonScalar[]> = {};
    for (const [name, values] of columns) {
      const row = values[i] as JsonScalar[];
      out[name] = row.length === 1 ? (row[0] as JsonScalar) : row;
    }
    return out;
  });
}
