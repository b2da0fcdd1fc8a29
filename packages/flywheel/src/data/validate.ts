import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { Anomalies, Schema, Statistics } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { ANOMALIES_FORMAT } from './anomalies-format.js';
import type { Anomaly, AnomalyReport } from './anomalies-format.js';
import { valueTypeOf } from './column-types.js';
import type { ValueType } from './column-types.js';
import { DataValidationError } from './errors.js';
import { writeJsonFile } from './format-file.js';
import { ENVIRONMENTS, readSchemaFile } from './schema-format.js';
import type { DataSchema, Environment, FeatureSchema } from './schema-format.js';
import { readStatisticsFile } from './statistics-format.js';
import type { ColumnStatistics, DatasetStatistics } from './statistics-format.js';

export interface ValidateDataOptions {
  /** Statistics of the data to check (computeStatistics). */
  statistics: DatasetStatistics;
  /** What the data should look like (inferSchema, then reviewed). */
  schema: DataSchema;
  /** Features marked `notIn` this environment are not expected. Default `training`. */
  environment?: Environment;
  /**
   * Values outside a string feature's domain are an error when they make up more than this share
   * of the feature's values, and a warning below it. Default 0.01.
   */
  maxUnseenCategoryShare?: number;
  /**
   * Statistics of reference data (e.g. the training data the schema was inferred from): the row
   * count is compared with it.
   */
  reference?: DatasetStatistics;
  /**
   * How far the row count may move from the reference's, as a share of it: a change beyond
   * `warning` (default 0.2) is a warning, beyond `error` (default 0.5) an error.
   */
  rowCountChange?: { warning?: number; error?: number };
  /** Missing values in more than this share (0…1) of rows is an error, for every feature. */
  maxMissingShare?: number;
  /** As maxMissingShare, per feature name; overrides it for the features named. */
  maxMissingShareByFeature?: Record<string, number>;
}

const EXAMPLES = 5;
/** A string column whose values are mostly, but not all, numbers is flagged as mixed. */
const MIXED_NUMERIC_SHARE = 0.5;

/**
 * Checks statistics of new data against a schema and lists what does not fit. It reads only the
 * two documents, so validating a batch never rescans the reference data.
 *
 * Severities: a missing column, a changed type, required values missing or an empty dataset are
 * errors (training on such data is wrong); an unseen category is an error only above
 * `maxUnseenCategoryShare`; values out of range, presence below `minFraction` and unexpected extra
 * columns are warnings, since new data drifts.
 *
 * @example
 *   const report = validateData({ statistics: februaryStats, schema });
 *   report.anomalies.filter((a) => a.severity === 'error');
 */
