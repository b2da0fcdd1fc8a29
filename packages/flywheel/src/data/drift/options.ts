import { z } from 'zod';
import { InvalidInputError } from '../../core/errors.js';

/** `drift`: the same feature over time; `skew`: training data against serving data. */
export const DRIFT_KINDS = ['drift', 'skew'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/**
 * When a numeric feature counts as drifted: its KS p-value is below `pValue` (unless null) and at
 * least one of the effect sizes reaches its threshold (thresholds set to null are not checked).
 */
export interface NumericThresholds {
  /** Kolmogorov–Smirnov p-value below which the difference is significant; null: no significance needed. */
  pValue: number | null;
  /** KS statistic (largest CDF distance, 0…1). */
  ksStatistic: number | null;
  /** Wasserstein distance divided by the reference's standard deviation. */
  wassersteinNormalized: number | null;
  /** Population stability index over the reference-quantile bins. */
  psi: number | null;
  /** Jensen–Shannon distance (natural log, 0…√ln 2) over the same bins. */
  jensenShannon: number | null;
}

/** When a categorical feature counts as drifted: chi-square p-value below `pValue` (unless null) and an effect size reached. */
export interface CategoricalThresholds {
  /** Chi-square p-value below which the difference is significant; null: no significance needed. */
  pValue: number | null;
  /** Largest difference of a category's share (0…1). */
  lInfinity: number | null;
  /** Jensen–Shannon distance (natural log) of the category shares. */
  jensenShannon: number | null;
}

/**
 * Defaults chosen so that a million-row sample does not flag every feature: with that many rows
 * any difference is significant, so drift also needs an effect a person would care about — a
 * shift of a tenth of a standard deviation, a PSI of 0.2 (the usual "significant shift" mark), or a
 * category's share moving by 10 points. Skew (TFDV's training/serving comparator) checks distances
 * only, as both sides are meant to be the same population.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftKind, { numeric: NumericThresholds; categorical: CategoricalThresholds }>> = {
  drift: {
    numeric: { pValue: 0.05, ksStatistic: null, wassersteinNormalized: 0.1, psi: 0.2, jensenShannon: null },
    categorical: { pValue: 0.05, lInfinity: 0.1, jensenShannon: 0.1 },
  },
  skew: {
    numeric: { pValue: null, ksStatistic: null, wassersteinNormalized: 0.1, psi: null, jensenShannon: 0.1 },
    categorical: { pValue: null, lInfinity: 0.1, jensenShannon: null },
  },
};

const probability = z.number().min(0).max(1);
const threshold = z.number().nonnegative().nullable();

const numericThresholds = z.strictObject({
  pValue: probability.nullable().optional(),
  ksStatistic: threshold.optional(),
  wassersteinNormalized: threshold.optional(),
  psi: threshold.optional(),
  jensenShannon: threshold.optional(),
});

const categoricalThresholds = z.strictObject({
  pValue: probability.nullable().optional(),
  lInfinity: threshold.optional(),
  jensenShannon: threshold.optional(),
});

const featureOptions = z.strictObject({
  /** Leave the feature out of the comparison. */
  ignore: z.boolean().optional(),
  pValue: probability.nullable().optional(),
  ksStatistic: threshold.optional(),
  wassersteinNormalized: threshold.optional(),
  psi: threshold.optional(),
  lInfinity: threshold.optional(),
  jensenShannon: threshold.optional(),
});

/** Validates drift options (every field optional; see DriftOptions). */
export const driftOptionsSchema = z.strictObject({
  kind: z.enum(DRIFT_KINDS).optional(),
  bins: z.number().int().min(2).max(1000).optional(),
  histogramBins: z.number().int().min(1).max(1000).optional(),
  psiEpsilon: z.number().positive().max(0.1).optional(),
  driftShare: probability.optional(),
  maxCategories: z.number().int().positive().optional(),
  numeric: numericThresholds.optional(),
  categorical: categoricalThresholds.optional(),
  features: z.record(z.string(), featureOptions).optional(),
});

