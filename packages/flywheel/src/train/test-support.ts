import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { quoteLiteral, tableFunctionFor, withDuckDb } from '../data/duckdb.js';
import { sampleDataPath } from '../data/sample-data.js';
import { writeParquet } from '../data/test-support.js';
import { readOnnxHeader } from '../onnx/onnx-model.js';
import { onnxRuntime, openInferenceSession } from '../onnx/onnx-runtime.js';
import { readColumns, type ColumnKind } from './columns.js';
import { featureInputExpr } from './feature-input.js';
import { readFeatureSpec, type FeatureKind } from './feature-spec.js';

/** The demo's features and label on the flights data. */
export const FLIGHT_FEATURES = {
  label: 'delayed',
  numeric: ['distance', 'hour', 'dow'],
  categorical: ['origin', 'destination'],
};

/**
 * Writes flights of one month of 2001 as Parquet with the demo's derived columns (hour, dow,
 * delayed = delay > 15), for tests: all of them, or `rows` of them spread over the month (the
 * file is sorted by time, so its first rows would all be from the first days).
 */
export async function writeFlightsMonth(path: string, month: number, rows?: number): Promise<void> {
  const source = quoteLiteral(sampleDataPath('flights-3m.parquet'));
  const sample = rows === undefined ? '' : ` AND hash(date, origin, destination, delay) % 16 = 0 LIMIT ${rows}`;
  const select =
    `SELECT *, hour(date) AS hour, dayofweek(date) AS dow, (delay > 15)::INTEGER AS delayed ` +
    `FROM read_parquet(${source}) WHERE month(date) = ${month}${sample}`;
  await withDuckDb((db) => db.run(`COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet)`).then(() => undefined));
}

/**
 * Writes the flights of a file written by writeFlightsMonth plus rows with missing values
 * (NULL date, distance or category), unseen categories and dates far from any month of 2001 (a
 * leap day, before 1970), for parity tests of models with time features.
 */
export async function writeFlightsWithOddRows(path: string, flightsPath: string): Promise<void> {
  await writeParquet(
    path,
    `SELECT date, delay, distance, origin, destination, delayed FROM read_parquet(${quoteLiteral(flightsPath)})
     UNION ALL SELECT * FROM (VALUES
       (NULL::TIMESTAMP, 10, 700, 'SFO', 'LAX', 0), (TIMESTAMP '2001-02-03 04:05:06', 40, NULL, NULL, 'ORD', 1),
       (TIMESTAMP '1960-02-29 23:59:59.999999', -3, 300, 'ZZZ', '', 0), (TIMESTAMP '2096-02-29 00:00:00', 0, 2500, 'ORD', 'ATL', 1),
       (NULL, NULL, NULL, NULL, NULL, 0)
     ) t(date, delay, distance, origin, destination, delayed)`,
  );
}

/**
 * Writes the flights ONNX parity tests train and score on into a new temporary directory: 30,000
 * from January, `februaryRows` from February, and those February flights with the odd rows of
 * writeFlightsWithOddRows. The caller removes `dir`.
 *
 * @example
 *   ({ dir, january, februaryWithOddRows } = await writeJanuaryAndFebruaryFlights('flywheel-parity-', 20_000));
 */
export async function writeJanuaryAndFebruaryFlights(
  prefix: string,
  februaryRows: number,
): Promise<{ dir: string; january: string; february: string; februaryWithOddRows: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const january = join(dir, 'january.parquet');
  const february = join(dir, 'february.parquet');
  const februaryWithOddRows = join(dir, 'february-with-odd-rows.parquet');
  await writeFlightsMonth(january, 1, 30_000);
  await writeFlightsMonth(february, 2, februaryRows);
  await writeFlightsWithOddRows(februaryWithOddRows, february);
  return { dir, january, february, februaryWithOddRows };
}

const COLUMN_KIND: Record<FeatureKind, ColumnKind> = { numeric: 'float32', categorical: 'string', timestamp: 'float64' };

/**
 * Runs a trained model in onnxruntime over every row of a data file, feeding each input from its
 * column through `featureInputExpr` (as every scorer must), and returns column `column` of
 * output `output`.
 */
export async function runTrainedModel(onnx: Uint8Array, datasetPath: string, output: string, column: number): Promise<Float64Array> {
  const spec = readFeatureSpec(readOnnxHeader(onnx).metadata);
  if (!spec) throw new Error('the model has no feature spec');
  const { rowCount, columns } = await withDuckDb((db) =>
    readColumns(db, tableFunctionFor(datasetPath), spec.features.map((f) => ({ expr: featureInputExpr(f), kind: COLUMN_KIND[f.kind] }))),
  );
  const ort = await onnxRuntime();
  const session = await openInferenceSession(onnx);
  try {
    const feeds: Record<string, Tensor> = {};
    spec.features.forEach((f, i) => {
      const data = columns[i] as Float32Array | Float64Array | string[];
      feeds[f.name] = new ort.Tensor(f.kind === 'categorical' ? 'string' : f.kind === 'numeric' ? 'float32' : 'float64', data, [rowCount, 1]);
    });
    const result = (await session.run(feeds, [output]))[output] as Tensor;
    const values = result.data as Float32Array;
    const width = rowCount === 0 ? 1 : values.length / rowCount;
    return Float64Array.from({ length: rowCount }, (_, i) => values[i * width + column] as number);
  } finally {
    await session.release();
  }
}
