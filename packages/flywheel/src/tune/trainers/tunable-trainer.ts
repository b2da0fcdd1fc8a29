import type { z } from 'zod';
import type { JsonObject } from '../../core/json.js';
import type { StepLogger } from '../../pipeline/component.js';
import type { ModelTask } from '../../evaluate/metric-catalog.js';

/** What a trainer is given besides data and parameters. */
export interface TrainContext {
  log: StepLogger;
  /** Whether it may start helper threads of its own. */
  helperThreads: boolean;
}

/** What one trial's training produced. */
export interface TrainedTrial {
  /** The model file, as the trainer's component writes it. */
  onnx: Uint8Array;
  /** What the trainer's component records on its Model artifact (featureSpec, iterations…). */
  properties: JsonObject;
  /** How training went (final training loss, iterations…), logged on the trial's run beside the validation metrics. */
  trainingMetrics: Record<string, number>;
}

/** What every trial of a search predicts: the same label, the same kind of model. */
export interface TrialProblem {
  label: string;
  task: ModelTask;
}

/**
 * A trainer the tune component can search over, with its parameters erased to JSON: the search
 * space is checked against `params` and every trial's parameters are parsed with it.
 */
export interface TunableTrainer {
  /** The trainer's parameter schema; its keys are the hyperparameters one may search. */
  readonly params: z.ZodObject;
  /** Parameters that pose the problem rather than shape the model (the label…): set in `fixed`, never searched. */
  readonly fixedOnly: readonly string[];
  /** The column a model trained with these (valid) parameters predicts, and whether it classifies or regresses. */
  problem(params: JsonObject): TrialProblem;
  train(datasetPath: string, params: JsonObject, context: TrainContext): Promise<TrainedTrial>;
}

/**
 * Adapts a trainer with typed parameters to TunableTrainer: `task` and `train` get the parameters
 * parsed by the schema (defaults filled in).
 *
 * @example
 *   const logisticTrainer = tunableTrainer({
 *     params: trainLogisticParams, fixedOnly: ['label'], problem: (params) => ({ label: params.label, task: 'classification' }),
 *     train: async (path, params, context) => toTrainedTrial(await trainLogisticRegression(path, params, context)),
 *   });
 */
export function tunableTrainer<S extends z.ZodObject>(definition: {
  params: S;
  fixedOnly: readonly string[];
  problem: (params: z.output<S>) => TrialProblem;
  train: (datasetPath: string, params: z.output<S>, context: TrainContext) => Promise<TrainedTrial>;
}): TunableTrainer {
  return Object.freeze({
    params: definition.params,
    fixedOnly: Object.freeze([...definition.fixedOnly]),
    problem: (params: JsonObject) => definition.problem(definition.params.parse(params)),
    train: (datasetPath: string, params: JsonObject, context: TrainContext) => definition.train(datasetPath, definition.params.parse(params), context),
  });
}
