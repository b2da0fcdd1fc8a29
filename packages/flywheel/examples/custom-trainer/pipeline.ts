// A custom trainer as a first-class citizen: a Python script trains ridge regression with numpy and
// writes ONNX; Flywheel evaluates it against the champion, registers it and can serve it like a
// built-in model.
//
//   npx flywheel run packages/flywheel/examples/custom-trainer/pipeline.ts
//   npx flywheel serve weather@champion
//
// Needs python3 with numpy and onnx (Debian: apt-get install python3-numpy python3-onnx).
import { z } from 'zod';
import {
  commandComponent, component, Dataset, evaluateComponent, File, ingestComponent, Model, pipeline, pushModelComponent,
  resolveBaselineComponent, sampleDataPath,
} from '../../src/index.js';
import { quoteLiteral, withDuckDb } from '../../src/data/duckdb.js';

/** Writes a Dataset (Parquet) as CSV, for a script that reads CSV. */
const datasetToCsv = component({
  name: 'dataset-to-csv',
  version: '1',
  inputs: { examples: Dataset },
  outputs: { csv: File },
  run: async ({ inputs, outputs }) => {
    await withDuckDb((db) => db.run(`COPY (SELECT * FROM read_parquet(${quoteLiteral(inputs.examples.path)})) TO ${quoteLiteral(outputs.csv.path)} (HEADER)`));
  },
});

const ridgeParams = z.object({
  label: z.string(),
  numeric: z.array(z.string()),
  categorical: z.array(z.string()),
  l2: z.number().nonnegative().default(1),
});

/** The custom trainer: any program that writes an ONNX file to {{outputs.model}}. */
const trainRidge = commandComponent({
  name: 'train-ridge-numpy',
  version: '1',
  params: ridgeParams,
  inputs: { examples: File },
  outputs: { model: Model },
  command: ['python3', 'train_ridge.py', '{{inputs.examples}}', '{{outputs.model}}'],
});

const weather = (where: string) =>
  `SELECT date, precipitation, temp_min, wind, weather, temp_max FROM source WHERE ${where}`;

export default pipeline(
  { name: 'custom-trainer', params: z.object({ l2: z.number().nonnegative().default(1) }) },
  (p, { l2 }) => {
    const source = sampleDataPath('seattle-weather.csv');
    const train = p.step(ingestComponent, { name: 'ingest-train', params: { source, query: weather("date < '2015-01-01'") } });
    const test = p.step(ingestComponent, { name: 'ingest-test', params: { source, query: weather("date >= '2015-01-01'") } });
    const csv = p.step(datasetToCsv, { inputs: { examples: train.outputs.examples } });
    const model = p.step(trainRidge, {
      inputs: { examples: csv.outputs.csv },
      params: { label: 'temp_max', numeric: ['precipitation', 'temp_min', 'wind'], categorical: ['weather'], l2 },
    });
    const champion = p.step(resolveBaselineComponent, { params: { model: 'weather' } });
    const evaluation = p.step(evaluateComponent, {
      inputs: { model: model.outputs.model, examples: test.outputs.examples, baseline: champion.outputs.baseline },
      params: { thresholds: { rmse: { max: 4 } }, slices: [{ column: 'weather' }] },
    });
    p.step(pushModelComponent, {
      inputs: { model: model.outputs.model, metrics: evaluation.outputs.metrics, blessing: evaluation.outputs.blessing },
      params: { model: 'weather' },
    });
  },
);
