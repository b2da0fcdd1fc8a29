import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { OnnxGraphBuilder } from '../onnx/graph-builder.js';
import { encodeOnnxModel } from '../onnx/onnx-model.js';
import { FEATURE_SPEC_KEY } from '../train/feature-spec.js';

export interface ClassificationReference {
  name: string;
  labels: number[];
  scores: number[];
  threshold: number;
  bins: number;
  expected: {
    auc: number | null; prAuc: number | null; logLoss: number; brierScore: number; accuracy: number;
    precision: number | null; recall: number | null; f1: number | null;
    confusionMatrix: { tp: number; fp: number; tn: number; fn: number };
    calibration: { bin: number; count: number; meanPredicted: number | null; observedRate: number | null }[];
  };
}

export interface RegressionReference {
  name: string;
  labels: number[];
  predictions: number[];
  expected: { rmse: number; mae: number; r2: number | null; mape: number };
}

/** scikit-learn's values on frozen inputs, written by fixtures/make-metrics-reference.py. */
export async function metricsReference(): Promise<{ classification: ClassificationReference[]; regression: RegressionReference[] }> {
  return JSON.parse(await readFile(new URL('./fixtures/metrics-reference.json', import.meta.url), 'utf8')) as {
    classification: ClassificationReference[];
    regression: RegressionReference[];
  };
}

/** Our value agrees with the reference to 1e-9 (relative above 1); null in the reference is NaN here. */
export function expectAgrees(actual: number, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual, what).toBeNaN();
    return;
  }
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

/**
 * Writes a model that predicts the column `score` (double) as is: a "classifier" whose output
 * `probability` [N,1] is the score, or a regressor whose `variable` [N,1] is. Metrics through
 * the whole evaluator can then be checked against the columns themselves.
 */
export async function writeIdentityModel(path: string, task: 'classification' | 'regression', label?: string): Promise<void> {
  const g = new OnnxGraphBuilder('identity');
  g.input('score', 'double', ['N', 1]);
  const output = task === 'classification' ? 'probability' : 'variable';
  g.node('Identity', ['score'], [output]);
  g.output(output, 'double', ['N', 1]);
  const spec = { version: 1, trainer: 'identity', label, features: [{ name: 'score', kind: 'numeric' }], trainingRows: 0 };
  const metadata = label === undefined ? undefined : { [FEATURE_SPEC_KEY]: JSON.stringify(spec) };
  await writeFile(path, encodeOnnxModel({ graph: g.build(), opsets: { '': 17 }, metadata }));
}
