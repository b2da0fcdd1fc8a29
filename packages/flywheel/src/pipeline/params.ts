import type { z } from 'zod';
import type { JsonObject } from '../core/json.js';
import { InvalidParamsError } from './errors.js';

type Owner = { step: string } | { pipeline: string };

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** One line per issue, e.g. `params.epochs: expected number, received string`. */
export function describeIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => `${formatPath(root, issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`);
}

/** Where a value stops being plain JSON (a function, a Date, NaN, a class instance…), or undefined when it is JSON. */
export function jsonProblem(value: unknown, path: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return `${path}: a ${value.constructor?.name ?? 'class instance'} is not plain JSON`;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const problem = jsonProblem(item, `${path}.${key}`);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${path}: a ${typeof value} is not JSON`;
}

/**
 * Checks parameters as given against a schema and that they are plain JSON (they are stored in
 * the IR and hashed). Returns the parsed value; throws InvalidParamsError naming each bad path.
 */
export function checkParams<P>(schema: z.ZodType<P> | undefined, given: unknown, owner: Owner): { raw: JsonObject; parsed: P } {
  const raw = given ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new InvalidParamsError(owner, [`params: expected an object, got ${Array.isArray(raw) ? 'an array' : typeof raw}`]);
  }
  const problem = jsonProblem(raw, 'params');
  if (problem) throw new InvalidParamsError(owner, [problem]);
  if (!schema) return { raw: raw as JsonObject, parsed: raw as P };
  const result = schema.safeParse(raw);
  if (!result.success) throw new InvalidParamsError(owner, describeIssues(result.error, 'params'));
  return { raw: raw as JsonObject, parsed: result.data };
}
