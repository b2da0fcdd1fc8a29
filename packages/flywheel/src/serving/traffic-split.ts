import { InvalidInputError } from '../core/errors.js';

/** Where the key of a sticky canary split comes from: a request header or a feature's value. */
export type StickyKey = { from: 'header'; name: string } | { from: 'field'; name: string };

/**
 * `header:x-user-id` → the header; `field:origin` → the value of feature `origin` in the request
 * (its first row).
 */
export function parseStickyKey(text: string, field = 'stickyKey'): StickyKey {
  const match = /^(header|field):(.+)$/.exec(text);
  if (!match) throw new InvalidInputError(field, `expected header:<name> or field:<feature>, got ${JSON.stringify(text)}`);
  const from = match[1] as 'header' | 'field';
  const name = match[2] as string;
  return from === 'header' ? { from, name: name.toLowerCase() } : { from, name };
}

/** A number in [0, 10000) from a string: FNV-1a, so the same key always lands in the same arm. */
export function bucketOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 10_000;
}

/**
 * Whether a request goes to the challenger: by the hash of its sticky key when it has one (the
 * same user always sees the same version), at random otherwise.
 */
export function routesToChallenger(percent: number, key: string | undefined): boolean {
  if (percent <= 0) return false;
  if (percent >= 100) return true;
  const bucket = key === undefined ? Math.random() * 10_000 : bucketOf(key);
  return bucket < percent * 100;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarKey(value: unknown): string | undefined {
  if (Array.isArray(value)) return scalarKey(value[0]);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * The value of feature `name` in the first row of a request body, in any of the served formats:
 * OIP v2 `inputs` tensors, `instances` rows, MLflow's `dataframe_records`, `dataframe_split` and
 * columnar `inputs`, or a body that is itself one row.
 */
export function featureKey(body: unknown, name: string): string | undefined {
  if (!isObject(body)) return undefined;
  const { inputs, instances, dataframe_records: records, dataframe_split: split } = body;
  if (Array.isArray(inputs)) {
    const tensor = inputs.find((input: unknown) => isObject(input) && input.name === name) as Record<string, unknown> | undefined;
    return tensor ? scalarKey(tensor.data) : undefined;
  }
  if (isObject(inputs)) return scalarKey(inputs[name]);
  const rows = instances ?? records;
  if (Array.isArray(rows)) return isObject(rows[0]) ? scalarKey(rows[0][name]) : undefined;
  if (isObject(rows)) return scalarKey(rows[name]);
  if (isObject(split) && Array.isArray(split.columns) && Array.isArray(split.data)) {
    const column = split.columns.indexOf(name);
    const row = split.data[0] as unknown;
    return column >= 0 && Array.isArray(row) ? scalarKey(row[column]) : undefined;
  }
  return scalarKey(body[name]);
}