export function validateData(options: ValidateDataOptions): AnomalyReport {
  const { statistics, schema } = options;
  const environment = options.environment ?? 'training';
  const maxUnseenShare = checkShare('maxUnseenCategoryShare', options.maxUnseenCategoryShare ?? 0.01);
  const rowCountChange = {
    warning: checkShare('rowCountChange.warning', options.rowCountChange?.warning ?? 0.2, Infinity),
    error: checkShare('rowCountChange.error', options.rowCountChange?.error ?? 0.5, Infinity),
  };
  const missingLimit = (feature: string) => options.maxMissingShareByFeature?.[feature] ?? options.maxMissingShare;
  if (options.maxMissingShare !== undefined) checkShare('maxMissingShare', options.maxMissingShare);
  for (const [feature, share] of Object.entries(options.maxMissingShareByFeature ?? {})) checkShare(`maxMissingShareByFeature.${feature}`, share);
  const columns = new Map(statistics.columns.map((column) => [column.name, column]));
  const anomalies: Anomaly[] = [];
  if (statistics.rowCount === 0) {
    anomalies.push(anomaly('error', 'empty_dataset', null, 'the dataset has no rows', [], null));
  }
  if (options.reference) anomalies.push(...checkRowCount(statistics.rowCount, options.reference.rowCount, rowCountChange));
  let featuresChecked = 0;
  for (const feature of schema.features) {
    if (feature.environments?.notIn.includes(environment)) continue;
    featuresChecked += 1;
    const column = columns.get(feature.name);
    if (!column) {
      anomalies.push(anomaly('error', 'missing_column', feature.name, `the schema expects column ${JSON.stringify(feature.name)} in ${environment} data, but it is absent`, [], null));
      continue;
    }
    const actual = valueTypeOf(column.type);
    if (!accepts(feature.type, actual)) {
      anomalies.push(anomaly('error', 'type_mismatch', feature.name, `expected ${feature.type}, found ${actual} (DuckDB ${column.type})`, sampleValues(column), null));
      continue;
    }
    anomalies.push(...checkPresence(feature, column, statistics.rowCount, missingLimit(feature.name)));
    anomalies.push(...checkMixedTypes(column));
    anomalies.push(...checkRange(feature, column));
    anomalies.push(...checkDomain(feature, column, maxUnseenShare));
  }
  const known = new Set(schema.features.map((feature) => feature.name));
  for (const column of statistics.columns) {
    if (!known.has(column.name)) {
      anomalies.push(anomaly('warning', 'unexpected_column', column.name,
        `column ${JSON.stringify(column.name)} (${column.type}) is not in the schema and will be ignored by steps that follow it`, sampleValues(column), null));
    }
  }
  const ordered = [...anomalies.filter((a) => a.severity === 'error'), ...anomalies.filter((a) => a.severity === 'warning')];
  const errors = ordered.filter((a) => a.severity === 'error').length;
  return {
    format: ANOMALIES_FORMAT,
    environment,
    rowCount: statistics.rowCount,
    summary: { errors, warnings: ordered.length - errors, featuresChecked },
    anomalies: ordered,
  };
}

/** What stops a pipeline: `error` stops on errors, `warning` on any anomaly, `never` never. */
export type FailOn = 'error' | 'warning' | 'never';

/**
 * Throws a DataValidationError listing the anomalies the policy does not tolerate.
 *
 * @example
 *   assertDataValid(validateData({ statistics, schema }), 'error');
 */
export function assertDataValid(report: AnomalyReport, failOn: FailOn): void {
  const failing = failingAnomalies(report, failOn);
  if (failing.length > 0) throw new DataValidationError(failing);
}

/** The anomalies the policy does not tolerate; none means the data passes. */
export function failingAnomalies(report: AnomalyReport, failOn: FailOn): Anomaly[] {
  return report.anomalies.filter((a) => failOn === 'warning' || (failOn === 'error' && a.severity === 'error'));
}

function anomaly(
  severity: Anomaly['severity'], code: Anomaly['code'], feature: string | null, description: string,
  examples: (string | number)[], share: number | null,
): Anomaly {
  return { severity, code, feature, description, examples, share };
}

