import { randomBytes } from 'node:crypto';

/**
 * A short, sortable, URL-safe id: a millisecond timestamp followed by random bits,
 * e.g. `run-lz3k9q2a-7f3c9e1b`. Ids of the same prefix sort by creation time.
 */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}
