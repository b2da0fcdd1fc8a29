import { describe, expect, it } from 'vitest';
import type { ModelSignature, TensorSpec } from '../onnx/model-signature.js';
import { predictionOutput } from './model-task.js';

const input: TensorSpec = { name: 'x', type: 'float32', shape: ['N', 1] };
const signature = (...outputs: TensorSpec[]): ModelSignature => ({ inputs: [input], outputs });

describe('predictionOutput', () => {
  it('finds a Flywheel classifier: probabilities [N,2] and an int64 label', () => {
    const s = signature({ name: 'label', type: 'int64', shape: ['N'] }, { name: 'probabilities', type: 'float32', shape: ['N', 2] });
    expect(predictionOutput(s)).toEqual({ task: 'classification', output: 'probabilities', column: 1 });
  });

  it('finds a regressor: variable [N,1], or the only float output of one value per row', () => {
    expect(predictionOutput(signature({ name: 'variable', type: 'float32', shape: ['N', 1] }))).toEqual({ task: 'regression', output: 'variable', column: 0 });
    expect(predictionOutput(signature({ name: 'y', type: 'float64', shape: [-1] }))).toEqual({ task: 'regression', output: 'y', column: 0 });
  });

  it('takes a single-column output named for a probability as a classifier’s', () => {
    expect(predictionOutput(signature({ name: 'probability', type: 'float32', shape: ['N', 1] }))).toMatchObject({ task: 'classification', column: 0 });
  });

  it('follows the task it is given', () => {
    expect(predictionOutput(signature({ name: 'score', type: 'float32', shape: ['N', 1] }), 'classification')).toMatchObject({ task: 'classification', output: 'score' });
  });

  it('names the outputs when none fits', () => {
    const wide = signature({ name: 'a', type: 'float32', shape: ['N', 3] });
    expect(() => predictionOutput(wide)).toThrow(/model outputs: a regressor needs one prediction per row: no float output with one value per row among a \(float32 \[N, 3\]\)/);
    const two = signature({ name: 'a', type: 'float32', shape: ['N', 1] }, { name: 'b', type: 'float32', shape: ['N', 1] });
    expect(() => predictionOutput(two)).toThrow(/2 float outputs with one value per row and none named variable/);
    expect(() => predictionOutput(signature({ name: 'label', type: 'int64', shape: ['N'] }))).toThrow(/no float output with the positive-class probability/);
  });
});
