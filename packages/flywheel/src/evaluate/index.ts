export { scoreDataset } from './score-dataset.js';
export type { ScoreOptions, Scores } from './score-dataset.js';
export { binaryMetrics, metricsToJson, rocAuc } from './binary-metrics.js';
export type { BinaryMetrics } from './binary-metrics.js';
export { BLESSING_METRICS, blessingSchema, decideBlessing } from './blessing.js';
export type { BaselineResult, Blessing, BlessingInput, BlessingMetric } from './blessing.js';
export { evaluateComponent, evaluateParams } from './evaluate-component.js';
export type { EvaluateParams } from './evaluate-component.js';
