import { z } from 'zod';
import { FlywheelError, InvalidInputError } from '../../core/errors.js';
import { Dataset, defineArtifactType } from '../../pipeline/artifact-types.js';
import { component } from '../../pipeline/component.js';
import type { InputArtifact } from '../../pipeline/component.js';
import { writeJsonFile } from '../format-file.js';
import { detectDrift } from './detect-drift.js';
import type { DriftFeature, DriftReport } from './drift-format.js';
import { computeDriftProfile, driftProfileOptionsSchema } from './drift-profile.js';
import { readDriftProfileFile } from './drift-profile-format.js';
import { driftOptionsSchema } from './options.js';

/** A flywheel.drift-profile/v1 document: what drift detection needs of a reference dataset. */
export const DriftProfileArtifact = defineArtifactType('DriftProfile', { fileName: 'drift-profile.json' });
/** A flywheel.drift/v1 document: per-feature drift tests and the verdict. */
export const DriftReportArtifact = defineArtifactType('DriftReport', { fileName: 'drift.json' });

/** What stops a pipeline: `dataset` when the dataset drifts (share above `driftShare`), `feature` when any feature does, `never`. */
export type DriftFailOn = 'dataset' | 'feature' | 'never';

/**
 * Data drifted (or training and serving data are skewed) beyond what a step tolerates.
 * `features` are the names of the drifted features.
 */
export class DataDriftError extends FlywheelError {
  readonly features: readonly string[];

  constructor(report: DriftReport) {
    const drifted = report.features.filter((f): f is Exclude<DriftFeature, { status: 'not_compared' }> => f.status === 'drifted');
    const { summary } = report;
    const lines = drifted.map((f) => `  ${f.name}: ${f.checks.filter((c) => c.met).map((c) => `${c.test} ${formatValue(c.value)}`).join(', ')}`);
    super('data_drift', `${report.kind} in ${summary.drifted} of ${summary.compared} features (${(summary.share * 100).toFixed(1)}%)${summary.datasetDrift ? ', above the dataset threshold' : ''}:\n${lines.join('\n')}`, {
      hint: 'look at the report (flywheel data drift --report); if the change is expected, retrain on new data or relax the thresholds or failOn',
    });
    this.features = drifted.map((f) => f.name);
  }
}

function formatValue(value: number | null): string {
  return value === null ? '(constant reference)' : Number(value.toPrecision(3)).toString();
}

/** Whether a policy rejects a report: `dataset` on a dataset-level verdict, `feature` on any drifted feature. */
export function driftFails(report: DriftReport, failOn: DriftFailOn): boolean {
  return failOn === 'dataset' ? report.summary.datasetDrift : failOn === 'feature' && report.summary.drifted > 0;
}

/**
 * Throws a DataDriftError when the policy does not tolerate the report (see driftFails); the
 * pipeline step's default is `dataset`.
 *
 * @example
 *   assertNoDrift(await detectDrift({ reference, current }), 'feature');
 */
export function assertNoDrift(report: DriftReport, failOn: DriftFailOn): void {
  if (driftFails(report, failOn)) throw new DataDriftError(report);
}

/**
 * Pipeline step: the drift profile of a dataset, so later drift checks against it never rescan it.
 *
 * @example
 *   const profile = p.step(driftProfileComponent, { inputs: { examples: training.outputs.examples } });
 */
export const driftProfileComponent = component({
  name: 'drift-profile',
  version: '1',
  description: 'What drift detection needs of a dataset: numeric distributions, PSI bins, category counts',
  params: driftProfileOptionsSchema,
  inputs: { examples: Dataset },
  outputs: { profile: DriftProfileArtifact },
  run: async ({ params, inputs, outputs, log }) => {
    const started = performance.now();
    const profile = await computeDriftProfile(inputs.examples.path, params);
    await writeJsonFile(outputs.profile.path, profile);
    const summarised = profile.columns.filter((c) => c.kind === 'numeric' && c.numeric && !c.numeric.distribution.exact).map((c) => c.name);
    Object.assign(outputs.profile.properties, { rowCount: profile.rows, columnCount: profile.columns.length });
    if (summarised.length > 0) log.info(`summarised (approximate KS and Wasserstein against this profile): ${summarised.join(', ')}`);
    log.info(`drift profile of ${profile.rows} rows × ${profile.columns.length} columns in ${Math.round(performance.now() - started)} ms`);
    return { rowCount: profile.rows };
  },
});

const driftParams = driftOptionsSchema.extend({
  failOn: z.enum(['dataset', 'feature', 'never']).default('dataset'),
});

async function sideOf(role: 'reference' | 'current', data: InputArtifact | undefined, profile: InputArtifact | undefined) {
  if (data && profile) throw new InvalidInputError(`inputs.${role}`, `wire either ${role} (a Dataset) or ${role}Profile (a DriftProfile), not both`);
  if (profile) return readDriftProfileFile(profile.path);
  if (data) return data.path;
  throw new InvalidInputError(`inputs.${role}`, `wire ${role} (a Dataset) or ${role}Profile (a DriftProfile)`);
}

/**
 * Pipeline step: compares `current` with `reference` (each a Dataset or a DriftProfile), writes the
 * drift report, then stops the pipeline with a DataDriftError when `failOn` says so (default: when
 * the dataset as a whole drifts).
 *
 * @example
 *   p.step(driftComponent, {
 *     inputs: { referenceProfile: profile.outputs.profile, current: february.outputs.examples },
 *     params: { kind: 'drift', features: { delay: { psi: 0.1 } }, failOn: 'never' },
 *   });
 */
export const driftComponent = component({
  name: 'detect-drift',
  version: '1',
  description: 'Per-feature drift or training/serving skew tests (KS, Wasserstein, PSI, chi-square, L∞, Jensen–Shannon) and a verdict',
  params: driftParams,
  inputs: { reference: Dataset, current: Dataset, referenceProfile: DriftProfileArtifact, currentProfile: DriftProfileArtifact },
  optionalInputs: ['reference', 'current', 'referenceProfile', 'currentProfile'],
  outputs: { drift: DriftReportArtifact },
  run: async ({ params, inputs, outputs, log }) => {
    const { failOn, ...options } = params;
    const started = performance.now();
    const report = await detectDrift({
      reference: await sideOf('reference', inputs.reference, inputs.referenceProfile),
      current: await sideOf('current', inputs.current, inputs.currentProfile),
      options,
    });
    await writeJsonFile(outputs.drift.path, report);
    const { summary } = report;
    Object.assign(outputs.drift.properties, {
      kind: report.kind, drifted: summary.drifted, compared: summary.compared, share: summary.share, datasetDrift: summary.datasetDrift,
    });
    for (const feature of report.features) {
      if (feature.status === 'drifted') log.warn(`${report.kind} in ${feature.name}: ${feature.checks.filter((c) => c.met).map((c) => `${c.test} ${formatValue(c.value)}`).join(', ')}`);
      if (feature.status === 'not_compared' && feature.reason !== 'ignored') log.warn(`${feature.name} not compared: ${feature.description}`);
    }
    log.info(`${summary.drifted} of ${summary.compared} features drifted (dataset ${summary.datasetDrift ? 'drifted' : 'stable'}) in ${Math.round(performance.now() - started)} ms`);
    assertNoDrift(report, failOn);
    return { drifted: summary.drifted, compared: summary.compared, datasetDrift: summary.datasetDrift };
  },
});
