import { InvalidInputError } from '../core/errors.js';
import type { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr } from '../onnx/onnx-model.js';
import { addFeatureInputs } from './feature-inputs-onnx.js';
import { specFeatures, type FeatureSpec } from './feature-spec.js';
import type { Preprocessing } from './preprocessing.js';
import { TIME_PART_VALUES } from './time-parts.js';

/** Operator sets of the linear models' graphs; onnx ≥ 1.12 and onnxruntime ≥ 1.12 read them. */
export const LINEAR_OPSETS = { '': 17, 'ai.onnx.ml': 3 } as const;

const ML = 'ai.onnx.ml';
const BATCH = 'N';
/** ONNX TensorProto.DataType FLOAT, for Cast. */
const FLOAT = 1;

/**
 * Adds a linear model's inputs and preprocessing to a graph, and returns the float [N, C] value
 * holding the model columns in the order of `flatWeights`:
 *
 * ```
 * numeric inputs float [N,1] ─ Concat ─ Imputer (NaN → mean) ─ Scaler ((x - mean) / std) ─────┐
 * each categorical input string [N,1] ─ OneHotEncoder (top-K, others → 0) ─ Flatten ──────────┼─ Concat ─ features:all
 * each timestamp input double [N,1] ─ time parts ─ Equal (each value) ─ Cast (one-hot) ──────┘
 * ```
 *
 * Every categorical feature needs at least one category (the trainers check). InvalidInputError
 * when the spec's features are not the preprocessing's.
 *
 * @example
 *   const columns = addLinearFeatures(g, model.preprocessing, spec);
 *   g.node('LinearRegressor', [columns], ['variable'], { coefficients: attr.floats(flatWeights(model)), … }, 'ai.onnx.ml');
 */
export function addLinearFeatures(g: OnnxGraphBuilder, preprocessing: Preprocessing, spec: FeatureSpec): string {
  const { numeric, categorical } = preprocessing;
  const expected = JSON.stringify(specFeatures({ numeric: numeric.map((f) => f.name), categorical: categorical.map((f) => f.name), time: preprocessing.time }));
  if (JSON.stringify(spec.features) !== expected) throw new InvalidInputError('spec.features', `must list the model's features in its order: ${expected}`);
  const timeParts = addFeatureInputs(g, spec);

  const blocks: string[] = [];
  let width = 0;
  if (numeric.length > 0) {
    const means = numeric.map((f) => f.mean);
    g.node('Concat', numeric.map((f) => f.name), ['numeric:raw'], { axis: attr.int(1) });
    g.node('Imputer', ['numeric:raw'], ['numeric:imputed'], {
      imputed_value_floats: attr.floats(means),
      replaced_value_float: attr.float(Number.NaN),
    }, ML);
    g.node('Scaler', ['numeric:imputed'], ['numeric:scaled'], {
      offset: attr.floats(means),
      scale: attr.floats(numeric.map((f) => 1 / f.std)),
    }, ML);
    for (const name of ['numeric:raw', 'numeric:imputed', 'numeric:scaled']) g.describe(name, 'float', [BATCH, numeric.length]);
    blocks.push('numeric:scaled');
    width += numeric.length;
  }
  for (const feature of categorical) {
    const encoded = `onehot:${feature.name}`;
    g.node('OneHotEncoder', [feature.name], [`${encoded}:3d`], { cats_strings: attr.strings(feature.categories), zeros: attr.int(1) }, ML);
    g.node('Flatten', [`${encoded}:3d`], [encoded], { axis: attr.int(1) });
    g.describe(`${encoded}:3d`, 'float', [BATCH, 1, feature.categories.length]);
    g.describe(encoded, 'float', [BATCH, feature.categories.length]);
    blocks.push(encoded);
    width += feature.categories.length;
  }
  for (const { part, value } of timeParts) {
    // Comparing with every value of the part ([N,1] against [K] broadcasts to [N,K]); NaN equals none.
    const { first, count } = TIME_PART_VALUES[part];
    const encoded = `onehot:${value}`;
    const values = g.initializer({ name: `${encoded}:values`, type: 'float', dims: [count], data: Float32Array.from({ length: count }, (_, k) => first + k) });
    g.node('Equal', [value, values], [`${encoded}:bool`]);
    g.node('Cast', [`${encoded}:bool`], [encoded], { to: attr.int(FLOAT) });
    g.describe(`${encoded}:bool`, 'bool', [BATCH, count]);
    g.describe(encoded, 'float', [BATCH, count]);
    blocks.push(encoded);
    width += count;
  }

  g.node('Concat', blocks, ['features:all'], { axis: attr.int(1) });
  g.describe('features:all', 'float', [BATCH, width]);
  return 'features:all';
}
