import { InvalidInputError } from '../core/errors.js';

/** `2001-01-05`, `2001-01-05 08:30`, `2001-01-05T08:30:15.250`, with an optional `Z` or `±HH:MM`. */
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The value a timestamp input of a trained model takes: seconds since the Unix epoch. Numbers
 * (already epoch seconds) and null (missing) pass through; text is read as an ISO 8601 date or
 * date-time, in UTC unless it names an offset — as training reads a TIMESTAMP column.
 * InvalidInputError naming the field for anything else.
 *
 * @example
 *   epochSeconds('2001-01-05 08:30', 'instances[0].date') // 978683400
 */
export function epochSeconds(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  const match = ISO_TIMESTAMP.exec(value.trim());
  if (!match) throw new InvalidInputError(field, `expected a timestamp (ISO 8601 text such as "2001-01-05 08:30:00", or seconds since 1970), got ${JSON.stringify(value)}`);
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match;
  const fields = [Number(year), Number(month), Number(day), Number(hour), Number(minute), Number(second)] as const;
  if (fields[1] < 1 || fields[1] > 12 || fields[2] < 1 || fields[2] > 31 || fields[3] > 23 || fields[4] > 59 || fields[5] > 59) {
    throw new InvalidInputError(field, `${JSON.stringify(value)} is not a valid date and time`);
  }
  const utc = Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]);
  if (new Date(utc).getUTCDate() !== fields[2]) throw new InvalidInputError(field, `${JSON.stringify(value)} is not a valid date`);
  return utc / 1000 + (fraction === '' ? 0 : Number(`0.${fraction}`)) - offsetSeconds(zone);
}

function offsetSeconds(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const sign = digits.startsWith('-') ? -1 : 1;
  return sign * (Number(digits.slice(1, 3)) * 3600 + Number(digits.slice(3, 5)) * 60);
}
