import { InvalidInputError } from '../core/errors.js';
import { binaryClassifierOutputs, describeOnnxModel, type ModelSignature, type TensorSpec } from '../onnx/model-signature.js';
import type { ModelTask } from './metric-catalog.js';

/** The output holding a model's prediction, and in which column of its last dimension. */
export interface PredictionOutput {
  task: ModelTask;
  /** The positive-class probability (classification) or the predicted number (regression) … */
  output: string;
  /** … in this column (0 for a single-column output). */
  column: number;
}

const FLOAT_TYPES = new Set(['float32', 'float64']);
const INTEGER_TYPES = new Set(['int64', 'int32']);

/**
 * Where the prediction is among a model's outputs, for the given task or the one its outputs
 * show: a binary classifier has an integer (label) output, a float output with two columns or
 * one whose name says probability, or maps (ZipMap); a regressor has one float output of one
 * value per row, `variable` [N,1] as Flywheel's and skl2onnx's. InvalidInputError when the
 * outputs fit neither, or not the given task.
 *
 * @example
 *   predictionOutput(signature) // { task: 'regression', output: 'variable', column: 0 }
 *   predictionOutput(signature, 'classification') // { task: 'classification', output: 'probabilities', column: 1 }
 */
export function predictionOutput(signature: ModelSignature, task: ModelTask = inferTask(signature)): PredictionOutput {
  if (task === 'classification') {
    const outputs = binaryClassifierOutputs(signature);
    return { task, output: outputs.probability, column: outputs.probabilityColumn };
  }
  return { task, output: regressionOutput(signature), column: 0 };
}

/**
 * The task of a model file, read from its outputs (see predictionOutput).
 *
 * @example
 *   await modelTask('model.onnx') // 'classification'
 */
export async function modelTask(modelPath: string): Promise<ModelTask> {
  return inferTask((await describeOnnxModel(modelPath)).signature);
}

function inferTask(signature: ModelSignature): ModelTask {
  const classifier = signature.outputs.some(
    (o) => o.type === 'non-tensor' || INTEGER_TYPES.has(o.type) || (FLOAT_TYPES.has(o.type) && (/prob/i.test(o.name) || o.shape.at(-1) === 2)),
  );
  return classifier ? 'classification' : 'regression';
}

function regressionOutput(signature: ModelSignature): string {
  const single = signature.outputs.filter((o) => FLOAT_TYPES.has(o.type) && oneValuePerRow(o));
  const output = single.find((o) => o.name === 'variable') ?? (single.length === 1 ? single[0] : undefined);
  if (!output) {
    const seen = signature.outputs.map((o) => `${o.name} (${o.type} [${o.shape.join(', ')}])`).join(', ');
    const problem = single.length === 0 ? 'no float output with one value per row' : `${single.length} float outputs with one value per row and none named variable`;
    throw new InvalidInputError('model outputs', `a regressor needs one prediction per row: ${problem} among ${seen}`, 'export the prediction as a float tensor `variable` [N,1]');
  }
  return output.name;
}

function oneValuePerRow(spec: TensorSpec): boolean {
  return spec.shape.length <= 1 || (spec.shape.length === 2 && spec.shape[1] === 1);
}
