import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { detectDrift } from '../data/drift/detect-drift.js';
import type { DriftReport } from '../data/drift/drift-format.js';
import type { DriftProfile } from '../data/drift/drift-profile-format.js';
import type { DriftOptions } from '../data/drift/options.js';
import { quoteIdentifier, quoteLiteral, queryRows, toNumber, withDuckDb } from '../data/duckdb.js';
import type { PredictionOutput } from '../evaluate/model-task.js';
import type { ModelSignature, TensorSpec } from '../onnx/model-signature.js';
import { predictionLogDir, predictionLogRelation } from '../serving/prediction-log/parquet-prediction-log.js';
import { bucketSql, checkWindowRange, loggedInputSql, predictionSql, recordFilterSql, windowBounds, windowOf, type WindowRange } from './monitor-windows.js';

/** Windows with fewer rows than this are listed without a comparison: too few to say anything. */
export const DEFAULT_MIN_WINDOW_ROWS = 100;

export interface WindowDriftOptions extends WindowRange {
  /** Flywheel's working folder (`stack.home`), which holds the prediction log. */
  home: string;
  model: string;
  /** Only the predictions of this version (the one the reference belongs to); all by default. */
  version?: number;
  /** The model inputs to compare (a version's signature inputs). */
  inputs: readonly TensorSpec[];
  /** The training data's profile (see trainingProfile). */
  reference: DriftProfile;
  /** Thresholds and settings of the comparison (see detectDrift). */
  drift?: DriftOptions;
  minRows?: number;
}

/** One window against the reference; `report` is null for a window with too few rows, and for the reference window itself. */
export interface DriftWindow {
  start: Date;
  end: Date;
  rows: number;
  report: DriftReport | null;
  /** This window is the reference the others are compared with (output drift). */
  reference?: true;
}

/**
 * Input drift window by window: the model inputs the prediction log holds for each window (shadow
 * mirrors left out, as they repeat answered requests) against the training data's drift profile,
 * with the tests and thresholds of `detectDrift`. The profile is the reference, so the training
 * data is never scanned again.
 *
 * @example
 *   const reference = await trainingProfile(stack, champion);
 *   const windows = await inputDrift({ home: stack.home, model: 'flights', inputs: signature.inputs, reference, windowMs: 86_400_000 });
 *   windows.map((w) => [w.start.toISOString(), w.report?.summary.share]);
 */
export async function inputDrift(options: WindowDriftOptions): Promise<DriftWindow[]> {
  checkWindowRange(options);
  const log = await predictionLogRelation(predictionLogDir(options.home), options.model);
  if (log === undefined) return [];
  const profiled = new Set(options.reference.columns.map((c) => c.name));
  const columns = options.inputs.filter((spec) => profiled.has(spec.name)).map((spec) => `${loggedInputSql(spec)} AS ${quoteIdentifier(spec.name)}`);
  const ignored = Object.fromEntries([...profiled].filter((name) => !options.inputs.some((spec) => spec.name === name)).map((name) => [name, { ignore: true }]));
  const records = `SELECT ${bucketSql(options.windowMs)} AS bucket, ${columns.join(', ')} FROM ${log} WHERE ${recordFilterSql(options.model, options)} AND arm <> 'shadow'${options.version === undefined ? '' : ` AND version = ${Math.trunc(options.version)}`}`;
  return compareWindows(records, options.windowMs, options.minRows, undefined, async (file) =>
    detectDrift({ reference: options.reference, current: file, options: { ...options.drift, features: { ...ignored, ...options.drift?.features } } }),
  false);
}

export interface OutputDriftOptions extends WindowRange {
  home: string;
  model: string;
  version: number;
  signature: ModelSignature;
  prediction: PredictionOutput;
  drift?: DriftOptions;
  minRows?: number;
}

/**
 * Output (prediction) drift of one model version: its predictions in each window against its
 * predictions in its first window of at least `minRows` rows — the distribution the version
 * answered with when it started serving, whatever range is asked for.
 *
 * @example
 *   const windows = await outputDrift({ home, model: 'flights', version: 3, signature, prediction: predictionOutput(signature), windowMs: 86_400_000 });
 */
export async function outputDrift(options: OutputDriftOptions): Promise<DriftWindow[]> {
  checkWindowRange(options);
  const log = await predictionLogRelation(predictionLogDir(options.home), options.model);
  if (log === undefined) return [];
  // The whole history of the version (up to `until`): its first window is the reference however late the range starts.
  const { since, ...upTo } = options;
  const records = `SELECT ${bucketSql(options.windowMs)} AS bucket, ${predictionSql(options.signature, options.prediction)} AS prediction
    FROM ${log} WHERE ${recordFilterSql(options.model, upTo)} AND version = ${Math.trunc(options.version)}`;
  return compareWindows(records, options.windowMs, options.minRows, since && windowOf(since, options.windowMs), async (file, reference) =>
    detectDrift({ reference, current: file, options: options.drift }),
  );
}

/**
 * Writes each window's rows of `records` (a query with a `bucket` column) to a Parquet file of
 * its own and hands it to `compare`, oldest window first, with windows before `fromBucket` left
 * out. With `compare` taking a reference, the first window of at least `minRows` rows (from
 * any time) is written first and handed over with every other window. The files live until every
 * window is done.
 */
async function compareWindows(
  records: string,
  windowMs: number,
  minRows = DEFAULT_MIN_WINDOW_ROWS,
  fromBucket: number | undefined,
  compare: (file: string, reference: string) => Promise<DriftReport>,
  withReference = true,
): Promise<DriftWindow[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'flywheel-windows-'));
  try {
    return await withDuckDb(async (db) => {
      await db.run(`CREATE TEMP TABLE windowed AS ${records}`);
      const buckets = await queryRows(db, 'SELECT bucket, count(*) AS rows FROM windowed GROUP BY bucket ORDER BY bucket');
      const referenceRow = withReference ? buckets.find((row) => (toNumber(row.rows) as number) >= minRows) : undefined;
      const referenceBucket = referenceRow ? (toNumber(referenceRow.bucket) as number) : undefined;
      const referenceFile = join(scratch, 'reference.parquet');
      if (referenceBucket !== undefined) await writeWindow(db, referenceBucket, referenceFile);
      const windows: DriftWindow[] = [];
      for (const row of buckets) {
        const bucket = toNumber(row.bucket) as number;
        if (fromBucket !== undefined && bucket < fromBucket) continue;
        const rows = toNumber(row.rows) as number;
        const window: DriftWindow = { ...windowBounds(bucket, windowMs), rows, report: null };
        windows.push(window);
        if (bucket === referenceBucket) window.reference = true;
        if (rows < minRows || window.reference || (withReference && referenceBucket === undefined)) continue;
        const file = join(scratch, `window-${bucket}.parquet`);
        await writeWindow(db, bucket, file);
        window.report = await compare(file, referenceFile);
      }
      return windows;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function writeWindow(db: DuckDBConnection, bucket: number, file: string): Promise<void> {
  await db.run(`COPY (SELECT * EXCLUDE (bucket) FROM windowed WHERE bucket = ${bucket}) TO ${quoteLiteral(file)} (FORMAT parquet)`);
}
