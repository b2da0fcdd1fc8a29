import { z } from 'zod';
import type { JsonValue } from '../core/json.js';

/** The values one hyperparameter may take: a list to choose from, or a distribution to sample. */
export type Dimension =
  | { kind: 'choice'; values: JsonValue[] }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'logUniform'; low: number; high: number }
  | { kind: 'int'; low: number; high: number };

const values = z.array(z.json()).min(1);
const range = z
  .tuple([z.number(), z.number()])
  .refine(([low, high]) => Number.isFinite(low) && Number.isFinite(high) && low < high, 'expected finite [low, high] with low < high');

/**
 * One hyperparameter of a search space, as written in a step's params: a list of values (the grid
 * of a grid search, equally likely choices of a random one), `{ choice: [...] }` (the same),
 * `{ uniform: [low, high] }`, `{ logUniform: [low, high] }` (uniform in log space, low > 0) or
 * `{ int: [low, high] }` (integers, both ends included). Parsed into a Dimension.
 *
 * @example
 *   hyperparameterSpace.parse([1e-4, 1e-2, 1])        // { kind: 'choice', values: [0.0001, 0.01, 1] }
 *   hyperparameterSpace.parse({ logUniform: [1e-5, 1] }) // { kind: 'logUniform', low: 0.00001, high: 1 }
 */
export const hyperparameterSpace = z
  .union(
    [
      values,
      z.strictObject({ choice: values }),
      z.strictObject({ uniform: range }),
      z.strictObject({ logUniform: range.refine(([low]) => low > 0, 'a log-uniform range must start above 0') }),
      z.strictObject({
        int: z.tuple([z.number(), z.number()]).refine(
          ([low, high]) => Number.isSafeInteger(low) && Number.isSafeInteger(high) && low <= high,
          'expected integers [low, high] with low <= high',
        ),
      }),
    ],
    { error: 'expected a list of values, or one of { choice: [...] }, { uniform: [low, high] }, { logUniform: [low, high] }, { int: [low, high] }' },
  )
  // One transform after the union: transforms on the options would hide their refinements' messages behind the union's.
  .transform((written): Dimension => {
    if (Array.isArray(written)) return { kind: 'choice', values: written as JsonValue[] };
    if ('choice' in written) return { kind: 'choice', values: written.choice as JsonValue[] };
    if ('uniform' in written) return { kind: 'uniform', low: written.uniform[0], high: written.uniform[1] };
    if ('logUniform' in written) return { kind: 'logUniform', low: written.logUniform[0], high: written.logUniform[1] };
    return { kind: 'int', low: written.int[0], high: written.int[1] };
  });

export type HyperparameterSpace = z.input<typeof hyperparameterSpace>;

/** Every value of a dimension a grid search tries; undefined for continuous distributions, which have no grid. */
export function gridValues(dimension: Dimension): JsonValue[] | undefined {
  switch (dimension.kind) {
    case 'choice':
      return dimension.values;
    case 'int':
      return Array.from({ length: dimension.high - dimension.low + 1 }, (_, i) => dimension.low + i);
    default:
      return undefined;
  }
}

/** How many values gridValues would list (without listing them); Infinity for continuous distributions. */
export function gridSize(dimension: Dimension): number {
  switch (dimension.kind) {
    case 'choice':
      return dimension.values.length;
    case 'int':
      return dimension.high - dimension.low + 1;
    default:
      return Number.POSITIVE_INFINITY;
  }
}

/** One value drawn from a dimension with `random()` in [0, 1). */
export function sampleValue(dimension: Dimension, random: () => number): JsonValue {
  const u = random();
  switch (dimension.kind) {
    case 'choice':
      return dimension.values[Math.floor(u * dimension.values.length)] as JsonValue;
    case 'uniform':
      return dimension.low + u * (dimension.high - dimension.low);
    case 'logUniform':
      return Math.exp(Math.log(dimension.low) + u * (Math.log(dimension.high) - Math.log(dimension.low)));
    case 'int':
      return dimension.low + Math.floor(u * (dimension.high - dimension.low + 1));
  }
}

/**
 * Values that stand for everything a dimension can produce when checking it against a trainer's
 * schema: every choice, or a range's ends and a point inside (a non-integer one for continuous
 * ranges, so a continuous range over an integer parameter is caught).
 */
export function probeValues(dimension: Dimension): JsonValue[] {
  switch (dimension.kind) {
    case 'choice':
      return dimension.values;
    case 'uniform':
      return [dimension.low, dimension.high, insideNonInteger(dimension.low, dimension.high, (dimension.low + dimension.high) / 2)];
    case 'logUniform':
      return [dimension.low, dimension.high, insideNonInteger(dimension.low, dimension.high, Math.sqrt(dimension.low * dimension.high))];
    case 'int':
      return [dimension.low, dimension.high];
  }
}

function insideNonInteger(low: number, high: number, middle: number): number {
  if (!Number.isInteger(middle)) return middle;
  // The middle of [1, 3] is 2; a quarter of the way in is not an integer unless the range is wide.
  const quarter = low + (high - low) / 4;
  return Number.isInteger(quarter) ? quarter + 0.5 : quarter;
}

/** The dimension as written in params, for messages. */
export function describeDimension(dimension: Dimension): string {
  return dimension.kind === 'choice' ? JSON.stringify(dimension.values) : `${dimension.kind} [${dimension.low}, ${dimension.high}]`;
}
