import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError, errorMessage, isFlywheelError } from '../core/errors.js';
import { localModelFile } from '../deploy/model-version-file.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { Blessing, Dataset, Metrics, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { readFeatureSpec } from '../train/feature-spec.js';
import { Baseline, readBaselineFile } from './baseline.js';
import { binaryMetrics, metricsToJson, type BinaryMetrics } from './binary-metrics.js';
import { blessingToJson, decideBlessing, type BlessingInput } from './blessing.js';
import { scoreDataset } from './score-dataset.js';

export const evaluateParams = z.object({
  /** 0/1 column of the evaluation data; by default the label the model was trained on. */
  label: z.string().min(1).optional(),
  /** Deciding metric: `auc` and `accuracy` are better higher, `logLoss` lower. */
  metric: z.enum(['auc', 'accuracy', 'logLoss']).default('auc'),
  /** The candidate must beat the baseline by more than this. */
  minImprovement: z.number().nonnegative().default(0),
});

export type EvaluateParams = z.infer<typeof evaluateParams>;

/**
 * Scores a candidate model on evaluation data and, when a baseline is wired (the output of
 * resolveBaselineComponent), the baseline version on the same data; blesses the candidate when
 * its metric is defined and beats the baseline's. Writes the candidate's metrics and the blessing.
 *
 * @example
 *   const champion = p.step(resolveBaselineComponent, { params: { model: 'flights' } });
 *   p.step(evaluateComponent, {
 *     inputs: { model: train.outputs.model, examples: february.outputs.examples, baseline: champion.outputs.baseline },
 *   });
 */
export const evaluateComponent = component({
  name: 'evaluate',
  version: '2',
  description: 'Binary classification metrics (AUC, log loss, accuracy) and a blessing against the champion',
  params: evaluateParams,
  inputs: { model: Model, examples: Dataset, baseline: Baseline },
  optionalInputs: ['baseline'],
  outputs: { metrics: Metrics, blessing: Blessing },
  run: async ({ params, inputs, outputs, stack, log, workDir, signal }) => {
    const spec = readFeatureSpec(readOnnxHeader(await readFile(inputs.model.path)).metadata);
    const label = params.label ?? spec?.label;
    if (!label) throw new InvalidInputError('label', 'the model does not say which column it predicts', 'set params.label');

    const candidate = await evaluate(inputs.model.path, inputs.examples.path, label, signal);
    log.info(`candidate: ${summary(candidate)}`);

    let baseline: BlessingInput['baseline'];
    if (inputs.baseline) {
      const { model, alias, version: number, digest } = await readBaselineFile(inputs.baseline.path);
      const version = number === null || digest === null ? undefined : { modelName: model, version: number, digest };
      if (!version) {
        baseline = { model, alias, found: false };
      } else if (version.digest === inputs.model.digest) {
        baseline = { model, alias, found: true, version: version.version, metrics: candidate, sameModel: true };
      } else {
        const path = await localModelFile(stack.artifacts, version, workDir);
        let metrics: BinaryMetrics;
        try {
          metrics = await evaluate(path, inputs.examples.path, label, signal);
        } catch (error) {
          if (!isFlywheelError(error)) throw error;
          throw new InvalidInputError(
            'baseline',
            `${model} ${alias} (v${version.version}) cannot be scored on this data: ${errorMessage(error)}`,
            'evaluate without a baseline input to replace a champion that needs other inputs',
          );
        }
        log.info(`${alias} v${version.version}: ${summary(metrics)}`);
        baseline = { model, alias, found: true, version: version.version, metrics, sameModel: false };
      }
    }

    const blessing = decideBlessing({ metric: params.metric, minImprovement: params.minImprovement, candidate, baseline });
    for (const reason of blessing.reasons) log.info(`${blessing.blessed ? 'blessed' : 'not blessed'}: ${reason}`);

    const metricsJson = metricsToJson(candidate);
    await writeFile(outputs.metrics.path, `${JSON.stringify(metricsJson, null, 2)}\n`);
    await writeFile(outputs.blessing.path, `${JSON.stringify(blessingToJson(blessing), null, 2)}\n`);
    Object.assign(outputs.metrics.properties, metricsJson);
    Object.assign(outputs.blessing.properties, { blessed: blessing.blessed, metric: blessing.metric, candidate: blessing.candidate, baseline: blessing.baseline?.value ?? null });
    return {
      blessed: blessing.blessed,
      [params.metric]: blessing.candidate,
      baselineVersion: blessing.baseline?.version ?? null,
      baselineValue: blessing.baseline?.value ?? null,
    };
  },
});

async function evaluate(modelPath: string, datasetPath: string, label: string, signal: AbortSignal): Promise<BinaryMetrics> {
  const scores = await scoreDataset(modelPath, datasetPath, { label, signal });
  return binaryMetrics(scores.labels as Uint8Array, scores.probabilities);
}

function summary(m: BinaryMetrics): string {
  return `auc ${m.auc.toFixed(4)}, log loss ${m.logLoss.toFixed(4)}, accuracy ${m.accuracy.toFixed(4)} on ${m.rowCount} rows (positive rate ${m.positiveRate.toFixed(4)})`;
}
