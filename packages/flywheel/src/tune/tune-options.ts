import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import type { JsonObject } from '../core/json.js';
import { DEFAULT_CHANGE_METRIC, isMetricName, METRICS, metricsOfTask, type MetricName, type ModelTask } from '../evaluate/metric-catalog.js';
import { gridTrialCount, gridTrials, randomTrials, type Hyperparameters, type SearchSpace } from './search-plan.js';
import { describeDimension, gridSize, hyperparameterSpace, probeValues, type Dimension } from './search-space.js';
import { TUNABLE_TRAINER_NAMES, TUNABLE_TRAINERS, type TunableTrainer, type TunableTrainerName } from './trainers/index.js';

/** Trials of a random search when `trials` is not given (scikit-learn's `n_iter`). */
const DEFAULT_RANDOM_TRIALS = 10;

const tuneOptionsShape = z.object({
  /** The trainer to tune: `logistic`, `gbdt` or `linear`. */
  trainer: z.enum(TUNABLE_TRAINER_NAMES),
  /** Trainer parameters every trial shares: the label, the features, `task` for gbdt… */
  fixed: z.record(z.string(), z.json()),
  /** The hyperparameters to search, by trainer parameter name: a list of values or a distribution. */
  space: z.record(z.string(), hyperparameterSpace).refine((space) => Object.keys(space).length > 0, 'name at least one hyperparameter to search'),
  /** `grid` tries every combination of the listed values; `random` draws `trials` points. */
  strategy: z.enum(['grid', 'random']).default('grid'),
  /** Random search: how many trials (10 by default). A grid search runs every combination and takes no count. */
  trials: z.number().int().positive().optional(),
  /** No search runs more trials than this: a guard against a grid that multiplies out too far. */
  maxTrials: z.number().int().positive().default(100),
  /** Seeds the random search: the same seed draws the same trials (a 32-bit seed). */
  seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(0),
  /** Trials run at once, each in its own worker process; the machine's available cores by default. */
  parallelism: z.number().int().positive().optional(),
  /** The validation metric to optimise (`auc`, `logLoss`… or `rmse`, `r2`…); `auc` for classifiers and `rmse` for regressors by default. */
  metric: z.string().min(1).optional(),
});

/** A search as written in a step's params; defaults may be left out. */
export type TuneOptions = z.input<typeof tuneOptionsShape>;

/** A checked search: what to train, what to optimise and every trial's hyperparameters. */
export interface CompiledTuneOptions {
  readonly trainer: TunableTrainerName;
  /** Trainer parameters every trial shares, as given. */
  readonly fixed: JsonObject;
  readonly space: SearchSpace;
  readonly strategy: 'grid' | 'random';
  readonly seed: number;
  /** The column every trial model predicts. */
  readonly label: string;
  readonly task: ModelTask;
  /** The validation metric trials are ranked by, and which way is better. */
  readonly metric: MetricName;
  readonly better: 'higher' | 'lower';
  /** Trials at once, at most one per trial. */
  readonly parallelism: number;
  /** The hyperparameters of trial 1, 2, … in order. */
  readonly trials: readonly Hyperparameters[];
}

type Report = (path: (string | number)[], message: string) => void;

/**
 * The tune component's params: parses a search and checks it against the trainer's own parameter
 * schema, so a bad space fails when the pipeline compiles, naming the field
 * (`params.space.l3: logistic has no parameter "l3"; tunable: numeric, categorical, …, l2, maxIterations`).
 * Parses into CompiledTuneOptions.
 */
export const tuneOptions = tuneOptionsShape.transform((options, ctx): CompiledTuneOptions => {
  let problems = 0;
  const report: Report = (path, message) => {
    problems++;
    ctx.addIssue({ code: 'custom', path, message });
  };
  const compiled = compile(options, report);
  return problems > 0 || compiled === undefined ? z.NEVER : compiled;
});

/**
 * Checks a search and plans its trials. InvalidInputError naming the field for an unknown trainer
 * or hyperparameter (listing the valid ones), a value the trainer refuses, a continuous
 * distribution in a grid search, a grid larger than `maxTrials`, or a metric the task lacks.
 *
 * @example
 *   const search = compileTuneOptions({
 *     trainer: 'logistic', fixed: { label: 'delayed', numeric: ['distance'] }, space: { l2: [1e-4, 1e-2, 1] },
 *   });
 *   search.trials // [{ l2: 0.0001 }, { l2: 0.01 }, { l2: 1 }]
 */
export function compileTuneOptions(options: TuneOptions): CompiledTuneOptions {
  const parsed = tuneOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue?.path.join('.') || 'options', issue?.message.replace(/^Invalid input: /, '') ?? 'invalid');
  }
  return parsed.data;
}

