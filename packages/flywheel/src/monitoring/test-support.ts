import type { DriftFeature } from '../data/drift/drift-format.js';
import { categoricalDrift, driftReportOf, numericDrift } from '../data/report/test-support.js';
import type { Alert, Firing, Rollout } from '../metadata/control-store.js';
import type { AliasMove, ModelVersion } from '../registry/model.js';
import type { PerformanceWindow } from './live-performance.js';
import type { LoopReportInput } from './loop-report.js';
import type { VersionDrift } from './monitor-model.js';
import type { DriftWindow } from './window-drift.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const FIRST_WEEK = Date.UTC(2001, 0, 1);
/** Weekly windows of the loop report fixture: Monday 2001-01-01 to the week of 2001-06-04. */
export const LOOP_WEEKS = 23;

type ComparedNumeric = Extract<DriftFeature, { kind: 'numeric'; status: 'drifted' | 'stable' }>;
type ComparedCategorical = Extract<DriftFeature, { kind: 'categorical'; status: 'drifted' | 'stable' }>;

const week = (i: number) => new Date(FIRST_WEEK + i * WEEK);
const at = (month: number, day: number, hour = 0) => new Date(Date.UTC(2001, month - 1, day, hour));

/** A numeric input whose PSI is `psi`, drifted when it reaches the default threshold 0.2. */
function numericFeature(name: string, psi: number): DriftFeature {
  const feature = numericDrift(name, [10, 20, 40, 20, 10], [12, 18, 38, 22, 10], 0, 3000, psi >= 0.2) as ComparedNumeric;
  feature.numeric.tests.psi = psi;
  feature.checks = feature.checks.map((check) => (check.test === 'psi' ? { ...check, value: psi, met: psi >= check.threshold } : check));
  return feature;
}

/** A categorical input whose Jensen–Shannon distance is `distance`, drifted from the default threshold 0.1. */
function categoricalFeature(name: string, distance: number): DriftFeature {
  const feature = categoricalDrift(name, [['ORD', 40, 38], ['ATL', 35, 30], ['DFW', 25, 32]], distance >= 0.1) as ComparedCategorical;
  feature.categorical.tests.jensenShannon = distance;
  feature.checks = feature.checks.map((check) => (check.test === 'jensen_shannon' ? { ...check, value: distance, met: distance >= check.threshold } : check));
  return feature;
}

const IGNORED_DOW: DriftFeature = {
  name: 'dow', types: { reference: 'DOUBLE', current: 'DOUBLE' }, reference: null, current: null,
  status: 'not_compared', kind: 'numeric', reason: 'ignored', description: 'ignored by the drift options',
};

/** What each version served, and how: weeks (inclusive), predictions per week, and its live AUC in week i. */
const SERVING: { version: number; from: number; to: number; predictions: number; auc: (i: number) => number; drift: (i: number) => number }[] = [
  { version: 1, from: 0, to: 7, predictions: 5_200, auc: (i) => 0.748 - 0.013 * i - (i === 5 ? 0.02 : 0), drift: (i) => 0.02 + 0.05 * i },
  { version: 2, from: 6, to: 18, predictions: 5_000, auc: (i) => 0.741 - 0.004 * (i - 6), drift: (i) => 0.03 + 0.03 * (i - 6) },
  { version: 4, from: 13, to: 14, predictions: 4_800, auc: (i) => 0.683 - 0.002 * (i - 13), drift: () => 0.05 },
  { version: 5, from: 17, to: 22, predictions: 5_100, auc: (i) => 0.752 - 0.002 * (i - 17), drift: (i) => 0.02 + 0.01 * (i - 17) },
];

/** Weeks of a canary, when the traffic was split between champion and challenger. */
const CANARY_WEEKS = new Set([6, 7, 13, 14, 17, 18]);

function predictionsOf(i: number, full: number): number {
  return CANARY_WEEKS.has(i) ? Math.round(full / 2) : full;
}

function performance(): PerformanceWindow[] {
  const windows: PerformanceWindow[] = [];
  for (const serving of SERVING) {
    for (let i = serving.from; i <= serving.to; i++) {
      const predictions = predictionsOf(i, serving.predictions);
      // The newest week's labels have not arrived yet.
      const labeled = i === LOOP_WEEKS - 1 ? 0 : predictions - 37;
      windows.push({
        start: week(i), end: week(i + 1), version: serving.version, task: 'classification', predictions, labeled,
        metrics: labeled === 0 ? {} : { auc: serving.auc(i), logLoss: 0.52 + 0.004 * i, accuracy: 0.8 },
      });
    }
  }
  return windows.sort((a, b) => a.start.getTime() - b.start.getTime() || a.version - b.version);
}

