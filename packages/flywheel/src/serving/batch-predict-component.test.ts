import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { scoreDataset } from '../evaluate/score-dataset.js';
import { Dataset, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { compilePipeline } from '../pipeline/ir.js';
import { pipeline } from '../pipeline/pipeline.js';
import { runPipeline } from '../pipeline/runner.js';
import { writeFlightsMonth } from '../train/test-support.js';
import { batchPredictComponent, predictDataset } from './batch-predict-component.js';
import { servingFixture } from './test-support.js';

let fixture: Awaited<ReturnType<typeof servingFixture>>;
let march: string;
beforeAll(async () => {
  fixture = await servingFixture();
  march = join(fixture.dir, 'march.parquet');
  await writeFlightsMonth(march, 3, 3_000);
});
afterAll(async () => {
  await fixture?.dispose();
});

async function readScored(path: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  return withDuckDb(async (db) => {
    const result = await db.runAndReadAll(`SELECT * FROM read_parquet(${quoteLiteral(path)})`);
    return { columns: result.columnNames(), rows: result.getRowObjectsJS() as Record<string, unknown>[] };
  });
}

describe('batch-predict', () => {
  it('scores a dataset through the runner, resolving the model in the registry', async () => {
    const source = component({
      name: 'march', version: '1', params: z.object({ path: z.string() }), outputs: { examples: Dataset },
      run: async ({ params, outputs }) => copyFile(params.path, outputs.examples.path),
    });
    const definition = pipeline('score-march', (p) => {
      const data = p.step(source, { params: { path: march } });
      p.step(batchPredictComponent, { inputs: { examples: data.outputs.examples }, params: { model: 'flights', ref: 'champion', batchRows: 1000 } }).cache(false);
    });
    const result = await runPipeline(fixture.stack, compilePipeline(definition));
    expect(result.status).toBe('complete');
    const predictions = result.steps['batch-predict']!.outputs.predictions!;
    expect(predictions).toMatchObject({ type: 'Dataset', properties: { rowCount: 3000, model: 'flights', ref: 'champion', modelVersion: 1, predictionColumns: ['prediction_label', 'prediction_probability'] } });
    const scored = join(fixture.dir, 'scored.parquet');
    await fixture.stack.artifacts.fetchFile(predictions.digest!, scored);
    const { columns, rows } = await readScored(scored);
    const input = await readScored(march);
    expect(columns).toEqual([...input.columns, 'prediction_label', 'prediction_probability']);
    const expected = (await scoreDataset(fixture.files.full, march)).predictions;
    rows.forEach((row, i) => {
      expect(row.date).toEqual(input.rows[i]!.date);
      expect(row.prediction_probability as number).toBeCloseTo(expected[i]!, 6);
      expect(Number(row.prediction_label)).toBe((row.prediction_probability as number) > 0.5 ? 1 : 0);
    });
  });

  it('takes a wired model input instead', async () => {
    const files = component({
      name: 'files', version: '1', params: z.object({ data: z.string(), model: z.string() }), outputs: { examples: Dataset, model: Model },
      run: async ({ params, outputs }) => {
        await copyFile(params.data, outputs.examples.path);
        await copyFile(params.model, outputs.model.path);
      },
    });
    const definition = pipeline('score-with-model', (p) => {
      const made = p.step(files, { params: { data: march, model: fixture.files.hour } });
      p.step(batchPredictComponent, { inputs: { examples: made.outputs.examples, model: made.outputs.model } });
    });
    const result = await runPipeline(fixture.stack, compilePipeline(definition));
    expect(result.status).toBe('complete');
    expect(result.steps['batch-predict']!.outputs.predictions!.properties).toMatchObject({ rowCount: 3000 });
  });

  it('feeds a tensor model from the listed feature columns, and names bad params', async () => {
    const out = join(fixture.dir, 'tensor-scored.parquet');
    const result = await predictDataset(fixture.files.tensor, march, out, { features: ['distance', 'hour', 'dow', 'delay'] });
    expect(result).toEqual({ rowCount: 3000, predictionColumns: ['prediction_variable'] });
    const { rows } = await readScored(out);
    const row = rows[0]!;
    expect(row.prediction_variable as number).toBeCloseTo(Number(row.distance) + 2 * Number(row.hour) + 3 * Number(row.dow) + 4 * Number(row.delay) + 0.5, 0);
    await expect(predictDataset(fixture.files.tensor, march, out)).rejects.toThrow(/features: the model takes one input float_input/);
    await expect(predictDataset(fixture.files.tensor, march, out, { features: ['distance', 'nope', 'dow', 'delay'] })).rejects.toThrow(/features\[1\]/);
  });
});
