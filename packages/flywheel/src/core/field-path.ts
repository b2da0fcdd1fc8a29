/**
 * Where a value sits in a parsed document, the way error messages name it: keys joined by dots,
 * array positions in brackets (`triggers[0].schedule.cron`); `fallback` for the document itself.
 *
 * @example
 *   fieldPath(['labels', 0, 'prediction_id']) // 'labels[0].prediction_id'
 *   fieldPath([], 'body')                     // 'body'
 */
export function fieldPath(path: readonly PropertyKey[], fallback = ''): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out ? '.' : ''}${String(key)}`;
  return out || fallback;
}
