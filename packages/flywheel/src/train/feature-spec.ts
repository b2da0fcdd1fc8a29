import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { TIME_PARTS, type TimeFeature } from './time-parts.js';

/** The `metadata_props` key under which a trained model carries its feature spec (JSON). */
export const FEATURE_SPEC_KEY = 'flywheel.feature_spec';

export const featureSpecSchema = z.object({
  version: z.literal(1),
  /** The trainer that wrote the model, e.g. `logistic-regression`. */
  trainer: z.string(),
  /** Column the model was trained to predict. */
  label: z.string(),
  /**
   * Model inputs in graph order: numeric ones are float32 [N,1], categorical ones string [N,1],
   * timestamp ones float64 [N,1] of seconds since the Unix epoch (feed `featureInputExpr`).
   * A timestamp input lists the UTC parts the model derives from it.
   */
  features: z.array(
    z.object({
      name: z.string(),
      kind: z.enum(['numeric', 'categorical', 'timestamp']),
      parts: z.array(z.enum(TIME_PARTS)).optional(),
    }),
  ),
  trainingRows: z.number().int().nonnegative(),
});

/**
 * What a trained model expects and predicts, stored inside its ONNX file so the file alone says
 * how to feed it.
 *
 * @example
 *   { version: 1, trainer: 'logistic-regression', label: 'delayed',
 *     features: [{ name: 'distance', kind: 'numeric' }, { name: 'origin', kind: 'categorical' },
 *                { name: 'date', kind: 'timestamp', parts: ['hour', 'dayOfWeek', 'month'] }],
 *     trainingRows: 508239 }
 */
export type FeatureSpec = z.infer<typeof featureSpecSchema>;
export type FeatureSpecInput = FeatureSpec['features'][number];
export type FeatureKind = FeatureSpecInput['kind'];

/** The feature spec in a model's metadata, or undefined when the model has none (e.g. imported). */
export function readFeatureSpec(metadata: Readonly<Record<string, string>>): FeatureSpec | undefined {
  const text = metadata[FEATURE_SPEC_KEY];
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`model metadata ${FEATURE_SPEC_KEY}`, 'is not JSON');
  }
  const parsed = featureSpecSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`model metadata ${FEATURE_SPEC_KEY}.${issue?.path.join('.') ?? ''}`, issue?.message ?? 'invalid');
  }
  return parsed.data;
}

/**
 * A trainer's model inputs in graph order: numeric columns, categorical ones, then timestamps.
 *
 * @example
 *   specFeatures({ numeric: ['distance'], categorical: [], time: [{ name: 'date', parts: ['hour'] }] })
 *   // [{ name: 'distance', kind: 'numeric' }, { name: 'date', kind: 'timestamp', parts: ['hour'] }]
 */
export function specFeatures(features: { numeric: readonly string[]; categorical: readonly string[]; time: readonly TimeFeature[] }): FeatureSpecInput[] {
  return [
    ...features.numeric.map((name) => ({ name, kind: 'numeric' as const })),
    ...features.categorical.map((name) => ({ name, kind: 'categorical' as const })),
    ...features.time.map((t) => ({ name: t.name, kind: 'timestamp' as const, parts: [...t.parts] })),
  ];
}

export function featureSpecToJson(spec: FeatureSpec): JsonObject {
  return {
    ...spec,
    features: spec.features.map((f): JsonObject => (f.parts === undefined ? { name: f.name, kind: f.kind } : { name: f.name, kind: f.kind, parts: [...f.parts] })),
  };
}
