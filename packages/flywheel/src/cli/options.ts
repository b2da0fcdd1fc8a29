import { InvalidArgumentError } from 'commander';
import { InvalidInputError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';

/** For repeatable options: `--tag a --tag b` → ['a', 'b']. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A parser for a number flag within [min, max]; the error names the flag. */
export function number(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidInputError(flag, `expected a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** Like number(), for whole numbers. */
export function integer(flag: string, min: number, max: number): (value: string) => number {
  const parse = number(flag, min, max);
  return (value) => {
    const n = parse(value);
    if (!Number.isInteger(n)) throw new InvalidInputError(flag, `expected a whole number, got ${JSON.stringify(value)}`);
    return n;
  };
}

/** A whole number ≥ 1 (commander names the option in the error). */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `--param month=2 --param name=x` → `{ month: 2, name: 'x' }`. */
export function parseParams(pairs: string[]): JsonObject {
  const params: JsonObject = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidInputError('--param', `expected key=value, got ${JSON.stringify(pair)}`);
    const text = pair.slice(at + 1);
    let value: JsonValue;
    try {
      value = JSON.parse(text) as JsonValue;
    } catch {
      value = text;
    }
    params[pair.slice(0, at)] = value;
  }
  return params;
}
