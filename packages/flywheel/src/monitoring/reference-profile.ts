import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stack } from '../config/stack.js';
import { NotFoundError } from '../core/errors.js';
import { computeDriftProfile } from '../data/drift/drift-profile.js';
import { driftProfileFormat, type DriftProfile } from '../data/drift/drift-profile-format.js';
import type { ModelVersion } from '../registry/model.js';

const PROFILE_TYPE = 'DriftProfile';

/**
 * The drift profile of the data a model version was trained on: the reference that live inputs
 * are compared with, window after window, without scanning the training data again. A pipeline
 * that ran the `drift-profile` component on the training examples has made it already (found
 * through the metadata store's events); otherwise it is computed once from the training data and
 * kept as a DriftProfile artifact named after the data's digest, for every later call.
 *
 * @example
 *   const reference = await trainingProfile(stack, await stack.registry.resolve('flights', 'champion'));
 *   await detectDrift({ reference, current: 'window.parquet' });
 */
export async function trainingProfile(stack: Pick<Stack, 'metadata' | 'artifacts'>, version: ModelVersion): Promise<DriftProfile> {
  const data = version.trainingData;
  if (!data) {
    throw new NotFoundError('training data', `${version.modelName} v${version.version}`, 'input drift needs the data the version was trained on: register it with its training data (pipelines and `flywheel train` do)');
  }
  const made = (data.artifactId !== null ? await profileFromPipeline(stack, data.artifactId) : undefined) ?? (await cachedProfile(stack, data.digest));
  if (made) return made;
  return computeAndKeep(stack, data);
}

async function readProfile(stack: Pick<Stack, 'artifacts'>, digest: string): Promise<DriftProfile> {
  return driftProfileFormat.parse(JSON.parse((await stack.artifacts.readBytes(digest)).toString('utf8')));
}

/** A profile some pipeline step computed from the training dataset artifact. */
async function profileFromPipeline(stack: Pick<Stack, 'metadata' | 'artifacts'>, datasetId: number): Promise<DriftProfile | undefined> {
  const uses = await stack.metadata.findEvents({ artifactIds: [datasetId], kind: 'input' });
  if (uses.length === 0) return undefined;
  const executions = await stack.metadata.findExecutions({ ids: uses.map((e) => e.executionId), states: ['complete', 'cached'] });
  const profiling = executions.filter((e) => e.type.startsWith('drift-profile@')).map((e) => e.id);
  if (profiling.length === 0) return undefined;
  const outputs = await stack.metadata.findEvents({ executionIds: profiling, kind: 'output' });
  for (const output of outputs) {
    const artifact = await stack.metadata.getArtifact(output.artifactId);
    if (artifact.type === PROFILE_TYPE && artifact.digest) return readProfile(stack, artifact.digest);
  }
  return undefined;
}

function cacheName(dataDigest: string): string {
  return `drift-profile:${dataDigest}`;
}

async function cachedProfile(stack: Pick<Stack, 'metadata' | 'artifacts'>, dataDigest: string): Promise<DriftProfile | undefined> {
  const [kept] = await stack.metadata.findArtifacts({ type: PROFILE_TYPE, name: cacheName(dataDigest), state: 'live', limit: 1 });
  return kept?.digest ? readProfile(stack, kept.digest) : undefined;
}

async function computeAndKeep(stack: Pick<Stack, 'metadata' | 'artifacts'>, data: NonNullable<ModelVersion['trainingData']>): Promise<DriftProfile> {
  const scratch = await mkdtemp(join(tmpdir(), 'flywheel-profile-'));
  try {
    const profile = await computeDriftProfile(await trainingDataFile(stack, data, scratch));
    const blob = await stack.artifacts.putBytes(JSON.stringify(profile));
    await stack.metadata.putArtifacts([{ type: PROFILE_TYPE, name: cacheName(data.digest), uri: blob.uri, digest: blob.digest, sizeBytes: blob.size, properties: { source: data.uri } }]);
    return profile;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * A local file of the training data: a copy from the artifact store (named with the data's own
 * extension, which DuckDB reads the format from), or the file the version names.
 */
async function trainingDataFile(stack: Pick<Stack, 'artifacts'>, data: NonNullable<ModelVersion['trainingData']>, scratch: string): Promise<string> {
  if (await stack.artifacts.has(data.digest)) {
    const copy = join(scratch, `data${extname(new URL(data.uri).pathname) || '.parquet'}`);
    await stack.artifacts.fetchFile(data.digest, copy);
    return copy;
  }
  if (data.uri.startsWith('file:')) return fileURLToPath(data.uri);
  throw new NotFoundError('training data', data.uri, 'it is neither in the artifact store nor a local file');
}
