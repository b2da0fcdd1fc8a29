import { z } from 'zod';
import { readFormatFile } from './format-file.js';
import { ENVIRONMENTS } from './schema-format.js';

/** The `format` tag of an anomalies document; bumped when a field or code is added, changes meaning or goes away. */
export const ANOMALIES_FORMAT = 'flywheel.anomalies/v2';
/** Documents of this older version are read too (v2 added codes only). */
export const ANOMALIES_FORMAT_V1 = 'flywheel.anomalies/v1';

export const ANOMALY_CODES = [
  'empty_dataset',
  'missing_column',
  'unexpected_column',
  'type_mismatch',
  'missing_values',
  'out_of_range',
  'unseen_category',
  'mixed_types',
  'row_count_change',
] as const;
export type AnomalyCode = (typeof ANOMALY_CODES)[number];

const anomaly = z.strictObject({
  severity: z.enum(['error', 'warning']),
  code: z.enum(ANOMALY_CODES),
  /** The column concerned; null for problems of the whole dataset. */
  feature: z.string().nullable(),
  description: z.string(),
  /** A few offending values, most frequent or most extreme first. */
  examples: z.array(z.union([z.string(), z.number()])),
  /** Share 0…1 of the feature's values (or rows) affected, when it can be told; null otherwise. */
  share: z.number().min(0).max(1).nullable(),
});

/** Validates an anomalies document (see docs/data.md for every field). */
export const anomaliesFormat = z.strictObject({
  format: z.enum([ANOMALIES_FORMAT, ANOMALIES_FORMAT_V1]).transform((): typeof ANOMALIES_FORMAT => ANOMALIES_FORMAT),
  environment: z.enum(ENVIRONMENTS),
  rowCount: z.number().int().nonnegative(),
  summary: z.strictObject({
    errors: z.number().int().nonnegative(),
    warnings: z.number().int().nonnegative(),
    featuresChecked: z.number().int().nonnegative(),
  }),
  /** Errors first, then warnings; each group in schema order, unexpected columns last. */
  anomalies: z.array(anomaly),
});

export type AnomalyReport = z.output<typeof anomaliesFormat>;
export type Anomaly = z.infer<typeof anomaly>;
export type Severity = Anomaly['severity'];

/** Reads and validates an anomalies JSON file. */
export function readAnomaliesFile(path: string): Promise<AnomalyReport> {
  return readFormatFile(path, [ANOMALIES_FORMAT, ANOMALIES_FORMAT_V1], anomaliesFormat);
}
