export { detectDrift } from './detect-drift.js';
export type { DetectDriftInput } from './detect-drift.js';
export { computeDriftProfile } from './drift-profile.js';
export type { DriftProfileOptions } from './drift-profile.js';
export { DRIFT_FORMAT, driftFormat, readDriftReportFile } from './drift-format.js';
export type {
  DriftReport, DriftFeature, DriftCheck, DriftSideCounts, NotComparedReason, NumericDriftDetails, CategoricalDriftDetails,
} from './drift-format.js';
export { DRIFT_PROFILE_FORMAT, driftProfileFormat, readDriftProfileFile } from './drift-profile-format.js';
export type { DriftProfile, DriftProfileColumn, NumericProfile, CategoricalProfile } from './drift-profile-format.js';
export { DRIFT_KINDS, DEFAULT_THRESHOLDS, compileDriftOptions } from './options.js';
export type { DriftKind, DriftOptions, CompiledDriftOptions, FeatureOptions, NumericThresholds, CategoricalThresholds } from './options.js';
export {
  driftComponent, driftProfileComponent, DriftProfileArtifact, DriftReportArtifact, DataDriftError, assertNoDrift, driftFails,
} from './drift-component.js';
export type { DriftFailOn } from './drift-component.js';
export type { DriftInput } from './side.js';
export { ksTwoSampleTest, KS_EXACT_MAX_N } from './ks-test.js';
export type { KsTestResult, KsMethod } from './ks-test.js';
export { chiSquareContingency } from './chi-square.js';
export type { ChiSquareResult } from './chi-square.js';
export { jensenShannonDistance, populationStabilityIndex, lInfinityDistance } from './divergence.js';
export { compareNumeric } from './numeric-comparison.js';
export type { NumericSample, NumericComparison, NumericComparisonOptions, Bins } from './numeric-comparison.js';
export { kolmogorovSurvival, smirnovSurvival } from './kolmogorov.js';
export { chiSquareSurvival, upperRegularizedGamma, logGamma } from './gamma.js';
