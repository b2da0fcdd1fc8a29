import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Stack } from '../config/stack.js';
import type { TrackedRun } from '../tracking/tracked-run.js';
import type { JsonObject } from '../core/json.js';
import type { ArtifactSpecs, ComponentResult, FunctionComponent, InputArtifact, OutputArtifact } from '../pipeline/component.js';
import { quoteLiteral, withDuckDb } from './duckdb.js';

export interface ComponentRun<O extends ArtifactSpecs> {
  result: ComponentResult;
  outputs: { [K in keyof O]: OutputArtifact };
  logs: { level: 'info' | 'warn'; message: string }[];
}

/**
 * Runs a function component the way a pipeline step would, for tests: params go through the
 * component's zod schema, inputs are local files, outputs land in `dir`.
 */
export async function runComponent<P, I extends ArtifactSpecs, O extends ArtifactSpecs>(
  component: FunctionComponent<P, I, O, never, unknown> | FunctionComponent<P, I, O, keyof I & string, unknown>,
  options: { dir: string; params?: unknown; inputs?: { [K in keyof I]?: string } },
): Promise<ComponentRun<O>> {
  const outputDir = join(options.dir, 'outputs');
  await mkdir(outputDir, { recursive: true });
  const inputs = Object.fromEntries(Object.entries(options.inputs ?? {}).map(([name, path], index): [string, InputArtifact] => [
    name,
    { id: index + 1, type: component.inputs[name]!.name, path: path as string, uri: `file://${path as string}`, digest: '', properties: {} },
  ])) as { [K in keyof I]: InputArtifact };
  const outputs = Object.fromEntries(Object.entries(component.outputs).map(([name, type]): [string, OutputArtifact] => [
    name,
    { type: type.name, path: join(outputDir, `${name}-${type.fileName}`), properties: {} as JsonObject },
  ])) as { [K in keyof O]: OutputArtifact };
  const logs: ComponentRun<O>['logs'] = [];
  const params = (component.params ? component.params.parse(options.params ?? {}) : {}) as P;
  const result = await component.run({
    params,
    inputs,
    outputs,
    log: { info: (message) => logs.push({ level: 'info', message }), warn: (message) => logs.push({ level: 'warn', message }) },
    signal: new AbortController().signal,
    workDir: options.dir,
    attempt: 1,
    stack: {} as Stack,
    tracking: {} as TrackedRun,
    run: { id: 'test-run', step: component.name, executionId: 1 },
  });
  return { result, outputs, logs };
}

/** Writes the result of a DuckDB query as a Parquet file: fixtures with exact column types. */
export async function writeParquet(path: string, select: string): Promise<void> {
  await withDuckDb((db) => db.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet)`).then(() => undefined));
}