function compile(options: z.output<typeof tuneOptionsShape>, report: Report): CompiledTuneOptions | undefined {
  const trainer: TunableTrainer = TUNABLE_TRAINERS[options.trainer];
  const fixed = options.fixed as JsonObject;
  if (!checkFixed(options.trainer, trainer, fixed, report)) return undefined;
  const space: SearchSpace = options.space;
  for (const [name, dimension] of Object.entries(space)) checkDimension(options.trainer, trainer, fixed, name, dimension, report);

  const { label, task } = trainer.problem(fixed);
  const metric = options.metric ?? DEFAULT_CHANGE_METRIC[task];
  const known = isMetricName(metric) && METRICS[metric].task === task;
  if (!known) report(['metric'], `${JSON.stringify(metric)} is not a metric of ${task} models; one of ${metricsOfTask(task).join(', ')}`);

  const trials = planTrials(options, space, report);
  if (!known || trials === undefined) return undefined;
  return Object.freeze({
    trainer: options.trainer,
    fixed,
    space,
    strategy: options.strategy,
    seed: options.seed,
    label,
    task,
    metric,
    better: METRICS[metric].better,
    parallelism: Math.min(options.parallelism ?? availableParallelism(), trials.length),
    trials: Object.freeze(trials),
  });
}

/** The fixed parameters alone must be valid trainer parameters (the required ones are all fixed). */
function checkFixed(name: TunableTrainerName, trainer: TunableTrainer, fixed: JsonObject, report: Report): boolean {
  let ok = true;
  for (const key of Object.keys(fixed)) {
    if (!Object.hasOwn(trainer.params.shape, key)) {
      report(['fixed', key], `${name} has no parameter ${JSON.stringify(key)}; its parameters: ${Object.keys(trainer.params.shape).join(', ')}`);
      ok = false;
    }
  }
  const parsed = trainer.params.safeParse(fixed);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(['fixed', ...issue.path.map(pathKey)], issue.message);
    ok = false;
  }
  return ok;
}

/** A searched name must be a tunable parameter of the trainer, and every value the dimension can produce valid for it. */
function checkDimension(trainerName: TunableTrainerName, trainer: TunableTrainer, fixed: JsonObject, name: string, dimension: Dimension, report: Report): void {
  const path = ['space', name];
  if (!Object.hasOwn(trainer.params.shape, name)) {
    const tunable = Object.keys(trainer.params.shape).filter((key) => !trainer.fixedOnly.includes(key));
    report(path, `${trainerName} has no parameter ${JSON.stringify(name)}; tunable: ${tunable.join(', ')}`);
    return;
  }
  if (trainer.fixedOnly.includes(name)) {
    report(path, `${name} poses the problem and cannot be searched; set it in fixed`);
    return;
  }
  if (Object.hasOwn(fixed, name)) {
    report(path, `${name} is also set in fixed; a parameter is either fixed or searched`);
    return;
  }
  for (const value of probeValues(dimension)) {
    const parsed = trainer.params.safeParse({ ...fixed, [name]: value });
    if (parsed.success) continue;
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map(pathKey).join('.') || name;
    const source = dimension.kind === 'choice' ? JSON.stringify(value) : `${describeDimension(dimension)} includes ${value}, which`;
    report(path, `${source} is not a valid ${where} for ${trainerName}: ${issue.message.replace(/^Invalid input: /, '')}`);
    return;
  }
}

function planTrials(options: z.output<typeof tuneOptionsShape>, space: SearchSpace, report: Report): Hyperparameters[] | undefined {
  if (options.strategy === 'random') {
    const count = options.trials ?? DEFAULT_RANDOM_TRIALS;
    if (count > options.maxTrials) {
      report(['trials'], `${count} trials is more than maxTrials (${options.maxTrials}); raise maxTrials to run them`);
      return undefined;
    }
    return randomTrials(space, count, options.seed);
  }
  let ok = true;
  for (const [name, dimension] of Object.entries(space)) {
    if (gridSize(dimension) === Number.POSITIVE_INFINITY) {
      report(['space', name], `${describeDimension(dimension)} is continuous and has no grid; list values, or use strategy 'random'`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  const count = gridTrialCount(space);
  if (options.trials !== undefined) {
    report(['trials'], `a grid search runs every combination (${count}); leave trials out, or use strategy 'random'`);
    return undefined;
  }
  if (count > options.maxTrials) {
    const sizes = Object.values(space).map(gridSize).join(' × ');
    report(['space'], `the grid has ${sizes} = ${count} combinations, more than maxTrials (${options.maxTrials}); narrow the space, raise maxTrials, or use strategy 'random'`);
    return undefined;
  }
  return gridTrials(space);
}

function pathKey(key: PropertyKey): string | number {
  return typeof key === 'number' ? key : String(key);
}
