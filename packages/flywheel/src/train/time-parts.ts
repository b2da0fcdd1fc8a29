import { z } from 'zod';
import { quoteIdentifier } from '../data/duckdb.js';

/** Parts of a timestamp a model can learn from, all in UTC. */
export const TIME_PARTS = ['hour', 'dayOfWeek', 'month'] as const;
export type TimePart = (typeof TIME_PARTS)[number];

/**
 * The values each part takes and the DuckDB function that reads it. `dayOfWeek` numbers days as
 * DuckDB's `dayofweek` does: Sunday = 0 … Saturday = 6; `month` runs from 1 (January) to 12.
 */
export const TIME_PART_VALUES: Readonly<Record<TimePart, { first: number; count: number; sqlFunction: string }>> = {
  hour: { first: 0, count: 24, sqlFunction: 'hour' },
  dayOfWeek: { first: 0, count: 7, sqlFunction: 'dayofweek' },
  month: { first: 1, count: 12, sqlFunction: 'month' },
};

/** A timestamp column and the parts derived from it. */
export interface TimeFeature {
  name: string;
  parts: TimePart[];
}

/**
 * The `time` parameter every trainer takes: timestamp columns and the parts to derive from each
 * (all three by default).
 *
 * @example
 *   time: [{ column: 'date', parts: ['hour', 'dayOfWeek'] }]
 */
export const timeFeaturesParam = z
  .array(
    z.object({
      /** A DATE, TIMESTAMP or TIMESTAMPTZ column. */
      column: z.string().min(1),
      parts: z
        .array(z.enum(TIME_PARTS))
        .min(1)
        .refine((parts) => new Set(parts).size === parts.length, 'lists a part twice')
        .default([...TIME_PARTS]),
    }),
  )
  .default([]);

export type TimeFeaturesParam = z.output<typeof timeFeaturesParam>;

/**
 * The time features of a trainer's parameters, in the form preprocessing and feature specs use.
 *
 * @example
 *   timeFeaturesOf([{ column: 'date', parts: ['hour'] }]) // [{ name: 'date', parts: ['hour'] }]
 */
export function timeFeaturesOf(param: TimeFeaturesParam): TimeFeature[] {
  return param.map((t) => ({ name: t.column, parts: [...t.parts] }));
}

/**
 * The name of a derived part: a GBDT feature, an ONNX value of the graph.
 *
 * @example
 *   timePartName('date', 'hour') // 'date.hour'
 */
export function timePartName(column: string, part: TimePart): string {
  return `${column}.${part}`;
}

/**
 * DuckDB SQL for a part's value, NULL where the timestamp is (UTC: `withDuckDb` sets the zone).
 *
 * @example
 *   timePartSql('date', 'dayOfWeek') // 'dayofweek("date")'
 */
export function timePartSql(column: string, part: TimePart): string {
  return `${TIME_PART_VALUES[part].sqlFunction}(${quoteIdentifier(column)})`;
}

/**
 * DuckDB SQL for a part's one-hot position (value − first value), or -1 when the timestamp is missing.
 *
 * @example
 *   timePartPositionSql('date', 'month') // 'coalesce(month("date") - 1, -1)'
 */
export function timePartPositionSql(column: string, part: TimePart): string {
  return `coalesce(${timePartSql(column, part)} - ${TIME_PART_VALUES[part].first}, -1)`;
}

const TIMESTAMP_TYPE = /^(DATE|TIMESTAMP(_S|_MS|_NS)?|TIMESTAMP WITH TIME ZONE)$/;

/**
 * Whether a DuckDB column type holds points in time the time features can be derived from.
 *
 * @example
 *   isTimestampType('TIMESTAMP WITH TIME ZONE') // true; isTimestampType('TIME') // false
 */
export function isTimestampType(type: string): boolean {
  return TIMESTAMP_TYPE.test(type);
}
