import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineFileError } from './errors.js';
import { compilePipeline } from './ir.js';
import { loadPipelineFile } from './load-pipeline-file.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flywheel-pipeline-file-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('loadPipelineFile', () => {
  it('imports a TypeScript pipeline and returns its default export', async () => {
    const path = await file('ok.ts', `
      import { component } from ${JSON.stringify(join(here, 'component.ts'))};
      import { pipeline } from ${JSON.stringify(join(here, 'pipeline.ts'))};
      const hello = component({ name: 'hello', version: '1', run: () => undefined });
      const greeting: string = 'greetings';
      export const unrelated = 1;
      export default pipeline({ name: greeting }, (p) => { p.step(hello); });
    `);
    const definition = await loadPipelineFile(path);
    expect(definition.name).toBe('greetings');
    expect(compilePipeline(definition).ir.steps.map((s) => s.name)).toEqual(['hello']);
  });

  it('names the file when it is missing, has no pipeline or does not parse', async () => {
    const missing = join(dir, 'missing.ts');
    await expect(loadPipelineFile(missing)).rejects.toThrow(PipelineFileError);
    await expect(loadPipelineFile(missing)).rejects.toThrow(`pipeline file ${missing}: the file does not exist`);

    const noDefault = await file('no-default.ts', 'export const x = 1;\n');
    await expect(loadPipelineFile(noDefault)).rejects.toThrow(`pipeline file ${noDefault}: has no default export`);

    const notPipeline = await file('not-pipeline.mjs', 'export default { name: "x" };\n');
    await expect(loadPipelineFile(notPipeline)).rejects.toThrow(`pipeline file ${notPipeline}: the default export is not a pipeline (got an object with keys name)`);

    const broken = await file('broken.ts', 'export default pipeline({ name: "x" }, (p) => { p.step( });\n');
    const error = await loadPipelineFile(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineFileError);
    expect((error as Error).message).toMatch(new RegExp(`^pipeline file ${broken}: could not be loaded: .*Unexpected`, 's'));
  });
});
