import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStack } from '../config/open-stack.js';
import type { Stack } from '../config/stack.js';
import type { JsonObject } from '../core/json.js';
import { ingestComponent } from '../data/ingest.js';
import { schemaComponent } from '../data/schema.js';
import { statisticsComponent } from '../data/statistics.js';
import { resolveBaselineComponent } from '../evaluate/baseline.js';
import { evaluateComponent } from '../evaluate/evaluate-component.js';
import type { Artifact } from '../metadata/model.js';
import { compilePipeline } from '../pipeline/ir.js';
import { pipeline } from '../pipeline/pipeline.js';
import { runPipeline } from '../pipeline/runner.js';
import { FLIGHT_FEATURES, writeFlightsMonth } from '../train/test-support.js';
import { trainLogisticComponent } from '../train/train-logistic-component.js';
import { pushModelComponent } from './push-model-component.js';

let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-push-'));
  stack = await openStack({ projectDir: join(dir, 'project'), env: {} });
  await writeFlightsMonth(join(dir, 'january.parquet'), 1, 30_000);
  await writeFlightsMonth(join(dir, 'february.parquet'), 2, 20_000);
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

const features = z.object({ numeric: z.array(z.string()), categorical: z.array(z.string()) });

/** train on January → resolve the champion → evaluate both on February → push, through the real runner. */
const trainEvaluatePush = pipeline({ name: 'push-test', params: features }, (p, { numeric, categorical }) => {
  const january = p.step(ingestComponent, { name: 'january', params: { source: join(dir, 'january.parquet') } });
  const february = p.step(ingestComponent, { name: 'february', params: { source: join(dir, 'february.parquet') } });
  const model = p.step(trainLogisticComponent, { name: 'train', inputs: { examples: january.outputs.examples }, params: { label: FLIGHT_FEATURES.label, numeric, categorical } });
  const champion = p.step(resolveBaselineComponent, { name: 'champion', params: { model: 'flights' } });
  const evaluation = p.step(evaluateComponent, {
    inputs: { model: model.outputs.model, examples: february.outputs.examples, baseline: champion.outputs.baseline },
  });
  const statistics = p.step(statisticsComponent, { inputs: { examples: january.outputs.examples } });
  const schema = p.step(schemaComponent, { inputs: { statistics: statistics.outputs.statistics }, params: { labelColumn: FLIGHT_FEATURES.label } });
  p.step(pushModelComponent, {
    name: 'push',
    params: { model: 'flights' },
    inputs: { model: model.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing, schema: schema.outputs.schema },
  });
});

async function run(runId: string, params: z.infer<typeof features>) {
  const result = await runPipeline(stack, compilePipeline(trainEvaluatePush, params), { runId });
  expect(result.error).toBeUndefined();
  const step = (name: string) => result.steps[name]!;
  const pushed = (await stack.metadata.getExecution(step('push').executionId!)).properties.result as JsonObject;
  return { result, step, pushed, blessing: await json(step('evaluate').outputs.blessing!), metrics: await json(step('evaluate').outputs.metrics!) };
}

async function json(artifact: Artifact): Promise<Record<string, unknown>> {
  return JSON.parse((await stack.artifacts.readBytes(artifact.digest as string)).toString('utf8')) as Record<string, unknown>;
}