function checkShare(field: string, value: number, max = 1): number {
  if (!(value >= 0 && value <= max)) throw new InvalidInputError(field, `must be a share ${max === 1 ? 'between 0 and 1' : 'of at least 0'}, got ${value}`);
  return value;
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function checkRowCount(rows: number, reference: number, limits: { warning: number; error: number }): Anomaly[] {
  if (reference === 0) {
    return rows === 0 ? [] : [anomaly('warning', 'row_count_change', null, `the data has ${formatCount(rows)} rows, but the reference had none to compare with`, [reference, rows], null)];
  }
  const change = (rows - reference) / reference;
  const size = Math.abs(change);
  if (size <= limits.warning) return [];
  const severity = size > limits.error ? 'error' : 'warning';
  return [anomaly(severity, 'row_count_change', null,
    `the data has ${formatCount(rows)} rows, ${percent(size)} ${change < 0 ? 'fewer' : 'more'} than the reference's ${formatCount(reference)} (warning above ${percent(limits.warning)}, error above ${percent(limits.error)})`,
    [reference, rows], null)];
}

/** Whether text reads as a number the way DuckDB's cast to DOUBLE does, near enough for examples. */
function looksNumeric(text: string): boolean {
  return text.trim() !== '' && !Number.isNaN(Number(text));
}

/** A string column of mostly numbers with some words, or JSON values of several types. */
function checkMixedTypes(column: ColumnStatistics): Anomaly[] {
  if (column.type === 'JSON') {
    return [anomaly('warning', 'mixed_types', column.name, 'the values are of several JSON types (e.g. numbers and strings), so they were kept as JSON', [], null)];
  }
  if (column.kind !== 'categorical' || column.categorical.numericValues === undefined || column.count === 0) return [];
  const numbers = column.categorical.numericValues;
  const share = numbers / column.count;
  if (numbers === column.count || share < MIXED_NUMERIC_SHARE) return [];
  const words = column.categorical.topValues.filter((entry) => !looksNumeric(entry.value)).slice(0, EXAMPLES);
  const other = column.count - numbers;
  return [anomaly('warning', 'mixed_types', column.name,
    `${percent(share)} of values are numbers, but ${formatCount(other)} (${percent(other / column.count)}) are not${words.length > 0 ? `, e.g. ${words.map((w) => JSON.stringify(w.value)).join(', ')}` : ''}; `
    + 'so the column is text: clean those values, or declare them missing (nullStrings when ingesting CSV)',
    words.map((w) => w.value), other / column.count)];
}

// Integers fit a float feature without loss of meaning; every other change is a real type change.
function accepts(expected: ValueType, actual: ValueType): boolean {
  return expected === actual || (expected === 'float' && actual === 'int');
}

function sampleValues(column: ColumnStatistics): (string | number)[] {
  switch (column.kind) {
    case 'categorical':
      return column.categorical.topValues.slice(0, EXAMPLES).map((entry) => entry.value);
    case 'numeric':
      return [column.numeric.min, column.numeric.max].filter((value) => value !== null);
    case 'timestamp':
      return [column.timestamp.min, column.timestamp.max].filter((value) => value !== null);
    default:
      return [];
  }
}

function percent(share: number): string {
  return `${Number((share * 100).toPrecision(2))}%`;
}

function checkPresence(feature: FeatureSchema, column: ColumnStatistics, rowCount: number, maxMissingShare: number | undefined): Anomaly[] {
  if (rowCount === 0 || column.missing === 0) return [];
  const share = column.missing / rowCount;
  if (feature.presence.required) {
    return [anomaly('error', 'missing_values', feature.name,
      `${column.missing} of ${rowCount} rows (${percent(share)}) have no value, but the schema requires one`, [], share)];
  }
  if (maxMissingShare !== undefined && share > maxMissingShare) {
    return [anomaly('error', 'missing_values', feature.name,
      `${column.missing} of ${rowCount} rows (${percent(share)}) have no value, more than the ${percent(maxMissingShare)} allowed`, [], share)];
  }
  const present = column.count / rowCount;
  if (present < feature.presence.minFraction) {
    return [anomaly('warning', 'missing_values', feature.name,
      `${percent(present)} of rows have a value; the schema expects at least ${percent(feature.presence.minFraction)}`, [], share)];
  }
  return [];
}

function checkRange(feature: FeatureSchema, column: ColumnStatistics): Anomaly[] {
  if (!feature.range || column.kind !== 'numeric') return [];
  const { min, max, histogram } = column.numeric;
  if (min === null || max === null) return [];
  const below = min < feature.range.min;
  const above = max > feature.range.max;
  if (!below && !above) return [];
  const examples = [...(below ? [min] : []), ...(above ? [max] : [])];
  const outside = histogram ? countOutside(histogram, feature.range) : { below: 0, above: 0 };
  const count = Math.max(outside.below, below ? 1 : 0) + Math.max(outside.above, above ? 1 : 0);
  const finite = column.count - column.numeric.nonFinite;
  const share = finite > 0 ? count / finite : null;
  const extremes = [below ? `the minimum is ${min}` : '', above ? `the maximum is ${max}` : ''].filter(Boolean).join(' and ');
  const atLeast = share === null ? '' : `; at least ${count} value${count === 1 ? ' is' : 's are'} outside (${percent(share)})`;
  return [anomaly('warning', 'out_of_range', feature.name,
    `${extremes}, outside the expected range [${feature.range.min}, ${feature.range.max}]${atLeast}`, examples, share)];
}

/**
 * Values in histogram bins lying wholly outside `range`: a lower bound of the values out of range
 * (a bin straddling a bound may hold some too, but the statistics cannot tell how many).
 */
function countOutside(histogram: { edges: number[]; counts: number[] }, range: { min: number; max: number }): { below: number; above: number } {
  let below = 0;
  let above = 0;
  histogram.counts.forEach((count, i) => {
    if (histogram.edges[i + 1]! < range.min) below += count;
    else if (histogram.edges[i]! > range.max) above += count;
  });
  return { below, above };
}

function checkDomain(feature: FeatureSchema, column: ColumnStatistics, maxUnseenShare: number): Anomaly[] {
  if (!feature.domain || column.kind !== 'categorical' || column.count === 0) return [];
  const domain = new Set(feature.domain);
  const unseen = column.categorical.topValues.filter((entry) => !domain.has(entry.value));
  let unseenCount = unseen.reduce((sum, entry) => sum + entry.count, 0);
  const exact = column.categorical.allValues;
  if (!exact && column.distinctExact !== false) {
    // Values beyond the listed top ones: if there are more distinct values than the domain holds,
    // at least that many are unseen, each in one row or more. An estimated distinct count could
    // overstate this, so it is not used.
    unseenCount += Math.max(0, column.distinct - unseen.length - domain.size);
  }
  if (unseenCount === 0) return [];
  const share = unseenCount / column.count;
  const severity = share > maxUnseenShare ? 'error' : 'warning';
  const values = unseen.length > 0 ? `, e.g. ${unseen.slice(0, EXAMPLES).map((entry) => JSON.stringify(entry.value)).join(', ')}` : '';
  return [anomaly(severity, 'unseen_category', feature.name,
    `${exact ? '' : 'at least '}${percent(share)} of values are outside the domain${values} (error above ${percent(maxUnseenShare)})`,
    unseen.slice(0, EXAMPLES).map((entry) => entry.value), share)];
}

const share = z.number().min(0).max(1);

const validateParams = z.object({
  failOn: z.enum(['error', 'warning', 'never']).default('error'),
  environment: z.enum(ENVIRONMENTS).default('training'),
  maxUnseenCategoryShare: share.optional(),
  rowCountChange: z.strictObject({ warning: z.number().nonnegative().optional(), error: z.number().nonnegative().optional() }).optional(),
  maxMissingShare: share.optional(),
  maxMissingShareByFeature: z.record(z.string(), share).optional(),
});

/**
 * Pipeline step: validates `statistics` against `schema` (and, when wired, the row count against
 * the `reference` statistics), writes the anomalies, then stops the pipeline with a
 * DataValidationError when `failOn` says so (default: on any error).
 *
 * @example
 *   p.step(validateComponent, {
 *     inputs: { statistics: stats.outputs.statistics, schema: reviewedSchema, reference: trainingStats.outputs.statistics },
 *     params: { maxMissingShare: 0.05 },
 *   });
 */
export const validateComponent = component({
  name: 'validate',
  version: '2',
  description: 'Checks data statistics against a schema (and a reference profile); stops the pipeline on errors',
  params: validateParams,
  inputs: { statistics: Statistics, schema: Schema, reference: Statistics },
  optionalInputs: ['reference'],
  outputs: { anomalies: Anomalies },
  run: async ({ params, inputs, outputs, log }) => {
    const report = validateData({
      statistics: await readStatisticsFile(inputs.statistics.path),
      schema: await readSchemaFile(inputs.schema.path),
      reference: inputs.reference ? await readStatisticsFile(inputs.reference.path) : undefined,
      environment: params.environment,
      maxUnseenCategoryShare: params.maxUnseenCategoryShare,
      rowCountChange: params.rowCountChange,
      maxMissingShare: params.maxMissingShare,
      maxMissingShareByFeature: params.maxMissingShareByFeature,
    });
    await writeJsonFile(outputs.anomalies.path, report);
    Object.assign(outputs.anomalies.properties, { errors: report.summary.errors, warnings: report.summary.warnings });
    for (const a of report.anomalies) {
      log.warn(`${a.severity} ${a.code}${a.feature === null ? '' : ` in ${a.feature}`}: ${a.description}`);
    }
    log.info(`${report.summary.errors} errors, ${report.summary.warnings} warnings over ${report.summary.featuresChecked} features`);
    assertDataValid(report, params.failOn);
    return { errors: report.summary.errors, warnings: report.summary.warnings };
  },
});
