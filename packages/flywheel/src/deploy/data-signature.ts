import type { JsonObject } from '../core/json.js';
import type { DataSchema, FeatureSchema } from '../data/schema-format.js';
import { SCHEMA_FORMAT } from '../data/schema-format.js';

/**
 * The part of a data schema a model version's signature carries: for each model input named
 * like a feature of the data, what the data says of it (type, presence, range or domain), and
 * the same for the label when known. Tensor names, types and shapes stay in the signature's
 * `inputs` and `outputs`; this says what values they were trained on.
 *
 * @example
 *   dataSignature(schema, ['distance', 'origin'], 'delayed')
 *   // { format: 'flywheel.schema/v1', features: [{ name: 'distance', type: 'float', range: {…}, … }, …], label: { name: 'delayed', … } }
 */
export function dataSignature(schema: DataSchema, inputs: readonly string[], label?: string): JsonObject {
  const byName = new Map(schema.features.map((feature) => [feature.name, feature]));
  const features = inputs.map((name) => byName.get(name)).filter((feature): feature is FeatureSchema => feature !== undefined);
  const labelFeature = label === undefined ? undefined : byName.get(label);
  return {
    format: SCHEMA_FORMAT,
    features: features.map(featureJson),
    label: labelFeature === undefined ? null : featureJson(labelFeature),
  };
}

function featureJson(feature: FeatureSchema): JsonObject {
  return JSON.parse(JSON.stringify(feature)) as JsonObject;
}
