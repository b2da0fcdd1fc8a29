import type { JsonValue } from '../core/json.js';
import { LIMITS } from './model.js';
import type { ParamValue } from './tracked-run.js';
import { validateKey } from './validation.js';

/**
 * A step's JSON parameters as tracking params: nested keys joined with dots
 * (`earlyStopping.patience`), arrays and null as JSON text, values longer than MLflow's limit cut
 * with a trailing `…`, keys MLflow would refuse left out. Params record what ran; they are not
 * read back to run anything.
 *
 * @example
 *   paramsFromJson({ label: 'delayed', numeric: ['distance'], earlyStopping: { patience: 10 } })
 *   // { label: 'delayed', numeric: '["distance"]', 'earlyStopping.patience': 10 }
 */
export function paramsFromJson(params: Record<string, JsonValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const visit = (prefix: string, value: JsonValue): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(prefix ? `${prefix}.${key}` : key, inner);
      return;
    }
    try {
      validateKey('parameter', prefix, 'params');
    } catch {
      return;
    }
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? value : JSON.stringify(value);
    out[prefix] = typeof text === 'string' && text.length > LIMITS.paramValueLength ? `${text.slice(0, LIMITS.paramValueLength - 1)}…` : text;
  };
  visit('', params);
  return out;
}
