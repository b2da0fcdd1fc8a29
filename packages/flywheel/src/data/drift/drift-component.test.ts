import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../../config/open-stack.js';
import type { Stack } from '../../config/stack.js';
import { compilePipeline } from '../../pipeline/ir.js';
import { pipeline } from '../../pipeline/pipeline.js';
import { runPipeline } from '../../pipeline/runner.js';
import { ingestComponent } from '../ingest.js';
import { detectDrift } from './detect-drift.js';
import { driftComponent, driftProfileComponent } from './drift-component.js';
import { driftFormat } from './drift-format.js';
import type { DriftReport } from './drift-format.js';
import { driftProfileFormat } from './drift-profile-format.js';
import { compileDriftOptions } from './options.js';

const fixture = (name: string) => new URL(`fixtures/${name}`, import.meta.url).pathname;

let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-drift-pipeline-'));
  stack = await openStack({ projectDir: dir, env: {} });
});

afterAll(async () => {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

async function readJson(digest: string): Promise<unknown> {
  return JSON.parse((await stack.artifacts.readBytes(digest)).toString());
}

/** Reference and current data ingested, the reference profiled, and drift checked against both. */
function driftPipeline(name: string, params: Record<string, unknown>) {
  return pipeline({ name }, (p) => {
    const reference = p.step(ingestComponent, { name: 'ingest-reference', params: { source: fixture('small-reference.csv') } });
    const current = p.step(ingestComponent, { name: 'ingest-current', params: { source: fixture('small-current.csv') } });
    const profile = p.step(driftProfileComponent, { inputs: { examples: reference.outputs.examples } });
    p.step(driftComponent, { name: 'drift-from-data', inputs: { reference: reference.outputs.examples, current: current.outputs.examples }, params });
    p.step(driftComponent, { name: 'drift-from-profile', inputs: { referenceProfile: profile.outputs.profile, current: current.outputs.examples }, params });
  });
}

describe('driftComponent and driftProfileComponent in a pipeline', () => {
  it('profile the reference, compare data or profile with the current data, and record the verdict', async () => {
    const result = await runPipeline(stack, compilePipeline(driftPipeline('drift-check', { failOn: 'never' })));
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('complete');

    const profile = result.steps['drift-profile']!.outputs.profile!;
    expect(profile).toMatchObject({ type: 'DriftProfile', properties: { rowCount: 300, columnCount: 8 } });
    expect(driftProfileFormat.parse(await readJson(profile.digest!))).toMatchObject({ rows: 300 });

    const fromData = result.steps['drift-from-data']!.outputs.drift!;
    const fromProfile = result.steps['drift-from-profile']!.outputs.drift!;
    const dataReport = driftFormat.parse(await readJson(fromData.digest!)) as DriftReport;
    const profileReport = driftFormat.parse(await readJson(fromProfile.digest!)) as DriftReport;
    expect(fromData).toMatchObject({ type: 'DriftReport', properties: { kind: 'drift', drifted: 4, compared: 7, datasetDrift: true } });
    expect(fromProfile.properties).toEqual(fromData.properties);
    expect(profileReport.reference.from).toBe('profile');
    expect(profileReport.summary).toEqual(dataReport.summary);
    // The same comparison as a direct call on the files the pipeline ingested.
    const direct = await detectDrift({ reference: fixture('small-reference.csv'), current: fixture('small-current.csv') });
    expect(dataReport.features.map((f) => [f.name, f.status])).toEqual(direct.features.map((f) => [f.name, f.status]));

    const execution = await stack.metadata.getExecution(result.steps['drift-from-data']!.executionId!);
    expect(execution.properties).toMatchObject({ result: { drifted: 4, compared: 7, datasetDrift: true } });
  });

  it('stops the pipeline when the drift fails failOn, after writing the report', async () => {
    const result = await runPipeline(stack, compilePipeline(driftPipeline('drift-gate', { failOn: 'dataset' })));
    expect(result.status).toBe('failed');
    expect(result.steps['drift-from-data']).toMatchObject({ status: 'failed' });
    expect(result.steps['drift-from-data']!.error).toMatch(/drift in 4 of 7 features \(57\.1%\), above the dataset threshold/);
    expect(result.steps['drift-from-data']!.error).toMatch(/normal: ks_p_value/);
  });

  it('passes with thresholds that tolerate the change', async () => {
    const result = await runPipeline(stack, compilePipeline(driftPipeline('drift-tolerant', { failOn: 'dataset', driftShare: 0.9 })));
    expect(result.status).toBe('complete');
  });

  it('refuses a side wired twice or not at all', async () => {
    const twice = pipeline({ name: 'drift-twice' }, (p) => {
      const data = p.step(ingestComponent, { params: { source: fixture('small-reference.csv') } });
      const profile = p.step(driftProfileComponent, { inputs: { examples: data.outputs.examples } });
      p.step(driftComponent, { inputs: { reference: data.outputs.examples, referenceProfile: profile.outputs.profile, current: data.outputs.examples } });
    });
    const result = await runPipeline(stack, compilePipeline(twice));
    expect(result.status).toBe('failed');
    expect(result.steps['detect-drift']!.error).toMatch(/inputs\.reference: wire either reference \(a Dataset\) or referenceProfile/);

    const none = pipeline({ name: 'drift-none' }, (p) => {
      const data = p.step(ingestComponent, { params: { source: fixture('small-reference.csv') } });
      p.step(driftComponent, { inputs: { reference: data.outputs.examples } });
    });
    const missing = await runPipeline(stack, compilePipeline(none));
    expect(missing.steps['detect-drift']!.error).toMatch(/inputs\.current: wire current/);
  });

  it('validates its parameters like detectDrift', () => {
    expect(() => driftComponent.params!.parse({ failOn: 'sometimes' })).toThrow();
    expect(driftComponent.params!.parse({})).toEqual({ failOn: 'dataset' });
    expect(() => compileDriftOptions({ bins: 1 })).toThrow(/options\.bins/);
  });
});
