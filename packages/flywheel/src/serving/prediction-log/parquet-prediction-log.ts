import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidInputError } from '../../core/errors.js';
import { listDirectory } from '../../core/files.js';
import type { JsonValue } from '../../core/json.js';
import { quoteLiteral, withDuckDb } from '../../data/duckdb.js';
import type { PredictionLogSink, PredictionRecord } from './prediction-log-sink.js';
import { encodeRecord } from './prediction-ndjson.js';
import { stagingPaths } from './segment-conversion.js';
import { SegmentWriter } from './segment-writer.js';

/** The prediction log of a project: `<home>/predictions`. */
export function predictionLogDir(home: string): string {
  return join(home, 'predictions');
}

/**
 * The local prediction log: append-only Parquet segments under `dir`, one folder per model and
 * UTC day (`<dir>/<model>/<YYYY-MM-DD>/<batch>.parquet`). Each write becomes new segments, so
 * rotation follows the logger's flush size and interval. The logger hands over NDJSON bytes, which
 * go to a staged file as they are (written under a temporary name, then renamed), and the write
 * resolves: the records are safe on disk. A writer process of lower priority (SegmentWriter) then
 * has DuckDB split them by model and day into Parquet, so the server's thread never touches a
 * record and DuckDB never takes a core from requests; on a saturated machine it falls behind and
 * catches up later, with the backlog on disk rather than in memory. `close()` waits for it.
 * Batches it could not convert (reported to `onError`) and batches staged by a server that was
 * killed are converted by the next writer that starts on the same folder.
 *
 * Columns: `prediction_id`, `row`, `timestamp` (TIMESTAMP, UTC), `model`, `version`, `arm`,
 * `endpoint`, `inputs` and `outputs` (JSON by name), `latency_ms`.
 *
 * @example
 *   const sink = new ParquetPredictionLog(predictionLogDir(stack.home), { onError: console.error });
 */
export class ParquetPredictionLog implements PredictionLogSink {
  private readonly writer: SegmentWriter;
  /** Tells this process's batches from those of an earlier one with the same pid. */
  private readonly token = randomBytes(4).toString('hex');
  private sequence = 0;

  constructor(
    readonly dir: string,
    private readonly options: { onError?: (error: unknown) => void } = {},
  ) {
    this.writer = new SegmentWriter(dir, this.token);
  }

  async write(records: readonly PredictionRecord[]): Promise<void> {
    await this.writeNdjson([Buffer.from(records.map(encodeRecord).join(''))]);
  }

  async writeNdjson(chunks: readonly Buffer[]): Promise<void> {
    if (chunks.every((chunk) => chunk.length === 0)) return;
    await mkdir(this.dir, { recursive: true });
    const { temporary, staged } = stagingPaths(this.dir, `${Date.now()}-${process.pid}-${this.token}-${String(this.sequence++).padStart(6, '0')}`);
    try {
      await writeFile(temporary, chunks);
      await rename(temporary, staged);
    } finally {
      await rm(temporary, { force: true });
    }
    this.writer.convert(staged).catch((error: unknown) => this.options.onError?.(error));
  }

  /** Batches staged and not yet converted. */
  pendingBatches(): number {
    return this.writer.pending;
  }

  /** Resolves once every batch written so far is readable (converted to Parquet) or has failed. */
  readable(): Promise<void> {
    return this.writer.idle();
  }

  /** Waits until every batch written so far is converted (or failed), then stops the writer. */
  close(): Promise<void> {
    return this.writer.close();
  }
}

export interface ReadPredictionLogOptions {
  /** The log folder (see predictionLogDir). */
  dir: string;
  model?: string;
  version?: number;
  /** Records at or after this time … */
  since?: Date;
  /** … and before this one. */
  until?: Date;
  limit?: number;
}

/**
 * Reads prediction records back (DuckDB over the Parquet segments), oldest first, for monitoring:
 * drift of inputs, outputs over time, joins with delayed labels by prediction id.
 *
 * @example
 *   const records = await readPredictionLog({ dir: predictionLogDir(stack.home), model: 'flights', since: new Date(Date.now() - 3600_000) });
 */
export async function readPredictionLog(options: ReadPredictionLogOptions): Promise<PredictionRecord[]> {
  const relation = await predictionLogRelation(options.dir, options.model);
  if (relation === undefined) return [];
  const where: string[] = [];
  if (options.model !== undefined) where.push(`model = ${quoteLiteral(options.model)}`);
  if (options.version !== undefined) where.push(`version = ${Math.trunc(options.version)}`);
  if (options.since) where.push(`timestamp >= epoch_ms(${options.since.getTime()})`);
  if (options.until) where.push(`timestamp < epoch_ms(${options.until.getTime()})`);
  const sql = `SELECT prediction_id, "row", epoch_ms(timestamp) AS ms, model, version, arm, endpoint, inputs::VARCHAR AS inputs, outputs::VARCHAR AS outputs, latency_ms
    FROM ${relation}
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY timestamp, prediction_id, arm, "row"${options.limit !== undefined ? ` LIMIT ${Math.max(0, Math.trunc(options.limit))}` : ''}`;
  const rows = await withDuckDb(async (db) => (await db.runAndReadAll(sql)).getRowObjectsJS());
  return rows.map((r) => ({
    predictionId: String(r.prediction_id),
    row: Number(r.row),
    timestamp: new Date(Number(r.ms)),
    model: String(r.model),
    version: Number(r.version),
    arm: String(r.arm),
    endpoint: String(r.endpoint),
    inputs: JSON.parse(String(r.inputs)) as Record<string, JsonValue>,
    outputs: JSON.parse(String(r.outputs)) as Record<string, JsonValue>,
    latencyMs: Number(r.latency_ms),
  }));
}

/**
 * The Parquet segments of the log (of one model, or all) as a DuckDB table expression, for queries
 * that join or aggregate records without reading them into JavaScript; undefined while there are none.
 *
 * @example
 *   const from = await predictionLogRelation(predictionLogDir(stack.home), 'flights');
 *   if (from) await db.run(`SELECT version, count(*) FROM ${from} GROUP BY version`);
 */
export async function predictionLogRelation(dir: string, model?: string): Promise<string | undefined> {
  if (model !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(model)) throw new InvalidInputError('model', `${JSON.stringify(model)} is not a model name`);
  if (!(await hasSegments(dir, model))) return undefined;
  return `read_parquet(${quoteLiteral(join(dir, model ?? '*', '*', '*.parquet'))}, union_by_name = true)`;
}

async function hasSegments(dir: string, model: string | undefined): Promise<boolean> {
  const models = model === undefined ? await list(dir) : [model];
  for (const m of models) {
    for (const day of await list(join(dir, m))) {
      if ((await list(join(dir, m, day))).some((f) => f.endsWith('.parquet'))) return true;
    }
  }
  return false;
}

/** The names in a folder of the log; none when it is missing or a file (a staged batch beside the model folders). */
async function list(dir: string): Promise<string[]> {
  return listDirectory(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOTDIR') return [];
    throw error;
  });
}
