import { hashJson } from '../core/hashing.js';
import type { StepIR } from './ir.js';

const CACHE_KEY_VERSION = 1;

/**
 * The identity of a step's work: the component (name, version, kind, and for commands the
 * command, folder and environment), its parameters and the digests of its inputs by name. Two
 * executions with the same key are expected to produce the same outputs, so one can stand in
 * for the other. Step name, retries, timeout and wiring do not take part.
 *
 * @example
 *   cacheKey(step, { examples: 'ab12…' }) // → sha256 hex
 */
export function cacheKey(step: Pick<StepIR, 'component' | 'params'>, inputDigests: Readonly<Record<string, string>>): string {
  return hashJson({ v: CACHE_KEY_VERSION, component: step.component, params: step.params, inputs: inputDigests });
}
