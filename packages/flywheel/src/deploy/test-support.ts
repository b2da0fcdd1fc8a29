import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import type { Artifact } from '../metadata/model.js';
import type { ArtifactType } from '../pipeline/artifact-types.js';
import type { ArtifactSpecs, ComponentResult, FunctionComponent, InputArtifact, OutputArtifact } from '../pipeline/component.js';

/**
 * Runs a function component as one recorded step, for tests: an execution with input events in
 * the stack's metadata store, inputs read from the artifact store, outputs stored there and
 * recorded as artifacts of the execution.
 */
export async function runRecordedStep<P, I extends ArtifactSpecs, O extends ArtifactSpecs>(
  stack: Stack,
  component: FunctionComponent<P, I, O, never, unknown> | FunctionComponent<P, I, O, keyof I & string, unknown>,
  options: { runId: string; dir: string; params?: unknown; inputs?: { [K in keyof I]: Artifact } },
): Promise<{ result: ComponentResult; outputs: { [K in keyof O]: Artifact }; executionId: number }> {
  const { metadata, artifacts } = stack;
  const inputEntries = Object.entries(options.inputs ?? {}) as [string, Artifact][];
  const execution = await metadata.startExecution({
    execution: { type: `${component.name}@${component.version}`, name: component.name, properties: { runId: options.runId } },
    inputs: inputEntries.map(([name, artifact]) => ({ name, artifactId: artifact.id })),
    contextIds: [],
  });
  const inputs: Record<string, InputArtifact> = {};
  for (const [name, artifact] of inputEntries) {
    const path = join(options.dir, 'inputs', name, (component.inputs[name] as ArtifactType).fileName);
    await artifacts.fetchFile(artifact.digest as string, path);
    inputs[name] = { id: artifact.id, type: artifact.type, path, uri: artifact.uri, digest: artifact.digest as string, properties: artifact.properties };
  }
  await mkdir(join(options.dir, 'outputs'), { recursive: true });
  const outputs: Record<string, OutputArtifact> = {};
  for (const [name, type] of Object.entries(component.outputs)) {
    outputs[name] = { type: type.name, path: join(options.dir, 'outputs', `${name}-${type.fileName}`), properties: {} };
  }
  const params = (component.params ? component.params.parse(options.params ?? {}) : {}) as P;
  const result = await component.run({
    params,
    inputs: inputs as { [K in keyof I]: InputArtifact },
    outputs: outputs as { [K in keyof O]: OutputArtifact },
    log: { info: () => undefined, warn: () => undefined },
    signal: new AbortController().signal,
    workDir: options.dir,
    attempt: 1,
    stack,
    run: { id: options.runId, step: component.name, executionId: execution.id },
  });
  const stored = [];
  for (const [name, output] of Object.entries(outputs)) {
    const blob = await artifacts.putFile(output.path);
    stored.push({ name, artifact: { type: output.type, name: `${component.name}/${name}`, state: 'live' as const, uri: blob.uri, digest: blob.digest, sizeBytes: blob.size, properties: output.properties } });
  }
  const finished = await metadata.finishExecution(execution.id, { patch: { state: 'complete', endedAt: new Date() }, outputs: stored });
  const byName: Record<string, Artifact> = {};
  stored.forEach((output, i) => {
    byName[output.name] = finished.outputs[i] as Artifact;
  });
  return { result, outputs: byName as { [K in keyof O]: Artifact }, executionId: execution.id };
}

/** Stores a file and records it as an artifact of the given type, as ingestion would. */
export async function importArtifact(stack: Stack, type: string, path: string): Promise<Artifact> {
  const blob = await stack.artifacts.putFile(path);
  const [artifact] = await stack.metadata.putArtifacts([{ type, uri: blob.uri, digest: blob.digest, sizeBytes: blob.size, state: 'live' }]);
  return artifact as Artifact;
}
