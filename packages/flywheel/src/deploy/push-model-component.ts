import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { blessingSchema } from '../evaluate/blessing.js';
import type { Stack } from '../config/stack.js';
import { readSchemaFile } from '../data/schema-format.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { Blessing, Dataset, Metrics, Model, Schema } from '../pipeline/artifact-types.js';
import { readFeatureSpec } from '../train/feature-spec.js';
import { component } from '../pipeline/component.js';
import { findAliasedVersion } from './model-version-file.js';
import { registerModelFile } from './register-model.js';

export const pushModelParams = z.object({
  /** Registered model name, e.g. `flights`. */
  model: z.string().min(1),
  /** Alias moved to the new version when the blessing says so. */
  alias: z.string().min(1).default('champion'),
});

/**
 * Registers the model as a version of `params.model` (or finds the version with the same
 * digest) with its metrics, signature and lineage, and moves the alias (`champion`) to it only
 * when the blessing says so, recording the run as actor and the blessing's reasons. With the
 * training data's schema wired in, the version's signature says what values each input was
 * trained on (`signature.data`).
 *
 * @example
 *   p.step(pushModelComponent, {
 *     inputs: { model: train.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing, schema: schema.outputs.schema },
 *     params: { model: 'flights' },
 *   });
 */
export const pushModelComponent = component({
  name: 'push-model',
  version: '2',
  description: 'Registers a model version and moves an alias to it when blessed',
  params: pushModelParams,
  inputs: { model: Model, metrics: Metrics, blessing: Blessing, schema: Schema },
  optionalInputs: ['schema'],
  // Moves aliases in the registry: the effect must happen on every run.
  cacheable: false,
  run: async ({ params, inputs, stack, run, log }) => {
    const blessing = await readJson(inputs.blessing.path, 'blessing', blessingSchema);
    const metrics = numericEntries(await readJson(inputs.metrics.path, 'metrics', z.record(z.string(), z.unknown())));

    const artifact = await stack.metadata.getArtifact(inputs.model.id);
    // The version's lineage points at the step that trained the model, not at this push.
    const producers = await stack.metadata.findEvents({ artifactIds: [artifact.id], kind: 'output' });
    const trainedBy = producers[0]?.executionId;
    const { version, created } = await registerModelFile(stack, {
      model: params.model,
      path: inputs.model.path,
      artifactId: artifact.id,
      executionId: trainedBy ?? run.executionId,
      metrics,
      tags: { run: run.id },
      ...(trainedBy === undefined ? {} : await trainingLineage(stack, trainedBy)),
      ...(inputs.schema ? { dataSchema: await readSchemaFile(inputs.schema.path), label: readFeatureSpec(readOnnxHeader(await readFile(inputs.model.path)).metadata)?.label } : {}),
    });
    log.info(created ? `registered ${params.model} v${version.version}` : `${params.model} v${version.version} already holds this model (same digest)`);

    let aliasMoved = false;
    if (blessing.blessed) {
      const current = await findAliasedVersion(stack.registry, params.model, params.alias);
      if (current?.version !== version.version) {
        await stack.registry.setAlias(params.model, params.alias, version.version, { actor: `pipeline ${run.id}`, reason: blessing.reasons.join('; ') });
        aliasMoved = true;
        log.info(`${params.alias} → v${version.version}${current ? ` (was v${current.version})` : ''}`);
      } else {
        log.info(`${params.alias} already points at v${version.version}`);
      }
    } else {
      log.info(`not blessed, ${params.alias} stays: ${blessing.reasons.join('; ')}`);
    }
    return { model: params.model, version: version.version, created, alias: params.alias, aliasMoved };
  },
});

/** Input names that carry training data, most telling first; other Datasets come after, in event order. */
const TRAINING_INPUTS = ['train', 'examples'];

/**
 * The tracked run that trained the model (for a search, its best trial's run, tagged `best.runId`)
 * and the Dataset the training step read (its `train` or `examples` input, else its first
 * Dataset), for the registry. Step runs that ended unwritten are flushed first so the run is found.
 */
async function trainingLineage(stack: Stack, executionId: number): Promise<{ runId?: string; trainingData?: { uri: string; digest: string; artifactId: number } }> {
  await stack.tracking.flush();
  const stepRun = await stack.tracking.store.runOfExecution(executionId);
  const best = stepRun && (await stack.tracking.store.getRun(stepRun.runId)).data.tags.find((tag) => tag.key === 'best.runId')?.value;
  const rank = (name: string) => (TRAINING_INPUTS.includes(name) ? TRAINING_INPUTS.indexOf(name) : TRAINING_INPUTS.length);
  const inputs = (await stack.metadata.findEvents({ executionIds: [executionId], kind: 'input' })).sort((a, b) => rank(a.name) - rank(b.name));
  let trainingData: { uri: string; digest: string; artifactId: number } | undefined;
  for (const event of inputs) {
    const input = await stack.metadata.getArtifact(event.artifactId);
    if (input.type === Dataset.name && input.digest) {
      trainingData = { uri: input.uri, digest: input.digest, artifactId: input.id };
      break;
    }
  }
  const runId = best ?? stepRun?.runId;
  return { ...(runId ? { runId } : {}), ...(trainingData ? { trainingData } : {}) };
}

async function readJson<T>(path: string, field: string, schema: z.ZodType<T>): Promise<T> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InvalidInputError(field, `${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError([field, ...(issue?.path ?? []).map(String)].join('.'), issue?.message ?? 'invalid');
  }
  return parsed.data;
}

function numericEntries(record: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(record)) if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  return out;
}
