/** Rows by label and by prediction at a decision threshold. */
export interface ConfusionMatrix {
  /** A row is predicted positive when its probability is above this. */
  threshold: number;
  /** Labelled 1, predicted 1. */
  tp: number;
  /** Labelled 0, predicted 1. */
  fp: number;
  /** Labelled 0, predicted 0. */
  tn: number;
  /** Labelled 1, predicted 0. */
  fn: number;
}

/**
 * Counts the four outcomes of predicting 1 when `probability > threshold` (the rule of the
 * models' `label` output at 0.5). Labels are taken as given (1 is positive, anything else not).
 *
 * @example
 *   confusionMatrix([1, 0, 1, 0], [0.9, 0.6, 0.5, 0.1], 0.5) // { threshold: 0.5, tp: 1, fp: 1, tn: 1, fn: 1 }
 */
export function confusionMatrix(labels: ArrayLike<number>, probabilities: ArrayLike<number>, threshold: number): ConfusionMatrix {
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = labels[i] === 1 ? 1 : 0;
    const predicted = (probabilities[i] as number) > threshold ? 1 : 0;
    positives += positive;
    tp += positive & predicted;
    fp += predicted & (positive ^ 1);
  }
  return { threshold, tp, fp, tn: labels.length - positives - fp, fn: positives - tp };
}
