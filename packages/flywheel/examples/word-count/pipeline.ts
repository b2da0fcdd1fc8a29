// A runnable example: `npx flywheel run packages/flywheel/examples/word-count/pipeline.ts --param text="to be or not to be"`
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { commandComponent, component, File, Metrics, pipeline } from '../../src/index.js';

/** A TypeScript function component: writes its parameter to a file. */
const writeText = component({
  name: 'write-text',
  version: '1',
  params: z.object({ text: z.string().min(1) }),
  outputs: { text: File },
  run: async ({ params, outputs, log }) => {
    await writeFile(outputs.text.path, params.text);
    outputs.text.properties.characters = params.text.length;
    log.info(`wrote ${params.text.length} characters`);
  },
});

/** A command component: any executable; here a Python script reading the spec Flywheel hands it. */
const countWords = commandComponent({
  name: 'count-words',
  version: '1',
  inputs: { text: File },
  outputs: { counts: Metrics },
  command: ['python3', 'count_words.py', '{{inputs.text}}', '{{outputs.counts}}'],
});

export default pipeline(
  { name: 'word-count', params: z.object({ text: z.string().default('the quick brown fox jumps over the lazy dog the end') }) },
  (p, { text }) => {
    const written = p.step(writeText, { params: { text } });
    p.step(countWords, { inputs: { text: written.outputs.text } }).retry(2, { backoffMs: 500 }).timeout(60_000);
  },
);
