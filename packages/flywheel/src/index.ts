/**
 * Flywheel's public API: write components and pipelines, open a stack, run pipelines, and use
 * the built-in data, training, evaluation, registration and serving pieces.
 *
 * @example
 *   import { component, pipeline, Dataset, openStack, compilePipeline, runPipeline } from 'flywheel';
 */
export * from './core/errors.js';
export type { JsonObject, JsonValue } from './core/json.js';

export { loadConfig } from './config/load-config.js';
export type { LoadConfigOptions, LoadedConfig } from './config/load-config.js';
export { openStack } from './config/open-stack.js';
export type { OpenStackOptions } from './config/open-stack.js';
export type { Stack } from './config/stack.js';
export type { Flavor, FlavorContext } from './config/flavor.js';

export type { MetadataStore } from './metadata/metadata-store.js';
export type * from './metadata/model.js';
export type { ModelRegistry } from './registry/model-registry.js';
export type * from './registry/model.js';
export type { ArtifactStore, StoredBlob } from './artifacts/artifact-store.js';
export type { Executor, StepTask } from './executor/executor.js';

export * from './pipeline/artifact-types.js';
export { component, commandComponent } from './pipeline/component.js';
export type { Component, CommandComponent, FunctionComponent, RunContext, InputArtifact, OutputArtifact } from './pipeline/component.js';
export { pipeline } from './pipeline/pipeline.js';
export type { Pipeline, StepHandle, OutputRef } from './pipeline/pipeline.js';
export { compilePipeline } from './pipeline/ir.js';
export type { CompiledPipeline, PipelineIR } from './pipeline/ir.js';
export { loadPipelineFile } from './pipeline/load-pipeline-file.js';
export { runPipeline, resumeRun } from './pipeline/runner.js';
export type { RunPipelineOptions, ResumeRunOptions } from './pipeline/runner.js';
export type { RunEvent, RunResult, RunStatus, StepOutcome } from './pipeline/run-events.js';

export * from './data/index.js';
export { trainGbdt, trainGbdtComponent, trainLinearComponent, trainLinearRegression, trainLogisticComponent, trainLogisticRegression } from './train/index.js';
export { evaluateComponent, scoreDataset, binaryMetrics } from './evaluate/index.js';
export { Baseline, resolveBaselineComponent } from './evaluate/baseline.js';
export { pushModelComponent, registerModelFile } from './deploy/index.js';
export { batchPredictComponent, predictDataset, predictionLogDir, readPredictionLog, startPredictionServer } from './serving/index.js';
export type { ModelRef, ModelServingOptions, PredictionLogSink, PredictionRecord, PredictionServer, PredictionServerOptions } from './serving/index.js';
export * from './tracking/index.js';
export * from './tune/index.js';

export type { ControlStore, Firing, Alert, Rollout } from './metadata/control-store.js';
export { ingestLabels, labelsRelation } from './monitoring/label-store.js';
export { livePerformance } from './monitoring/live-performance.js';
export type { PerformanceWindow } from './monitoring/live-performance.js';
export { monitorModel } from './monitoring/monitor-model.js';
export type { ModelMonitoring } from './monitoring/monitor-model.js';
export { alertRuleSchema, evaluateAlertRules } from './monitoring/alert-rules.js';
export { predictionLineage, versionLineage } from './monitoring/prediction-lineage.js';
export { renderLoopReport } from './monitoring/loop-report.js';
export { parseCronSchedule } from './triggers/cron-schedule.js';
export { startController } from './controller/controller.js';
export type { Controller, ControllerOptions } from './controller/controller.js';
export { compileLoopConfig, loadLoopConfig } from './controller/loop-config.js';
export type { LoopConfig, LoopConfigInput } from './controller/loop-config.js';
