import { gbdtTrainer } from './gbdt-trainer.js';
import { linearTrainer } from './linear-trainer.js';
import { logisticTrainer } from './logistic-trainer.js';
import type { TunableTrainer } from './tunable-trainer.js';

/** The trainers a search can tune, by the name a step gives as `trainer`: one line per trainer. */
export const TUNABLE_TRAINERS = {
  logistic: logisticTrainer,
  gbdt: gbdtTrainer,
  linear: linearTrainer,
} as const satisfies Record<string, TunableTrainer>;

export type TunableTrainerName = keyof typeof TUNABLE_TRAINERS;

export const TUNABLE_TRAINER_NAMES = Object.keys(TUNABLE_TRAINERS) as [TunableTrainerName, ...TunableTrainerName[]];

export type { TrainedTrial, TrialProblem, TunableTrainer } from './tunable-trainer.js';
export { tunableTrainer } from './tunable-trainer.js';
