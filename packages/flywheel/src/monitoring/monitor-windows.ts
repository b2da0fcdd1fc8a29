import { InvalidInputError } from '../core/errors.js';
import { quoteLiteral } from '../data/duckdb.js';
import type { ModelSignature, TensorSpec } from '../onnx/model-signature.js';
import type { PredictionOutput } from '../evaluate/model-task.js';

/** Windows start at multiples of their length from Monday 2000-01-03 00:00 UTC, so days start at midnight UTC and weeks on Mondays. */
export const WINDOW_ORIGIN_MS = Date.UTC(2000, 0, 3);

/** A span of the prediction log's time axis. */
export interface WindowRange {
  /** Window length in milliseconds, e.g. 86,400,000 for a day. */
  windowMs: number;
  /** Predictions at or after this time … */
  since?: Date;
  /** … and before this one. */
  until?: Date;
}

/** Checks a window range; InvalidInputError naming the field. */
export function checkWindowRange(range: WindowRange): void {
  if (!Number.isSafeInteger(range.windowMs) || range.windowMs < 1000) throw new InvalidInputError('window', `expected at least one second, got ${range.windowMs} ms`);
  for (const [field, date] of [['since', range.since], ['until', range.until]] as const) {
    if (date !== undefined && Number.isNaN(date.getTime())) throw new InvalidInputError(field, 'is not a valid date');
  }
  if (range.since && range.until && range.since >= range.until) throw new InvalidInputError('until', 'must be after since');
}

/** The window a bucket number stands for. */
export function windowBounds(bucket: number, windowMs: number): { start: Date; end: Date } {
  const start = WINDOW_ORIGIN_MS + bucket * windowMs;
  return { start: new Date(start), end: new Date(start + windowMs) };
}

/** The number of the window holding a time. */
export function windowOf(time: Date, windowMs: number): number {
  return Math.floor((time.getTime() - WINDOW_ORIGIN_MS) / windowMs);
}

/** SQL: the window number of a prediction record's `timestamp`. */
export function bucketSql(windowMs: number): string {
  return `CAST(floor((epoch_ms("timestamp") - ${WINDOW_ORIGIN_MS}) / ${windowMs}) AS BIGINT)`;
}

/** SQL conditions on a prediction record for a model and a time range. */
export function recordFilterSql(model: string, range: WindowRange): string {
  const where = [`model = ${quoteLiteral(model)}`];
  if (range.since) where.push(`"timestamp" >= epoch_ms(${range.since.getTime()})`);
  if (range.until) where.push(`"timestamp" < epoch_ms(${range.until.getTime()})`);
  return where.join(' AND ');
}

/**
 * SQL: the prediction (positive-class probability or predicted number) of a logged record, from
 * its `outputs` JSON. The log writes an output of one value per row as a number and a wider one as
 * an array (see prediction-ndjson.ts), so the path follows the output's shape in the signature.
 */
export function predictionSql(signature: ModelSignature, where: PredictionOutput): string {
  const spec = signature.outputs.find((o) => o.name === where.output);
  const width = spec && spec.type !== 'non-tensor' && spec.shape.length === 2 ? spec.shape[1] : 1;
  const path = `$.${JSON.stringify(where.output)}${width === 1 ? '' : `[${where.column}]`}`;
  return `TRY_CAST(json_extract(outputs, ${quoteLiteral(path)}) AS DOUBLE)`;
}

/** SQL: one model input of a logged record (from its `inputs` JSON) as a column of its kind: text, boolean or number. */
export function loggedInputSql(spec: TensorSpec): string {
  const path = quoteLiteral(`$.${JSON.stringify(spec.name)}`);
  if (spec.type === 'string') return `json_extract_string(inputs, ${path})`;
  if (spec.type === 'bool') return `TRY_CAST(json_extract(inputs, ${path}) AS BOOLEAN)`;
  return `TRY_CAST(json_extract(inputs, ${path}) AS DOUBLE)`;
}
