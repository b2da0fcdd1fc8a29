import type { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { timePartName, type TimeFeaturesParam } from './time-parts.js';

/** What every built-in trainer's parameters have in common. */
export interface FeatureParams {
  label: string;
  numeric: string[];
  categorical: string[];
  time: TimeFeaturesParam;
}

/**
 * Parses a trainer's parameters and checks the feature lists every trainer shares: at least one
 * feature, none listed twice, none equal to the label or to a model output name (the ONNX graph's
 * inputs and outputs share one namespace), nor to the name of a derived time part.
 */
export function parseTrainerParams<P extends FeatureParams>(
  schema: z.ZodType<P>,
  options: unknown,
  outputNamesOf: (params: P) => readonly string[],
): P {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(issue?.path.join('.') || 'params', issue?.message ?? 'invalid');
  }
  const params = parsed.data;
  const outputNames = outputNamesOf(params);
  const features = [
    ...params.numeric.map((name, i) => ({ name, field: `numeric[${i}]` })),
    ...params.categorical.map((name, i) => ({ name, field: `categorical[${i}]` })),
    ...params.time.map((t, i) => ({ name: t.column, field: `time[${i}].column` })),
  ];
  if (features.length === 0) throw new InvalidInputError('numeric', 'no features: list at least one numeric, categorical or time column');
  const derived = new Set(params.time.flatMap((t) => t.parts.map((part) => timePartName(t.column, part))));
  const seen = new Set<string>();
  for (const { name, field } of features) {
    if (seen.has(name)) throw new InvalidInputError(field, `feature ${JSON.stringify(name)} is listed twice`);
    seen.add(name);
    if (name === params.label) throw new InvalidInputError('label', `${JSON.stringify(name)} is both the label and a feature`);
    if (outputNames.includes(name)) {
      throw new InvalidInputError(field, `a feature may not be named ${JSON.stringify(name)}: that is the name of a model output`);
    }
    if (derived.has(name)) throw new InvalidInputError(field, `a feature may not be named ${JSON.stringify(name)}: that is the name of a derived time part`);
  }
  return params;
}
