import type { DuckDBAppender } from '@duckdb/node-api';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { describeColumns, quoteIdentifier, quoteLiteral, tableFunctionFor } from '../data/duckdb.js';
import { localModelFile } from '../deploy/model-version-file.js';
import { sessionSignature, type ModelSignature, type TensorSpec } from '../onnx/model-signature.js';
import { onnxRuntime, openDatasetSession } from '../onnx/onnx-runtime.js';
import { Dataset, Model } from '../pipeline/artifact-types.js';
import { component } from '../pipeline/component.js';
import { classifierOutputs } from './served-model.js';
import { scanColumns } from '../train/columns.js';
import { datasetFeeds } from '../train/dataset-feeds.js';
import { inputFeatureKinds } from '../train/feature-input.js';

export interface PredictDatasetOptions {
  /** For a model with one tensor input [N, F]: the F columns that feed it, in order. */
  features?: readonly string[];
  /** Rows per onnxruntime run; 65,536 by default. */
  batchRows?: number;
  signal?: AbortSignal;
}

export interface PredictDatasetResult {
  rowCount: number;
  /** Names of the columns added to the dataset's own. */
  predictionColumns: string[];
}

/** A prediction column: where its values come from in an output tensor, and its SQL type. */
interface PredictionColumn {
  name: string;
  output: string;
  /** Index within the output's row. */
  column: number;
  sqlType: 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'VARCHAR';
}

/**
 * Scores a dataset with an ONNX model and writes a new Parquet file holding every input column
 * plus prediction columns: `prediction_label` and `prediction_probability` for a binary
 * classifier, otherwise `prediction_<output>` (with `_<k>` suffixes for outputs wider than one).
 * DuckDB reads the input in chunks of typed arrays; predictions are appended chunk by chunk and
 * joined back to the input rows by position.
 *
 * @example
 *   await predictDataset('model.onnx', 'march.parquet', 'march-scored.parquet');
 */
export async function predictDataset(modelPath: string, datasetPath: string, outputPath: string, options: PredictDatasetOptions = {}): Promise<PredictDatasetResult> {
  const batchRows = options.batchRows ?? 65_536;
  const { bytes, session } = await openDatasetSession(modelPath);
  const ort = await onnxRuntime();
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const reader = await instance.connect();
  const writer = await instance.connect();
  try {
    const signature = sessionSignature(session);
    const from = tableFunctionFor(datasetPath, 'examples');
    const columns = await describeColumns(reader, from);
    const feeds = datasetFeeds(signature, columns, inputFeatureKinds(bytes), { field: 'features', columns: options.features });
    const predictions = predictionColumns(signature);
    for (const p of predictions) {
      if (columns.some((c) => c.name === p.name)) throw new InvalidInputError('examples', `already has a column ${JSON.stringify(p.name)}; rename it before scoring`);
    }
    await writer.run(`CREATE TEMP TABLE predictions (${predictions.map((p) => `${quoteIdentifier(p.name)} ${p.sqlType}`).join(', ')})`);
    const appender = await writer.createAppender('predictions');
    let rowCount = 0;
    const fetches = [...new Set(predictions.map((p) => p.output))];
    for await (const batch of scanColumns(reader, from, feeds.requests, { batchRows })) {
      options.signal?.throwIfAborted();
      const result = await session.run(feeds.tensors(ort, batch.columns, batch.rowCount), fetches);
      appendPredictions(appender, predictions, result, batch.rowCount);
      rowCount += batch.rowCount;
    }
    appender.closeSync();
    await writer.run(`COPY (SELECT * FROM ${from} POSITIONAL JOIN predictions) TO ${quoteLiteral(outputPath)} (FORMAT parquet, COMPRESSION zstd)`);
    return { rowCount, predictionColumns: predictions.map((p) => p.name) };
  } finally {
    reader.closeSync();
    writer.closeSync();
    instance.closeSync();
    await session.release();
  }
}


