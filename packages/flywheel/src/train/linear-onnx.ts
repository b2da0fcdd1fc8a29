import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { attr, encodeOnnxModel } from '../onnx/onnx-model.js';
import { FEATURE_SPEC_KEY, type FeatureSpec } from './feature-spec.js';
import { LINEAR_OPSETS, addLinearFeatures } from './linear-features-onnx.js';
import type { LinearRegressionModel } from './linear-regression.js';
import { flatWeights } from './linear-weights.js';

/** Names of the model's outputs, which no input may take: the same as a GBDT regressor's. */
export const LINEAR_OUTPUTS = ['variable'] as const;

/**
 * One ONNX graph from raw features to the predicted number, preprocessing included (see
 * `addLinearFeatures`), ending in
 *
 * ```
 * features:all ─ LinearRegressor ─ variable float [N,1]
 * ```
 *
 * @example
 *   await writeFile('model.onnx', exportLinearRegressionOnnx(trained.model, trained.spec));
 */
export function exportLinearRegressionOnnx(model: LinearRegressionModel, spec: FeatureSpec): Uint8Array {
  const g = new OnnxGraphBuilder('linear_regression', `${spec.label} by linear regression`);
  const columns = addLinearFeatures(g, model.preprocessing, spec);
  g.node('LinearRegressor', [columns], ['variable'], {
    coefficients: attr.floats(flatWeights(model)),
    intercepts: attr.floats([model.intercept]),
    targets: attr.int(1),
  }, 'ai.onnx.ml');
  g.output('variable', 'float', ['N', 1], `predicted ${spec.label}`);
  return encodeOnnxModel({
    graph: g.build(),
    opsets: LINEAR_OPSETS,
    docString: `Linear regression predicting ${spec.label} from ${spec.features.map((f) => f.name).join(', ')}`,
    metadata: { [FEATURE_SPEC_KEY]: JSON.stringify(spec) },
  });
}
