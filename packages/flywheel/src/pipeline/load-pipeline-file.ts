import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { importDefault } from '../core/import-module.js';
import { PipelineFileError } from './errors.js';
import type { AnyPipeline } from './pipeline.js';
import { isPipeline } from './pipeline.js';

/**
 * Imports a pipeline file (.ts, .mts, .js or .mjs; TypeScript through tsx) and returns its
 * default export, which must be a pipeline. Errors name the file.
 *
 * @example
 *   const definition = await loadPipelineFile('pipelines/flights.ts');
 *   const compiled = compilePipeline(definition, { month: 2 });
 */
export async function loadPipelineFile(path: string): Promise<AnyPipeline> {
  const file = resolve(path);
  const found = await stat(file).catch(() => undefined);
  if (!found) throw new PipelineFileError(file, 'the file does not exist');
  if (!found.isFile()) throw new PipelineFileError(file, 'is not a file');

  let value: unknown;
  try {
    value = await importDefault(file);
  } catch (error) {
    throw new PipelineFileError(file, `could not be loaded: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  if (value === undefined) {
    throw new PipelineFileError(file, 'has no default export', { hint: 'end it with `export default pipeline({ name: … }, (p) => { … })`' });
  }
  if (!isPipeline(value)) {
    const got = value === null ? 'null' : typeof value === 'object' ? `an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}` : `a ${typeof value}`;
    throw new PipelineFileError(file, `the default export is not a pipeline (got ${got})`, { hint: 'export default the value returned by pipeline(…)' });
  }
  return value;
}
