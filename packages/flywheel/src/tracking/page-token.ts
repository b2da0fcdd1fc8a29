import { sha256Hex } from '../core/hashing.js';
import { canonicalJson } from '../core/json.js';
import { InvalidParameterValueError } from './errors.js';
import { LIMITS } from './model.js';

/**
 * Page tokens are opaque to callers: base64 of `{"offset": n, "query": "<fingerprint>"}`. Like
 * MLflow's they hold an offset into a totally ordered result; the fingerprint of the query they
 * came from makes a token handed to a different search fail loudly instead of skipping rows.
 */
export function pageToken(offset: number, query: unknown): string {
  return Buffer.from(JSON.stringify({ offset, query: fingerprint(query) })).toString('base64');
}

/** The offset a token stands for; 0 without a token. */
export function readPageToken(token: string | undefined, query: unknown): number {
  if (token === undefined || token === '') return 0;
  if (typeof token !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) {
    throw new InvalidParameterValueError('Invalid page token, could not base64-decode', { field: 'page_token' });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw new InvalidParameterValueError(`Invalid page token, decoded value=${Buffer.from(token, 'base64').toString('utf8')}`, { field: 'page_token' });
  }
  const { offset, query: hash } = (parsed ?? {}) as { offset?: unknown; query?: unknown };
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
    throw new InvalidParameterValueError(`Invalid page token, parsed value=${JSON.stringify(parsed)}`, { field: 'page_token' });
  }
  if (hash !== fingerprint(query)) {
    throw new InvalidParameterValueError(
      'Invalid page token: it was issued for a different search (filter, order, ids or view changed)',
      { field: 'page_token', hint: 'start again without a page token' },
    );
  }
  return offset as number;
}

/** MLflow's max_results rule: a positive integer, at most 50000. */
export function checkMaxResults(maxResults: unknown, field = 'max_results'): number {
  if (maxResults === undefined) return LIMITS.searchMaxResultsDefault;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1) {
    throw new InvalidParameterValueError(
      `Invalid value ${String(maxResults)} for parameter '${field}' supplied. It must be a positive integer`,
      { field },
    );
  }
  if (maxResults > LIMITS.searchMaxResults) {
    throw new InvalidParameterValueError(
      `Invalid value ${maxResults} for parameter '${field}' supplied. It must be at most ${LIMITS.searchMaxResults}`,
      { field },
    );
  }
  return maxResults;
}

function fingerprint(query: unknown): string {
  return sha256Hex(canonicalJson(query)).slice(0, 16);
}
