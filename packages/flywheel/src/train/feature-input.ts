import { quoteIdentifier } from '../data/duckdb.js';
import { readOnnxHeader, type OnnxElementType } from '../onnx/onnx-model.js';
import { readFeatureSpec, type FeatureKind } from './feature-spec.js';

/** The element type of a trained model's input [N,1] for each kind of feature. */
export const FEATURE_INPUT_TYPE: Readonly<Record<FeatureKind, OnnxElementType>> = {
  numeric: 'float',
  categorical: 'string',
  timestamp: 'double',
};

/**
 * DuckDB SQL that feeds a trained model's input from the dataset column of the same name:
 * the column itself for numeric and categorical features, and for a timestamp its seconds
 * since the Unix epoch (`epoch(col)`, a DOUBLE with the fraction of a second; a TIMESTAMP
 * without time zone counts as UTC). Use it wherever a model reads a dataset, with the kind
 * from the model's feature spec; without one (a model Flywheel did not train) the kind is
 * undefined and the column feeds the input as it is.
 *
 * @example
 *   featureInputExpr({ name: 'date', kind: 'timestamp' }) // 'epoch("date")'
 *   featureInputExpr({ name: 'distance', kind: 'numeric' }) // '"distance"'
 *   featureInputExpr({ name: 'x', kind: undefined }) // '"x"'
 */
export function featureInputExpr(feature: { name: string; kind: FeatureKind | undefined }): string {
  const column = quoteIdentifier(feature.name);
  return feature.kind === 'timestamp' ? `epoch(${column})` : column;
}

/**
 * The feature kind of each input of a model (its file's bytes), from the feature spec in its
 * metadata; empty for a model without one, whose inputs are then fed their columns as they are.
 */
export function inputFeatureKinds(model: Uint8Array): Map<string, FeatureKind> {
  const spec = readFeatureSpec(readOnnxHeader(model).metadata);
  return new Map((spec?.features ?? []).map((feature) => [feature.name, feature.kind]));
}
