import { mkdirSync, rmSync } from 'node:fs';
import { mkdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Artifact, NewArtifact } from '../metadata/model.js';
import type { InputArtifact, OutputArtifact } from './component.js';
import { OutputNotWrittenError } from './errors.js';
import type { StepIR } from './ir.js';
import { jsonProblem } from './params.js';

/**
 * Puts each input where the component can read it, under its type's file name: a symbolic link
 * to the blob when the store keeps blobs on this disk, else a fetched copy.
 */
export async function materializeInputs(
  artifacts: ArtifactStore,
  inputs: Readonly<Record<string, { artifact: Artifact; layout: 'file' | 'directory'; fileName: string }>>,
  dir: string,
): Promise<Record<string, InputArtifact>> {
  const out: Record<string, InputArtifact> = {};
  for (const [name, { artifact, layout, fileName }] of Object.entries(inputs)) {
    const digest = artifact.digest!;
    const target = join(dir, name, fileName);
    await mkdir(join(dir, name), { recursive: true });
    let path = target;
    if (layout === 'directory') {
      await artifacts.fetchDirectory(digest, target);
    } else {
      const local = await artifacts.localPath(digest);
      if (local === undefined) await artifacts.fetchFile(digest, target);
      else path = await symlink(local, target).then(() => target, () => local);
    }
    out[name] = { id: artifact.id, type: artifact.type, path, uri: artifact.uri, digest, properties: artifact.properties };
  }
  return out;
}

/** Fresh, empty output folders for an attempt (sync: see runStep), and the paths the component is to fill. */
export function prepareOutputs(step: StepIR, dir: string): Record<string, OutputArtifact> {
  const out: Record<string, OutputArtifact> = {};
  const names = Object.keys(step.outputs);
  if (names.length === 0) return out;
  rmSync(dir, { recursive: true, force: true });
  for (const name of names) {
    const spec = step.outputs[name]!;
    mkdirSync(join(dir, name), { recursive: true });
    out[name] = { type: spec.type, path: join(dir, name, spec.fileName), properties: {} };
  }
  return out;
}

/** Stores what the component wrote and describes the artifacts to record. */
export async function storeOutputs(
  artifacts: ArtifactStore,
  step: StepIR,
  outputs: Readonly<Record<string, OutputArtifact>>,
): Promise<{ name: string; artifact: NewArtifact }[]> {
  const stored: { name: string; artifact: NewArtifact }[] = [];
  for (const [name, output] of Object.entries(outputs)) {
    const layout = step.outputs[name]!.layout;
    const found = await stat(output.path).catch(() => undefined);
    const expected = layout === 'file' ? 'a file' : 'a directory';
    if (!found) throw new OutputNotWrittenError(step.name, name, `nothing was written (expected ${expected} at ${output.path})`);
    if (layout === 'file' ? !found.isFile() : !found.isDirectory()) {
      throw new OutputNotWrittenError(step.name, name, `expected ${expected} at ${output.path}`);
    }
    const problem = jsonProblem(output.properties, 'properties');
    if (problem) throw new OutputNotWrittenError(step.name, name, problem);
    const blob = layout === 'file' ? await artifacts.putFile(output.path) : await artifacts.putDirectory(output.path);
    stored.push({
      name,
      artifact: {
        type: output.type,
        name: `${step.name}/${name}`,
        uri: blob.uri,
        digest: blob.digest,
        sizeBytes: blob.size,
        state: 'live',
        properties: output.properties,
      },
    });
  }
  return stored;
}
