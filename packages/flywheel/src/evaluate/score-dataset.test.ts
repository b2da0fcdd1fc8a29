import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteLiteral, withDuckDb } from '../data/duckdb.js';
import { predictDataset } from '../serving/batch-predict-component.js';
import { writeFlightsMonth } from '../train/test-support.js';
import { trainLinearRegression } from '../train/train-linear.js';
import { scoreDataset } from './score-dataset.js';

// A model with a time feature takes the timestamp as epoch seconds: every scorer of datasets
// feeds `epoch(date)`, never the TIMESTAMP column itself.
describe('scoring datasets with models that have time features', () => {
  let dir: string;
  let data: string;
  let model: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-score-time-'));
    data = join(dir, 'flights.parquet');
    model = join(dir, 'model.onnx');
    await writeFlightsMonth(data, 1, 3000);
    const trained = await trainLinearRegression(data, { label: 'delay', numeric: ['distance'], time: [{ column: 'date', parts: ['hour', 'dayOfWeek'] }] });
    await writeFile(model, trained.onnx);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('evaluates and batch-predicts from the TIMESTAMP column, hour by hour as trained', async () => {
    const scores = await scoreDataset(model, data, { label: 'delay' });
    expect(scores.rowCount).toBe(3000);
    // The same flight at another hour of the day gets another prediction: the hour reached the model.
    const shifted = join(dir, 'shifted.parquet');
    await withDuckDb((db) => db.run(`COPY (SELECT * REPLACE (date + INTERVAL 7 HOUR AS date) FROM read_parquet(${quoteLiteral(data)})) TO ${quoteLiteral(shifted)} (FORMAT parquet)`));
    const moved = await scoreDataset(model, shifted);
    expect(moved.predictions.some((p, i) => Math.abs(p - scores.predictions[i]!) > 1e-3)).toBe(true);

    const out = join(dir, 'scored.parquet');
    await predictDataset(model, data, out);
    const written = await withDuckDb(async (db) => (await db.runAndReadAll(`SELECT prediction_variable AS variable FROM read_parquet(${quoteLiteral(out)})`)).getRowObjectsJS());
    written.forEach((row, i) => expect(Number(row.variable)).toBeCloseTo(scores.predictions[i]!, 4));
  });
});
