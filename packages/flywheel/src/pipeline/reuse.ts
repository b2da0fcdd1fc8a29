import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Artifact, Execution } from '../metadata/model.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { StepIR } from './ir.js';

/** Keeps id lists in one query below the bind-parameter limits of SQL databases. */
const ID_CHUNK = 500;

/** Output artifacts of each execution, by output name. */
export async function outputsOfExecutions(metadata: MetadataStore, executionIds: readonly number[]): Promise<Map<number, Record<string, Artifact>>> {
  const result = new Map<number, Record<string, Artifact>>();
  for (const id of executionIds) result.set(id, {});
  for (let start = 0; start < executionIds.length; start += ID_CHUNK) {
    const events = await metadata.findEvents({ executionIds: executionIds.slice(start, start + ID_CHUNK), kind: 'output' });
    const artifactIds = [...new Set(events.map((event) => event.artifactId))];
    const byId = new Map<number, Artifact>();
    for (let a = 0; a < artifactIds.length; a += ID_CHUNK) {
      const ids = artifactIds.slice(a, a + ID_CHUNK);
      for (const artifact of await metadata.findArtifacts({ ids, limit: ids.length })) byId.set(artifact.id, artifact);
    }
    for (const event of events) {
      const artifact = byId.get(event.artifactId);
      if (artifact) result.get(event.executionId)![event.name] = artifact;
    }
  }
  return result;
}

/**
 * Whether recorded outputs can stand in for running `step` again: every declared output is
 * there, of the declared type, live, and its blob is still in the artifact store.
 */
export async function outputsStillUsable(artifacts: ArtifactStore, step: StepIR, outputs: Readonly<Record<string, Artifact>>): Promise<boolean> {
  for (const [name, spec] of Object.entries(step.outputs)) {
    const artifact = outputs[name];
    if (!artifact || artifact.type !== spec.type || artifact.state !== 'live' || !artifact.digest) return false;
    if (!(await artifacts.has(artifact.digest))) return false;
  }
  return true;
}

const CANDIDATES = 5;

/** The newest complete or cached execution with this cache key whose outputs are all still usable. */
export async function findCached(
  metadata: MetadataStore,
  artifacts: ArtifactStore,
  step: StepIR,
  key: string,
): Promise<{ execution: Execution; outputs: Record<string, Artifact> } | undefined> {
  const candidates = await metadata.findExecutions({ cacheKey: key, states: ['complete', 'cached'], order: 'desc', limit: CANDIDATES });
  if (candidates.length === 0) return undefined;
  const outputs = await outputsOfExecutions(metadata, candidates.map((c) => c.id));
  for (const execution of candidates) {
    const found = outputs.get(execution.id)!;
    if (await outputsStillUsable(artifacts, step, found)) return { execution, outputs: found };
  }
  return undefined;
}
