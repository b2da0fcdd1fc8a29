import type { Stack } from '../config/stack.js';
import { errorMessage, isFlywheelError } from '../core/errors.js';
import type { DriftOptions } from '../data/drift/options.js';
import { predictionOutput } from '../evaluate/model-task.js';
import type { ModelSignature } from '../onnx/model-signature.js';
import { livePerformance, type PerformanceWindow } from './live-performance.js';
import { windowBounds, windowOf, type WindowRange } from './monitor-windows.js';
import { trainingProfile } from './reference-profile.js';
import { inputDrift, outputDrift, type DriftWindow } from './window-drift.js';

export interface MonitorModelOptions extends WindowRange {
  model: string;
  /** A classifier predicts positive above this probability. Default 0.5. */
  threshold?: number;
  /** Thresholds and settings of the drift tests (see detectDrift). */
  drift?: DriftOptions;
  /** Windows with fewer predictions get no drift test. Default 100. */
  minRows?: number;
}

/** Drift windows of one version; `problem` says why there are none (no training data known, say). */
export interface VersionDrift {
  version: number;
  windows: DriftWindow[];
  problem?: string;
}

export interface ModelMonitoring {
  model: string;
  windowMs: number;
  performance: PerformanceWindow[];
  /** Each version's inputs against its own training data. */
  inputDrift: VersionDrift[];
  /** Each version's predictions against its first window. */
  outputDrift: VersionDrift[];
}

/**
 * Everything monitoring says of a served model, window by window (whole windows: `since` is moved
 * back to the start of its window): live performance per version
 * (delayed labels joined by prediction id), input drift of each version's traffic against the
 * profile of its training data, and drift of its predictions.
 *
 * @example
 *   const report = await monitorModel(stack, { model: 'flights', windowMs: 86_400_000 });
 *   report.performance.at(-1)?.metrics.auc;
 */
export async function monitorModel(stack: Pick<Stack, 'home' | 'registry' | 'metadata' | 'artifacts'>, options: MonitorModelOptions): Promise<ModelMonitoring> {
  const { model, windowMs } = options;
  // Whole windows only: a range starting mid-window would judge that window on part of its traffic.
  const since = options.since && windowBounds(windowOf(options.since, windowMs), windowMs).start;
  const range: WindowRange = { windowMs, ...(since ? { since } : {}), ...(options.until ? { until: options.until } : {}) };
  const performance = await livePerformance({ ...range, home: stack.home, registry: stack.registry, model, ...(options.threshold === undefined ? {} : { threshold: options.threshold }) });
  const versions = [...new Set(performance.map((w) => w.version))].sort((a, b) => a - b);
  const common = { ...range, home: stack.home, model, ...(options.drift ? { drift: options.drift } : {}), ...(options.minRows === undefined ? {} : { minRows: options.minRows }) };
  const inputs: VersionDrift[] = [];
  const outputs: VersionDrift[] = [];
  for (const number of versions) {
    const version = await stack.registry.getVersion(model, number);
    const signature = version.signature as ModelSignature | null;
    if (!signature) {
      const problem = `${model} v${number} has no signature in the registry`;
      inputs.push({ version: number, windows: [], problem });
      outputs.push({ version: number, windows: [], problem });
      continue;
    }
    inputs.push(await versionDrift(number, async () => inputDrift({ ...common, version: number, inputs: signature.inputs, reference: await trainingProfile(stack, version) })));
    outputs.push(await versionDrift(number, async () => outputDrift({ ...common, version: number, signature, prediction: predictionOutput(signature) })));
  }
  return { model, windowMs, performance, inputDrift: inputs, outputDrift: outputs };
}

async function versionDrift(version: number, compute: () => Promise<DriftWindow[]>): Promise<VersionDrift> {
  try {
    return { version, windows: await compute() };
  } catch (error) {
    // What the version lacks (its training data, a prediction output) is reported; anything else is a fault.
    if (!isFlywheelError(error)) throw error;
    return { version, windows: [], problem: errorMessage(error) };
  }
}
