import { quoteLiteral, tableFunctionFor, withDuckDb } from './src/data/duckdb.js';
import { sampleDataPath } from './src/data/sample-data.js';
import { monthQuery } from './src/demo/flights-pipeline.js';
import { scoreDataset } from './src/evaluate/score-dataset.js';
import { existsSync } from 'node:fs';
const path = '/tmp/h/flights-feb.parquet';
if (!existsSync(path)) await withDuckDb(async (db) => {
  await db.run(`CREATE VIEW source AS SELECT * FROM ${tableFunctionFor(sampleDataPath('flights-3m.parquet'))}`);
  await db.run(`COPY (${monthQuery(2)}) TO ${quoteLiteral(path)} (FORMAT parquet)`);
});
const model = '/tmp/sv/.flywheel/artifacts/sha256/54/54628f6305aae574ef5a4e21e26bb04cbc37d7a556b50c5edc20c62227802ddf';
for (let i = 0; i < 3; i++) { const t = performance.now(); const s = await scoreDataset(model, path, { label: 'delayed' }); console.log(process.env.ORT_THREADS ?? 1, (performance.now() - t).toFixed(0), 'ms', s.predictions.length); }