/** Options of detectDrift; every field is optional. */
export interface DriftOptions {
  /** `drift` (default) or `skew`: picks the default thresholds and is recorded in the report. */
  kind?: DriftKind;
  /** Reference-quantile bins for PSI and Jensen–Shannon of numeric features. Default 10. */
  bins?: number;
  /** Equal-width bins of the histograms in the report, for drawing. Default 20. */
  histogramBins?: number;
  /** Share used for a bin empty on one side in PSI. Default 0.0001. */
  psiEpsilon?: number;
  /** The dataset drifts when more than this share of the compared features drift. Default 0.5. */
  driftShare?: number;
  /** Categories listed per feature in the report (most frequent first); the rest are summed. Default 50. */
  maxCategories?: number;
  /** Overrides of the kind's numeric thresholds for every numeric feature. */
  numeric?: Partial<NumericThresholds>;
  /** Overrides of the kind's categorical thresholds for every categorical feature. */
  categorical?: Partial<CategoricalThresholds>;
  /** Per-feature overrides by column name: `{ ignore: true }` or thresholds of the feature's kind. */
  features?: Record<string, FeatureOptions>;
}

export interface FeatureOptions extends Partial<NumericThresholds>, Partial<CategoricalThresholds> {
  ignore?: boolean;
}

export interface CompiledDriftOptions {
  readonly kind: DriftKind;
  readonly bins: number;
  readonly histogramBins: number;
  readonly psiEpsilon: number;
  readonly driftShare: number;
  readonly maxCategories: number;
  readonly numeric: Readonly<NumericThresholds>;
  readonly categorical: Readonly<CategoricalThresholds>;
  readonly features: Readonly<Record<string, FeatureOptions>>;
}

function definedOnly<T extends object>(value: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Validates options and fills in the defaults of their kind. A bad field is an InvalidInputError
 * naming its path, e.g. `options.numeric.psi`.
 */
export function compileDriftOptions(options: DriftOptions = {}): CompiledDriftOptions {
  const parsed = driftOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInputError(['options', ...issue.path.map(String)].join('.'), issue.message);
  }
  const value = parsed.data;
  const kind = value.kind ?? 'drift';
  const defaults = DEFAULT_THRESHOLDS[kind];
  return Object.freeze({
    kind,
    bins: value.bins ?? 10,
    histogramBins: value.histogramBins ?? 20,
    psiEpsilon: value.psiEpsilon ?? 1e-4,
    driftShare: value.driftShare ?? 0.5,
    maxCategories: value.maxCategories ?? 50,
    numeric: Object.freeze({ ...defaults.numeric, ...definedOnly(value.numeric) }),
    categorical: Object.freeze({ ...defaults.categorical, ...definedOnly(value.categorical) }),
    features: Object.freeze(Object.fromEntries(Object.entries(value.features ?? {}).map(([name, f]) => [name, definedOnly(f)]))),
  });
}

/** The thresholds that apply to one numeric feature. */
export function numericThresholdsFor(options: CompiledDriftOptions, feature: string): NumericThresholds {
  const own = options.features[feature] ?? {};
  const pick = <K extends keyof NumericThresholds>(key: K) => (own[key] === undefined ? options.numeric[key] : own[key]) as NumericThresholds[K];
  return { pValue: pick('pValue'), ksStatistic: pick('ksStatistic'), wassersteinNormalized: pick('wassersteinNormalized'), psi: pick('psi'), jensenShannon: pick('jensenShannon') };
}

/** The thresholds that apply to one categorical feature. */
export function categoricalThresholdsFor(options: CompiledDriftOptions, feature: string): CategoricalThresholds {
  const own = options.features[feature] ?? {};
  const pick = <K extends keyof CategoricalThresholds>(key: K) => (own[key] === undefined ? options.categorical[key] : own[key]) as CategoricalThresholds[K];
  return { pValue: pick('pValue'), lInfinity: pick('lInfinity'), jensenShannon: pick('jensenShannon') };
}
