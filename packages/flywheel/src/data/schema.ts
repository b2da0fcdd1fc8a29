import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Schema, Statistics } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { valueTypeOf } from './column-types.js';
import { writeJsonFile } from './format-file.js';
import { SCHEMA_FORMAT } from './schema-format.js';
import type { DataSchema, FeatureSchema } from './schema-format.js';
import type { ColumnStatistics, DatasetStatistics } from './statistics-format.js';
import { readStatisticsFile } from './statistics-format.js';

export interface InferSchemaOptions {
  /** The column a model learns to predict: expected in training data, not in serving requests. */
  labelColumn?: string;
  /**
   * A string feature with at most this many distinct values gets them as its domain. Default 500.
   * Only values the statistics list in full count (see StatisticsOptions.allValuesUpTo).
   */
  maxCategories?: number;
}

/**
 * A schema inferred from statistics: every column with its logical type, whether it may be
 * missing, the range of numeric values and the domain of low-cardinality strings seen. It is a
 * starting point meant to be reviewed and edited, then used to validate later data.
 *
 * @example
 *   const schema = inferSchema(await computeStatistics('january.parquet'), { labelColumn: 'delayed' });
 */
export function inferSchema(statistics: DatasetStatistics, options: InferSchemaOptions = {}): DataSchema {
  const maxCategories = options.maxCategories ?? 500;
  if (!Number.isInteger(maxCategories) || maxCategories < 0) {
    throw new InvalidInputError('maxCategories', `must be a non-negative integer, got ${maxCategories}`);
  }
  const { labelColumn } = options;
  if (labelColumn !== undefined && !statistics.columns.some((column) => column.name === labelColumn)) {
    throw new InvalidInputError('labelColumn', `the data has no column ${JSON.stringify(labelColumn)}`,
      `columns: ${statistics.columns.map((column) => column.name).join(', ')}`);
  }
  return {
    format: SCHEMA_FORMAT,
    features: statistics.columns.map((column) => inferFeature(column, statistics.rowCount, maxCategories, column.name === labelColumn)),
  };
}

function inferFeature(column: ColumnStatistics, rowCount: number, maxCategories: number, isLabel: boolean): FeatureSchema {
  const feature: FeatureSchema = {
    name: column.name,
    type: valueTypeOf(column.type),
    presence: presenceOf(column, rowCount),
  };
  if (column.kind === 'numeric' && column.numeric.min !== null && column.numeric.max !== null) {
    feature.range = { min: column.numeric.min, max: column.numeric.max };
  }
  if (column.kind === 'categorical' && column.count > 0 && column.categorical.allValues && column.distinct <= maxCategories) {
    feature.domain = column.categorical.topValues.map((entry) => entry.value).sort();
  }
  if (isLabel) feature.environments = { notIn: ['serving'] };
  return feature;
}

function presenceOf(column: ColumnStatistics, rowCount: number): FeatureSchema['presence'] {
  // Nothing can be learnt about presence from no rows; demanding values would flag every later batch.
  if (rowCount === 0) return { required: false, minFraction: 0 };
  if (column.missing === 0) return { required: true, minFraction: 1 };
  // Rounded down to whole percents, so that sampling noise in later batches is not an anomaly.
  return { required: false, minFraction: Math.floor((column.count / rowCount) * 100 + 1e-9) / 100 };
}

const schemaParams = z.object({
  labelColumn: z.string().min(1).optional(),
  maxCategories: z.number().int().nonnegative().optional(),
});

/**
 * Pipeline step: infers a Schema v1 from the `statistics` of a dataset.
 *
 * @example
 *   const schema = p.step(schemaComponent, { params: { labelColumn: 'delayed' }, inputs: { statistics: stats.outputs.statistics } });
 */
export const schemaComponent = component({
  name: 'infer-schema',
  version: '1',
  description: 'Infers the expected columns, types, presence, ranges and domains from statistics',
  params: schemaParams,
  inputs: { statistics: Statistics },
  outputs: { schema: Schema },
  run: async ({ params, inputs, outputs, log }) => {
    const schema = inferSchema(await readStatisticsFile(inputs.statistics.path), params);
    await writeJsonFile(outputs.schema.path, schema);
    Object.assign(outputs.schema.properties, { featureCount: schema.features.length });
    log.info(`schema with ${schema.features.length} features`);
    return { featureCount: schema.features.length };
  },
});