function inputDrift(featureName: string): VersionDrift[] {
  return SERVING.map((serving) => {
    const windows: DriftWindow[] = [];
    for (let i = serving.from; i <= serving.to; i++) {
      const base = serving.drift(i);
      const features = [
        numericFeature('distance', base * 1.4),
        numericFeature('hour', 0.01 + (i % 3) * 0.01),
        IGNORED_DOW,
        categoricalFeature('origin', base * 0.45),
        categoricalFeature(featureName, base * 0.3),
      ];
      windows.push({ start: week(i), end: week(i + 1), rows: predictionsOf(i, serving.predictions), report: driftReportOf(features, 0.3) });
    }
    return { version: serving.version, windows };
  });
}

function firing(id: number, trigger: string, event: Firing['event'], runId: string, status: Firing['status'], createdAt: Date, error: string | null = null): Firing {
  return { id, trigger, eventKey: `${String(event.kind)}:${id}`, event, runId, status, error, createdAt, updatedAt: new Date(createdAt.getTime() + 3_600_000) };
}

function alert(id: number, rule: string, version: number, window: number, metric: string, value: number, threshold: number, createdAt: Date): Alert {
  return { id, rule, model: 'flights-delay', version, windowStart: week(window), windowEnd: week(window + 1), metric, value, threshold, details: {}, createdAt };
}

function rollout(id: number, challengerVersion: number, championVersion: number, phase: Rollout['phase'], runId: string, reason: string, createdAt: Date, updatedAt: Date, details: Rollout['details'] = {}): Rollout {
  return { id, model: 'flights-delay', challengerVersion, championVersion, phase, runId, reason, details, createdAt, updatedAt };
}

function evaluation(window: number, challenger: number, champion: number): Rollout['details'] {
  return { evaluation: { metric: 'auc', challenger, champion, rows: 4_950, window: { start: week(window).toISOString(), end: week(window + 1).toISOString() } } };
}

function move(model: string, fromVersion: number | null, toVersion: number, actor: string, reason: string, when: Date): AliasMove {
  return { modelName: model, alias: 'champion', fromVersion, toVersion, actor, reason, at: when };
}

export interface LoopReportFixtureOptions {
  model?: string;
  /** The name of one categorical input, e.g. a hostile one. */
  featureName?: string;
}

/**
 * A loop report's input as the flights demo produces it, built by hand: 23 weekly windows from
 * 2001-01-01; v1 the first champion; an AUC alert, v2 canaried and promoted; a scheduled v3
 * rejected offline; a drift alert, v4 canaried and rolled back; a scheduled v5 canaried and
 * promoted; a last scheduled run that failed; the newest week not labeled yet.
 */
