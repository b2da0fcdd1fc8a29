import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError, errorMessage, isFlywheelError } from '../core/errors.js';
import { localModelFile } from '../deploy/model-version-file.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { Blessing, Dataset, Metrics, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { readFeatureSpec } from '../train/feature-spec.js';
import { Baseline, readBaselineFile } from './baseline.js';
import { metricsToJson } from './binary-metrics.js';
import { blessingToJson, decideBlessing, type BlessingInput } from './blessing.js';
import { checkSliceNames, evaluateModel, evaluationOptionsShape, type Evaluation, type EvaluationOptions } from './evaluate-model.js';
import { evaluationToJson } from './evaluation-report.js';
import { modelTask } from './model-task.js';
import { changeSchema, compileValidation, thresholdsSchema } from './validation-config.js';

/**
 * Parameters of `evaluate`; defaults shown. Every metric named must be one of the model's task
 * (classification: auc, prAuc, logLoss, brierScore, accuracy, precision, recall, f1; regression:
 * rmse, mae, r2, mape).
 */
export const evaluateParams = z
  .strictObject({
    /** Column of the evaluation data to compare predictions with; by default the label the model was trained on. */
    label: z.string().min(1).optional(),
    ...evaluationOptionsShape,
    /** Absolute bounds on metrics of the whole data, e.g. `{ auc: { min: 0.6 }, logLoss: { max: 0.7 } }`. */
    thresholds: thresholdsSchema.optional(),
    /**
     * How much metrics must improve on the baseline's (same data); `{ auc: { minImprovement: 0 } }`
     * for a classifier and `{ rmse: { minImprovement: 0 } }` for a regressor by default, `{}` to compare nothing.
     */
    change: changeSchema.optional(),
  })
  .superRefine(checkSliceNames);

export type EvaluateParams = z.infer<typeof evaluateParams>;

/**
 * Scores a candidate model on evaluation data and, when a baseline is wired (the output of
 * resolveBaselineComponent) and metrics are to be compared, the baseline version on the same
 * data; computes metrics overall, per slice and across slices, and blesses the candidate when
 * every check passes. Writes the candidate's evaluation (Metrics) and the verdict with every
 * check (Blessing); returns the flat metrics.
 *
 * @example
 *   const champion = p.step(resolveBaselineComponent, { params: { model: 'flights' } });
 *   p.step(evaluateComponent, {
 *     inputs: { model: train.outputs.model, examples: february.outputs.examples, baseline: champion.outputs.baseline },
 *     params: { slices: [{ column: 'origin', top: 10 }], fairness: [{ slice: 'origin', metric: 'auc', maxGap: 0.1 }], thresholds: { auc: { min: 0.6 } } },
 *   });
 */
export const evaluateComponent = component({
  name: 'evaluate',
  version: '3',
  description: 'Classification or regression metrics, overall and per slice, and a blessing from thresholds and the champion',
  params: evaluateParams,
  inputs: { model: Model, examples: Dataset, baseline: Baseline },
  optionalInputs: ['baseline'],
  outputs: { metrics: Metrics, blessing: Blessing },
  run: async ({ params, inputs, outputs, stack, log, workDir, signal }) => {
    const spec = readFeatureSpec(readOnnxHeader(await readFile(inputs.model.path)).metadata);
    const label = params.label ?? spec?.label;
    if (!label) throw new InvalidInputError('label', 'the model does not say which column it predicts', 'set params.label');
    const task = params.task ?? (await modelTask(inputs.model.path));
    const validation = compileValidation(params, task);
    const { label: _label, thresholds: _thresholds, change: _change, ...evaluation } = params;
    const options: EvaluationOptions = { ...evaluation, task, signal };

    const candidate = await evaluateModel(inputs.model.path, inputs.examples.path, label, options);
    log.info(`candidate: ${summary(candidate)}`);

    let baseline: BlessingInput['baseline'];
    if (inputs.baseline && validation.change.length > 0) {
      const { model, alias, version: number, digest } = await readBaselineFile(inputs.baseline.path);
      const version = number === null || digest === null ? undefined : { modelName: model, version: number, digest };
      if (!version) {
        baseline = { model, alias, found: false };
      } else if (version.digest === inputs.model.digest) {
        baseline = { model, alias, found: true, version: version.version, metrics: candidate.metrics, sameModel: true };
      } else {
        const path = await localModelFile(stack.artifacts, version, workDir);
        let evaluated: Evaluation;
        try {
          evaluated = await evaluateModel(path, inputs.examples.path, label, { task, decisionThreshold: params.decisionThreshold, signal });
        } catch (error) {
          if (!isFlywheelError(error)) throw error;
          throw new InvalidInputError(
            'baseline',
            `${model} ${alias} (v${version.version}) cannot be scored on this data: ${errorMessage(error)}`,
            'evaluate without a baseline input to replace a champion that needs other inputs',
          );
        }
        log.info(`${alias} v${version.version}: ${summary(evaluated)}`);
        baseline = { model, alias, found: true, version: version.version, metrics: evaluated.metrics, sameModel: false };
      }
    }

    const blessing = decideBlessing({ validation, candidate, baseline });
    for (const check of blessing.checks) log.info(`${check.passed ? 'pass' : 'FAIL'}: ${check.message}`);
    log.info(blessing.blessed ? 'blessed' : `not blessed: ${blessing.checks.filter((c) => !c.passed).length} of ${blessing.checks.length} checks failed`);

    const flat = metricsToJson(candidate.metrics);
    await writeFile(outputs.metrics.path, `${JSON.stringify(evaluationToJson(candidate), null, 2)}\n`);
    await writeFile(outputs.blessing.path, `${JSON.stringify(blessingToJson(blessing), null, 2)}\n`);
    Object.assign(outputs.metrics.properties, flat, { task });
    Object.assign(outputs.blessing.properties, { blessed: blessing.blessed, metric: blessing.metric, candidate: blessing.candidate, baseline: blessing.baseline?.value ?? null });
    return {
      blessed: blessing.blessed,
      ...flat,
      baselineVersion: blessing.baseline?.version ?? null,
      baselineValue: blessing.baseline?.value ?? null,
    };
  },
});

function summary(evaluation: Evaluation): string {
  const f = (value: number) => value.toFixed(4);
  if (evaluation.task === 'regression') {
    const r = evaluation.metrics;
    return `rmse ${f(r.rmse)}, mae ${f(r.mae)}, r2 ${f(r.r2)}, mape ${f(r.mape)} on ${r.rowCount} rows`;
  }
  const c = evaluation.metrics;
  return `auc ${f(c.auc)}, pr auc ${f(c.prAuc)}, log loss ${f(c.logLoss)}, accuracy ${f(c.accuracy)} on ${c.rowCount} rows (positive rate ${f(c.positiveRate)})`;
}
