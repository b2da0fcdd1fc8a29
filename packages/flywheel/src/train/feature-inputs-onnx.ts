import type { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { FEATURE_INPUT_TYPE } from './feature-input.js';
import type { FeatureSpec } from './feature-spec.js';
import { addTimeParts, type TimePartValue } from './time-parts-onnx.js';

/**
 * Declares a trained model's inputs, one [N,1] tensor per feature of its spec in spec order
 * (typed by FEATURE_INPUT_TYPE), and derives the parts of its timestamp inputs; returns those
 * parts, feature by feature, as float [N,1] values.
 *
 * @example
 *   const timeParts = addFeatureInputs(g, spec); // then Concat numeric inputs and time parts …
 */
export function addFeatureInputs(g: OnnxGraphBuilder, spec: FeatureSpec): TimePartValue[] {
  for (const feature of spec.features) g.input(feature.name, FEATURE_INPUT_TYPE[feature.kind], ['N', 1]);
  const time = spec.features.flatMap((f) => (f.kind === 'timestamp' ? [{ name: f.name, parts: f.parts ?? [] }] : []));
  return addTimeParts(g, time);
}