function predictionColumns(signature: ModelSignature): PredictionColumn[] {
  const classifier = classifierOutputs(signature);
  const sqlType = (spec: TensorSpec): PredictionColumn['sqlType'] =>
    spec.type === 'string' ? 'VARCHAR' : spec.type === 'bool' ? 'BOOLEAN' : spec.type.startsWith('float') ? 'DOUBLE' : 'BIGINT';
  if (classifier) {
    const label = classifier.label ? signature.outputs.find((o) => o.name === classifier.label) : undefined;
    return [
      ...(label ? [{ name: 'prediction_label', output: label.name, column: 0, sqlType: sqlType(label) }] : []),
      { name: 'prediction_probability', output: classifier.probability, column: classifier.probabilityColumn, sqlType: 'DOUBLE' as const },
    ];
  }
  return signature.outputs.flatMap((output) => {
    if (output.type === 'non-tensor') return [];
    const width = output.shape.slice(1).reduce<number>((a, d) => a * (typeof d === 'number' && d > 0 ? d : 1), 1);
    return Array.from({ length: width }, (_, k) => ({ name: width === 1 ? `prediction_${output.name}` : `prediction_${output.name}_${k}`, output: output.name, column: k, sqlType: sqlType(output) }));
  });
}

function appendPredictions(appender: DuckDBAppender, columns: readonly PredictionColumn[], result: InferenceSession.ReturnType, rows: number): void {
  const views = columns.map((c) => {
    const data = (result[c.output] as Tensor).data as ArrayLike<number | bigint | string | boolean>;
    return { c, data, width: rows === 0 ? 1 : data.length / rows };
  });
  for (let r = 0; r < rows; r++) {
    for (const { c, data, width } of views) {
      const value = data[r * width + c.column];
      switch (c.sqlType) {
        case 'DOUBLE':
          appender.appendDouble(Number(value));
          break;
        case 'BIGINT':
          appender.appendBigInt(typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value))));
          break;
        case 'BOOLEAN':
          appender.appendBoolean(Boolean(value));
          break;
        case 'VARCHAR':
          appender.appendVarchar(String(value));
      }
    }
    appender.endRow();
  }
}

export const batchPredictParams = z.object({
  /** Registered model to score with, when no `model` input is wired. */
  model: z.string().min(1).optional(),
  /** Its alias or version; `champion` by default. */
  ref: z.string().min(1).default('champion'),
  /** For a model with one tensor input [N, F]: the F feature columns, in order. */
  features: z.array(z.string().min(1)).optional(),
  /** Rows per onnxruntime run. */
  batchRows: z.number().int().positive().default(65_536),
});

/**
 * Batch inference: scores `examples` with the wired `model`, or with a registered version
 * (`params.model` at `params.ref`), into `predictions` — the input rows with prediction columns
 * (see predictDataset). A step resolving an alias should run with `.cache(false)`, so a moved
 * alias is not answered from the cache.
 *
 * @example
 *   p.step(batchPredictComponent, { inputs: { examples: march.outputs.examples }, params: { model: 'flights' } }).cache(false);
 */
export const batchPredictComponent = component({
  name: 'batch-predict',
  version: '1',
  description: 'Scores a dataset with a model into a new dataset (input columns + prediction columns)',
  params: batchPredictParams,
  inputs: { examples: Dataset, model: Model },
  optionalInputs: ['model'],
  outputs: { predictions: Dataset },
  run: async ({ params, inputs, outputs, stack, workDir, signal, log }) => {
    let modelPath: string;
    let source: Record<string, string | number>;
    if (inputs.model) {
      if (params.model !== undefined) throw new InvalidInputError('params.model', 'a model input is wired too; use one or the other');
      modelPath = inputs.model.path;
      source = { modelDigest: inputs.model.digest };
    } else {
      if (params.model === undefined) throw new InvalidInputError('params.model', 'required when no model input is wired: a registered model name');
      const version = await stack.registry.resolve(params.model, params.ref);
      modelPath = await localModelFile(stack.artifacts, version, workDir);
      source = { model: params.model, ref: params.ref, modelVersion: version.version, modelDigest: version.digest };
      log.info(`scoring with ${params.model}@${params.ref} (v${version.version})`);
    }
    const result = await predictDataset(modelPath, inputs.examples.path, outputs.predictions.path, { features: params.features, batchRows: params.batchRows, signal });
    outputs.predictions.properties.rowCount = result.rowCount;
    outputs.predictions.properties.predictionColumns = result.predictionColumns;
    Object.assign(outputs.predictions.properties, source);
    log.info(`scored ${result.rowCount} rows: ${result.predictionColumns.join(', ')}`);
    return { rows: result.rowCount, ...source };
  },
});
