import type { DesignMatrix } from './design-matrix.js';
import type { Preprocessing } from './preprocessing.js';
import { TIME_PART_VALUES, timePartName } from './time-parts.js';

/**
 * A linear function of preprocessed features, `b + w·x`: what logistic regression (through a
 * sigmoid) and linear regression fit.
 */
export interface LinearWeights {
  preprocessing: Preprocessing;
  intercept: number;
  /** One weight per numeric feature (on the standardised value). */
  numericWeights: Float64Array;
  /** Per categorical feature, one weight per category. */
  categoricalWeights: Float64Array[];
  /** Per time part (features in order, their parts in order), one weight per value: hour 0…23, dayOfWeek 0…6, month 1…12. */
  timeWeights: Float64Array[];
}

/**
 * Where the weights sit in a flat parameter vector: the intercept at 0, the numeric weights from
 * 1, then one block per one-hot group — categorical features, then time parts.
 */
export interface WeightLayout {
  numericCount: number;
  /** First parameter and size of each one-hot block. */
  blocks: { offset: number; size: number }[];
  parameters: number;
}

/**
 * The parameter layout of a linear model over a preprocessing.
 *
 * @example
 *   weightLayout({ numeric: [{ name: 'distance', mean: 900, std: 600 }], categorical: [{ name: 'origin', categories: ['ORD', 'ATL'] }], time: [] })
 *   // { numericCount: 1, blocks: [{ offset: 2, size: 2 }], parameters: 4 }
 */
export function weightLayout(preprocessing: Preprocessing): WeightLayout {
  const sizes = [
    ...preprocessing.categorical.map((f) => f.categories.length),
    ...preprocessing.time.flatMap((t) => t.parts.map((part) => TIME_PART_VALUES[part].count)),
  ];
  let parameters = 1 + preprocessing.numeric.length;
  const blocks = sizes.map((size) => {
    const block = { offset: parameters, size };
    parameters += size;
    return block;
  });
  return { numericCount: preprocessing.numeric.length, blocks, parameters };
}

/**
 * Per one-hot block (in layout order), the parameter index each row activates, -1 for none: the
 * sparse half of the design matrix as the fitting loops use it.
 */
export function activeParameters(matrix: DesignMatrix, layout: WeightLayout): Int32Array[] {
  return [...matrix.categorical, ...matrix.time].map((positions, b) => {
    const offset = (layout.blocks[b] as { offset: number }).offset;
    const out = new Int32Array(matrix.rows);
    for (let i = 0; i < matrix.rows; i++) {
      const p = positions[i] as number;
      out[i] = p < 0 ? -1 : offset + p;
    }
    return out;
  });
}

/** The weights held in a flat parameter vector laid out by `weightLayout(preprocessing)`. */
export function unpackWeights(theta: Float64Array, preprocessing: Preprocessing): LinearWeights {
  const layout = weightLayout(preprocessing);
  const blocks = layout.blocks.map(({ offset, size }) => theta.slice(offset, offset + size));
  const categoricalCount = preprocessing.categorical.length;
  return {
    preprocessing,
    intercept: theta[0] as number,
    numericWeights: theta.slice(1, 1 + layout.numericCount),
    categoricalWeights: blocks.slice(0, categoricalCount),
    timeWeights: blocks.slice(categoricalCount),
  };
}

/** The weights without the intercept, in the order of the model's columns (and of the ONNX graph's). */
export function flatWeights(model: LinearWeights): number[] {
  return [...model.numericWeights, ...model.categoricalWeights.flatMap((w) => [...w]), ...model.timeWeights.flatMap((w) => [...w])];
}

/**
 * A name per model column, in the order of `flatWeights`: the numeric feature, `feature=category`
 * for a one-hot column, `date.hour=7` for a time part's.
 *
 * @example
 *   columnNames(model.preprocessing) // ['distance', 'origin=ORD', …, 'date.hour=0', …]
 */
export function columnNames(preprocessing: Preprocessing): string[] {
  return [
    ...preprocessing.numeric.map((f) => f.name),
    ...preprocessing.categorical.flatMap((f) => f.categories.map((category) => `${f.name}=${category}`)),
    ...preprocessing.time.flatMap((t) =>
      t.parts.flatMap((part) => {
        const { first, count } = TIME_PART_VALUES[part];
        return Array.from({ length: count }, (_, k) => `${timePartName(t.name, part)}=${first + k}`);
      }),
    ),
  ];
}

/**
 * `b + w·x` per row of a design matrix, in float64.
 *
 * @example
 *   const scores = linearScores(model, await readDesignMatrix(db, from, model.preprocessing));
 */
export function linearScores(model: LinearWeights, matrix: DesignMatrix): Float64Array {
  const out = new Float64Array(matrix.rows).fill(model.intercept);
  matrix.numeric.forEach((column, j) => {
    const w = model.numericWeights[j] as number;
    for (let i = 0; i < matrix.rows; i++) out[i] = (out[i] as number) + w * (column[i] as number);
  });
  const blocks = [...model.categoricalWeights, ...model.timeWeights];
  [...matrix.categorical, ...matrix.time].forEach((positions, b) => {
    const weights = blocks[b] as Float64Array;
    for (let i = 0; i < matrix.rows; i++) {
      const p = positions[i] as number;
      if (p >= 0) out[i] = (out[i] as number) + (weights[p] as number);
    }
  });
  return out;
}