export function loopReportFixture(options: LoopReportFixtureOptions = {}): LoopReportInput {
  const model = options.model ?? 'flights-delay';
  const championVersion: ModelVersion = {
    modelName: model, version: 5, uri: 'file:///home/demo/.flywheel/artifacts/sha256/9f/9f2c41.onnx', digest: '9f2c41d0aa7e31b5c8e2f6a4b1d39c07e5f8a2b46d1c3e9f0a7b5c8d2e4f6a1b',
    artifactId: 41, executionId: 87, signature: null, metrics: { auc: 0.7561, logLoss: 0.4982 }, tags: { run: 'run-0005' }, description: null,
    createdAt: at(5, 2, 3), runId: 'c0ffee5', trainingData: { uri: 'file:///home/demo/.flywheel/artifacts/sha256/3a/3a77e0.parquet', digest: '3a77e0c1d2b3a4958f6e7d8c9b0a1f2e3d4c5b6a79808f7e6d5c4b3a29181706', artifactId: 39 },
  };
  const promotedV5 = move(model, 2, 5, 'controller', 'rollout 4: live auc 0.7512 vs champion 0.7093 on canary traffic', at(5, 14, 1));
  return {
    model,
    metric: 'auc',
    generatedAt: at(6, 11, 9),
    monitoring: { model, windowMs: WEEK, performance: performance(), inputDrift: inputDrift(options.featureName ?? 'destination'), outputDrift: [] },
    aliasMoves: [
      move(model, null, 1, 'demo', 'first model, trained on the four weeks before 2001-01-01', at(1, 1)),
      move(model, 1, 2, 'controller', 'rollout 1: live auc 0.7365 vs champion 0.6668 on canary traffic', at(2, 26, 1)),
      promotedV5,
    ],
    rollouts: [
      rollout(1, 2, 1, 'promoted', 'run-0002', 'live auc 0.7365 vs champion 0.6668 on canary traffic', at(2, 13, 2), at(2, 26, 1), { ...evaluation(5, 0.7402, 0.6611), canaryStart: at(2, 13, 2).toISOString() }),
      rollout(2, 3, 2, 'rejected', 'run-0003', 'auc on the newest labeled window (2001-02-19, 4950 rows): challenger 0.7012, champion 0.7204', at(3, 1, 4), at(3, 1, 5), evaluation(7, 0.7012, 0.7204)),
      rollout(3, 4, 2, 'rolled_back', 'run-0004', 'live auc 0.6815 vs champion 0.7102 on canary traffic: worse by more than 0.01', at(4, 3, 2), at(4, 16, 1), { ...evaluation(12, 0.7281, 0.7051), canaryStart: at(4, 3, 2).toISOString() }),
      rollout(4, 5, 2, 'promoted', 'run-0005', 'live auc 0.7512 vs champion 0.7093 on canary traffic', at(5, 1, 3), at(5, 14, 1), { ...evaluation(16, 0.7533, 0.7101), canaryStart: at(5, 1, 3).toISOString() }),
    ],
    firings: [
      firing(1, 'degradation', { kind: 'alert', time: at(2, 13).toISOString(), alertId: 1, rule: 'auc-drop', metric: 'auc', value: 0.6324 }, 'run-0002', 'complete', at(2, 13)),
      firing(2, 'monthly', { kind: 'schedule', time: at(3, 1).toISOString(), cron: '0 0 1 * *', timezone: 'UTC' }, 'run-0003', 'complete', at(3, 1)),
      firing(3, 'degradation', { kind: 'alert', time: at(4, 3).toISOString(), alertId: 2, rule: 'input-drift', metric: 'input_drift_share', value: 0.6 }, 'run-0004', 'complete', at(4, 3)),
      firing(4, 'monthly', { kind: 'schedule', time: at(5, 1).toISOString(), cron: '0 0 1 * *', timezone: 'UTC' }, 'run-0005', 'complete', at(5, 1)),
      firing(5, 'monthly', { kind: 'schedule', time: at(6, 1).toISOString(), cron: '0 0 1 * *', timezone: 'UTC' }, 'run-0006', 'failed', at(6, 1), 'step train failed: the training data has no rows after 2001-05-31'),
    ],
    alerts: [
      alert(1, 'auc-drop', 1, 5, 'auc', 0.6324, 0.64, at(2, 13)),
      alert(2, 'input-drift', 2, 12, 'input_drift_share', 0.6, 0.3, at(4, 3)),
      alert(3, 'input-drift', 2, 13, 'input_drift_share', 0.6, 0.3, at(4, 10)),
    ],
    champion: {
      version: championVersion,
      aliasMoves: [promotedV5],
      execution: { id: 87, type: 'component', name: 'train' },
      run: {
        runId: 'run-0005', pipeline: 'flights-retrain', status: 'complete', pipelineVersion: 'a41be07c9d2f3e5a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c',
        pipelineFile: 'packages/flywheel/src/demo/retrain-pipeline.ts', params: { until: '2001-05-01T00:00:00.000Z', days: 28, evalDays: 7, sample: 0.5, trainer: 'gbdt' },
        codeVersion: { commit: '5e1d0c2b9a8f7e6d5c4b3a29180706f5e4d3c2b1', dirty: true },
        trigger: { kind: 'schedule', name: 'monthly', event: { kind: 'schedule', time: at(5, 1).toISOString(), cron: '0 0 1 * *', timezone: 'UTC' } },
        startedAt: at(5, 1).toISOString(),
      },
    },
    summary: ['Replayed 1% of the flights of February to June 2001 as prediction requests, labels a day later.', 'Monitored weekly windows; retrained monthly and on alerts.'],
  };
}
