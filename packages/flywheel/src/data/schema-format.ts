import { z } from 'zod';
import { VALUE_TYPES } from './column-types.js';
import { readFormatFile } from './format-file.js';

/** The `format` tag of a schema document; bumped when a field changes meaning or goes away. */
export const SCHEMA_FORMAT = 'flywheel.schema/v1';

/** Where data is validated: training data carries the label, serving requests do not. */
export const ENVIRONMENTS = ['training', 'serving'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

const featureSchema = z.strictObject({
  name: z.string().min(1),
  /** Logical type; data of type `int` also satisfies `float`. */
  type: z.enum(VALUE_TYPES),
  presence: z.strictObject({
    /** No value may be missing. */
    required: z.boolean(),
    /** Smallest acceptable share of rows with a value, 0…1. */
    minFraction: z.number().min(0).max(1),
  }),
  /** Expected bounds of int and float values; absent means any value. */
  range: z.strictObject({ min: z.number(), max: z.number() })
    .refine((range) => range.min <= range.max, { message: 'min must not exceed max' })
    .optional(),
  /** Expected values of a string feature; absent means any value. */
  domain: z.array(z.string()).optional(),
  /** Environments where the feature is not expected; absent means it is expected everywhere. */
  environments: z.strictObject({ notIn: z.array(z.enum(ENVIRONMENTS)) }).optional(),
});

/** Validates a schema document (see docs/data.md for every field). */
export const schemaFormat = z.strictObject({
  format: z.literal(SCHEMA_FORMAT),
  features: z.array(featureSchema),
}).superRefine((schema, context) => {
  const seen = new Set<string>();
  schema.features.forEach((feature, index) => {
    if (seen.has(feature.name)) {
      context.addIssue({ code: 'custom', path: ['features', index, 'name'], message: `feature ${JSON.stringify(feature.name)} appears twice` });
    }
    seen.add(feature.name);
  });
});

export type DataSchema = z.infer<typeof schemaFormat>;
export type FeatureSchema = z.infer<typeof featureSchema>;

/** Reads and validates a schema JSON file, e.g. one a person edited. */
export function readSchemaFile(path: string): Promise<DataSchema> {
  return readFormatFile(path, SCHEMA_FORMAT, schemaFormat);
}
