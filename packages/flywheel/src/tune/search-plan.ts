import type { JsonObject, JsonValue } from '../core/json.js';
import { seededRandom } from '../train/gbdt/binning.js';
import { gridSize, gridValues, sampleValue, type Dimension } from './search-space.js';

/** Values of the searched hyperparameters for one trial, by name. */
export type Hyperparameters = JsonObject;

/** A search space with its dimensions in a fixed (sorted) order, so the plan does not depend on how params were written. */
export type SearchSpace = Readonly<Record<string, Dimension>>;

function sortedEntries(space: SearchSpace): [string, Dimension][] {
  return Object.entries(space).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** How many trials a grid search of the space runs: the product of the dimensions' sizes (Infinity if one is continuous). */
export function gridTrialCount(space: SearchSpace): number {
  return Object.values(space).reduce((product, dimension) => product * gridSize(dimension), 1);
}

/**
 * Every combination of the space's values, as scikit-learn's ParameterGrid orders them: names
 * sorted, the last name varying fastest. Throws on a continuous dimension (check gridTrialCount first).
 *
 * @example
 *   gridTrials({ l2: { kind: 'choice', values: [0, 1] }, topK: { kind: 'int', low: 5, high: 6 } })
 *   // [{ l2: 0, topK: 5 }, { l2: 0, topK: 6 }, { l2: 1, topK: 5 }, { l2: 1, topK: 6 }]
 */
export function gridTrials(space: SearchSpace): Hyperparameters[] {
  let combinations: Hyperparameters[] = [{}];
  for (const [name, dimension] of sortedEntries(space)) {
    const values = gridValues(dimension);
    if (values === undefined) throw new TypeError(`hyperparameter ${name} is continuous and has no grid`);
    combinations = combinations.flatMap((combination) => values.map((value): Hyperparameters => ({ ...combination, [name]: value })));
  }
  return combinations;
}

/**
 * `count` independent draws from the space (with replacement, as Optuna's random sampler), from a
 * generator seeded with `seed`: the same seed and space give the same trials on every machine.
 *
 * @example
 *   randomTrials({ l2: { kind: 'logUniform', low: 1e-5, high: 1 } }, 3, 7) // [{ l2: 0.0000114… }, { l2: 0.0000204… }, { l2: 0.7665… }]
 */
export function randomTrials(space: SearchSpace, count: number, seed: number): Hyperparameters[] {
  const random = seededRandom(seed);
  const entries = sortedEntries(space);
  return Array.from({ length: count }, () => {
    const trial: Record<string, JsonValue> = {};
    for (const [name, dimension] of entries) trial[name] = sampleValue(dimension, random);
    return trial;
  });
}