describe('train → evaluate against the champion → push, with the registry', () => {
  let first: Awaited<ReturnType<typeof run>>;

  it('registers the first model and makes it champion: no champion yet', async () => {
    first = await run('run-1', { numeric: ['dow'], categorical: ['origin'] });
    const model = first.step('train').outputs.model!;
    expect(model.properties).toMatchObject({
      featureSpec: { label: 'delayed', trainingRows: 30_000, features: [{ name: 'dow', kind: 'numeric' }, { name: 'origin', kind: 'categorical' }] },
      converged: true,
    });
    expect(first.blessing).toMatchObject({ blessed: true, metric: 'auc', baseline: null });
    expect((first.blessing.reasons as string[])[0]).toMatch(/^no champion yet/);
    expect(first.metrics).toMatchObject({ rowCount: 20_000 });
    expect(first.metrics.auc as number).toBeGreaterThan(0.5);

    expect(first.pushed).toEqual({ model: 'flights', version: 1, created: true, alias: 'champion', aliasMoved: true });
    const version = await stack.registry.resolve('flights', 'champion');
    expect(version).toMatchObject({
      version: 1,
      digest: model.digest,
      artifactId: model.id,
      executionId: first.step('train').executionId,
      metrics: { auc: first.metrics.auc, rowCount: 20_000 },
      tags: { run: 'run-1' },
    });
    // The run that trained it and the data it read.
    const trainRun = await stack.tracking.store.runOfExecution(first.step('train').executionId!);
    expect(trainRun?.runName).toBe('train');
    const january = first.step('january').outputs.examples!;
    expect(version.runId).toBe(trainRun?.runId);
    expect(version.trainingData).toEqual({ uri: january.uri, digest: january.digest, artifactId: january.id });
    expect(version.signature).toMatchObject({
      inputs: [{ name: 'dow', type: 'float32', shape: ['N', 1] }, { name: 'origin', type: 'string', shape: ['N', 1] }],
      outputs: [{ name: 'label', type: 'int64' }, { name: 'probabilities', type: 'float32', shape: ['N', 2] }],
      // What the training data's schema says of each input and of the label.
      data: {
        format: 'flywheel.schema/v1',
        features: [
          { name: 'dow', type: 'int', presence: { required: true }, range: { min: 0, max: 6 } },
          { name: 'origin', type: 'string', domain: expect.arrayContaining(['ATL', 'ORD']) },
        ],
        label: { name: 'delayed', type: 'int' },
      },
    });
    const [move] = await stack.registry.aliasHistory('flights', 'champion');
    expect(move).toMatchObject({ fromVersion: null, toVersion: 1, actor: 'pipeline run-1' });
    expect(move?.reason).toMatch(/^no champion yet/);
  });

  it('run again, the model is the champion itself: not blessed, not registered twice', async () => {
    const again = await run('run-2', { numeric: ['dow'], categorical: ['origin'] });
    expect(again.result.steps.train!.status).toBe('cached');
    expect(again.result.steps.champion!.status).toBe('completed');
    expect(again.blessing).toMatchObject({ blessed: false, baseline: { version: 1 } });
    expect((again.blessing.reasons as string[])[0]).toMatch(/itself/);
    expect(again.pushed).toMatchObject({ version: 1, created: false, aliasMoved: false });
    expect(await stack.registry.listVersions('flights')).toHaveLength(1);
  });

  it('reuses the evaluation while the champion stays the same model', async () => {
    const third = await run('run-3', { numeric: ['dow'], categorical: ['origin'] });
    expect(third.result.steps.evaluate!.status).toBe('cached');
    expect(third.result.steps.push!.status).toBe('completed');
  });

  it('moves the champion to a better model, compared on the same data', async () => {
    const better = await run('run-4', { numeric: ['distance', 'hour'], categorical: [] });
    expect(better.blessing).toMatchObject({ blessed: true, baseline: { model: 'flights', alias: 'champion', version: 1 } });
    expect(better.blessing.candidate as number).toBeGreaterThan((better.blessing.baseline as { value: number }).value);
    expect(better.pushed).toMatchObject({ version: 2, created: true, aliasMoved: true });
    expect((await stack.registry.resolve('flights', 'champion')).version).toBe(2);
    const moves = await stack.registry.aliasHistory('flights', 'champion');
    expect(moves.find((m) => m.toVersion === 2)).toMatchObject({ fromVersion: 1, actor: 'pipeline run-4' });
  });

  it('registers a worse model without moving the champion', async () => {
    const worse = await run('run-5', { numeric: ['hour'], categorical: [] });
    expect(worse.blessing).toMatchObject({ blessed: false, baseline: { version: 2 } });
    expect((worse.blessing.reasons as string[])[0]).toMatch(/does not beat champion v2/);
    expect(worse.pushed).toMatchObject({ version: 3, created: true, aliasMoved: false });
    expect((await stack.registry.resolve('flights', 'champion')).version).toBe(2);
  });
});
