import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr, encodeOnnxModel } from '../onnx/onnx-model.js';
import { FEATURE_SPEC_KEY, type FeatureSpec } from './feature-spec.js';
import type { LogisticModel } from './logistic-regression.js';

/** Operator sets the exported graphs use; onnx ≥ 1.12 and onnxruntime ≥ 1.12 read them. */
export const OPSETS = { '': 17, 'ai.onnx.ml': 3 } as const;

const ML = 'ai.onnx.ml';
/** Names of the model's outputs, which no input may take. */
export const LOGISTIC_OUTPUTS = ['label', 'probabilities'] as const;
const BATCH = 'N';

/**
 * One ONNX graph from raw features to predictions, preprocessing included:
 *
 * ```
 * numeric inputs [N,1] ─ Concat ─ Imputer (NaN → mean) ─ Scaler ((x - mean) / std) ─┐
 * each categorical input [N,1] ─ OneHotEncoder (top-K, others → 0) ─ Flatten ───────┼─ Concat ─ LinearClassifier ─ label [N], probabilities [N,2]
 * ```
 *
 * LinearClassifier gets two rows, `-w` and `w`, so with the LOGISTIC transform its scores are
 * `[1 - σ(z), σ(z)]` and its label the argmax, with no binary special case involved. Every
 * categorical feature needs at least one category (the trainer checks).
 */
export function exportLogisticOnnx(model: LogisticModel, spec: FeatureSpec): Uint8Array {
  const { numeric, categorical } = model.preprocessing;
  const g = new OnnxGraphBuilder('logistic_regression', `P(${spec.label} = 1) by logistic regression`);
  for (const feature of spec.features) g.input(feature.name, feature.kind === 'numeric' ? 'float' : 'string', [BATCH, 1]);

  const blocks: string[] = [];
  const weights: number[] = [];
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
    g.describe('numeric:raw', 'float', [BATCH, numeric.length]);
    g.describe('numeric:imputed', 'float', [BATCH, numeric.length]);
    g.describe('numeric:scaled', 'float', [BATCH, numeric.length]);
    blocks.push('numeric:scaled');
    weights.push(...model.numericWeights);
  }
  categorical.forEach((feature, c) => {
    const encoded = `onehot:${feature.name}`;
    g.node('OneHotEncoder', [feature.name], [`${encoded}:3d`], { cats_strings: attr.strings(feature.categories), zeros: attr.int(1) }, ML);
    g.node('Flatten', [`${encoded}:3d`], [encoded], { axis: attr.int(1) });
    g.describe(`${encoded}:3d`, 'float', [BATCH, 1, feature.categories.length]);
    g.describe(encoded, 'float', [BATCH, feature.categories.length]);
    blocks.push(encoded);
    weights.push(...(model.categoricalWeights[c] as Float64Array));
  });

  g.node('Concat', blocks, ['features:all'], { axis: attr.int(1) });
  g.describe('features:all', 'float', [BATCH, weights.length]);
  g.node('LinearClassifier', ['features:all'], ['label', 'probabilities'], {
    coefficients: attr.floats([...weights.map((w) => -w), ...weights]),
    intercepts: attr.floats([-model.intercept, model.intercept]),
    classlabels_ints: attr.ints([0, 1]),
    post_transform: attr.string('LOGISTIC'),
  }, ML);
  g.output('label', 'int64', [BATCH], `predicted ${spec.label}: 1 when P > 0.5`);
  g.output('probabilities', 'float', [BATCH, 2], `[P(${spec.label} = 0), P(${spec.label} = 1)]`);

  return encodeOnnxModel({
    graph: g.build(),
    opsets: OPSETS,
    docString: `Logistic regression predicting ${spec.label} from ${spec.features.map((f) => f.name).join(', ')}`,
    metadata: { [FEATURE_SPEC_KEY]: JSON.stringify(spec) },
  });
}
