import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import type { Artifact } from '../metadata/model.js';
import { evaluateComponent } from '../evaluate/evaluate-component.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticComponent } from '../train/train-logistic-component.js';
import { pushModelComponent } from './push-model-component.js';
import { importArtifact, runRecordedStep } from './test-support.js';

let dir: string;
let stack: Stack;
let january: Artifact;
let february: Artifact;
let step = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-push-'));
  stack = await openStack({ projectDir: join(dir, 'project') });
  await writeFlightsMonth(join(dir, 'january.parquet'), 1, 30_000);
  await writeFlightsMonth(join(dir, 'february.parquet'), 2, 20_000);
  january = await importArtifact(stack, 'Dataset', join(dir, 'january.parquet'));
  february = await importArtifact(stack, 'Dataset', join(dir, 'february.parquet'));
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

const scratch = () => join(dir, 'steps', String(++step));

/** train → evaluate against the champion → push, as one pipeline run would. */
async function trainEvaluatePush(runId: string, features: { numeric: string[]; categorical: string[] }) {
  const train = await runRecordedStep(stack, trainLogisticComponent, {
    runId, dir: scratch(), inputs: { examples: january }, params: { label: FLIGHT_FEATURES.label, ...features },
  });
  const evaluation = await runRecordedStep(stack, evaluateComponent, {
    runId, dir: scratch(), inputs: { model: train.outputs.model, examples: february }, params: { baseline: { model: 'flights' } },
  });
  const push = await runRecordedStep(stack, pushModelComponent, {
    runId, dir: scratch(), params: { model: 'flights' },
    inputs: { model: train.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing },
  });
  return { train, evaluation, push };
}

async function blessingOf(artifact: Artifact): Promise<Record<string, unknown>> {
  return JSON.parse((await stack.artifacts.readBytes(artifact.digest as string)).toString('utf8')) as Record<string, unknown>;
}

describe('train → evaluate → push with the registry', () => {
  let first: Awaited<ReturnType<typeof trainEvaluatePush>>;

  it('registers the first model and makes it champion: no champion yet', async () => {
    first = await trainEvaluatePush('run-1', { numeric: ['dow'], categorical: ['origin'] });
    expect(first.train.outputs.model.properties).toMatchObject({
      featureSpec: { label: 'delayed', trainingRows: 30_000, features: [{ name: 'dow', kind: 'numeric' }, { name: 'origin', kind: 'categorical' }] },
      converged: true,
    });
    expect(first.train.outputs.model.properties.iterations).toBeGreaterThan(0);

    const blessing = await blessingOf(first.evaluation.outputs.blessing);
    expect(blessing).toMatchObject({ blessed: true, metric: 'auc', baseline: null });
    expect((blessing.reasons as string[])[0]).toMatch(/^no champion yet/);
    const metrics = JSON.parse((await stack.artifacts.readBytes(first.evaluation.outputs.metrics.digest as string)).toString('utf8')) as Record<string, number>;
    expect(metrics).toMatchObject({ rowCount: 20_000 });
    expect(metrics.auc).toBeGreaterThan(0.5);

    expect(first.push.result).toEqual({ model: 'flights', version: 1, created: true, alias: 'champion', aliasMoved: true });
    const version = await stack.registry.resolve('flights', 'champion');
    expect(version).toMatchObject({
      version: 1,
      digest: first.train.outputs.model.digest,
      artifactId: first.train.outputs.model.id,
      executionId: first.train.executionId,
      metrics: { auc: metrics.auc, rowCount: 20_000 },
      tags: { run: 'run-1' },
    });
    expect(version.signature).toMatchObject({
      inputs: [{ name: 'dow', type: 'float32', shape: ['N', 1] }, { name: 'origin', type: 'string', shape: ['N', 1] }],
      outputs: [{ name: 'label', type: 'int64' }, { name: 'probabilities', type: 'float32', shape: ['N', 2] }],
    });
    const [move] = await stack.registry.aliasHistory('flights', 'champion');
    expect(move).toMatchObject({ fromVersion: null, toVersion: 1, actor: 'pipeline run-1' });
    expect(move?.reason).toMatch(/^no champion yet/);
  });

  it('does not register the same model twice', async () => {
    const again = await runRecordedStep(stack, pushModelComponent, {
      runId: 'run-2', dir: scratch(), params: { model: 'flights' },
      inputs: { model: first.train.outputs.model, metrics: first.evaluation.outputs.metrics, blessing: first.evaluation.outputs.blessing },
    });
    expect(again.result).toMatchObject({ version: 1, created: false, aliasMoved: false });
    expect(await stack.registry.listVersions('flights')).toHaveLength(1);
  });

  it('moves the champion to a better model, compared on the same data', async () => {
    const better = await trainEvaluatePush('run-3', { numeric: ['distance', 'hour'], categorical: [] });
    const blessing = await blessingOf(better.evaluation.outputs.blessing);
    expect(blessing).toMatchObject({ blessed: true, baseline: { model: 'flights', alias: 'champion', version: 1 } });
    expect(blessing.candidate as number).toBeGreaterThan((blessing.baseline as { value: number }).value);
    expect(better.push.result).toMatchObject({ version: 2, created: true, aliasMoved: true });
    expect((await stack.registry.resolve('flights', 'champion')).version).toBe(2);
    const moves = await stack.registry.aliasHistory('flights', 'champion');
    expect(moves.find((m) => m.toVersion === 2)).toMatchObject({ fromVersion: 1, actor: 'pipeline run-3' });
  });

  it('registers a worse model without moving the champion', async () => {
    const worse = await trainEvaluatePush('run-4', { numeric: ['hour'], categorical: [] });
    const blessing = await blessingOf(worse.evaluation.outputs.blessing);
    expect(blessing).toMatchObject({ blessed: false, baseline: { version: 2 } });
    expect((blessing.reasons as string[])[0]).toMatch(/does not beat champion v2/);
    expect(worse.push.result).toMatchObject({ version: 3, created: true, aliasMoved: false });
    expect((await stack.registry.resolve('flights', 'champion')).version).toBe(2);
  });

  it('does not bless the champion against itself', async () => {
    const champion = await stack.registry.resolve('flights', 'champion');
    const [model] = await stack.metadata.findArtifacts({ ids: [champion.artifactId as number] });
    const evaluation = await runRecordedStep(stack, evaluateComponent, {
      runId: 'run-5', dir: scratch(), inputs: { model: model as Artifact, examples: february }, params: { baseline: { model: 'flights' } },
    });
    expect(evaluation.result).toMatchObject({ blessed: false, baselineVersion: 2 });
    expect(((await blessingOf(evaluation.outputs.blessing)).reasons as string[])[0]).toMatch(/itself/);
  });
});
