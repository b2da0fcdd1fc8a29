import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr, encodeOnnxModel } from '../onnx/onnx-model.js';
import { FEATURE_SPEC_KEY, type FeatureSpec } from './feature-spec.js';
import { LINEAR_OPSETS, addLinearFeatures } from './linear-features-onnx.js';
import { flatWeights } from './linear-weights.js';
import type { LogisticModel } from './logistic-regression.js';

/** Names of the model's outputs, which no input may take. */
export const LOGISTIC_OUTPUTS = ['label', 'probabilities'] as const;
const BATCH = 'N';

/**
 * One ONNX graph from raw features to predictions, preprocessing included (see
 * `addLinearFeatures`), ending in
 *
 * ```
 * features:all ─ LinearClassifier ─ label [N], probabilities [N,2]
 * ```
 *
 * LinearClassifier gets two rows, `-w` and `w`, so with the LOGISTIC transform its scores are
 * `[1 - σ(z), σ(z)]` and its label the argmax, with no binary special case involved.
 *
 * @example
 *   await writeFile('model.onnx', exportLogisticOnnx(trained.model, trained.spec));
 */
export function exportLogisticOnnx(model: LogisticModel, spec: FeatureSpec): Uint8Array {
  const g = new OnnxGraphBuilder('logistic_regression', `P(${spec.label} = 1) by logistic regression`);
  const columns = addLinearFeatures(g, model.preprocessing, spec);
  const weights = flatWeights(model);
  g.node('LinearClassifier', [columns], ['label', 'probabilities'], {
    coefficients: attr.floats([...weights.map((w) => -w), ...weights]),
    intercepts: attr.floats([-model.intercept, model.intercept]),
    classlabels_ints: attr.ints([0, 1]),
    post_transform: attr.string('LOGISTIC'),
  }, 'ai.onnx.ml');
  g.output('label', 'int64', [BATCH], `predicted ${spec.label}: 1 when P > 0.5`);
  g.output('probabilities', 'float', [BATCH, 2], `[P(${spec.label} = 0), P(${spec.label} = 1)]`);

  return encodeOnnxModel({
    graph: g.build(),
    opsets: LINEAR_OPSETS,
    docString: `Logistic regression predicting ${spec.label} from ${spec.features.map((f) => f.name).join(', ')}`,
    metadata: { [FEATURE_SPEC_KEY]: JSON.stringify(spec) },
  });
}
